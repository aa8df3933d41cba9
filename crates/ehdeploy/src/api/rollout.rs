//! `rollout_health`: each app's roll-out from the objects `kubectl get deploy,rs,pods -o json`
//! gives.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::common::Environment;
use super::error::{ApiError, ErrorCode};
use crate::error::Error;
use crate::rollout::{health, Objects, RolloutReport, Wanted};

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
    /// The release candidate deployed (with `platform` and `environment`): a finished
    /// roll-out is recorded in its audit log as `deployed-healthy` evidence, positive when
    /// every app is healthy, negative when one is stalled or degraded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    /// Who records it (with `candidate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<crate::promotion::Actor>,
}

/// Each app's roll-out, and the evidence recorded of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RolloutHealthResponse {
    /// Each app's roll-out.
    #[serde(flatten)]
    pub report: RolloutReport,
    /// The `deployed-healthy` evidence recorded in the candidate's audit log (with a
    /// candidate, when the roll-out finished: healthy, stalled or degraded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<super::ReleaseEventResponse>,
}

/// Classify each app's roll-out: progressing, healthy, stalled, degraded or unknown, with the
/// next step and the evidence.
pub fn rollout_health(request: &RolloutHealthRequest) -> Result<RolloutHealthResponse, ApiError> {
    if request.candidate.is_some()
        && (request.actor.is_none() || request.platform.is_none() || request.environment.is_none())
    {
        return Err(ApiError::new(
            ErrorCode::Usage,
            "recording for a candidate needs the actor, the platform and the environment",
        ));
    }
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
    let report = health(&objects, wanted.as_deref());
    let recorded = match (
        &request.candidate,
        &request.actor,
        &request.platform,
        &request.environment,
    ) {
        (Some(candidate), Some(actor), Some(platform), Some(environment)) => {
            record(&report, candidate, actor, platform, environment)?
        }
        _ => None,
    };
    Ok(RolloutHealthResponse { report, recorded })
}

/// Records a finished roll-out as `deployed-healthy` evidence: positive when every app is
/// healthy, negative when one is stalled or degraded; nothing while one is progressing or
/// unknown.
fn record(
    report: &RolloutReport,
    candidate: &str,
    actor: &crate::promotion::Actor,
    platform: &std::path::Path,
    environment: &str,
) -> Result<Option<super::ReleaseEventResponse>, ApiError> {
    use crate::rollout::RolloutState;
    let failing: Vec<String> = report
        .apps
        .iter()
        .filter(|a| matches!(a.state, RolloutState::Stalled | RolloutState::Degraded))
        .map(|a| format!("{}: {}", a.app, a.reason))
        .collect();
    let healthy =
        !report.apps.is_empty() && report.apps.iter().all(|a| a.state == RolloutState::Healthy);
    let note = if !failing.is_empty() {
        failing.join("; ")
    } else if healthy {
        let apps: Vec<&str> = report.apps.iter().map(|a| a.app.as_str()).collect();
        format!("healthy: {}", apps.join(", "))
    } else {
        return Ok(None);
    };
    super::release_event(&super::ReleaseEventRequest {
        platform: platform.to_path_buf(),
        candidate: candidate.to_string(),
        actor: actor.clone(),
        event: crate::promotion::Event::Evidence {
            environment: environment.to_string(),
            kind: crate::promotion::Evidence::DeployedHealthy,
            ok: failing.is_empty(),
            note: Some(note),
        },
        at: None,
    })
    .map(Some)
}

/// The enabled apps of an environment's spec, each with its namespace.
fn environment_apps(
    platform: &std::path::Path,
    environment: &str,
) -> Result<Option<Vec<Wanted>>, ApiError> {
    let env = Environment::open(platform, environment)?;
    let apps = env
        .enabled_apps()
        .map(|(label, app)| Wanted {
            app: app.name.clone().unwrap_or_else(|| label.clone()),
            namespace: app.namespace.clone(),
        })
        .collect();
    Ok(Some(apps))
}
