//! The operations layer: each operation once, as a request type and a response type, for the
//! CLI and every binding to call.
//!
//! Rust callers use the typed functions ([`validate`], [`check`], [`plan`], …), which also
//! return the sources a human rendering needs. Bindings use [`call`] / [`call_json`]: an
//! operation's name and its request as JSON in, the response as JSON out (pretty-printed, the
//! same bytes whoever asks), or an [`ApiError`] with a stable [`ErrorCode`]. The request and
//! response schemas of each operation are in `schemas/api/`.
//!
//! ```
//! let answer = ehdeploy::api::call_json("rules", "{}");
//! let rules: serde_json::Value = serde_json::from_str(&answer).unwrap();
//! assert_eq!(rules["rules"][0]["id"], "syntax/yaml");
//! ```

mod canary;
mod common;
mod error;
mod operation;
pub mod ops;
mod plan;
mod release;
#[cfg(feature = "git")]
mod rollback;
mod rollout;
mod validate;
#[cfg(feature = "signatures")]
mod verify;

#[cfg(feature = "prometheus")]
pub use canary::{canary_analyze, CanaryAnalyzeRequest, CanaryAnalyzeResponse};
pub use canary::{
    canary_decide, canary_resources, CanaryDecideRequest, CanaryResources, CanaryResourcesRequest,
};
pub use error::{ApiError, ErrorCode, ErrorResponse};
pub use operation::{call, call_json, operations, to_json, Operation, OperationInfo};
pub use ops::{schema_named, schema_names, PlanResponse};
pub use plan::{
    plan, promote_spec, promotion_plan, FileChange, PlanRequest, Planned, PromoteSpecRequest,
    PromotedSpec, PromotionRequest,
};
pub use release::{
    release_artifacts, release_event, release_status, verify_log, ArtifactsRequest,
    ArtifactsResponse, ReleaseEventRequest, ReleaseEventResponse, ReleaseStatusRequest,
    ReleaseStatusResponse, VerifyLogRequest, VerifyLogResponse,
};
#[cfg(feature = "git")]
pub use rollback::{rollback, RollbackRequest, RollbackResponse, RolledBack, DEFAULT_MAX_COMMITS};
pub use rollout::{rollout_health, RolloutHealthRequest, RolloutHealthResponse};
pub use validate::{check, validate, CheckRequest, Checked, ValidateRequest};
#[cfg(feature = "signatures")]
pub use verify::{
    verify, verify_with_progress, Verified, VerifiedImage, VerifyRequest, VerifyResponse,
};
