//! `plan`: what changing a desired state from one set of DSFs to another does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::common::{environment_files, load, manual_findings, open_platform};
use super::validate::{limits, lookup, tag};
use crate::error::Error;
use crate::plan::{diff, promote, Plan, PlanContext, Side};
use crate::platform::{Platform, SecretsConfig};
use crate::report::Report;
use crate::source::SourceMap;
use crate::spec::{normalize, LoadOptions, ValuesCache};

/// Ask for the plan from one desired state to another (e.g. `master` before and after a change).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlanRequest {
    /// The DSFs as they are (merged in order).
    pub old: Vec<PathBuf>,
    /// The DSFs as they will be (merged in order).
    pub new: Vec<PathBuf>,
    /// The platform file: chart profiles name the values, and secrets are recognised as it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PathBuf>,
    /// The environment (the last of the platform's environments, or `prod`, is production).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Variables for `$VAR` substitution, before the process environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// Whether the process environment supplies variables too (default true).
    #[serde(default = "super::validate::yes")]
    pub process_env: bool,
    /// Largest file accepted, in bytes (default 16 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
}

/// A plan, the problems found while loading its two sides, and the sources they point into.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The plan (empty when a side could not be loaded; see `report`).
    pub plan: Plan,
    /// Syntax, substitution and schema findings of both sides.
    pub report: Report,
    /// Every file read.
    pub sources: SourceMap,
}

/// Plan the change from `request.old` to `request.new`.
///
/// ```no_run
/// use ehdeploy::api::{plan, PlanRequest};
/// let planned = plan(&PlanRequest {
///     old: vec!["before/prod.yaml".into()],
///     new: vec!["envs/prod.yaml".into()],
///     platform: Some("platform.yaml".into()),
///     process_env: true,
///     ..Default::default()
/// })?;
/// for action in &planned.plan.actions {
///     println!("{} {}", action.decision.as_str(), action.app);
/// }
/// # Ok::<(), ehdeploy::Error>(())
/// ```
pub fn plan(request: &PlanRequest) -> Result<Planned, Error> {
    if request.old.is_empty() || request.new.is_empty() {
        return Err(Error::Usage(
            "a plan needs the old and the new desired-state files".into(),
        ));
    }
    for f in request.old.iter().chain(&request.new) {
        if !f.is_file() {
            return Err(Error::io(
                f,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
    }
    let limits = limits(request.max_file_bytes);
    let mut sources = SourceMap::new();
    let mut findings = Vec::new();
    let platform = match &request.platform {
        Some(p) => {
            let (platform, f) = open_platform(&mut sources, p, &limits)?;
            findings.extend(f);
            platform
        }
        None => None,
    };
    let vars = lookup(&request.vars, request.process_env);
    let options = LoadOptions {
        limits,
        vars: Some(&vars),
        substitute_values: false,
    };
    let old = load(&mut sources, &request.old, &options)?;
    let new = load(&mut sources, &request.new, &options)?;
    let environment = request.environment.as_deref();
    findings.extend(tag(old.findings.clone(), environment));
    findings.extend(tag(new.findings.clone(), environment));
    let mut cache = ValuesCache::new();
    let old_side = Side::build(
        &mut sources,
        &old,
        platform.as_ref(),
        &mut cache,
        &options,
        &mut findings,
    );
    let new_side = Side::build(
        &mut sources,
        &new,
        platform.as_ref(),
        &mut cache,
        &options,
        &mut findings,
    );
    let production = match (&platform, environment) {
        (Some(p), Some(e)) => p
            .file
            .environments
            .last()
            .is_some_and(|last| last.name == e),
        (None, Some(e)) => e == "prod",
        _ => false,
    };
    let default_secrets = SecretsConfig::default();
    let secrets = platform
        .as_ref()
        .map_or(&default_secrets, |p| &p.file.secrets);
    let plan = match (&old_side, &new_side) {
        (Some(o), Some(n)) => diff(
            o,
            n,
            &PlanContext {
                sources: &sources,
                secrets,
                production,
            },
        ),
        _ => Plan::default(),
    };
    let files = sources.files().count();
    let apps = new
        .state
        .as_ref()
        .and_then(|s| s.apps.as_ref())
        .map_or(0, |a| a.len());
    let report = Report::new(findings, files, apps, usize::from(environment.is_some()));
    Ok(Planned {
        plan,
        report,
        sources,
    })
}

/// Ask for the plan of promoting one environment's artifacts into another.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PromotionRequest {
    /// The platform repo's folder, or its `platform.yaml`.
    pub platform: PathBuf,
    /// The source environment.
    pub from: String,
    /// The target environment.
    pub to: String,
    /// Only these apps (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<String>,
    /// Variables for `$VAR` substitution, before the process environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// Whether the process environment supplies variables too (default true).
    #[serde(default = "super::validate::yes")]
    pub process_env: bool,
    /// Largest file accepted, in bytes (default 16 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
}

/// Plan what promoting `from` into `to` does: the target as it is, against the target with the
/// source's chart, chart version, image and portable values. Apps only in the source are
/// `promotion/manual` findings.
pub fn promotion_plan(request: &PromotionRequest) -> Result<Planned, Error> {
    let limits = limits(request.max_file_bytes);
    let mut sources = SourceMap::new();
    let (platform, mut findings) = open_platform(&mut sources, &request.platform, &limits)?;
    let Some(platform) = platform else {
        let files = sources.files().count();
        return Ok(Planned {
            plan: Plan::default(),
            report: Report::new(findings, files, 0, 0),
            sources,
        });
    };
    if request.from == request.to {
        return Err(Error::Usage(
            "a promotion goes from one environment to another".into(),
        ));
    }
    let from_files = environment_files(&platform, &request.from)?;
    let to_files = environment_files(&platform, &request.to)?;
    let vars = lookup(&request.vars, request.process_env);
    let options = LoadOptions {
        limits,
        vars: Some(&vars),
        substitute_values: false,
    };
    let source = load(&mut sources, &from_files, &options)?;
    let target = load(&mut sources, &to_files, &options)?;
    findings.extend(tag(source.findings.clone(), Some(&request.from)));
    findings.extend(tag(target.findings.clone(), Some(&request.to)));
    let mut cache = ValuesCache::new();
    let source_side = Side::build(
        &mut sources,
        &source,
        Some(&platform),
        &mut cache,
        &options,
        &mut findings,
    );
    let target_side = Side::build(
        &mut sources,
        &target,
        Some(&platform),
        &mut cache,
        &options,
        &mut findings,
    );
    let production = platform
        .file
        .environments
        .last()
        .is_some_and(|e| e.name == request.to);
    let apps = (!request.apps.is_empty()).then_some(request.apps.as_slice());
    let plan = match (&source_side, &target_side) {
        (Some(s), Some(t)) => {
            let (promoted, notes) = promote(s, t, &platform, apps);
            findings.extend(manual_findings(
                notes,
                &source,
                &target,
                &request.to,
                &sources,
            ));
            diff(
                t,
                &promoted,
                &PlanContext {
                    sources: &sources,
                    secrets: &platform.file.secrets,
                    production,
                },
            )
        }
        _ => Plan::default(),
    };
    let files = sources.files().count();
    let apps = target
        .state
        .as_ref()
        .and_then(|s| s.apps.as_ref())
        .map_or(0, |a| a.len());
    let report = Report::new(findings, files, apps, 2);
    Ok(Planned {
        plan,
        report,
        sources,
    })
}

/// Ask to write a promotion into the target environment's DSF and values files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PromoteSpecRequest {
    /// The promotion.
    pub promotion: PromotionRequest,
    /// Write the files (otherwise only say what would change).
    #[serde(default)]
    pub write: bool,
}

/// One file a promotion changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileChange {
    /// The file, as findings name it.
    pub path: String,
    /// Its text now.
    pub before: String,
    /// Its text with the promotion written.
    pub after: String,
}

impl FileChange {
    /// The change as a unified diff (three lines of context).
    pub fn unified_diff(&self) -> String {
        similar::TextDiff::from_lines(&self.before, &self.after)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{}", self.path), &format!("b/{}", self.path))
            .to_string()
    }
}

/// What writing a promotion changes (or changed), and what a person must still do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotedSpec {
    /// The files changed, in order.
    pub files: Vec<FileChange>,
    /// Load findings and `promotion/manual` findings.
    pub report: Report,
    /// Whether the files were written.
    pub written: bool,
}

/// Which files belong to the target environment's apps alone, from every environment's DSFs.
pub(super) struct Usage {
    target: String,
    values: HashMap<PathBuf, HashSet<(String, String)>>,
    dsf: HashMap<PathBuf, HashSet<String>>,
}

impl crate::plan::Ownership for Usage {
    fn owns(&self, file: &Path, app: &str) -> bool {
        self.values.get(&normalize(file)).is_some_and(|users| {
            users.len() == 1 && users.contains(&(self.target.clone(), app.to_string()))
        })
    }

    fn owns_dsf(&self, file: &Path) -> bool {
        self.dsf
            .get(&normalize(file))
            .is_some_and(|envs| envs.len() == 1 && envs.contains(&self.target))
    }
}

impl Usage {
    /// Who uses each file of `loaded` (every environment's spec), for edits to `target`.
    pub(super) fn of(loaded: &IndexMapOf, target: &str) -> Usage {
        let mut usage = Usage {
            target: target.to_string(),
            values: HashMap::new(),
            dsf: HashMap::new(),
        };
        for (env, spec) in loaded {
            for f in &spec.files {
                usage
                    .dsf
                    .entry(normalize(f))
                    .or_default()
                    .insert(env.clone());
            }
            for (label, app) in spec.state.iter().flat_map(|s| s.apps.iter().flatten()) {
                for (_, file) in app.all_values_files() {
                    usage
                        .values
                        .entry(normalize(Path::new(file)))
                        .or_default()
                        .insert((env.clone(), label.clone()));
                }
            }
        }
        usage
    }
}

/// Every environment's DSFs of `platform`, loaded, and which files the environment `target`'s
/// apps own (for edits that must not reach another environment or app).
pub(super) fn load_environments(
    sources: &mut SourceMap,
    platform: &Platform,
    options: &LoadOptions<'_>,
    target: &str,
) -> Result<(IndexMapOf, Usage), Error> {
    let mut loaded = IndexMapOf::new();
    for env in &platform.file.environments {
        let files: Vec<PathBuf> = env.dsf.iter().map(|d| platform.resolve(d)).collect();
        loaded.insert(env.name.clone(), load(sources, &files, options)?);
    }
    let usage = Usage::of(&loaded, target);
    Ok((loaded, usage))
}

/// The files `edits` change, each with its text before and after.
pub(super) fn file_changes(
    edits: indexmap::IndexMap<PathBuf, Vec<crate::source::TextEdit>>,
    sources: &SourceMap,
) -> Vec<FileChange> {
    let mut changes = Vec::new();
    for (file, file_edits) in edits {
        let Some(src) = sources.find(&file).and_then(|id| sources.file(id)) else {
            continue;
        };
        let Some(after) = crate::source::apply_edits(src.text(), &file_edits) else {
            continue;
        };
        if after != src.text() {
            changes.push(FileChange {
                path: src.display().to_string(),
                before: src.text().to_string(),
                after,
            });
        }
    }
    changes
}

/// Write the promotion `from` → `to` into the target environment's files, changing only the
/// values that change, in place (comments, key order and formatting kept). Values the target
/// takes from a file it shares with other environments or apps get an override in the app's
/// own values file instead. With `write: false` nothing is written.
pub fn promote_spec(request: &PromoteSpecRequest) -> Result<PromotedSpec, Error> {
    let p = &request.promotion;
    let limits = limits(p.max_file_bytes);
    let mut sources = SourceMap::new();
    let (platform, mut findings) = open_platform(&mut sources, &p.platform, &limits)?;
    let Some(platform) = platform else {
        let files = sources.files().count();
        return Ok(PromotedSpec {
            files: Vec::new(),
            report: Report::new(findings, files, 0, 0),
            written: false,
        });
    };
    environment_files(&platform, &p.from)?;
    environment_files(&platform, &p.to)?;
    if p.from == p.to {
        return Err(Error::Usage(
            "a promotion goes from one environment to another".into(),
        ));
    }
    let vars = lookup(&p.vars, p.process_env);
    let options = LoadOptions {
        limits,
        vars: Some(&vars),
        substitute_values: false,
    };
    let (loaded, usage) = load_environments(&mut sources, &platform, &options, &p.to)?;
    let (Some(source), Some(target)) = (loaded.get(&p.from), loaded.get(&p.to)) else {
        return Err(Error::Usage("the environments could not be loaded".into()));
    };
    findings.extend(tag(source.findings.clone(), Some(&p.from)));
    findings.extend(tag(target.findings.clone(), Some(&p.to)));
    let mut cache = ValuesCache::new();
    let source_side = Side::build(
        &mut sources,
        source,
        Some(&platform),
        &mut cache,
        &options,
        &mut findings,
    );
    let target_side = Side::build(
        &mut sources,
        target,
        Some(&platform),
        &mut cache,
        &options,
        &mut findings,
    );
    let apps = (!p.apps.is_empty()).then_some(p.apps.as_slice());
    let mut changes = Vec::new();
    if let (Some(s), Some(t)) = (&source_side, &target_side) {
        let edits = crate::plan::promotion_edits(
            s,
            t,
            apps,
            &crate::plan::EditContext {
                platform: &platform,
                sources: &sources,
                cache: &cache,
                ownership: &usage,
            },
        );
        findings.extend(manual_findings(
            edits.notes,
            source,
            target,
            &p.to,
            &sources,
        ));
        changes = file_changes(edits.files, &sources);
    }
    if request.write {
        for (change, file) in changes
            .iter()
            .zip(changes.iter().map(|c| PathBuf::from(&c.path)))
        {
            std::fs::write(&file, &change.after).map_err(|e| Error::io(&file, e))?;
        }
    }
    let files = sources.files().count();
    let apps = target
        .state
        .as_ref()
        .and_then(|s| s.apps.as_ref())
        .map_or(0, |a| a.len());
    Ok(PromotedSpec {
        files: changes,
        report: Report::new(findings, files, apps, 2),
        written: request.write,
    })
}

pub(super) type IndexMapOf = indexmap::IndexMap<String, crate::spec::LoadedSpec>;
