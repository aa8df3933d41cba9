//! Why an event was refused: every unmet gate, each with a stable code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The stable code of a reason. Codes never change meaning; new ones may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ReasonCode {
    /// The event needs a candidate and there is none yet.
    #[serde(rename = "candidate/missing")]
    CandidateMissing,
    /// A candidate exists already: its artifacts never change.
    #[serde(rename = "candidate/exists")]
    CandidateExists,
    /// The environment is not in the pipeline.
    #[serde(rename = "environment/unknown")]
    EnvironmentUnknown,
    /// The promotion skips an environment.
    #[serde(rename = "order/skipped-environment")]
    SkippedEnvironment,
    /// The candidate is already in (or past) that environment.
    #[serde(rename = "order/already-there")]
    AlreadyThere,
    /// The candidate has not reached that environment.
    #[serde(rename = "order/not-reached")]
    NotReached,
    /// The candidate is not deployed in the environment it leaves.
    #[serde(rename = "gate/not-deployed")]
    NotDeployed,
    /// The candidate was rolled back in the environment it leaves.
    #[serde(rename = "gate/rolled-back")]
    RolledBack,
    /// Required evidence is not recorded.
    #[serde(rename = "gate/missing-evidence")]
    MissingEvidence,
    /// Required evidence is recorded as failed.
    #[serde(rename = "gate/failed-evidence")]
    FailedEvidence,
    /// The candidate has not run long enough where it is.
    #[serde(rename = "gate/soak")]
    Soak,
    /// No one requested the promotion.
    #[serde(rename = "gate/not-requested")]
    NotRequested,
    /// The actor lacks the role.
    #[serde(rename = "gate/role")]
    Role,
    /// Too few distinct approvals.
    #[serde(rename = "gate/approvals")]
    Approvals,
    /// An approver is the author or the requester (four eyes).
    #[serde(rename = "gate/self-approval")]
    SelfApproval,
    /// The actor approved already.
    #[serde(rename = "gate/already-approved")]
    AlreadyApproved,
    /// The environment is reached by a pull request that is not merged.
    #[serde(rename = "gate/pr-not-merged")]
    PullRequestNotMerged,
    /// A pull request between the wrong branches, or for an environment not reached by one.
    #[serde(rename = "gate/pr-mismatch")]
    PullRequestMismatch,
    /// Outside the promotion window.
    #[serde(rename = "gate/window")]
    Window,
    /// An artifact differs from what the candidate carries and passed the previous
    /// environment.
    #[serde(rename = "gate/artifact-drift")]
    ArtifactDrift,
    /// The platform has no hotfix lane.
    #[serde(rename = "hotfix/not-allowed")]
    HotfixNotAllowed,
    /// A hotfix is open already.
    #[serde(rename = "hotfix/already-open")]
    HotfixAlreadyOpen,
    /// No hotfix is open.
    #[serde(rename = "hotfix/not-open")]
    HotfixNotOpen,
    /// The hotfix has no written justification.
    #[serde(rename = "hotfix/justification")]
    HotfixJustification,
    /// The hotfix names no incident or ticket.
    #[serde(rename = "hotfix/ticket")]
    HotfixTicket,
    /// The hotfix skips an environment the lane does not let it skip.
    #[serde(rename = "hotfix/skip-not-allowed")]
    HotfixSkipNotAllowed,
    /// No approver has the hotfix lane's approval role.
    #[serde(rename = "hotfix/approval-role")]
    HotfixApprovalRole,
    /// A skipped environment has not been passed since.
    #[serde(rename = "hotfix/follow-up")]
    HotfixFollowUp,
    /// The fix is not named on `master`.
    #[serde(rename = "hotfix/master-revision")]
    HotfixMasterRevision,
}

impl ReasonCode {
    /// The code as text (`gate/soak`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::CandidateMissing => "candidate/missing",
            ReasonCode::CandidateExists => "candidate/exists",
            ReasonCode::EnvironmentUnknown => "environment/unknown",
            ReasonCode::SkippedEnvironment => "order/skipped-environment",
            ReasonCode::AlreadyThere => "order/already-there",
            ReasonCode::NotReached => "order/not-reached",
            ReasonCode::NotDeployed => "gate/not-deployed",
            ReasonCode::RolledBack => "gate/rolled-back",
            ReasonCode::MissingEvidence => "gate/missing-evidence",
            ReasonCode::FailedEvidence => "gate/failed-evidence",
            ReasonCode::Soak => "gate/soak",
            ReasonCode::NotRequested => "gate/not-requested",
            ReasonCode::Role => "gate/role",
            ReasonCode::Approvals => "gate/approvals",
            ReasonCode::SelfApproval => "gate/self-approval",
            ReasonCode::AlreadyApproved => "gate/already-approved",
            ReasonCode::PullRequestNotMerged => "gate/pr-not-merged",
            ReasonCode::PullRequestMismatch => "gate/pr-mismatch",
            ReasonCode::Window => "gate/window",
            ReasonCode::ArtifactDrift => "gate/artifact-drift",
            ReasonCode::HotfixNotAllowed => "hotfix/not-allowed",
            ReasonCode::HotfixAlreadyOpen => "hotfix/already-open",
            ReasonCode::HotfixNotOpen => "hotfix/not-open",
            ReasonCode::HotfixJustification => "hotfix/justification",
            ReasonCode::HotfixTicket => "hotfix/ticket",
            ReasonCode::HotfixSkipNotAllowed => "hotfix/skip-not-allowed",
            ReasonCode::HotfixApprovalRole => "hotfix/approval-role",
            ReasonCode::HotfixFollowUp => "hotfix/follow-up",
            ReasonCode::HotfixMasterRevision => "hotfix/master-revision",
        }
    }
}

/// One unmet gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The stable code.
    pub code: ReasonCode,
    /// What is missing, for a person: "missing qa-approved in exttest".
    pub message: String,
    /// The environment it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl Reason {
    /// A reason about an environment.
    pub fn new(code: ReasonCode, environment: Option<&str>, message: impl Into<String>) -> Reason {
        Reason {
            code,
            message: message.into(),
            environment: environment.map(str::to_string),
        }
    }
}

/// A refused event: every reason, never only the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Every unmet gate.
    pub reasons: Vec<Reason>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|r| format!("{} ({})", r.message, r.code.as_str()))
            .collect();
        write!(f, "refused: {}", reasons.join("; "))
    }
}

impl std::error::Error for Refusal {}
