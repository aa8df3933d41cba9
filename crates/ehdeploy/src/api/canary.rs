//! `canary_decide`: one canary check decided from its metric samples.

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorCode};
use crate::canary::{decide, Analysis, Decision, Samples, State};

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
    let analysis = request.analysis.validate().map_err(|problems| {
        let all: Vec<String> = problems
            .iter()
            .map(|p| format!("{} ({})", p.message, p.pointer))
            .collect();
        ApiError::new(
            ErrorCode::Usage,
            format!("the canary analysis is not valid: {}", all.join("; ")),
        )
    })?;
    Ok(decide(&analysis, &request.state, &request.samples))
}
