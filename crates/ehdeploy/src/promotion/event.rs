//! What happens to a release candidate, as events: who did what, to which environment.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::config::Evidence;

/// Who acts, and the roles the caller (e.g. Jenkins) says they have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The principal's name (a Jenkins user id).
    pub name: String,
    /// Their roles.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Actor {
    /// Whether the actor has one of `roles` (an empty list lets anyone).
    pub fn has_any(&self, roles: &[String]) -> bool {
        roles.is_empty() || self.roles.iter().any(|r| roles.contains(r))
    }
}

/// What a candidate carries for one app: the chart, its version and the image, pinned.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Artifact {
    /// The chart (`ehealth/ehealth-service`).
    pub chart: String,
    /// Its version.
    pub version: String,
    /// The image repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The image digest (`sha256:…`): what actually runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// The artifacts of a candidate, by app.
pub type Artifacts = BTreeMap<String, Artifact>;

/// One thing that happens to a release candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Event {
    /// A candidate: one spec revision and the exact artifacts it carries. Its actor is the
    /// author.
    #[serde(rename_all = "camelCase")]
    CandidateCreated {
        /// The candidate's id (the log's file name).
        candidate: String,
        /// The spec's git commit.
        revision: String,
        /// What it carries, by app.
        artifacts: Artifacts,
    },
    /// The candidate was deployed to an environment, with these artifacts.
    Deployed {
        /// The environment.
        environment: String,
        /// What was deployed, by app.
        artifacts: Artifacts,
    },
    /// Evidence about the deployment in an environment: health, tests, QA, signatures.
    Evidence {
        /// The environment.
        environment: String,
        /// What kind.
        kind: Evidence,
        /// Positive (healthy, passed, approved, verified) or not.
        ok: bool,
        /// A note: the test run, the QA ticket, the verification report.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The actor asks to promote the candidate into an environment.
    PromotionRequested {
        /// The target environment.
        to: String,
    },
    /// The actor approves the promotion into an environment.
    Approved {
        /// The target environment.
        to: String,
    },
    /// The pull request that promotes into an environment was merged.
    #[serde(rename_all = "camelCase")]
    PullRequestMerged {
        /// The target environment.
        to: String,
        /// Its source branch.
        source_branch: String,
        /// Its target branch.
        target_branch: String,
        /// Its number or URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// The actor promotes the candidate into an environment, with these artifacts.
    Promoted {
        /// The target environment.
        to: String,
        /// What the promotion carries, by app.
        artifacts: Artifacts,
    },
    /// The candidate was rolled back in an environment.
    RolledBack {
        /// The environment.
        environment: String,
        /// Why.
        reason: String,
    },
    /// A hotfix: the candidate may skip or shorten what the hotfix lane allows.
    #[serde(rename_all = "camelCase")]
    HotfixOpened {
        /// Why the normal path cannot be taken.
        #[serde(default)]
        justification: String,
        /// The incident or ticket.
        #[serde(default)]
        ticket: String,
        /// The environments it skips.
        #[serde(default)]
        skip: Vec<String>,
    },
    /// The hotfix's follow-up is done: the fix is on `master` and passed what it skipped.
    #[serde(rename_all = "camelCase")]
    HotfixClosed {
        /// The commit on `master` that holds the fix.
        master_revision: String,
    },
}

impl Event {
    /// The event's type, as JSON names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CandidateCreated { .. } => "candidate-created",
            Event::Deployed { .. } => "deployed",
            Event::Evidence { .. } => "evidence",
            Event::PromotionRequested { .. } => "promotion-requested",
            Event::Approved { .. } => "approved",
            Event::PullRequestMerged { .. } => "pull-request-merged",
            Event::Promoted { .. } => "promoted",
            Event::RolledBack { .. } => "rolled-back",
            Event::HotfixOpened { .. } => "hotfix-opened",
            Event::HotfixClosed { .. } => "hotfix-closed",
        }
    }
}
