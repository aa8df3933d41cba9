//! The operations, each a unit type implementing [`Operation`]: the name and the request and
//! response types every binding uses.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{ApiError, ErrorCode};
use super::operation::{operations, Operation};
use super::plan::{PlanRequest, PromoteSpecRequest, PromotedSpec, PromotionRequest};
use super::validate::{CheckRequest, ValidateRequest};
use crate::report::Report;
use crate::rules::Rule;
use crate::schema::Document;

/// A request with nothing in it: `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {}

/// `version`: the library's version and its operations. The cheapest call there is.
#[derive(Debug, Clone, Copy)]
pub struct Version;

/// What `version` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct VersionResponse {
    /// The library's version (semver).
    pub version: &'static str,
    /// The operations [`call`](super::call) knows, in order.
    pub operations: Vec<&'static str>,
}

impl Operation for Version {
    const NAME: &'static str = "version";
    const SUMMARY: &'static str = "the library's version and its operations";
    type Request = EmptyRequest;
    type Response = VersionResponse;
    fn run(_: EmptyRequest) -> Result<VersionResponse, ApiError> {
        Ok(VersionResponse {
            version: env!("CARGO_PKG_VERSION"),
            operations: operations().iter().map(|o| o.name).collect(),
        })
    }
}

/// `rules`: the rule catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Rules;

/// What `rules` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RulesResponse {
    /// Every rule, in the catalogue's order (that of `docs/rules.md`).
    pub rules: &'static [Rule],
}

impl Operation for Rules {
    const NAME: &'static str = "rules";
    const SUMMARY: &'static str = "every rule: id, default severity, what it checks, how to fix";
    type Request = EmptyRequest;
    type Response = RulesResponse;
    fn run(_: EmptyRequest) -> Result<RulesResponse, ApiError> {
        Ok(RulesResponse {
            rules: crate::rules::catalogue(),
        })
    }
}

/// `schema`: one JSON Schema of `schemas/`.
#[derive(Debug, Clone, Copy)]
pub struct Schema;

/// Ask for a schema by name: a document (`dsf`, `spec-file`, `platform`, `report`, `plan`) or
/// an operation's request or response (`api/validate.request`, `api/error`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SchemaRequest {
    /// The schema's name: its file name in `schemas/` without `.schema.json`.
    pub name: String,
}

impl Operation for Schema {
    const NAME: &'static str = "schema";
    const SUMMARY: &'static str = "a JSON Schema of schemas/, by name";
    type Request = SchemaRequest;
    type Response = Value;
    fn run(request: SchemaRequest) -> Result<Value, ApiError> {
        schema_named(&request.name).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Usage,
                format!("no schema named `{}`", request.name),
            )
            .with_help(format!("the schemas are: {}", schema_names().join(", ")))
        })
    }
}

/// Every schema's name, in the order of `schemas/`: the documents, then the API's.
pub fn schema_names() -> Vec<String> {
    let mut names: Vec<String> = Document::ALL.iter().map(|d| d.name().into()).collect();
    names.push("api/error".into());
    for op in operations() {
        names.push(format!("api/{}.request", op.name));
        names.push(format!("api/{}.response", op.name));
    }
    names
}

/// The schema called `name` (see [`schema_names`]).
pub fn schema_named(name: &str) -> Option<Value> {
    if let Some(doc) = Document::from_name(name) {
        return Some(doc.schema().clone());
    }
    if name == "api/error" {
        return Some(crate::schema::schema_for::<super::ErrorResponse>(name));
    }
    let (op, part) = name.strip_prefix("api/")?.rsplit_once('.')?;
    let op = operations().iter().find(|o| o.name == op)?;
    match part {
        "request" => Some(op.request_schema()),
        "response" => Some(op.response_schema()),
        _ => None,
    }
}

/// `validate`: DSFs against Helmsman's rules and, with a platform, the platform's.
#[derive(Debug, Clone, Copy)]
pub struct Validate;

impl Operation for Validate {
    const NAME: &'static str = "validate";
    const SUMMARY: &'static str = "validate desired-state files (with a platform: its rules)";
    type Request = ValidateRequest;
    type Response = Report;
    fn run(request: ValidateRequest) -> Result<Report, ApiError> {
        Ok(super::validate(&request)?.report)
    }
}

/// `check`: a whole platform repo.
#[derive(Debug, Clone, Copy)]
pub struct Check;

impl Operation for Check {
    const NAME: &'static str = "check";
    const SUMMARY: &'static str = "check a platform repo: every environment and next promotion";
    type Request = CheckRequest;
    type Response = Report;
    fn run(request: CheckRequest) -> Result<Report, ApiError> {
        Ok(super::check(&request)?.report)
    }
}

/// What `plan` and `promotion_plan` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanResponse {
    /// The plan, secrets masked (empty when a side could not be loaded).
    pub plan: crate::plan::Plan,
    /// What loading the two sides found.
    pub report: Report,
}

impl From<super::Planned> for PlanResponse {
    fn from(planned: super::Planned) -> PlanResponse {
        PlanResponse {
            plan: planned.plan.masked().into_owned(),
            report: planned.report,
        }
    }
}

/// `plan`: from one desired state to another.
#[derive(Debug, Clone, Copy)]
pub struct Plan;

impl Operation for Plan {
    const NAME: &'static str = "plan";
    const SUMMARY: &'static str = "plan the change from one desired state to another";
    type Request = PlanRequest;
    type Response = PlanResponse;
    fn run(request: PlanRequest) -> Result<PlanResponse, ApiError> {
        Ok(super::plan(&request)?.into())
    }
}

/// `promotion_plan`: promoting one environment's artifacts into another.
#[derive(Debug, Clone, Copy)]
pub struct PromotionPlan;

impl Operation for PromotionPlan {
    const NAME: &'static str = "promotion_plan";
    const SUMMARY: &'static str = "plan promoting one environment into another";
    type Request = PromotionRequest;
    type Response = PlanResponse;
    fn run(request: PromotionRequest) -> Result<PlanResponse, ApiError> {
        Ok(super::promotion_plan(&request)?.into())
    }
}

/// `promote_spec`: write a promotion into the target environment's files.
#[derive(Debug, Clone, Copy)]
pub struct PromoteSpec;

impl Operation for PromoteSpec {
    const NAME: &'static str = "promote_spec";
    const SUMMARY: &'static str = "write a promotion into the target's files (or show it)";
    type Request = PromoteSpecRequest;
    type Response = PromotedSpec;
    fn run(request: PromoteSpecRequest) -> Result<PromotedSpec, ApiError> {
        Ok(super::promote_spec(&request)?)
    }
}

/// `release_event`: decide one event of a release candidate and append it to its audit log.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseEvent;

impl Operation for ReleaseEvent {
    const NAME: &'static str = "release_event";
    const SUMMARY: &'static str = "decide a release event against the pipeline and log it";
    type Request = super::ReleaseEventRequest;
    type Response = super::ReleaseEventResponse;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::release_event(&request)
    }
}

/// `release_status`: where a candidate is, and what may happen next.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseStatus;

impl Operation for ReleaseStatus {
    const NAME: &'static str = "release_status";
    const SUMMARY: &'static str = "a release candidate's status and next steps, from its log";
    type Request = super::ReleaseStatusRequest;
    type Response = super::ReleaseStatusResponse;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::release_status(&request)
    }
}

/// `verify_log`: whether a candidate's audit log is intact.
#[derive(Debug, Clone, Copy)]
pub struct VerifyLog;

impl Operation for VerifyLog {
    const NAME: &'static str = "verify_log";
    const SUMMARY: &'static str = "verify a release candidate's hash-chained audit log";
    type Request = super::VerifyLogRequest;
    type Response = super::VerifyLogResponse;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::verify_log(&request)
    }
}

/// `release_artifacts`: what an environment's spec carries (a candidate's artifacts).
#[derive(Debug, Clone, Copy)]
pub struct ReleaseArtifacts;

impl Operation for ReleaseArtifacts {
    const NAME: &'static str = "release_artifacts";
    const SUMMARY: &'static str = "the chart, version, image and digest of each app of a spec";
    type Request = super::ArtifactsRequest;
    type Response = super::ArtifactsResponse;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::release_artifacts(&request)
    }
}

/// `rollout_health`: how each app's roll-out stands, and what to do next.
#[derive(Debug, Clone, Copy)]
pub struct RolloutHealth;

impl Operation for RolloutHealth {
    const NAME: &'static str = "rollout_health";
    const SUMMARY: &'static str = "each app's roll-out from kubectl's objects, and the next step";
    type Request = super::RolloutHealthRequest;
    type Response = super::RolloutHealthResponse;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::rollout_health(&request)
    }
}

/// `canary_decide`: one canary check decided from its metric samples.
#[derive(Debug, Clone, Copy)]
pub struct CanaryDecide;

impl Operation for CanaryDecide {
    const NAME: &'static str = "canary_decide";
    const SUMMARY: &'static str =
        "decide a canary check: promote, continue, roll back, inconclusive";
    type Request = super::CanaryDecideRequest;
    type Response = crate::canary::Decision;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::canary_decide(&request)
    }
}

/// `canary_resources`: the Flagger objects of an environment's canaries.
#[derive(Debug, Clone, Copy)]
pub struct CanaryResources;

impl Operation for CanaryResources {
    const NAME: &'static str = "canary_resources";
    const SUMMARY: &'static str = "the Flagger Canary and MetricTemplates of each canary app";
    type Request = super::CanaryResourcesRequest;
    type Response = super::CanaryResources;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::canary_resources(&request)
    }
}

/// `canary_analyze` (feature `prometheus`): a canary's analysis from Prometheus.
#[cfg(feature = "prometheus")]
#[derive(Debug, Clone, Copy)]
pub struct CanaryAnalyze;

#[cfg(feature = "prometheus")]
impl Operation for CanaryAnalyze {
    const NAME: &'static str = "canary_analyze";
    const SUMMARY: &'static str = "a canary's analysis from Prometheus, from its start to now";
    type Request = super::CanaryAnalyzeRequest;
    type Response = super::CanaryAnalyzeResponse;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::canary_analyze(&request)
    }
}

/// `rollback` (feature `git`): an app or an environment back to an earlier revision of the
/// spec's git history.
#[cfg(feature = "git")]
#[derive(Debug, Clone, Copy)]
pub struct Rollback;

#[cfg(feature = "git")]
impl Operation for Rollback {
    const NAME: &'static str = "rollback";
    const SUMMARY: &'static str =
        "roll an app or an environment back from the spec's git history, as a new commit";
    type Request = super::RollbackRequest;
    type Response = super::RollbackResponse;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::rollback(&request)
    }
}

/// `verify` (feature `signatures`): images' signatures against the platform's trust policy.
#[cfg(feature = "signatures")]
#[derive(Debug, Clone, Copy)]
pub struct Verify;

#[cfg(feature = "signatures")]
impl Operation for Verify {
    const NAME: &'static str = "verify";
    const SUMMARY: &'static str =
        "verify every image's signatures against the platform's trust policy, and pin digests";
    type Request = super::VerifyRequest;
    type Response = super::VerifyResponse;
    fn run(request: Self::Request) -> Result<Self::Response, ApiError> {
        super::verify(&request).map(|v| v.response)
    }
}

/// `debug_panic` (feature `fault-injection` only): panics, so tests can show that no binding
/// lets a panic through.
#[cfg(feature = "fault-injection")]
#[derive(Debug, Clone, Copy)]
pub struct Panic;

/// Ask `debug_panic` to panic with a message.
#[cfg(feature = "fault-injection")]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PanicRequest {
    /// The panic's message.
    pub message: String,
}

#[cfg(feature = "fault-injection")]
impl Operation for Panic {
    const NAME: &'static str = "debug_panic";
    const SUMMARY: &'static str = "panic (fault-injection builds only)";
    type Request = PanicRequest;
    type Response = EmptyRequest;
    #[allow(clippy::panic)]
    fn run(request: PanicRequest) -> Result<EmptyRequest, ApiError> {
        panic!("{}", request.message)
    }
}
