//! `validate` (DSFs, optionally against the platform) and `check` (a whole platform repo).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::common::{environment_files, load, load_error, manual_findings, open_platform};
use crate::error::Error;
use crate::plan::{diff, promote, PlanContext, Side};
use crate::platform::Platform;
use crate::policy::{check_spec_keeping_values, check_specs_keeping_values};
use crate::report::{Finding, NextPromotion, Report};
use crate::source::{Limits, SourceMap};
use crate::spec::{load_specs, normalize, AppValues, LoadOptions, LoadedSpec, ValuesCache};
use indexmap::IndexMap;

/// Ask to validate desired-state files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidateRequest {
    /// DSFs (or Helmsman spec files), merged in order.
    pub files: Vec<PathBuf>,
    /// The platform file; without it only Helmsman's own checks run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PathBuf>,
    /// The environment the files are for (default: the one whose `dsf` lists them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Variables for `$VAR` substitution, before the process environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// Whether the process environment supplies variables too (default true).
    #[serde(default = "yes")]
    pub process_env: bool,
    /// Substitute variables in values files too (Helmsman's `--subst-env-values`).
    #[serde(default)]
    pub substitute_values: bool,
    /// Largest file accepted, in bytes (default 16 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
}

/// Ask to check a whole platform repo: every environment of its `platform.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckRequest {
    /// The platform repo's folder (holding `platform.yaml`).
    pub platform_dir: PathBuf,
    /// Variables for `$VAR` substitution, before the process environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// Whether the process environment supplies variables too (default true).
    #[serde(default = "yes")]
    pub process_env: bool,
    /// Largest file accepted, in bytes (default 16 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
    /// The time releases' next steps are judged at (RFC 3339); default now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

pub(super) fn yes() -> bool {
    true
}

/// A report and the sources it points into (for rendering source lines).
#[derive(Debug, Clone)]
pub struct Checked {
    /// The report.
    pub report: Report,
    /// Every file read.
    pub sources: SourceMap,
}

pub(super) fn limits(max: Option<u64>) -> Limits {
    let mut l = Limits::default();
    if let Some(m) = max {
        l.max_file_bytes = m;
    }
    l
}

/// A variable lookup: the caller's map, then (optionally) the process environment.
pub(super) fn lookup(
    vars: &BTreeMap<String, String>,
    process_env: bool,
) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| {
        vars.get(name)
            .cloned()
            .or_else(|| process_env.then(|| std::env::var(name).ok()).flatten())
    }
}

/// Validate DSFs: syntax, substitution, schema, Helmsman's checks and, with a platform, the
/// platform's rules for the environment.
///
/// ```no_run
/// use ehdeploy::api::{validate, ValidateRequest};
/// let checked = validate(&ValidateRequest {
///     files: vec!["envs/prod.yaml".into()],
///     platform: Some("platform.yaml".into()),
///     process_env: true,
///     ..Default::default()
/// })?;
/// println!("{} errors", checked.report.summary.errors);
/// # Ok::<(), ehdeploy::Error>(())
/// ```
pub fn validate(request: &ValidateRequest) -> Result<Checked, Error> {
    if request.files.is_empty() {
        return Err(Error::Usage("no desired-state file given".into()));
    }
    let mut sources = SourceMap::new();
    let mut findings = Vec::new();
    let limits = limits(request.max_file_bytes);
    let platform = match &request.platform {
        Some(p) => {
            let (platform, f) = open_platform(&mut sources, p, &limits)?;
            findings.extend(f);
            platform
        }
        None => None,
    };
    let environment = match (&platform, &request.environment) {
        (Some(p), Some(e)) => {
            environment_files(p, e)?;
            Some(e.clone())
        }
        (Some(p), None) => infer_environment(p, &request.files),
        (None, e) => e.clone(),
    };
    let vars = lookup(&request.vars, request.process_env);
    let options = LoadOptions {
        limits,
        vars: Some(&vars),
        substitute_values: request.substitute_values,
    };
    for f in &request.files {
        if !f.exists() {
            return Err(Error::io(
                f,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
    }
    let mut cache = ValuesCache::new();
    let spec = load(&mut sources, &request.files, &options)?;
    let (found, _) = check_spec_keeping_values(
        &mut sources,
        &spec,
        platform.as_ref(),
        environment.as_deref(),
        &mut cache,
        &options,
    );
    let apps = add_findings(&mut findings, &spec, environment.as_deref(), found);
    let files = sources.files().count();
    let report = Report::new(findings, files, apps, usize::from(environment.is_some()));
    Ok(Checked { report, sources })
}

/// Add one environment's findings to the report's: its spec's own (syntax, substitution,
/// schema), then `found` by the rules. Returns how many apps the spec lists (enabled or not).
fn add_findings(
    findings: &mut Vec<Finding>,
    spec: &LoadedSpec,
    environment: Option<&str>,
    found: Vec<Finding>,
) -> usize {
    findings.extend(tag(spec.findings.clone(), environment));
    findings.extend(found);
    spec.state
        .as_ref()
        .and_then(|s| s.apps.as_ref())
        .map_or(0, |a| a.len())
}

/// Every enabled app's effective values, by app.
pub(super) type AppsValues = IndexMap<String, AppValues>;

/// The plan of promoting each environment into the next, with what a person must do as
/// `promotion/manual` findings.
fn next_promotions(
    sources: &SourceMap,
    platform: &Platform,
    specs: Vec<(String, LoadedSpec, AppsValues)>,
    findings: &mut Vec<Finding>,
) -> Vec<NextPromotion> {
    let (specs, values): (Vec<(String, LoadedSpec)>, Vec<AppsValues>) = specs
        .into_iter()
        .map(|(name, spec, values)| ((name, spec), values))
        .unzip();
    let sides: Vec<Option<Side<'_>>> = specs
        .iter()
        .zip(values)
        .map(|((_, spec), values)| Side::from_values(spec, platform, values))
        .collect();
    let last = platform.file.environments.last().map(|e| e.name.as_str());
    // Each pair of neighbours is planned on its own, side by side.
    let pairs: Vec<usize> = (1..specs.len()).collect();
    let planned = crate::parallel::map(&pairs, crate::parallel::cpu_threads(), |&i| {
        let ((from, _), (to, target)) = (&specs[i - 1], &specs[i]);
        let (Some(source_side), Some(target_side)) = (&sides[i - 1], &sides[i]) else {
            return None;
        };
        let (promoted, notes) = promote(source_side, target_side, platform, None);
        let manual = manual_findings(notes, &specs[i - 1].1, target, to, sources);
        let plan = diff(
            target_side,
            &promoted,
            &PlanContext {
                sources,
                secrets: &platform.file.secrets,
                production: last == Some(to.as_str()),
            },
        );
        let next = NextPromotion {
            from: from.clone(),
            to: to.clone(),
            plan,
        };
        Some((manual, next))
    });
    let mut out = Vec::new();
    for (manual, next) in planned.into_iter().flatten() {
        findings.extend(manual);
        out.push(next);
    }
    out
}

/// The environment whose `dsf` list names one of `files`.
pub(super) fn infer_environment(platform: &Platform, files: &[PathBuf]) -> Option<String> {
    let wanted: Vec<PathBuf> = files.iter().map(|f| normalize(f)).collect();
    platform
        .file
        .environments
        .iter()
        .find(|e| {
            e.dsf
                .iter()
                .any(|d| wanted.contains(&normalize(&platform.resolve(d))))
        })
        .map(|e| e.name.clone())
}

pub(super) fn tag(findings: Vec<Finding>, environment: Option<&str>) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|mut f| {
            if f.environment.is_none() {
                f.environment = environment.map(str::to_string);
            }
            f
        })
        .collect()
}

/// Check a platform repo: the platform file, then every environment's DSFs with the
/// platform's rules, in promotion order, in one report.
pub fn check(request: &CheckRequest) -> Result<Checked, Error> {
    let now = super::release::time(request.at.as_deref())?;
    let limits = limits(request.max_file_bytes);
    let mut sources = SourceMap::new();
    let (platform, mut findings) = open_platform(&mut sources, &request.platform_dir, &limits)?;
    let Some(platform) = platform else {
        let files = sources.files().count();
        return Ok(Checked {
            report: Report::new(findings, files, 0, 0),
            sources,
        });
    };
    let vars = lookup(&request.vars, request.process_env);
    let options = LoadOptions {
        limits,
        vars: Some(&vars),
        substitute_values: false,
    };
    let mut wanted: Vec<(&str, Vec<PathBuf>)> = Vec::new();
    for (i, env) in platform.file.environments.iter().enumerate() {
        let mut files = Vec::new();
        for (j, d) in env.dsf.iter().enumerate() {
            let p = platform.resolve(d);
            if p.is_file() {
                files.push(p);
            } else {
                let pointer = format!("/environments/{i}/dsf/{j}");
                let span = platform.tree.span_at(&pointer, false);
                findings.push(
                    Finding::new(
                        crate::rules::SPEC_FILE_MISSING,
                        crate::Severity::Error,
                        format!(
                            "desired-state file `{d}` of environment `{}` does not exist",
                            env.name
                        ),
                    )
                    .at(sources.location(span, &pointer))
                    .environment(env.name.clone()),
                );
            }
        }
        if !files.is_empty() {
            wanted.push((&env.name, files));
        }
    }
    // Every environment's DSFs are read and loaded side by side; then each environment is
    // checked in promotion order (its apps side by side).
    let lists: Vec<&[PathBuf]> = wanted.iter().map(|(_, files)| files.as_slice()).collect();
    let loaded = load_specs(
        &mut sources,
        &lists,
        &options,
        crate::parallel::cpu_threads(),
    );
    let mut loaded_specs = Vec::with_capacity(wanted.len());
    for ((name, files), spec) in wanted.iter().zip(loaded) {
        loaded_specs.push((*name, spec.map_err(|e| load_error(files, e))?));
    }
    // Every environment is checked in one go, app by app across the environments; the
    // findings come environment by environment, in promotion order.
    let mut cache = ValuesCache::new();
    let envs: Vec<(&LoadedSpec, Option<&str>)> = loaded_specs
        .iter()
        .map(|(name, spec)| (spec, Some(*name)))
        .collect();
    let checked =
        check_specs_keeping_values(&mut sources, &envs, Some(&platform), &mut cache, &options);
    let mut apps = 0;
    let mut specs = Vec::with_capacity(loaded_specs.len());
    for ((name, spec), (found, values)) in loaded_specs.into_iter().zip(checked) {
        apps += add_findings(&mut findings, &spec, Some(name), found);
        specs.push((name.to_string(), spec, values));
    }
    #[cfg(feature = "signatures")]
    findings.extend(super::verify::check_signatures(&platform, &specs, &sources));
    let promotions = next_promotions(&sources, &platform, specs, &mut findings);
    let (releases, more) = super::release::platform_releases(&platform, now);
    findings.extend(more);
    let files = sources.files().count();
    let mut report = Report::new(findings, files, apps, platform.file.environments.len());
    report.promotions = promotions;
    report.releases = releases;
    Ok(Checked { report, sources })
}
