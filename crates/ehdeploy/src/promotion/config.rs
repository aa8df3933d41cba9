//! The release pipeline as the platform file writes it (`pipeline:`): for each environment the
//! way in, who may promote and approve, when, and what evidence a candidate needs to leave;
//! and the hotfix lane.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The `pipeline:` section of the platform file. Environments come from `environments`, in
/// their order; a stage not listed here has no gates beyond the order itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PipelineConfig {
    /// The IANA time zone of promotion windows and of the times refusals name
    /// (default `UTC`), e.g. `Europe/Copenhagen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Each environment's gates, by environment name.
    #[serde(default)]
    pub stages: IndexMap<String, StageConfig>,
    /// The hotfix lane; without it, no hotfix may be opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotfix: Option<HotfixConfig>,
}

/// The gates of one environment: how a candidate gets in, and what it needs to leave.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageConfig {
    /// How a candidate gets in.
    #[serde(default)]
    pub entry: Entry,
    /// Roles that may request and perform a promotion into this environment (none: anyone).
    #[serde(default)]
    pub promoters: Vec<String>,
    /// Roles whose approvals count (none: anyone's).
    #[serde(default)]
    pub approvers: Vec<String>,
    /// How many distinct approvals a promotion into this environment needs.
    #[serde(default)]
    pub approvals: u32,
    /// An approver is never the candidate's author nor the promotion's requester (default
    /// true).
    #[serde(default = "yes")]
    pub four_eyes: bool,
    /// Weekly times when no promotion into this environment happens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<WeeklyWindow>,
    /// Dated freezes when no promotion into this environment happens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freezes: Vec<Freeze>,
    /// What a candidate needs before it leaves this environment for the next.
    #[serde(default)]
    pub exit: ExitGates,
}

fn yes() -> bool {
    true
}

/// How a candidate gets into an environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "way", rename_all = "kebab-case")]
pub enum Entry {
    /// A promotion job in Jenkins, run by a promoter.
    #[default]
    JenkinsPromotion,
    /// An approved pull request from one branch to another, merged.
    #[serde(rename_all = "camelCase")]
    PullRequest {
        /// The branch the pull request comes from (`master`).
        source_branch: String,
        /// The branch it goes to (`prod`).
        target_branch: String,
    },
}

/// The evidence a stage can require.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// Every image of the candidate verified against the trust policy.
    SignaturesVerified,
    /// Deployed, and the roll-out reported healthy.
    DeployedHealthy,
    /// The environment's tests passed.
    TestsPassed,
    /// QA approved the candidate in this environment.
    QaApproved,
    /// The canary analysis promoted the canary here (negative: it rolled the canary back).
    CanaryPassed,
}

impl Evidence {
    /// Every kind, in order.
    pub const ALL: [Evidence; 5] = [
        Evidence::SignaturesVerified,
        Evidence::DeployedHealthy,
        Evidence::TestsPassed,
        Evidence::QaApproved,
        Evidence::CanaryPassed,
    ];

    /// The name as written in the platform file.
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::SignaturesVerified => "signatures-verified",
            Evidence::DeployedHealthy => "deployed-healthy",
            Evidence::TestsPassed => "tests-passed",
            Evidence::QaApproved => "qa-approved",
            Evidence::CanaryPassed => "canary-passed",
        }
    }
}

/// What a candidate needs before it leaves an environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExitGates {
    /// Evidence recorded, and positive, for the deployment in this environment.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// How long the candidate must have run here since it was deployed (`24h`, `90m`, `2d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soak: Option<String>,
}

/// A weekly window: on these days (all days when empty), from one time of day to another
/// (`24:00` is the end of the day), in the pipeline's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeeklyWindow {
    /// Days (`mon` … `sun`); every day when empty.
    #[serde(default)]
    pub days: Vec<Day>,
    /// Start, `HH:MM` (default `00:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// End, `HH:MM` or `24:00` (default `24:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// A freeze: from one local date-time to another (`2026-12-21T00:00`), in the pipeline's
/// time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Freeze {
    /// Start (inclusive), a local date-time or a date.
    pub from: String,
    /// End (exclusive), a local date-time or a date.
    pub to: String,
    /// Why, as refusals quote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The hotfix lane: what a hotfix may shorten or skip, and what it needs instead.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HotfixConfig {
    /// Environments a hotfix may skip.
    #[serde(default)]
    pub may_skip: Vec<String>,
    /// Shorter soak times a hotfix may use, by environment.
    #[serde(default)]
    pub soak: IndexMap<String, String>,
    /// A written justification is required (default true).
    #[serde(default = "yes")]
    pub require_justification: bool,
    /// An incident or ticket id is required (default true).
    #[serde(default = "yes")]
    pub require_ticket: bool,
    /// A role one approver of every promotion during the hotfix must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_role: Option<String>,
}
