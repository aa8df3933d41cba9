//! Where a candidate is in each environment, and what may happen next (and why not).

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::config::{Entry, Evidence};
use super::event::{Actor, Event};
use super::pipeline::Pipeline;
use super::refusal::Reason;
use super::state::{promotion_gates, HotfixState, Place, Release};

/// A release as `check` and `release status` report it: its log and its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseReport {
    /// Where the candidate is, and what may happen next.
    pub status: Status,
    /// Entries in the log.
    pub entries: u64,
    /// The log's head hash (keep it elsewhere to detect a cut log later).
    pub head: String,
    /// The log's path.
    pub log: String,
}

/// A release's status: every environment, and the next steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The candidate's id, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    /// Its spec revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Each environment, in order.
    pub environments: Vec<EnvStatus>,
    /// The hotfix, if one was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotfix: Option<HotfixState>,
    /// What may happen next, allowed or not (with the reasons).
    pub next: Vec<NextStep>,
}

/// The candidate in one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvStatus {
    /// The environment.
    pub environment: String,
    /// Where the candidate is.
    pub place: Place,
    /// When it was deployed here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub deployed_at: Option<Timestamp>,
    /// The evidence this environment needs before the candidate leaves: `ok`, `failed` or
    /// `missing`, by kind.
    pub evidence: Vec<EvidenceStatus>,
}

/// One kind of required evidence and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EvidenceStatus {
    /// The kind.
    pub kind: Evidence,
    /// `ok`, `failed` or `missing`.
    pub state: String,
}

/// A step that could come next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextStep {
    /// `create-candidate`, `deploy`, `record-evidence`, `request`, `approve`,
    /// `merge-pull-request`, `promote` or `close-hotfix`.
    pub action: String,
    /// The environment it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// What exactly, for a person.
    pub message: String,
    /// Whether it can happen now (with the right roles).
    pub allowed: bool,
    /// Why not, when it cannot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
}

impl NextStep {
    fn new(action: &str, env: Option<&str>, message: String, reasons: Vec<Reason>) -> NextStep {
        NextStep {
            action: action.into(),
            environment: env.map(str::to_string),
            message,
            allowed: reasons.is_empty(),
            reasons,
        }
    }
}

/// The status of `release` at `now`.
pub fn status(release: &Release, pipeline: &Pipeline, now: Timestamp) -> Status {
    let environments = release
        .environments
        .iter()
        .zip(&pipeline.stages)
        .map(|(env, stage)| EnvStatus {
            environment: env.environment.clone(),
            place: env.place,
            deployed_at: env.deployed_at,
            evidence: stage
                .exit_evidence
                .iter()
                .map(|kind| EvidenceStatus {
                    kind: *kind,
                    state: match env.evidence.get(kind) {
                        Some(r) if r.ok => "ok",
                        Some(_) => "failed",
                        None => "missing",
                    }
                    .into(),
                })
                .collect(),
        })
        .collect();
    Status {
        candidate: release.candidate.as_ref().map(|c| c.id.clone()),
        revision: release.candidate.as_ref().map(|c| c.revision.clone()),
        environments,
        hotfix: release.hotfix.clone(),
        next: next_steps(release, pipeline, now),
    }
}

fn next_steps(release: &Release, pipeline: &Pipeline, now: Timestamp) -> Vec<NextStep> {
    let Some(candidate) = &release.candidate else {
        return vec![NextStep::new(
            "create-candidate",
            None,
            "create the release candidate".into(),
            Vec::new(),
        )];
    };
    let mut out = Vec::new();
    let first = pipeline.stages.first().map(|s| s.environment.as_str());
    let at = release.furthest();
    let here = at.map(|i| &release.environments[i]);
    match (at, here) {
        (None, _) => out.push(NextStep::new(
            "deploy",
            first,
            format!(
                "deploy the candidate to {}",
                first.unwrap_or("the first environment")
            ),
            Vec::new(),
        )),
        (Some(i), Some(env)) => {
            let name = env.environment.as_str();
            match env.place {
                Place::Promoted | Place::RolledBack => out.push(NextStep::new(
                    "deploy",
                    Some(name),
                    format!("deploy the candidate to {name}"),
                    Vec::new(),
                )),
                _ => {
                    for kind in &pipeline.stages[i].exit_evidence {
                        if !env.evidence.get(kind).is_some_and(|r| r.ok) {
                            out.push(NextStep::new(
                                "record-evidence",
                                Some(name),
                                format!("record {} in {name}", kind.as_str()),
                                Vec::new(),
                            ));
                        }
                    }
                }
            }
        }
        (Some(_), None) => {}
    }
    // The environments the candidate could be promoted into: the next one, and those an
    // open hotfix lets it reach.
    let start = at.map_or(1, |i| i + 1);
    for n in start..pipeline.stages.len() {
        let stage = &pipeline.stages[n];
        let name = stage.environment.as_str();
        let env = &release.environments[n];
        let gates = promotion_gates(release, pipeline, n, None, None, now);
        let probe = Actor {
            name: String::new(),
            roles: stage.promoters.clone(),
        };
        let request = super::state::apply(
            release,
            &probe,
            &Event::PromotionRequested { to: name.into() },
            pipeline,
            now,
        )
        .err()
        .map(|r| r.reasons)
        .unwrap_or_default();
        if env.request.is_none() {
            out.push(NextStep::new(
                "request",
                Some(name),
                format!(
                    "request the promotion into {name}{}",
                    roles(&stage.promoters)
                ),
                request,
            ));
        } else if (env.approvals.len() as u32) < stage.approvals {
            out.push(NextStep::new(
                "approve",
                Some(name),
                format!(
                    "approve the promotion into {name} ({} of {}){}",
                    env.approvals.len(),
                    stage.approvals,
                    roles(&stage.approvers)
                ),
                Vec::new(),
            ));
        }
        if let Entry::PullRequest {
            source_branch,
            target_branch,
        } = &stage.entry
        {
            if env.request.is_some() && env.merged.is_none() {
                out.push(NextStep::new(
                    "merge-pull-request",
                    Some(name),
                    format!("merge the pull request from `{source_branch}` to `{target_branch}`"),
                    Vec::new(),
                ));
            }
        }
        out.push(NextStep::new(
            "promote",
            Some(name),
            format!(
                "promote {} into {name}{}",
                candidate.id,
                roles(&stage.promoters)
            ),
            gates,
        ));
        // An open hotfix may skip this environment: the one after it is a target too.
        let skippable = release
            .hotfix
            .as_ref()
            .is_some_and(|h| h.closed.is_none() && h.skip.iter().any(|s| s == name));
        if !skippable {
            break;
        }
    }
    if let Some(h) = release.hotfix.as_ref().filter(|h| h.closed.is_none()) {
        let reasons = super::state::apply(
            release,
            &Actor::default(),
            &Event::HotfixClosed {
                master_revision: "master".into(),
            },
            pipeline,
            now,
        )
        .err()
        .map(|r| r.reasons)
        .unwrap_or_default();
        out.push(NextStep::new(
            "close-hotfix",
            None,
            format!(
                "close hotfix {} once the fix is on `master` and passed {}",
                h.ticket,
                h.skip.join(", ")
            ),
            reasons,
        ));
    }
    out
}

impl Status {
    /// The status for a person: one line per environment, then the next steps (blocked ones
    /// with their reasons).
    pub fn human(&self) -> String {
        let mut t = String::new();
        if let Some(c) = &self.candidate {
            t.push_str(&format!(
                "candidate {c} (revision {})\n",
                self.revision.as_deref().unwrap_or("?")
            ));
        }
        for env in &self.environments {
            let evidence: Vec<String> = env
                .evidence
                .iter()
                .map(|e| format!("{} {}", e.kind.as_str(), e.state))
                .collect();
            t.push_str(&format!(
                "  {:<10} {:<12} {}\n",
                env.environment,
                env.place.as_str(),
                evidence.join(", ")
            ));
        }
        if let Some(h) = &self.hotfix {
            let state = if h.closed.is_some() { "closed" } else { "open" };
            t.push_str(&format!(
                "  hotfix {} ({state}): {}\n",
                h.ticket, h.justification
            ));
        }
        for step in &self.next {
            let mark = if step.allowed { "next" } else { "blocked" };
            t.push_str(&format!("  {mark}: {}\n", step.message));
            for r in &step.reasons {
                t.push_str(&format!("      - {} [{}]\n", r.message, r.code.as_str()));
            }
        }
        t
    }
}

fn roles(roles: &[String]) -> String {
    if roles.is_empty() {
        String::new()
    } else {
        format!(" (roles: {})", roles.join(", "))
    }
}
