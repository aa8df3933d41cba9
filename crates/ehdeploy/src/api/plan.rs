//! `plan`: what changing a desired state from one set of DSFs to another does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::validate::{limits, lookup, tag};
use crate::error::Error;
use crate::plan::{diff, Plan, PlanContext, Side};
use crate::platform::{load_platform, SecretsConfig};
use crate::report::Report;
use crate::source::SourceMap;
use crate::spec::{load_spec, normalize, LoadOptions, ValuesCache};

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
            let (platform, f) =
                load_platform(&mut sources, p, normalize(p).display().to_string(), &limits)
                    .map_err(|e| Error::io(p, e))?;
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
    let first = |files: &[PathBuf]| files.first().map_or(PathBuf::from("."), |f| f.clone());
    let old = load_spec(&mut sources, &request.old, &options)
        .map_err(|e| Error::io(Path::new(&first(&request.old)), e))?;
    let new = load_spec(&mut sources, &request.new, &options)
        .map_err(|e| Error::io(Path::new(&first(&request.new)), e))?;
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
