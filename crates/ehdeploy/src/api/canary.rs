//! The canary operations: `canary_decide` (one check from its samples), `canary_resources`
//! (the Flagger objects an environment's analyses mean) and, with the `prometheus` feature,
//! `canary_analyze` (a canary's whole analysis from Prometheus).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::common::Environment;
use super::error::{ApiError, ErrorCode};
use crate::canary::{
    app_analysis, decide, flagger_objects, Analysis, AnalysisSource, CanaryTarget, Decision,
    FlaggerObject, Samples, State, Validated,
};
use crate::source::NodeKind;
use crate::workload::Workload;

/// Ask for the decision of one canary check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CanaryDecideRequest {
    /// The analysis (Flagger's meaning: interval, threshold, stepWeight, maxWeight, metrics).
    pub analysis: Analysis,
    /// The canary's progress so far (weight, failed and inconclusive checks); default: the
    /// start.
    #[serde(default)]
    pub state: State,
    /// Each metric's sample for this check, by metric name: `{"value": 99.5}`, `"no-data"`
    /// or `{"error": "…"}`.
    pub samples: Samples,
}

/// Decide one check: promote, continue (with the next weight), roll back, or inconclusive
/// when a metric had no data or its query failed (never a pass).
pub fn canary_decide(request: &CanaryDecideRequest) -> Result<Decision, ApiError> {
    let analysis = request
        .analysis
        .validate()
        .map_err(|problems| invalid(&problems, "the canary analysis"))?;
    Ok(decide(&analysis, &request.state, &request.samples))
}

fn invalid(problems: &[crate::canary::Problem], what: &str) -> ApiError {
    let all: Vec<String> = problems
        .iter()
        .map(|p| format!("{} ({})", p.message, p.pointer))
        .collect();
    ApiError::new(
        ErrorCode::Usage,
        format!("{what} is not valid: {}", all.join("; ")),
    )
}

/// Ask for the Flagger objects of an environment's canaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CanaryResourcesRequest {
    /// The platform repo's folder, or its `platform.yaml`.
    pub platform: PathBuf,
    /// The environment.
    pub environment: String,
    /// Only these apps, each of which must have canary on (all apps with canary on when
    /// empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<String>,
}

/// A Kubernetes `List` of Flagger objects, for `kubectl apply -f` (JSON is YAML).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CanaryResources {
    /// `v1`.
    pub api_version: String,
    /// `List`.
    pub kind: String,
    /// For each app with canary on, in the spec's order: its `Canary`, then a
    /// `MetricTemplate` per custom metric.
    pub items: Vec<FlaggerObject>,
}

/// The Flagger `Canary` (and `MetricTemplate`s) of each app with canary on in an environment,
/// from the same analysis `canary_analyze` judges by.
pub fn canary_resources(request: &CanaryResourcesRequest) -> Result<CanaryResources, ApiError> {
    let mut env = Environment::open(&request.platform, &request.environment)?;
    let apps = canary_apps(&mut env, &request.environment, &request.apps)?;
    let prometheus = env
        .platform
        .file
        .canary
        .as_ref()
        .and_then(|c| c.prometheus.clone());
    let mut items = Vec::new();
    for app in &apps {
        let port = app.port.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Usage,
                format!(
                    "`{}` has no container port in {}: Flagger's canary service needs it",
                    app.app, request.environment
                ),
            )
            .with_help("set the app's container port (`containerPort` for `ehealth-service`)")
        })?;
        let source = app.source.describe(&app.app);
        let target = CanaryTarget {
            app: &app.app,
            namespace: &app.namespace,
            port,
            analysis: &app.analysis,
            source: &source,
            prometheus: prometheus.as_deref(),
        };
        items.extend(flagger_objects(&target).map_err(|e| {
            ApiError::new(
                ErrorCode::Usage,
                format!("the canary of `{}`: {e}", app.app),
            )
        })?);
    }
    Ok(CanaryResources {
        api_version: "v1".into(),
        kind: "List".into(),
        items,
    })
}

/// An enabled app of the environment's spec, as `canary_apps` goes through them.
struct EnabledApp {
    label: String,
    name: String,
    namespace: Option<String>,
    profile: Option<std::sync::Arc<crate::platform::CompiledProfile>>,
}

/// One app with canary on, as its analysis needs it.
struct CanaryApp {
    app: String,
    namespace: String,
    port: Option<u16>,
    analysis: Validated,
    source: AnalysisSource,
}

/// The apps with canary on in the environment (only those of `only`, each of which must have
/// it on), with their validated analyses. An app without an analysis, or with one that is not
/// valid, is an error: `ehdeploy check` reports it as `canary/no-analysis` or
/// `canary/invalid-analysis`.
fn canary_apps(
    env: &mut Environment,
    environment: &str,
    only: &[String],
) -> Result<Vec<CanaryApp>, ApiError> {
    // Each enabled app: its label, name, namespace and chart profile.
    let apps: Vec<EnabledApp> = env
        .enabled_apps()
        .map(|(label, app)| EnabledApp {
            label: label.clone(),
            name: app.name.clone().unwrap_or_else(|| label.clone()),
            namespace: app.namespace.clone(),
            profile: env.platform.profile_of(app).cloned(),
        })
        .collect();
    for wanted in only {
        if !apps.iter().any(|a| &a.name == wanted) {
            let hint = crate::suggest::did_you_mean(wanted, apps.iter().map(|a| a.name.as_str()))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(ApiError::new(
                ErrorCode::Usage,
                format!("`{wanted}` is not an enabled app of {environment}{hint}"),
            ));
        }
    }
    let mut out = Vec::new();
    for EnabledApp {
        label,
        name,
        namespace,
        profile,
    } in apps
    {
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        let Some(profile) = profile else {
            continue;
        };
        let values = env.values(&label).map_err(|findings| {
            let why: Vec<String> = findings.iter().map(|f| f.message.clone()).collect();
            ApiError::new(
                ErrorCode::Usage,
                format!(
                    "the values of `{name}` in {environment} cannot be read: {}",
                    why.join("; ")
                ),
            )
            .with_help("run `ehdeploy check` on the platform repo")
        })?;
        let w = Workload::read(&values.values, &profile);
        if !w.canary_enabled() {
            if only.contains(&name) {
                return Err(ApiError::new(
                    ErrorCode::Usage,
                    format!("canary is off for `{name}` in {environment}"),
                )
                .with_help("switch it on in the app's values (`canary.enabled: true` for `ehealth-service`)"));
            }
            continue;
        }
        let (analysis, source) = match app_analysis(&env.platform, &name, &w) {
            None => {
                return Err(ApiError::new(
                    ErrorCode::Usage,
                    format!("canary is on for `{name}` in {environment}, and no analysis judges it [canary/no-analysis]"),
                )
                .with_help("give the app a `canary.analysis`, or the platform file a `canary.analysis`"))
            }
            Some(Err((_, message))) => {
                return Err(ApiError::new(
                    ErrorCode::Usage,
                    format!("the canary analysis of `{name}` in {environment} is not one: {message} [canary/invalid-analysis]"),
                ))
            }
            Some(Ok(found)) => found,
        };
        let analysis = analysis.validate().map_err(|problems| {
            invalid(
                &problems,
                &format!(
                    "the canary analysis of `{name}` ({})",
                    source.describe(&name)
                ),
            )
        })?;
        let port = w.ports.first().and_then(|f| match f.node.kind {
            NodeKind::Int(p) => u16::try_from(p).ok().filter(|p| *p > 0),
            _ => None,
        });
        let namespace = namespace.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Usage,
                format!("`{name}` has no namespace in {environment}"),
            )
        })?;
        out.push(CanaryApp {
            app: name,
            namespace,
            port,
            analysis,
            source,
        });
    }
    Ok(out)
}

#[cfg(feature = "prometheus")]
pub use analyze::{canary_analyze, CanaryAnalyzeRequest, CanaryAnalyzeResponse};

#[cfg(feature = "prometheus")]
mod analyze {
    use super::*;
    use crate::api::release::{deployed_at, time};
    use crate::api::{release_event, ReleaseEventRequest, ReleaseEventResponse};
    use crate::canary::{run, Action, Prometheus, PrometheusOptions, Run};
    use crate::promotion::{Actor, Event, Evidence};

    /// Ask for a canary's analysis from Prometheus, from its start up to a time.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct CanaryAnalyzeRequest {
        /// The platform repo's folder, or its `platform.yaml`.
        pub platform: PathBuf,
        /// The environment.
        pub environment: String,
        /// The app, which has canary on there.
        pub app: String,
        /// Prometheus's base URL; default: the platform file's `canary.prometheus`. A bearer
        /// token, if needed, comes from the variable `EHDEPLOY_PROMETHEUS_TOKEN`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub prometheus: Option<String>,
        /// When the canary started (RFC 3339); default: when `candidate` was last deployed
        /// into the environment, by its audit log.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub since: Option<String>,
        /// The time to judge at (RFC 3339); default now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub at: Option<String>,
        /// The release candidate: a finished analysis (promote or roll back) is recorded in
        /// its audit log as `canary-passed` evidence for the environment, positive or not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub candidate: Option<String>,
        /// Who records it (with `candidate`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub actor: Option<Actor>,
        /// Seconds each query may take (default 10).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timeout_seconds: Option<u64>,
        /// Retries of a query that could not reach Prometheus (default 2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub retries: Option<u32>,
    }

    /// A canary's analysis, and what was recorded of it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    pub struct CanaryAnalyzeResponse {
        /// The app.
        pub app: String,
        /// The environment.
        pub environment: String,
        /// The app's namespace.
        pub namespace: String,
        /// Where its analysis came from.
        pub analysis_source: String,
        /// The Prometheus asked.
        pub prometheus: String,
        /// Every check and the decision.
        pub run: Run,
        /// The evidence recorded in the candidate's audit log (a finished run with a
        /// candidate).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub recorded: Option<ReleaseEventResponse>,
    }

    /// Run a canary's analysis on Prometheus: every check from its start up to `at`, each
    /// decided as Flagger would, until one promotes or rolls back. Prometheus unreachable,
    /// erroring or answering garbage is an error (`io`), never a pass.
    pub fn canary_analyze(
        request: &CanaryAnalyzeRequest,
    ) -> Result<CanaryAnalyzeResponse, ApiError> {
        let until = time(request.at.as_deref())?;
        let mut env = Environment::open(&request.platform, &request.environment)?;
        let mut apps = canary_apps(
            &mut env,
            &request.environment,
            std::slice::from_ref(&request.app),
        )?;
        let Some(app) = apps.pop() else {
            return Err(ApiError::new(
                ErrorCode::Usage,
                format!(
                    "`{}` has no chart profile to read its canary from",
                    request.app
                ),
            ));
        };
        let url = request
            .prometheus
            .clone()
            .or_else(|| env.platform.file.canary.as_ref().and_then(|c| c.prometheus.clone()))
            .ok_or_else(|| {
                ApiError::new(ErrorCode::Usage, "which Prometheus? none was given, and the platform file has no `canary.prometheus`")
            })?;
        let since = match (&request.since, &request.candidate) {
            (Some(since), _) => time(Some(since))?,
            (None, Some(candidate)) => deployed_at(&request.platform, candidate, &request.environment)?
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Usage,
                        format!("the log of `{candidate}` has no deployment into {}: give the canary's start", request.environment),
                    )
                })?,
            (None, None) => {
                return Err(ApiError::new(
                    ErrorCode::Usage,
                    "when did the canary start? give `since`, or the `candidate` whose deployment started it",
                ))
            }
        };
        if request.candidate.is_some() != request.actor.is_some() {
            return Err(ApiError::new(
                ErrorCode::Usage,
                "give the candidate and the actor who records its evidence together",
            ));
        }
        let mut options = PrometheusOptions::default();
        if let Some(s) = request.timeout_seconds {
            options.timeout = std::time::Duration::from_secs(s.max(1));
        }
        if let Some(r) = request.retries {
            options.retries = r;
        }
        options.bearer_token = std::env::var("EHDEPLOY_PROMETHEUS_TOKEN").ok();
        let prometheus = Prometheus::new(&url, options).map_err(prometheus_error)?;
        let queries = app
            .analysis
            .queries(&app.namespace, &app.app)
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::Usage,
                    format!("the canary of `{}`: {e}", app.app),
                )
            })?;
        let run =
            run(&app.analysis, &queries, &prometheus, since, until).map_err(prometheus_error)?;
        let recorded = match (&request.candidate, &request.actor, run.action) {
            (Some(candidate), Some(actor), Some(action @ (Action::Promote | Action::RollBack))) => {
                let reason = run.last().map(|d| d.reason.clone()).unwrap_or_default();
                let event = Event::Evidence {
                    environment: request.environment.clone(),
                    kind: Evidence::CanaryPassed,
                    ok: action == Action::Promote,
                    note: Some(format!(
                        "canary {}: {} after {} check(s) from {since}: {reason}",
                        app.app,
                        action.as_str(),
                        run.checks.len()
                    )),
                };
                Some(release_event(&ReleaseEventRequest {
                    platform: request.platform.clone(),
                    candidate: candidate.clone(),
                    actor: actor.clone(),
                    event,
                    at: Some(until.to_string()),
                })?)
            }
            _ => None,
        };
        Ok(CanaryAnalyzeResponse {
            analysis_source: app.source.describe(&app.app),
            app: app.app,
            environment: request.environment.clone(),
            namespace: app.namespace,
            prometheus: prometheus.url().to_string(),
            run,
            recorded,
        })
    }

    fn prometheus_error(e: crate::canary::PrometheusError) -> ApiError {
        ApiError::new(ErrorCode::Io, format!("{e} [prometheus/{}]", e.code()))
            .with_help("nothing was decided: the canary is judged only on answers from Prometheus")
    }
}
