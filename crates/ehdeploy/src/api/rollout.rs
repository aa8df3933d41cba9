//! `rollout_health`: each app's roll-out from the objects `kubectl get deploy,rs,pods -o json`
//! gives.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::common::{environment_files, load, open_platform};
use super::error::{ApiError, ErrorCode};
use super::validate::{limits, lookup};
use crate::error::Error;
use crate::rollout::{health, Objects, RolloutReport, Wanted};
use crate::source::SourceMap;
use crate::spec::LoadOptions;

/// Ask how each app's roll-out stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutHealthRequest {
    /// The output of `kubectl get deploy,rs,pods -o json` (a `List`), as a file.
    pub objects: PathBuf,
    /// The platform repo's folder, or its `platform.yaml`: with `environment`, the apps of
    /// that environment's spec are the ones looked for (each in its namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PathBuf>,
    /// The environment (with `platform`); without, every deployment of the objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Only these apps (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<String>,
}

/// Classify each app's roll-out: progressing, healthy, stalled, degraded or unknown, with the
/// next step and the evidence.
pub fn rollout_health(request: &RolloutHealthRequest) -> Result<RolloutReport, ApiError> {
    let text = std::fs::read_to_string(&request.objects)
        .map_err(|e| ApiError::from(Error::io(&request.objects, e)))?;
    let objects = Objects::parse(&text).map_err(|e| ApiError {
        code: ErrorCode::Usage,
        message: format!(
            "{} is not what `kubectl get deploy,rs,pods -o json` prints: {}",
            request.objects.display(),
            e.message
        ),
        help: Some("give the JSON of `kubectl get deploy,rs,pods -n NAMESPACE -o json`".into()),
        locations: vec![crate::Location {
            file: request.objects.display().to_string(),
            line: u32::try_from(e.line).unwrap_or(u32::MAX),
            column: u32::try_from(e.column).unwrap_or(u32::MAX),
            pointer: e.pointer,
        }],
    })?;
    let mut wanted = match (&request.platform, &request.environment) {
        (Some(platform), Some(environment)) => environment_apps(platform, environment)?,
        (None, None) => None,
        _ => {
            return Err(ApiError::new(
                ErrorCode::Usage,
                "give both the platform and the environment, or neither",
            ))
        }
    };
    if !request.apps.is_empty() {
        let list = wanted.get_or_insert_with(|| {
            request
                .apps
                .iter()
                .map(|a| Wanted {
                    app: a.clone(),
                    namespace: None,
                })
                .collect()
        });
        list.retain(|w| request.apps.contains(&w.app));
    }
    Ok(health(&objects, wanted.as_deref()))
}

/// The enabled apps of an environment's spec, each with its namespace.
fn environment_apps(
    platform: &std::path::Path,
    environment: &str,
) -> Result<Option<Vec<Wanted>>, ApiError> {
    let mut sources = SourceMap::new();
    let limits = limits(None);
    let (platform, _) = open_platform(&mut sources, platform, &limits)?;
    let Some(platform) = platform else {
        return Err(ApiError::new(
            ErrorCode::Usage,
            "the platform file has errors: run `ehdeploy check`",
        ));
    };
    let files = environment_files(&platform, environment)?;
    let none = std::collections::BTreeMap::new();
    let vars = lookup(&none, true);
    let options = LoadOptions {
        limits,
        vars: Some(&vars),
        substitute_values: false,
    };
    let spec = load(&mut sources, &files, &options)?;
    let apps = spec
        .state
        .iter()
        .flat_map(|s| s.apps.iter().flatten())
        .filter(|(_, app)| app.enabled == Some(true))
        .map(|(label, app)| Wanted {
            app: app.name.clone().unwrap_or_else(|| label.clone()),
            namespace: app.namespace.clone(),
        })
        .collect();
    Ok(Some(apps))
}
