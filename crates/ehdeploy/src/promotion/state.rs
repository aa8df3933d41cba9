//! The release state machine: a pure function from a state, an event, the pipeline and the
//! time to the next state, or a refusal that names every unmet gate.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::config::{Entry, Evidence};
use super::event::{Actor, Artifacts, Event};
use super::pipeline::{Pipeline, Stage};
use super::refusal::{Reason, ReasonCode as Code, Refusal};

/// A release candidate: one spec revision and the artifacts it carries, which never change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// Its id.
    pub id: String,
    /// The spec's git commit.
    pub revision: String,
    /// Who created it.
    pub author: String,
    /// When.
    #[schemars(with = "String")]
    pub created_at: Timestamp,
    /// What it carries, by app.
    pub artifacts: Arc<Artifacts>,
}

/// Where a candidate is in one environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Place {
    /// Not promoted here (yet).
    #[default]
    NotReached,
    /// Skipped by a hotfix; the follow-up must pass it.
    Skipped,
    /// Promoted here, not deployed yet.
    Promoted,
    /// Deployed here.
    Deployed,
    /// Rolled back here.
    RolledBack,
}

impl Place {
    /// The place as JSON names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Place::NotReached => "not-reached",
            Place::Skipped => "skipped",
            Place::Promoted => "promoted",
            Place::Deployed => "deployed",
            Place::RolledBack => "rolled-back",
        }
    }
}

/// Someone's act, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Signed {
    /// Who.
    pub by: String,
    /// When.
    #[schemars(with = "String")]
    pub at: Timestamp,
}

/// A piece of evidence as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Record {
    /// Positive or not.
    pub ok: bool,
    /// Who recorded it.
    pub by: String,
    /// When.
    #[schemars(with = "String")]
    pub at: Timestamp,
    /// The note given with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The candidate in one environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvState {
    /// The environment.
    pub environment: String,
    /// Where the candidate is here.
    pub place: Place,
    /// When it was promoted here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub promoted_at: Option<Timestamp>,
    /// When it was last deployed here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub deployed_at: Option<Timestamp>,
    /// What was deployed here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<Arc<Artifacts>>,
    /// The evidence for the current deployment, by kind (the latest record of each).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<Evidence, Record>,
    /// The request to promote here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Signed>,
    /// The approvals of that promotion, one per approver.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// The merged pull request that promotes here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<Signed>,
}

/// An approval, with the approver's roles as the caller gave them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Approval {
    /// Who.
    pub by: String,
    /// Their roles when they approved.
    pub roles: Vec<String>,
    /// When.
    #[schemars(with = "String")]
    pub at: Timestamp,
}

/// An open (or closed) hotfix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HotfixState {
    /// Why.
    pub justification: String,
    /// The incident or ticket.
    pub ticket: String,
    /// Who opened it, and when.
    pub opened: Signed,
    /// The environments it skips.
    pub skip: Vec<String>,
    /// The `master` commit that closed it, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
}

impl HotfixState {
    fn open(&self) -> bool {
        self.closed.is_none()
    }
}

/// A release: the candidate and where it is in each environment. The state that
/// [`apply`] moves and a log replays to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// The candidate (none before `candidate-created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<Candidate>,
    /// Every environment of the pipeline, in order.
    #[serde(default)]
    pub environments: Vec<EnvState>,
    /// The hotfix, if one was opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotfix: Option<HotfixState>,
}

impl Release {
    /// The furthest environment the candidate reached (promoted, deployed or rolled back).
    pub fn furthest(&self) -> Option<usize> {
        self.environments.iter().rposition(|e| {
            matches!(
                e.place,
                Place::Promoted | Place::Deployed | Place::RolledBack
            )
        })
    }

    fn open_hotfix(&self) -> Option<&HotfixState> {
        self.hotfix.as_ref().filter(|h| h.open())
    }
}

/// Apply `event`, done by `actor` at `now`, to `state` under `pipeline`: the next state, or a
/// refusal listing every unmet gate. Pure: the same inputs always give the same answer, and a
/// refused event changes nothing.
pub fn apply(
    state: &Release,
    actor: &Actor,
    event: &Event,
    pipeline: &Pipeline,
    now: Timestamp,
) -> Result<Release, Refusal> {
    let mut next = state.clone();
    apply_in_place(&mut next, actor, event, pipeline, now)?;
    Ok(next)
}

/// [`apply`] on a state the caller owns: unchanged when the event is refused.
pub fn apply_in_place(
    state: &mut Release,
    actor: &Actor,
    event: &Event,
    pipeline: &Pipeline,
    now: Timestamp,
) -> Result<(), Refusal> {
    let reasons = check(state, actor, event, pipeline, now);
    if !reasons.is_empty() {
        return Err(Refusal { reasons });
    }
    change(state, actor, event.clone(), pipeline, now);
    Ok(())
}

/// Every reason to refuse `event` (empty: accept).
fn check(
    state: &Release,
    actor: &Actor,
    event: &Event,
    pipeline: &Pipeline,
    now: Timestamp,
) -> Vec<Reason> {
    let mut out = Vec::new();
    if let Event::CandidateCreated { candidate, .. } = event {
        if let Some(c) = &state.candidate {
            out.push(Reason::new(
                Code::CandidateExists,
                None,
                format!("candidate `{}` exists: a candidate's artifacts never change; create `{candidate}` as a new candidate", c.id),
            ));
        }
        return out;
    }
    let Some(candidate) = &state.candidate else {
        out.push(Reason::new(
            Code::CandidateMissing,
            None,
            "no candidate: create one first",
        ));
        return out;
    };
    let env_index = |name: &str, out: &mut Vec<Reason>| {
        let i = pipeline.index(name);
        if i.is_none() {
            let names: Vec<&str> = pipeline
                .stages
                .iter()
                .map(|s| s.environment.as_str())
                .collect();
            out.push(Reason::new(
                Code::EnvironmentUnknown,
                Some(name),
                format!(
                    "`{name}` is not an environment of the pipeline ({})",
                    names.join(", ")
                ),
            ));
        }
        i
    };
    match event {
        Event::CandidateCreated { .. } => {}
        Event::Deployed {
            environment,
            artifacts,
        } => {
            let Some(i) = env_index(environment, &mut out) else {
                return out;
            };
            let place = state.environments[i].place;
            if i > 0 && place == Place::NotReached {
                out.push(Reason::new(
                    Code::NotReached,
                    Some(environment),
                    format!("the candidate was not promoted into {environment}"),
                ));
            }
            let (reference, what) = reference(state, i);
            drift(reference, artifacts, environment, &what, &mut out);
        }
        Event::Evidence {
            environment, kind, ..
        } => {
            let Some(i) = env_index(environment, &mut out) else {
                return out;
            };
            if state.environments[i].place != Place::Deployed {
                out.push(Reason::new(
                    Code::NotDeployed,
                    Some(environment),
                    format!("{} needs a deployment in {environment}", kind.as_str()),
                ));
            }
        }
        Event::PromotionRequested { to } => {
            let Some(i) = env_index(to, &mut out) else {
                return out;
            };
            order(state, pipeline, i, &mut out);
            let stage = &pipeline.stages[i];
            role(
                actor,
                &stage.promoters,
                "request a promotion into",
                to,
                &mut out,
            );
        }
        Event::Approved { to } => {
            let Some(i) = env_index(to, &mut out) else {
                return out;
            };
            let stage = &pipeline.stages[i];
            let env = &state.environments[i];
            match &env.request {
                None => out.push(Reason::new(
                    Code::NotRequested,
                    Some(to),
                    format!("no promotion into {to} was requested"),
                )),
                Some(request) if stage.four_eyes && request.by == actor.name => {
                    out.push(Reason::new(
                        Code::SelfApproval,
                        Some(to),
                        format!("the approver is the requester (`{}`)", actor.name),
                    ))
                }
                Some(_) => {}
            }
            if stage.four_eyes && candidate.author == actor.name {
                out.push(Reason::new(
                    Code::SelfApproval,
                    Some(to),
                    format!("the approver is the candidate's author (`{}`)", actor.name),
                ));
            }
            if env.approvals.iter().any(|a| a.by == actor.name) {
                out.push(Reason::new(
                    Code::AlreadyApproved,
                    Some(to),
                    format!("`{}` approved the promotion into {to} already", actor.name),
                ));
            }
            let hotfix_role = state
                .open_hotfix()
                .and(pipeline.hotfix.as_ref())
                .and_then(|h| h.approval_role.as_deref());
            let mut allowed = stage.approvers.clone();
            if let (Some(r), false) = (hotfix_role, allowed.is_empty()) {
                allowed.push(r.to_string());
            }
            role(actor, &allowed, "approve a promotion into", to, &mut out);
        }
        Event::PullRequestMerged {
            to,
            source_branch,
            target_branch,
            ..
        } => {
            let Some(i) = env_index(to, &mut out) else {
                return out;
            };
            match &pipeline.stages[i].entry {
                Entry::PullRequest {
                    source_branch: s,
                    target_branch: t,
                } => {
                    if s != source_branch || t != target_branch {
                        out.push(Reason::new(
                            Code::PullRequestMismatch,
                            Some(to),
                            format!("{to} is reached by a pull request from `{s}` to `{t}`, not from `{source_branch}` to `{target_branch}`"),
                        ));
                    }
                }
                Entry::JenkinsPromotion => out.push(Reason::new(
                    Code::PullRequestMismatch,
                    Some(to),
                    format!("{to} is reached by a Jenkins promotion, not a pull request"),
                )),
            }
            if state.environments[i].request.is_none() {
                out.push(Reason::new(
                    Code::NotRequested,
                    Some(to),
                    format!("no promotion into {to} was requested"),
                ));
            }
        }
        Event::Promoted { to, artifacts } => {
            let Some(i) = env_index(to, &mut out) else {
                return out;
            };
            out.extend(promotion_gates(
                state,
                pipeline,
                i,
                Some(actor),
                Some(artifacts),
                now,
            ));
        }
        Event::RolledBack { environment, .. } => {
            let Some(i) = env_index(environment, &mut out) else {
                return out;
            };
            if !matches!(
                state.environments[i].place,
                Place::Promoted | Place::Deployed
            ) {
                out.push(Reason::new(
                    Code::NotDeployed,
                    Some(environment),
                    format!("the candidate is not in {environment}: nothing to roll back"),
                ));
            }
        }
        Event::HotfixOpened {
            justification,
            ticket,
            skip,
        } => {
            let Some(lane) = &pipeline.hotfix else {
                out.push(Reason::new(
                    Code::HotfixNotAllowed,
                    None,
                    "the platform has no hotfix lane",
                ));
                return out;
            };
            if state.open_hotfix().is_some() {
                out.push(Reason::new(
                    Code::HotfixAlreadyOpen,
                    None,
                    "a hotfix is open already",
                ));
            }
            if lane.require_justification && justification.trim().is_empty() {
                out.push(Reason::new(
                    Code::HotfixJustification,
                    None,
                    "a hotfix needs a written justification",
                ));
            }
            if lane.require_ticket && ticket.trim().is_empty() {
                out.push(Reason::new(
                    Code::HotfixTicket,
                    None,
                    "a hotfix needs an incident or ticket id",
                ));
            }
            for env in skip {
                if env_index(env, &mut out).is_some() && !lane.may_skip.contains(env) {
                    out.push(Reason::new(
                        Code::HotfixSkipNotAllowed,
                        Some(env),
                        format!("the hotfix lane does not let a hotfix skip {env}"),
                    ));
                }
            }
        }
        Event::HotfixClosed { master_revision } => {
            match state.open_hotfix() {
                None => out.push(Reason::new(Code::HotfixNotOpen, None, "no hotfix is open")),
                Some(h) => {
                    for env in &h.skip {
                        if let Some(i) = pipeline.index(env) {
                            out.extend(passed(state, pipeline, i, now).into_iter().map(|mut r| {
                                r.code = Code::HotfixFollowUp;
                                r.message = format!(
                                    "the hotfix skipped {env}, which it has not passed since: {}",
                                    r.message
                                );
                                r
                            }));
                        }
                    }
                }
            }
            if master_revision.trim().is_empty() {
                out.push(Reason::new(
                    Code::HotfixMasterRevision,
                    None,
                    "closing a hotfix needs the commit on `master` that holds the fix",
                ));
            }
        }
    }
    out
}

/// The gates of promoting into environment `to` now: order, the evidence and soak time of the
/// environment it leaves, request, role, approvals, pull request, window and artifacts. Without
/// an actor or artifacts, the gates about them are left out (for [`status`](super::status)).
pub(super) fn promotion_gates(
    state: &Release,
    pipeline: &Pipeline,
    to: usize,
    actor: Option<&Actor>,
    artifacts: Option<&Artifacts>,
    now: Timestamp,
) -> Vec<Reason> {
    let mut out = Vec::new();
    let stage = &pipeline.stages[to];
    let name = stage.environment.as_str();
    let env = &state.environments[to];
    let source = order(state, pipeline, to, &mut out);
    if let Some(s) = source {
        out.extend(passed(state, pipeline, s, now));
    }
    if env.request.is_none() {
        out.push(Reason::new(
            Code::NotRequested,
            Some(name),
            format!("no promotion into {name} was requested"),
        ));
    }
    if let Some(actor) = actor {
        role(actor, &stage.promoters, "promote into", name, &mut out);
    }
    // Approvals count by the stage's approver roles, or the hotfix lane's role while a hotfix
    // is open: an approval given under a hotfix that has closed since no longer counts.
    let hotfix_role = state
        .open_hotfix()
        .and(pipeline.hotfix.as_ref())
        .and_then(|h| h.approval_role.as_ref());
    let valid = env
        .approvals
        .iter()
        .filter(|a| {
            stage.approvers.is_empty()
                || a.roles
                    .iter()
                    .any(|r| stage.approvers.contains(r) || hotfix_role == Some(r))
        })
        .count();
    if (valid as u32) < stage.approvals {
        out.push(Reason::new(
            Code::Approvals,
            Some(name),
            format!("{valid} of {} approvals for {name}", stage.approvals),
        ));
    }
    if let (Some(_), Some(lane)) = (state.open_hotfix(), &pipeline.hotfix) {
        if let Some(r) = &lane.approval_role {
            if !env.approvals.iter().any(|a| a.roles.contains(r)) {
                out.push(Reason::new(
                    Code::HotfixApprovalRole,
                    Some(name),
                    format!("during a hotfix one approver of the promotion into {name} must have the role `{r}`"),
                ));
            }
        }
    }
    if let Entry::PullRequest {
        source_branch,
        target_branch,
    } = &stage.entry
    {
        if env.merged.is_none() {
            out.push(Reason::new(
                Code::PullRequestNotMerged,
                Some(name),
                format!(
                    "the pull request from `{source_branch}` to `{target_branch}` is not merged"
                ),
            ));
        }
    }
    if let Some((until, why)) = pipeline.blocked_until(stage, now) {
        let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
        out.push(Reason::new(
            Code::Window,
            Some(name),
            format!(
                "outside promotion window until {}{why}",
                pipeline.local(until)
            ),
        ));
    }
    if let Some(artifacts) = artifacts {
        let (reference, what) = reference(state, to);
        drift(reference, artifacts, name, &what, &mut out);
    }
    out
}

/// What goes into environment `i` must equal: what was deployed in the nearest environment
/// before it, else what the candidate carries; and how to name that.
fn reference(state: &Release, i: usize) -> (&Artifacts, String) {
    let passed = state.environments[..i].iter().rev().find_map(|e| {
        e.deployed
            .as_ref()
            .map(|d| (d.as_ref(), format!("passed {}", e.environment)))
    });
    match (passed, &state.candidate) {
        (Some(p), _) => p,
        (None, Some(c)) => (c.artifacts.as_ref(), "the candidate carries".into()),
        (None, None) => (&EMPTY, "the candidate carries".into()),
    }
}

static EMPTY: Artifacts = Artifacts::new();

/// The environment a promotion into `to` leaves, checking the order: every environment before
/// `to` was passed, or skipped by an open hotfix that may skip it.
fn order(state: &Release, pipeline: &Pipeline, to: usize, out: &mut Vec<Reason>) -> Option<usize> {
    let name = &pipeline.stages[to].environment;
    let furthest = state.furthest();
    if furthest.is_some_and(|f| f >= to)
        || (to == 0 && state.environments[0].place != Place::NotReached)
    {
        out.push(Reason::new(
            Code::AlreadyThere,
            Some(name),
            format!("the candidate has reached {name} already"),
        ));
        return None;
    }
    if to == 0 {
        return None;
    }
    let from = furthest.unwrap_or(0);
    let skips: Vec<&str> = ((from + 1)..to)
        .map(|i| pipeline.stages[i].environment.as_str())
        .collect();
    let hotfix = state.open_hotfix();
    for skipped in skips {
        let allowed = hotfix.is_some_and(|h| h.skip.iter().any(|s| s == skipped));
        if !allowed {
            out.push(Reason::new(
                Code::SkippedEnvironment,
                Some(name),
                format!("promoting into {name} skips {skipped}: a candidate visits every environment in order"),
            ));
        }
    }
    Some(from)
}

/// Whether the candidate passed environment `i`: deployed, not rolled back, the evidence
/// recorded and positive, the soak time over.
fn passed(state: &Release, pipeline: &Pipeline, i: usize, now: Timestamp) -> Vec<Reason> {
    let mut out = Vec::new();
    let stage = &pipeline.stages[i];
    let name = stage.environment.as_str();
    let env = &state.environments[i];
    match env.place {
        Place::RolledBack => out.push(Reason::new(
            Code::RolledBack,
            Some(name),
            format!("the candidate was rolled back in {name}"),
        )),
        Place::Deployed => {}
        _ => out.push(Reason::new(
            Code::NotDeployed,
            Some(name),
            format!("the candidate is not deployed in {name}"),
        )),
    }
    for kind in &stage.exit_evidence {
        match env.evidence.get(kind) {
            None => out.push(Reason::new(
                Code::MissingEvidence,
                Some(name),
                format!("missing {} in {name}", kind.as_str()),
            )),
            Some(r) if !r.ok => out.push(Reason::new(
                Code::FailedEvidence,
                Some(name),
                format!("{} failed in {name} (recorded by {})", kind.as_str(), r.by),
            )),
            Some(_) => {}
        }
    }
    let soak = soak_of(state, pipeline, stage);
    if let (Some(at), false) = (env.deployed_at, soak.is_zero()) {
        let ran = now.duration_since(at);
        if ran < soak {
            out.push(Reason::new(
                Code::Soak,
                Some(name),
                format!(
                    "soak time in {name} not met: {} of {}, until {}",
                    human(ran),
                    human(soak),
                    pipeline.local(at + soak)
                ),
            ));
        }
    }
    out
}

/// The soak time of a stage: the hotfix lane's shorter one while a hotfix is open.
fn soak_of(state: &Release, pipeline: &Pipeline, stage: &Stage) -> SignedDuration {
    match (state.open_hotfix(), &pipeline.hotfix) {
        (Some(_), Some(lane)) => lane
            .soak
            .get(&stage.environment)
            .map_or(stage.soak, |s| (*s).min(stage.soak)),
        _ => stage.soak,
    }
}

fn role(actor: &Actor, roles: &[String], what: &str, env: &str, out: &mut Vec<Reason>) {
    if !actor.has_any(roles) {
        out.push(Reason::new(
            Code::Role,
            Some(env),
            format!(
                "`{}` may not {what} {env}: it needs one of the roles {}",
                actor.name,
                roles.join(", ")
            ),
        ));
    }
}

/// Every app whose artifact in `got` differs from `reference` (or is missing, or extra). A
/// digest may appear where the reference had none (an image pinned on the way); once known,
/// it never changes.
fn drift(reference: &Artifacts, got: &Artifacts, env: &str, what: &str, out: &mut Vec<Reason>) {
    for (app, want) in reference {
        match got.get(app) {
            None => out.push(Reason::new(
                Code::ArtifactDrift,
                Some(env),
                format!("`{app}` is missing from what goes into {env}"),
            )),
            Some(have) if !same_artifact(want, have) => {
                let mut diffs = Vec::new();
                let mut field = |label: &str, a: Option<&str>, b: Option<&str>| {
                    if a != b {
                        diffs.push(format!(
                            "{label} {} instead of {}",
                            b.unwrap_or("(none)"),
                            a.unwrap_or("(none)")
                        ));
                    }
                };
                field("chart", Some(&want.chart), Some(&have.chart));
                field("chart version", Some(&want.version), Some(&have.version));
                field("image", want.image.as_deref(), have.image.as_deref());
                if want.digest.is_some() {
                    field("digest", want.digest.as_deref(), have.digest.as_deref());
                }
                out.push(Reason::new(
                    Code::ArtifactDrift,
                    Some(env),
                    format!("`{app}` going into {env} has {} ({what})", diffs.join(", ")),
                ));
            }
            Some(_) => {}
        }
    }
    for app in got.keys().filter(|a| !reference.contains_key(*a)) {
        out.push(Reason::new(
            Code::ArtifactDrift,
            Some(env),
            format!("`{app}` goes into {env} but is not part of the candidate"),
        ));
    }
}

/// `have` is `want`, or `want` pinned by a digest.
fn same_artifact(want: &super::event::Artifact, have: &super::event::Artifact) -> bool {
    want.chart == have.chart
        && want.version == have.version
        && want.image == have.image
        && (want.digest.is_none() || want.digest == have.digest)
}

/// A duration for a person: `3h 20m`.
fn human(d: SignedDuration) -> String {
    let minutes = d.as_secs().max(0) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// The environment called `name` in `environments`.
fn env_mut<'a>(environments: &'a mut [EnvState], name: &str) -> Option<&'a mut EnvState> {
    environments.iter_mut().find(|e| e.environment == name)
}

/// Make an accepted event's change (no gate is checked: the log replays recorded decisions
/// through this). The event is taken by value: a replayed log's artifacts move into the state.
pub(super) fn change(
    state: &mut Release,
    actor: &Actor,
    event: Event,
    pipeline: &Pipeline,
    now: Timestamp,
) {
    let signed = || Signed {
        by: actor.name.clone(),
        at: now,
    };
    // By name in the state: a replayed entry may name an environment the pipeline no longer
    // has, which then changes nothing.
    let index = |state: &Release, name: &str| {
        state
            .environments
            .iter()
            .position(|e| e.environment == name)
    };

    match event {
        Event::CandidateCreated {
            candidate,
            revision,
            artifacts,
        } => {
            state.candidate = Some(Candidate {
                id: candidate,
                revision,
                author: actor.name.clone(),
                created_at: now,
                artifacts: Arc::new(artifacts),
            });
            state.environments = pipeline
                .stages
                .iter()
                .map(|s| EnvState {
                    environment: s.environment.clone(),
                    ..Default::default()
                })
                .collect();
        }
        Event::Deployed {
            environment,
            artifacts,
        } => {
            let Some(env) = env_mut(&mut state.environments, &environment) else {
                return;
            };
            env.place = Place::Deployed;
            env.deployed_at = Some(now);
            env.deployed = Some(Arc::new(artifacts));
            env.evidence.clear();
        }
        Event::Evidence {
            environment,
            kind,
            ok,
            note,
        } => {
            let Some(env) = env_mut(&mut state.environments, &environment) else {
                return;
            };
            env.evidence.insert(
                kind,
                Record {
                    ok,
                    by: actor.name.clone(),
                    at: now,
                    note,
                },
            );
        }
        Event::PromotionRequested { to } => {
            let Some(env) = env_mut(&mut state.environments, &to) else {
                return;
            };
            env.request = Some(signed());
            env.approvals.clear();
            env.merged = None;
        }
        Event::Approved { to } => {
            let Some(env) = env_mut(&mut state.environments, &to) else {
                return;
            };
            env.approvals.push(Approval {
                by: actor.name.clone(),
                roles: actor.roles.clone(),
                at: now,
            });
        }
        Event::PullRequestMerged { to, .. } => {
            let Some(env) = env_mut(&mut state.environments, &to) else {
                return;
            };
            env.merged = Some(signed());
        }
        Event::Promoted { to, .. } => {
            let Some(i) = index(state, &to) else { return };
            let from = state.furthest().map_or(0, |f| f + 1);
            for skipped in &mut state.environments[from.min(i)..i] {
                if skipped.place == Place::NotReached {
                    skipped.place = Place::Skipped;
                }
            }
            let env = &mut state.environments[i];
            env.place = Place::Promoted;
            env.promoted_at = Some(now);
        }
        Event::RolledBack { environment, .. } => {
            let Some(env) = env_mut(&mut state.environments, &environment) else {
                return;
            };
            env.place = Place::RolledBack;
        }
        Event::HotfixOpened {
            justification,
            ticket,
            skip,
        } => {
            state.hotfix = Some(HotfixState {
                justification,
                ticket,
                opened: signed(),
                skip,
                closed: None,
            });
        }
        Event::HotfixClosed { master_revision } => {
            if let Some(h) = &mut state.hotfix {
                h.closed = Some(master_revision);
            }
        }
    }
}
