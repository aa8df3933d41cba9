//! The promotion state machine walked over the example platform's pipeline
//! (`examples/platform/platform.yaml`: inttest → exttest → preprod → prod, Europe/Copenhagen,
//! a hotfix lane that may skip exttest and cut preprod's soak to 2h).
//!
//! It shows that:
//! - a normal release goes through all four environments and ends with nothing left to do;
//! - every gate refuses once, with its stable reason code (and its message where that is
//!   meaningful), and a refused event leaves the state exactly as it was;
//! - a refusal lists every unmet gate at once, not only the first;
//! - the hotfix lane skips and shortens only what it allows, needs its justification, ticket
//!   and approval role, and cannot be closed until the skipped environment was passed;
//! - a rollback blocks the way on until the candidate is rolled forward and passes again;
//! - `status` names the next steps and why they cannot happen yet;
//! - over random event sequences: no environment is reached without every earlier one
//!   passed (or skipped by a hotfix), prod only ever runs the candidate's artifacts, refusals
//!   change nothing, and replaying the hash-chained audit log gives the same state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use ehdeploy::promotion::{
    apply, apply_in_place, entry_line, status, verify, Actor, Artifact, Artifacts, Decision, Event,
    Evidence, Pipeline, Place, Reason, Release, Status, GENESIS,
};
use jiff::{SignedDuration, Timestamp};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The example platform's compiled pipeline (loaded once).
fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/platform/platform.yaml");
        let mut sources = ehdeploy::source::SourceMap::default();
        let (platform, findings) = ehdeploy::platform::load_platform(
            &mut sources,
            &path,
            "platform.yaml".into(),
            &ehdeploy::source::Limits::default(),
        )
        .unwrap();
        assert!(
            findings.is_empty(),
            "the example platform has findings: {findings:#?}"
        );
        let pipeline = platform.expect("the example platform loads").pipeline;
        let names: Vec<&str> = pipeline
            .stages
            .iter()
            .map(|s| s.environment.as_str())
            .collect();
        assert_eq!(names, ["inttest", "exttest", "preprod", "prod"]);
        pipeline
    })
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// The people of the scenarios and their roles.
const PEOPLE: &[(&str, &[&str])] = &[
    // The candidate's author; also a QA lead (to show an author cannot approve).
    ("alice", &["supplier-release-manager", "qa-lead"]),
    // Deploys, records evidence, merges pull requests: no role needed for those.
    ("jenkins", &[]),
    ("tom", &["test-promoter"]),
    // Both promoter and approver of exttest (to show a requester cannot approve).
    ("tess", &["test-promoter", "qa-lead"]),
    ("quinn", &["qa-lead"]),
    ("rita", &["release-manager"]),
    ("pat", &["platform-reviewer"]),
    ("paula", &["platform-reviewer"]),
    ("pete", &["prod-promoter"]),
    ("ada", &["prod-approver"]),
    ("abe", &["prod-approver"]),
    ("lena", &["platform-lead"]),
    ("mallory", &[]),
];

fn person(name: &str) -> Actor {
    let (_, roles) = PEOPLE
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no person `{name}`"));
    Actor {
        name: name.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
    }
}

fn artifact(app: &str, digest: &str) -> Artifact {
    Artifact {
        chart: "ehealth/ehealth-service".into(),
        version: "1.4.0".into(),
        image: Some(format!("registry.ehealth.example/{app}")),
        digest: Some(digest.into()),
    }
}

const API_DIGEST: &str = "sha256:aaaa000000000000000000000000000000000000000000000000000000000001";
const WEB_DIGEST: &str = "sha256:bbbb000000000000000000000000000000000000000000000000000000000002";
const DRIFTED_DIGEST: &str =
    "sha256:cccc000000000000000000000000000000000000000000000000000000000003";

/// What the candidate carries: two apps, pinned by digest.
fn artifacts() -> Artifacts {
    [("api", API_DIGEST), ("web", WEB_DIGEST)]
        .into_iter()
        .map(|(app, digest)| (app.to_string(), artifact(app, digest)))
        .collect()
}

/// The candidate's artifacts with `api`'s image digest changed.
fn drifted() -> Artifacts {
    let mut a = artifacts();
    a.insert("api".into(), artifact("api", DRIFTED_DIGEST));
    a
}

fn created() -> Event {
    Event::CandidateCreated {
        candidate: "rc-2026.11.1".into(),
        revision: "4f2c9e1".into(),
        artifacts: artifacts(),
    }
}

fn deployed(env: &str) -> Event {
    Event::Deployed {
        environment: env.into(),
        artifacts: artifacts(),
    }
}

fn evidence(env: &str, kind: Evidence, ok: bool) -> Event {
    Event::Evidence {
        environment: env.into(),
        kind,
        ok,
        note: Some(format!("{} run 17", kind.as_str())),
    }
}

fn request(to: &str) -> Event {
    Event::PromotionRequested { to: to.into() }
}

fn approve(to: &str) -> Event {
    Event::Approved { to: to.into() }
}

fn merged(to: &str, source: &str, target: &str) -> Event {
    Event::PullRequestMerged {
        to: to.into(),
        source_branch: source.into(),
        target_branch: target.into(),
        reference: Some("PR-42".into()),
    }
}

fn promote(to: &str) -> Event {
    Event::Promoted {
        to: to.into(),
        artifacts: artifacts(),
    }
}

fn rolled_back(env: &str) -> Event {
    Event::RolledBack {
        environment: env.into(),
        reason: "health checks failing".into(),
    }
}

fn hotfix(skip: &[&str]) -> Event {
    Event::HotfixOpened {
        justification: "CVE-2026-1234 in api: remote code execution".into(),
        ticket: "INC-77".into(),
        skip: skip.iter().map(|s| s.to_string()).collect(),
    }
}

fn close_hotfix(revision: &str) -> Event {
    Event::HotfixClosed {
        master_revision: revision.into(),
    }
}

/// The exit evidence of an environment, in the platform file's order.
fn exit_evidence(env: &str) -> Vec<Evidence> {
    let p = pipeline();
    p.stages[p.index(env).unwrap()].exit_evidence.clone()
}

/// (code, message) pairs, for exact comparisons.
fn pairs(reasons: &[Reason]) -> Vec<(&'static str, &str)> {
    reasons
        .iter()
        .map(|r| (r.code.as_str(), r.message.as_str()))
        .collect()
}

fn codes(reasons: &[Reason]) -> Vec<&'static str> {
    reasons.iter().map(|r| r.code.as_str()).collect()
}

/// A release being walked through the pipeline: the state and a clock.
struct Walk {
    release: Release,
    now: Timestamp,
}

impl Walk {
    /// A candidate created by alice on Tuesday 2026-11-24, 10:00 in Copenhagen.
    fn new() -> Walk {
        let now = ts("2026-11-24T09:00:00Z");
        let release = apply(
            &Release::default(),
            &person("alice"),
            &created(),
            pipeline(),
            now,
        )
        .unwrap();
        Walk { release, now }
    }

    /// Move the clock to `when` (never back).
    fn at(&mut self, when: &str) -> &mut Walk {
        let t = ts(when);
        assert!(t >= self.now, "the clock goes back: {t} < {}", self.now);
        self.now = t;
        self
    }

    fn after_hours(&mut self, hours: i64) -> &mut Walk {
        self.now += SignedDuration::from_hours(hours);
        self
    }

    /// `who` does `event`: it must be accepted.
    fn ok(&mut self, who: &str, event: Event) -> &mut Walk {
        match apply(&self.release, &person(who), &event, pipeline(), self.now) {
            Ok(next) => self.release = next,
            Err(refusal) => panic!("`{who}`: {event:?} at {} was {refusal}", self.now),
        }
        self
    }

    /// `who` does `event`: it must be refused, and change nothing. The reasons.
    fn refused(&self, who: &str, event: Event) -> Vec<Reason> {
        let actor = person(who);
        let refusal = apply(&self.release, &actor, &event, pipeline(), self.now)
            .err()
            .unwrap_or_else(|| panic!("`{who}`: {event:?} at {} was accepted", self.now));
        assert!(!refusal.reasons.is_empty(), "a refusal without reasons");
        // In place too: the state is exactly what it was.
        let mut state = self.release.clone();
        let again = apply_in_place(&mut state, &actor, &event, pipeline(), self.now).unwrap_err();
        assert_eq!(again, refusal, "apply and apply_in_place disagree");
        assert_eq!(state, self.release, "a refused event changed the state");
        refusal.reasons
    }

    fn status(&self) -> Status {
        status(&self.release, pipeline(), self.now)
    }

    fn place(&self, env: &str) -> Place {
        self.release.environments[pipeline().index(env).unwrap()].place
    }

    /// Every exit evidence of `env` recorded positive (by jenkins; QA by quinn).
    fn evidence_ok(&mut self, env: &str) -> &mut Walk {
        for kind in exit_evidence(env) {
            let who = if kind == Evidence::QaApproved {
                "quinn"
            } else {
                "jenkins"
            };
            self.ok(who, evidence(env, kind, true));
        }
        self
    }

    // The normal path, one environment at a time.

    /// Deployed in inttest at creation time, every exit evidence positive.
    fn through_inttest(&mut self) -> &mut Walk {
        self.ok("jenkins", deployed("inttest"))
            .evidence_ok("inttest")
    }

    /// Requested and approved into exttest at 10:00 UTC (not promoted).
    fn exttest_approved(&mut self) -> &mut Walk {
        self.at("2026-11-24T10:00:00Z")
            .ok("tom", request("exttest"))
            .ok("quinn", approve("exttest"))
    }

    /// Promoted and deployed into exttest at 10:00 UTC, its evidence positive.
    fn through_exttest(&mut self) -> &mut Walk {
        self.exttest_approved()
            .ok("tom", promote("exttest"))
            .ok("jenkins", deployed("exttest"))
            .evidence_ok("exttest")
    }

    /// Requested, approved twice and merged into preprod (not promoted), at the current time.
    fn preprod_ready(&mut self) -> &mut Walk {
        self.ok("rita", request("preprod"))
            .ok("pat", approve("preprod"))
            .ok("paula", approve("preprod"))
            .ok("jenkins", merged("preprod", "master", "prod"))
    }

    /// Promoted and deployed into preprod on Wednesday 2026-11-25 11:00 UTC (25h after
    /// exttest), its evidence positive.
    fn through_preprod(&mut self) -> &mut Walk {
        self.at("2026-11-25T11:00:00Z")
            .preprod_ready()
            .ok("rita", promote("preprod"))
            .ok("jenkins", deployed("preprod"))
            .evidence_ok("preprod")
    }

    /// Requested and approved twice into prod, at the current time.
    fn prod_approved(&mut self) -> &mut Walk {
        self.ok("pete", request("prod"))
            .ok("ada", approve("prod"))
            .ok("abe", approve("prod"))
    }
}

// ---------------------------------------------------------------------------------------
// 1. The normal path
// ---------------------------------------------------------------------------------------

#[test]
fn a_release_goes_through_every_environment() {
    let mut w = Walk::new();
    assert_eq!(w.place("inttest"), Place::NotReached);
    w.through_inttest().through_exttest().through_preprod();
    // Tuesday 2026-12-01 09:00 in Copenhagen: inside prod's window, before the freeze.
    w.at("2026-12-01T08:00:00Z")
        .prod_approved()
        .ok("pete", promote("prod"));
    assert_eq!(w.place("prod"), Place::Promoted);
    w.ok("jenkins", deployed("prod"));

    let s = w.status();
    assert_eq!(s.candidate.as_deref(), Some("rc-2026.11.1"));
    assert_eq!(s.revision.as_deref(), Some("4f2c9e1"));
    let places: Vec<(&str, Place)> = s
        .environments
        .iter()
        .map(|e| (e.environment.as_str(), e.place))
        .collect();
    assert_eq!(
        places,
        [
            ("inttest", Place::Deployed),
            ("exttest", Place::Deployed),
            ("preprod", Place::Deployed),
            ("prod", Place::Deployed),
        ]
    );
    for env in &s.environments {
        assert!(env.evidence.iter().all(|e| e.state == "ok"), "{env:?}");
    }
    assert!(
        !s.next.iter().any(|n| n.action == "promote"),
        "{:#?}",
        s.next
    );
    assert_eq!(s.next, [], "nothing is left to do");

    // What the state recorded on the way.
    let prod = &w.release.environments[3];
    assert_eq!(prod.deployed.as_deref(), Some(&artifacts()));
    assert_eq!(prod.promoted_at, Some(ts("2026-12-01T08:00:00Z")));
    let approvers: Vec<&str> = prod.approvals.iter().map(|a| a.by.as_str()).collect();
    assert_eq!(approvers, ["ada", "abe"]);
    assert_eq!(
        w.release.environments[2]
            .merged
            .as_ref()
            .map(|m| m.by.as_str()),
        Some("jenkins")
    );
    assert_eq!(
        w.release.candidate.as_ref().map(|c| c.author.as_str()),
        Some("alice")
    );

    // The candidate is in prod: it is not promoted there (or anywhere before) again.
    assert_eq!(
        codes(&w.refused("pete", promote("prod"))),
        ["order/already-there"]
    );
    assert_eq!(codes(&w.refused("alice", created())), ["candidate/exists"]);
}

// ---------------------------------------------------------------------------------------
// 2. Every gate, refused once
// ---------------------------------------------------------------------------------------

#[test]
fn missing_qa_approval_in_inttest() {
    let mut w = Walk::new();
    w.ok("jenkins", deployed("inttest"));
    for kind in [
        Evidence::SignaturesVerified,
        Evidence::DeployedHealthy,
        Evidence::TestsPassed,
    ] {
        w.ok("jenkins", evidence("inttest", kind, true));
    }
    w.exttest_approved();
    let reasons = w.refused("tom", promote("exttest"));
    assert_eq!(
        pairs(&reasons),
        [("gate/missing-evidence", "missing qa-approved in inttest")]
    );
    assert_eq!(reasons[0].environment.as_deref(), Some("inttest"));
    // QA approves: now it goes.
    w.ok("quinn", evidence("inttest", Evidence::QaApproved, true))
        .ok("tom", promote("exttest"));
}

#[test]
fn failed_tests_in_inttest() {
    let mut w = Walk::new();
    w.through_inttest()
        .ok("jenkins", evidence("inttest", Evidence::TestsPassed, false));
    w.exttest_approved();
    assert_eq!(
        pairs(&w.refused("tom", promote("exttest"))),
        [(
            "gate/failed-evidence",
            "tests-passed failed in inttest (recorded by jenkins)"
        )]
    );
    // The latest record of a kind counts: a passing rerun lifts the refusal.
    w.ok("jenkins", evidence("inttest", Evidence::TestsPassed, true))
        .ok("tom", promote("exttest"));
    let s = w.status();
    assert_eq!(
        s.environments[0]
            .evidence
            .iter()
            .filter(|e| e.state == "ok")
            .count(),
        4
    );
}

#[test]
fn evidence_needs_a_deployment() {
    let w = Walk::new();
    // The first deployment is checked against what the candidate carries.
    let message = format!("`api` going into inttest has digest {DRIFTED_DIGEST} instead of {API_DIGEST} (the candidate carries)");
    assert_eq!(
        pairs(&w.refused(
            "jenkins",
            Event::Deployed {
                environment: "inttest".into(),
                artifacts: drifted()
            }
        )),
        [("gate/artifact-drift", message.as_str())]
    );
    assert_eq!(
        pairs(&w.refused("jenkins", evidence("exttest", Evidence::TestsPassed, true))),
        [(
            "gate/not-deployed",
            "tests-passed needs a deployment in exttest"
        )]
    );
    assert_eq!(
        pairs(&w.refused("jenkins", deployed("exttest"))),
        [(
            "order/not-reached",
            "the candidate was not promoted into exttest"
        )]
    );
}

#[test]
fn the_requester_may_not_approve() {
    let mut w = Walk::new();
    w.through_inttest().ok("tess", request("exttest"));
    assert_eq!(
        pairs(&w.refused("tess", approve("exttest"))),
        [(
            "gate/self-approval",
            "the approver is the requester (`tess`)"
        )]
    );
}

#[test]
fn the_author_may_not_approve() {
    let mut w = Walk::new();
    w.through_inttest().ok("tom", request("exttest"));
    // alice is a QA lead, but she wrote the candidate.
    assert_eq!(
        pairs(&w.refused("alice", approve("exttest"))),
        [(
            "gate/self-approval",
            "the approver is the candidate's author (`alice`)"
        )]
    );
}

#[test]
fn a_role_is_needed_to_request_approve_and_promote() {
    let mut w = Walk::new();
    w.through_inttest();
    assert_eq!(
        pairs(&w.refused("mallory", request("exttest"))),
        [("gate/role", "`mallory` may not request a promotion into exttest: it needs one of the roles test-promoter")]
    );
    w.ok("tom", request("exttest"));
    assert_eq!(
        pairs(&w.refused("mallory", approve("exttest"))),
        [(
            "gate/role",
            "`mallory` may not approve a promotion into exttest: it needs one of the roles qa-lead"
        )]
    );
    // A platform reviewer is not a QA lead.
    assert_eq!(codes(&w.refused("pat", approve("exttest"))), ["gate/role"]);
    w.ok("quinn", approve("exttest"));
    assert_eq!(
        pairs(&w.refused("mallory", promote("exttest"))),
        [(
            "gate/role",
            "`mallory` may not promote into exttest: it needs one of the roles test-promoter"
        )]
    );
    // The approver is not a promoter either.
    assert_eq!(
        codes(&w.refused("quinn", promote("exttest"))),
        ["gate/role"]
    );
    w.ok("tom", promote("exttest"));
}

#[test]
fn too_few_approvals_for_preprod() {
    let mut w = Walk::new();
    w.through_inttest()
        .through_exttest()
        .at("2026-11-25T11:00:00Z");
    w.ok("rita", request("preprod"))
        .ok("pat", approve("preprod"))
        .ok("jenkins", merged("preprod", "master", "prod"));
    assert_eq!(
        pairs(&w.refused("rita", promote("preprod"))),
        [("gate/approvals", "1 of 2 approvals for preprod")]
    );
    w.ok("paula", approve("preprod"))
        .ok("rita", promote("preprod"));
}

#[test]
fn an_approver_approves_once() {
    let mut w = Walk::new();
    w.through_inttest()
        .through_exttest()
        .at("2026-11-25T11:00:00Z");
    w.ok("rita", request("preprod"))
        .ok("pat", approve("preprod"));
    assert_eq!(
        pairs(&w.refused("pat", approve("preprod"))),
        [(
            "gate/already-approved",
            "`pat` approved the promotion into preprod already"
        )]
    );
}

#[test]
fn approving_needs_a_request() {
    let mut w = Walk::new();
    w.through_inttest();
    assert_eq!(
        pairs(&w.refused("quinn", approve("exttest"))),
        [(
            "gate/not-requested",
            "no promotion into exttest was requested"
        )]
    );
}

#[test]
fn a_new_request_resets_the_approvals_and_the_merge() {
    let mut w = Walk::new();
    w.through_inttest().through_exttest().through_preprod();
    w.at("2026-12-01T08:00:00Z").prod_approved();
    w.ok("pete", request("prod"));
    assert_eq!(
        pairs(&w.refused("pete", promote("prod"))),
        [("gate/approvals", "0 of 2 approvals for prod")]
    );
}

#[test]
fn prod_is_closed_on_friday_afternoon() {
    let mut w = Walk::new();
    w.through_inttest().through_exttest().through_preprod();
    // Friday 2026-11-27 13:00 in Copenhagen (12:00 UTC); preprod's 48h soak is over at 12:00.
    w.at("2026-11-27T12:00:00Z").prod_approved();
    let reasons = w.refused("pete", promote("prod"));
    assert_eq!(
        pairs(&reasons),
        [(
            "gate/window",
            "outside promotion window until Mon 2026-11-30 00:00 Europe/Copenhagen"
        )]
    );
    assert!(
        reasons[0].message.contains("until Mon 2026-"),
        "{}",
        reasons[0].message
    );
    // And all through the weekend, until Monday starts in Copenhagen (Sunday 23:00 UTC).
    w.at("2026-11-29T22:59:00Z");
    assert_eq!(codes(&w.refused("pete", promote("prod"))), ["gate/window"]);
    w.at("2026-11-29T23:00:00Z").ok("pete", promote("prod"));
}

#[test]
fn prod_is_closed_during_the_year_end_freeze() {
    let mut w = Walk::new();
    w.through_inttest().through_exttest().through_preprod();
    // Tuesday 2026-12-22, 10:00 in Copenhagen: a weekday, but frozen.
    w.at("2026-12-22T09:00:00Z").prod_approved();
    let reasons = w.refused("pete", promote("prod"));
    assert_eq!(
        pairs(&reasons),
        [(
            "gate/window",
            "outside promotion window until Mon 2027-01-04 08:00 Europe/Copenhagen (year-end freeze)"
        )]
    );
    assert!(reasons[0].message.contains("year-end freeze"));
    assert!(reasons[0].message.contains("2027-01-04 08:00"));
    // The freeze ends at 08:00 Copenhagen time (07:00 UTC).
    w.at("2027-01-04T06:59:00Z");
    assert_eq!(codes(&w.refused("pete", promote("prod"))), ["gate/window"]);
    w.at("2027-01-04T07:00:00Z").ok("pete", promote("prod"));
}

#[test]
fn exttest_soak_time_not_met() {
    let mut w = Walk::new();
    w.through_inttest().through_exttest();
    // Deployed in exttest at 10:00 UTC; three hours later.
    w.at("2026-11-24T13:00:00Z").preprod_ready();
    let reasons = w.refused("rita", promote("preprod"));
    assert_eq!(
        pairs(&reasons),
        [(
            "gate/soak",
            "soak time in exttest not met: 3h of 24h, until Wed 2026-11-25 11:00 Europe/Copenhagen"
        )]
    );
    assert_eq!(reasons[0].environment.as_deref(), Some("exttest"));
    w.at("2026-11-25T09:59:00Z");
    assert_eq!(
        pairs(&w.refused("rita", promote("preprod"))),
        [(
            "gate/soak",
            "soak time in exttest not met: 23h 59m of 24h, until Wed 2026-11-25 11:00 Europe/Copenhagen"
        )]
    );
    w.at("2026-11-25T10:00:00Z").ok("rita", promote("preprod"));
}

#[test]
fn no_environment_is_skipped() {
    let mut w = Walk::new();
    w.through_inttest();
    let skips =
        "promoting into preprod skips exttest: a candidate visits every environment in order";
    assert_eq!(
        pairs(&w.refused("rita", request("preprod"))),
        [("order/skipped-environment", skips)]
    );
    assert_eq!(
        pairs(&w.refused("rita", promote("preprod"))),
        [
            ("order/skipped-environment", skips),
            (
                "gate/not-requested",
                "no promotion into preprod was requested"
            ),
            ("gate/approvals", "0 of 2 approvals for preprod"),
            (
                "gate/pr-not-merged",
                "the pull request from `master` to `prod` is not merged"
            ),
        ]
    );
    // Without a hotfix, nothing may be skipped at all.
    assert_eq!(
        codes(&w.refused("pete", promote("prod"))),
        [
            "order/skipped-environment",
            "order/skipped-environment",
            "gate/not-requested",
            "gate/approvals",
        ]
    );
}

#[test]
fn artifacts_drifting_between_preprod_and_prod() {
    let mut w = Walk::new();
    w.through_inttest().through_exttest().through_preprod();
    w.at("2026-12-01T08:00:00Z").prod_approved();
    let drifting = Event::Promoted {
        to: "prod".into(),
        artifacts: drifted(),
    };
    let message = format!("`api` going into prod has digest {DRIFTED_DIGEST} instead of {API_DIGEST} (passed preprod)");
    assert_eq!(
        pairs(&w.refused("pete", drifting)),
        [("gate/artifact-drift", message.as_str())]
    );
    // An app left out, or one the candidate does not carry.
    let mut fewer = artifacts();
    fewer.remove("web");
    assert_eq!(
        pairs(&w.refused(
            "pete",
            Event::Promoted {
                to: "prod".into(),
                artifacts: fewer
            }
        )),
        [(
            "gate/artifact-drift",
            "`web` is missing from what goes into prod"
        )]
    );
    let mut more = artifacts();
    more.insert("db".into(), artifact("db", DRIFTED_DIGEST));
    assert_eq!(
        pairs(&w.refused(
            "pete",
            Event::Promoted {
                to: "prod".into(),
                artifacts: more
            }
        )),
        [(
            "gate/artifact-drift",
            "`db` goes into prod but is not part of the candidate"
        )]
    );

    // Promoted with the right artifacts, then deployed with another digest: refused too.
    w.ok("pete", promote("prod"));
    let message = format!("`api` going into prod has digest {DRIFTED_DIGEST} instead of {API_DIGEST} (passed preprod)");
    assert_eq!(
        pairs(&w.refused(
            "jenkins",
            Event::Deployed {
                environment: "prod".into(),
                artifacts: drifted()
            }
        )),
        [("gate/artifact-drift", message.as_str())]
    );
    w.ok("jenkins", deployed("prod"));
    assert_eq!(
        w.release.environments[3].deployed.as_deref(),
        Some(&artifacts())
    );
}

#[test]
fn preprod_needs_its_pull_request_merged() {
    let mut w = Walk::new();
    w.through_inttest()
        .through_exttest()
        .at("2026-11-25T11:00:00Z");
    w.ok("rita", request("preprod"))
        .ok("pat", approve("preprod"))
        .ok("paula", approve("preprod"));
    assert_eq!(
        pairs(&w.refused("rita", promote("preprod"))),
        [(
            "gate/pr-not-merged",
            "the pull request from `master` to `prod` is not merged"
        )]
    );
}

#[test]
fn a_pull_request_between_the_wrong_branches() {
    let mut w = Walk::new();
    w.through_inttest();
    // A pull request merged before the promotion is requested.
    assert_eq!(
        pairs(&w.refused("jenkins", merged("exttest", "master", "prod"))),
        [
            (
                "gate/pr-mismatch",
                "exttest is reached by a Jenkins promotion, not a pull request"
            ),
            (
                "gate/not-requested",
                "no promotion into exttest was requested"
            ),
        ]
    );
    w.through_exttest()
        .at("2026-11-25T11:00:00Z")
        .ok("rita", request("preprod"));
    assert_eq!(
        pairs(&w.refused("jenkins", merged("preprod", "develop", "prod"))),
        [(
            "gate/pr-mismatch",
            "preprod is reached by a pull request from `master` to `prod`, not from `develop` to `prod`"
        )]
    );
    assert_eq!(
        codes(&w.refused("jenkins", merged("preprod", "prod", "master"))),
        ["gate/pr-mismatch"]
    );
    w.ok("jenkins", merged("preprod", "master", "prod"));
}

#[test]
fn a_refusal_lists_every_unmet_gate() {
    let w = Walk::new();
    // Nothing done yet, by someone without the role.
    let reasons = w.refused("mallory", promote("exttest"));
    assert_eq!(
        pairs(&reasons),
        [
            (
                "gate/not-deployed",
                "the candidate is not deployed in inttest"
            ),
            (
                "gate/missing-evidence",
                "missing signatures-verified in inttest"
            ),
            (
                "gate/missing-evidence",
                "missing deployed-healthy in inttest"
            ),
            ("gate/missing-evidence", "missing tests-passed in inttest"),
            ("gate/missing-evidence", "missing qa-approved in inttest"),
            (
                "gate/not-requested",
                "no promotion into exttest was requested"
            ),
            (
                "gate/role",
                "`mallory` may not promote into exttest: it needs one of the roles test-promoter"
            ),
            ("gate/approvals", "0 of 1 approvals for exttest"),
        ]
    );
    let envs: Vec<Option<&str>> = reasons.iter().map(|r| r.environment.as_deref()).collect();
    assert_eq!(
        envs,
        [
            Some("inttest"),
            Some("inttest"),
            Some("inttest"),
            Some("inttest"),
            Some("inttest"),
            Some("exttest"),
            Some("exttest"),
            Some("exttest"),
        ]
    );

    // Into preprod on a Friday afternoon with drifted artifacts, much later.
    let mut w = Walk::new();
    w.through_inttest()
        .through_exttest()
        .at("2026-11-27T12:00:00Z");
    w.ok("rita", request("preprod"));
    assert_eq!(
        codes(&w.refused(
            "pete",
            Event::Promoted {
                to: "preprod".into(),
                artifacts: drifted()
            }
        )),
        [
            "gate/role",
            "gate/approvals",
            "gate/pr-not-merged",
            "gate/artifact-drift"
        ]
    );
    // preprod has no window: Friday afternoon only matters for prod.

    // And without a candidate, only that.
    let empty = Release::default();
    let refusal = apply(&empty, &person("pete"), &promote("prod"), pipeline(), w.now).unwrap_err();
    assert_eq!(
        pairs(&refusal.reasons),
        [("candidate/missing", "no candidate: create one first")]
    );
    let refusal = apply(
        &w.release,
        &person("pete"),
        &promote("staging"),
        pipeline(),
        w.now,
    )
    .unwrap_err();
    assert_eq!(
        pairs(&refusal.reasons),
        [(
            "environment/unknown",
            "`staging` is not an environment of the pipeline (inttest, exttest, preprod, prod)"
        )]
    );
}

// ---------------------------------------------------------------------------------------
// 3. The hotfix lane
// ---------------------------------------------------------------------------------------

#[test]
fn a_hotfix_needs_a_justification_and_a_ticket() {
    let mut w = Walk::new();
    let unjustified = Event::HotfixOpened {
        justification: "".into(),
        ticket: "  ".into(),
        skip: vec!["exttest".into()],
    };
    assert_eq!(
        pairs(&w.refused("lena", unjustified)),
        [
            (
                "hotfix/justification",
                "a hotfix needs a written justification"
            ),
            ("hotfix/ticket", "a hotfix needs an incident or ticket id"),
        ]
    );
    w.ok("lena", hotfix(&["exttest"]));
    assert_eq!(
        pairs(&w.refused("lena", hotfix(&["exttest"]))),
        [("hotfix/already-open", "a hotfix is open already")]
    );
}

#[test]
fn a_hotfix_skips_only_what_the_lane_allows() {
    let w = Walk::new();
    assert_eq!(
        pairs(&w.refused("lena", hotfix(&["exttest", "preprod"]))),
        [(
            "hotfix/skip-not-allowed",
            "the hotfix lane does not let a hotfix skip preprod"
        )]
    );
    assert_eq!(
        codes(&w.refused("lena", hotfix(&["inttest"]))),
        ["hotfix/skip-not-allowed"]
    );
    assert_eq!(
        codes(&w.refused("lena", hotfix(&["qa"]))),
        ["environment/unknown"]
    );

    // A hotfix that skips only exttest cannot be used to skip preprod.
    let mut w = Walk::new();
    w.through_inttest().ok("lena", hotfix(&["exttest"]));
    assert_eq!(
        codes(&w.refused("pete", request("prod"))),
        ["order/skipped-environment"],
        "exttest may be skipped, preprod may not"
    );
}

#[test]
fn a_hotfix_skips_exttest_shortens_preprod_and_is_closed_after_the_follow_up() {
    let mut w = Walk::new();
    w.through_inttest();
    w.at("2026-11-24T09:30:00Z")
        .ok("lena", hotfix(&["exttest"]));
    assert_eq!(
        w.release.hotfix.as_ref().map(|h| h.ticket.as_str()),
        Some("INC-77")
    );

    // Straight from inttest into preprod.
    w.at("2026-11-24T10:00:00Z")
        .ok("rita", request("preprod"))
        .ok("pat", approve("preprod"))
        .ok("jenkins", merged("preprod", "master", "prod"));
    let role = "during a hotfix one approver of the promotion into preprod must have the role `platform-lead`";
    assert_eq!(
        pairs(&w.refused("rita", promote("preprod"))),
        [
            ("gate/approvals", "1 of 2 approvals for preprod"),
            ("hotfix/approval-role", role)
        ]
    );
    w.ok("paula", approve("preprod"));
    assert_eq!(
        pairs(&w.refused("rita", promote("preprod"))),
        [("hotfix/approval-role", role)]
    );
    // The platform lead's approval counts during a hotfix (it is not a platform reviewer).
    w.ok("lena", approve("preprod"))
        .ok("rita", promote("preprod"));
    assert_eq!(w.place("exttest"), Place::Skipped);
    assert_eq!(w.place("preprod"), Place::Promoted);
    w.ok("jenkins", deployed("preprod")).evidence_ok("preprod");

    // preprod's soak is 2h instead of 48h.
    w.at("2026-11-24T11:00:00Z")
        .ok("pete", request("prod"))
        .ok("ada", approve("prod"));
    assert_eq!(
        pairs(&w.refused("pete", promote("prod"))),
        [
            (
                "gate/soak",
                "soak time in preprod not met: 1h of 2h, until Tue 2026-11-24 13:00 Europe/Copenhagen"
            ),
            ("gate/approvals", "1 of 2 approvals for prod"),
            (
                "hotfix/approval-role",
                "during a hotfix one approver of the promotion into prod must have the role `platform-lead`"
            ),
        ]
    );
    w.ok("lena", approve("prod"));
    // Tuesday 13:00 in Copenhagen: inside the window.
    w.at("2026-11-24T12:00:00Z")
        .ok("pete", promote("prod"))
        .ok("jenkins", deployed("prod"));

    // Closing the hotfix: exttest, which it skipped, must be passed first.
    let follow_up: Vec<(&str, String)> = [
        "the candidate is not deployed in exttest",
        "missing deployed-healthy in exttest",
        "missing tests-passed in exttest",
        "missing qa-approved in exttest",
    ]
    .iter()
    .map(|m| {
        (
            "hotfix/follow-up",
            format!("the hotfix skipped exttest, which it has not passed since: {m}"),
        )
    })
    .collect();
    let reasons = w.refused("lena", close_hotfix("9b1d7aa"));
    assert_eq!(
        pairs(&reasons),
        follow_up
            .iter()
            .map(|(c, m)| (*c, m.as_str()))
            .collect::<Vec<_>>()
    );
    // A skipped environment may be deployed to (the follow-up) without a promotion.
    w.ok("jenkins", deployed("exttest")).evidence_ok("exttest");
    assert_eq!(w.place("exttest"), Place::Deployed);
    // exttest's own soak (24h) is not shortened by the hotfix.
    w.after_hours(23);
    assert_eq!(
        codes(&w.refused("lena", close_hotfix("9b1d7aa"))),
        ["hotfix/follow-up"]
    );
    assert_eq!(
        pairs(&w.refused("lena", close_hotfix(" "))),
        [
            ("hotfix/follow-up", "the hotfix skipped exttest, which it has not passed since: soak time in exttest not met: 23h of 24h, until Wed 2026-11-25 13:00 Europe/Copenhagen"),
            ("hotfix/master-revision", "closing a hotfix needs the commit on `master` that holds the fix"),
        ]
    );
    w.after_hours(1).ok("lena", close_hotfix("9b1d7aa"));
    let h = w.release.hotfix.as_ref().unwrap();
    assert_eq!(h.closed.as_deref(), Some("9b1d7aa"));
    assert_eq!(h.opened.by, "lena");
    assert_eq!(
        pairs(&w.refused("lena", close_hotfix("9b1d7aa"))),
        [("hotfix/not-open", "no hotfix is open")]
    );
}

#[test]
fn without_the_hotfix_preprod_soaks_48_hours() {
    // The same path as the hotfix's, but the hotfix closed before prod: the full soak applies.
    let mut w = Walk::new();
    w.through_inttest().ok("lena", hotfix(&["exttest"]));
    w.at("2026-11-24T10:00:00Z")
        .preprod_ready()
        .ok("lena", approve("preprod"))
        .ok("rita", promote("preprod"))
        .ok("jenkins", deployed("preprod"))
        .evidence_ok("preprod")
        // The follow-up, in parallel.
        .ok("jenkins", deployed("exttest"))
        .evidence_ok("exttest");
    w.after_hours(24).ok("lena", close_hotfix("9b1d7aa"));
    w.prod_approved();
    assert_eq!(
        pairs(&w.refused("pete", promote("prod"))),
        [(
            "gate/soak",
            "soak time in preprod not met: 24h of 48h, until Thu 2026-11-26 11:00 Europe/Copenhagen"
        )]
    );
}

#[test]
fn an_approval_under_the_hotfix_role_stops_counting_when_the_hotfix_closes() {
    let mut w = Walk::new();
    w.through_inttest().ok("lena", hotfix(&["exttest"]));
    w.at("2026-11-24T10:00:00Z")
        .preprod_ready()
        .ok("lena", approve("preprod"))
        .ok("rita", promote("preprod"))
        .ok("jenkins", deployed("preprod"))
        .evidence_ok("preprod")
        .ok("jenkins", deployed("exttest"))
        .evidence_ok("exttest");
    // During the hotfix, the platform lead approves prod in place of a prod approver.
    w.ok("pete", request("prod"))
        .ok("ada", approve("prod"))
        .ok("lena", approve("prod"));
    w.after_hours(24).ok("lena", close_hotfix("9b1d7aa"));
    // The hotfix is closed: prod needs its two prod approvers again.
    w.after_hours(24);
    assert_eq!(
        pairs(&w.refused("pete", promote("prod"))),
        [("gate/approvals", "1 of 2 approvals for prod")]
    );
    w.ok("abe", approve("prod")).ok("pete", promote("prod"));
}

// ---------------------------------------------------------------------------------------
// 4. Rollback and roll forward
// ---------------------------------------------------------------------------------------

#[test]
fn a_rollback_in_exttest_blocks_preprod_until_rolled_forward() {
    let mut w = Walk::new();
    w.through_inttest().through_exttest();
    w.at("2026-11-24T15:00:00Z")
        .ok("jenkins", rolled_back("exttest"));
    assert_eq!(w.place("exttest"), Place::RolledBack);
    assert_eq!(
        pairs(&w.refused("jenkins", evidence("exttest", Evidence::TestsPassed, true))),
        [(
            "gate/not-deployed",
            "tests-passed needs a deployment in exttest"
        )]
    );
    assert_eq!(
        pairs(&w.refused("jenkins", rolled_back("exttest"))),
        [(
            "gate/not-deployed",
            "the candidate is not in exttest: nothing to roll back"
        )]
    );

    w.at("2026-11-25T11:00:00Z").preprod_ready();
    assert_eq!(
        pairs(&w.refused("rita", promote("preprod"))),
        [(
            "gate/rolled-back",
            "the candidate was rolled back in exttest"
        )]
    );

    // Roll forward: deployed again in exttest, its evidence and soak start over.
    w.at("2026-11-25T12:00:00Z")
        .ok("jenkins", deployed("exttest"));
    assert_eq!(
        codes(&w.refused("rita", promote("preprod"))),
        [
            "gate/missing-evidence",
            "gate/missing-evidence",
            "gate/missing-evidence",
            "gate/soak"
        ]
    );
    w.evidence_ok("exttest");
    assert_eq!(
        pairs(&w.refused("rita", promote("preprod"))),
        [(
            "gate/soak",
            "soak time in exttest not met: 0m of 24h, until Thu 2026-11-26 13:00 Europe/Copenhagen"
        )]
    );
    w.after_hours(24).ok("rita", promote("preprod"));
    assert_eq!(w.place("preprod"), Place::Promoted);
}

// ---------------------------------------------------------------------------------------
// 5. Status: the next steps
// ---------------------------------------------------------------------------------------

/// The next steps as (action, environment, allowed, reason codes).
fn steps(s: &Status) -> Vec<(&str, Option<&str>, bool, Vec<&'static str>)> {
    s.next
        .iter()
        .map(|n| {
            (
                n.action.as_str(),
                n.environment.as_deref(),
                n.allowed,
                codes(&n.reasons),
            )
        })
        .collect()
}

#[test]
fn status_names_the_next_steps() {
    // No candidate: create one.
    let s = status(&Release::default(), pipeline(), ts("2026-11-24T09:00:00Z"));
    assert_eq!(steps(&s), [("create-candidate", None, true, vec![])]);
    assert_eq!(s.environments, []);

    // Created: deploy it to inttest.
    let mut w = Walk::new();
    let s = w.status();
    assert_eq!(steps(&s)[0], ("deploy", Some("inttest"), true, vec![]));
    assert!(s.environments.iter().all(|e| e.place == Place::NotReached));

    // Deployed in inttest: record its evidence; exttest may be requested, not promoted yet.
    w.ok("jenkins", deployed("inttest"));
    let s = w.status();
    assert_eq!(
        steps(&s),
        [
            ("record-evidence", Some("inttest"), true, vec![]),
            ("record-evidence", Some("inttest"), true, vec![]),
            ("record-evidence", Some("inttest"), true, vec![]),
            ("record-evidence", Some("inttest"), true, vec![]),
            ("request", Some("exttest"), true, vec![]),
            (
                "promote",
                Some("exttest"),
                false,
                vec![
                    "gate/missing-evidence",
                    "gate/missing-evidence",
                    "gate/missing-evidence",
                    "gate/missing-evidence",
                    "gate/not-requested",
                    "gate/approvals"
                ]
            ),
        ]
    );
    let messages: Vec<&str> = s.next.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "record signatures-verified in inttest",
            "record deployed-healthy in inttest",
            "record tests-passed in inttest",
            "record qa-approved in inttest",
            "request the promotion into exttest (roles: test-promoter)",
            "promote rc-2026.11.1 into exttest (roles: test-promoter)",
        ]
    );

    // Failed tests show as failed; requested, the approval is next.
    w.ok("jenkins", evidence("inttest", Evidence::TestsPassed, false))
        .ok("tom", request("exttest"));
    let s = w.status();
    let states: Vec<(&str, &str)> = s.environments[0]
        .evidence
        .iter()
        .map(|e| (e.kind.as_str(), e.state.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            ("signatures-verified", "missing"),
            ("deployed-healthy", "missing"),
            ("tests-passed", "failed"),
            ("qa-approved", "missing"),
        ]
    );
    assert!(steps(&s).contains(&("approve", Some("exttest"), true, vec![])));
    assert_eq!(
        s.next
            .iter()
            .find(|n| n.action == "approve")
            .unwrap()
            .message,
        "approve the promotion into exttest (0 of 1) (roles: qa-lead)"
    );

    // Everything done: the promotion is allowed.
    w.evidence_ok("inttest").ok("quinn", approve("exttest"));
    let s = w.status();
    assert_eq!(steps(&s), [("promote", Some("exttest"), true, vec![])]);

    // Promoted, not deployed: deploy it.
    w.ok("tom", promote("exttest"));
    assert_eq!(
        steps(&w.status())[0],
        ("deploy", Some("exttest"), true, vec![])
    );

    // In exttest, soaking, preprod requested: approvals and the merge are next.
    w.ok("jenkins", deployed("exttest"))
        .evidence_ok("exttest")
        .ok("rita", request("preprod"));
    let s = w.status();
    assert_eq!(
        steps(&s),
        [
            ("approve", Some("preprod"), true, vec![]),
            ("merge-pull-request", Some("preprod"), true, vec![]),
            (
                "promote",
                Some("preprod"),
                false,
                vec!["gate/soak", "gate/approvals", "gate/pr-not-merged"]
            ),
        ]
    );
}

#[test]
fn status_during_a_hotfix() {
    let mut w = Walk::new();
    w.through_inttest().ok("lena", hotfix(&["exttest"]));
    let s = w.status();
    assert_eq!(
        s.hotfix.as_ref().map(|h| h.skip.clone()),
        Some(vec!["exttest".to_string()])
    );
    // exttest may be skipped: both it and preprod are targets; the hotfix cannot close yet.
    let actions: Vec<(&str, Option<&str>, bool)> = s
        .next
        .iter()
        .map(|n| (n.action.as_str(), n.environment.as_deref(), n.allowed))
        .collect();
    assert_eq!(
        actions,
        [
            ("request", Some("exttest"), true),
            ("promote", Some("exttest"), false),
            ("request", Some("preprod"), true),
            ("promote", Some("preprod"), false),
            ("close-hotfix", None, false),
        ]
    );
    let close = s.next.last().unwrap();
    assert_eq!(
        close.message,
        "close hotfix INC-77 once the fix is on `master` and passed exttest"
    );
    assert!(close
        .reasons
        .iter()
        .all(|r| r.code.as_str() == "hotfix/follow-up"));
    let preprod = &s.next[3];
    assert_eq!(
        codes(&preprod.reasons),
        [
            "gate/not-requested",
            "gate/approvals",
            "hotfix/approval-role",
            "gate/pr-not-merged"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Properties over random event sequences
// ---------------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;

    const ALL_ROLES: &[&str] = &[
        "supplier-release-manager",
        "test-promoter",
        "qa-lead",
        "release-manager",
        "platform-reviewer",
        "prod-promoter",
        "prod-approver",
        "platform-lead",
    ];

    /// The actors of the random walks: the author (with every role), three people with every
    /// role (so four eyes can be satisfied), a few with one role, and nobody.
    fn actors() -> Vec<Actor> {
        let all: Vec<String> = ALL_ROLES.iter().map(|r| r.to_string()).collect();
        let one = |name: &str, role: &str| Actor {
            name: name.into(),
            roles: vec![role.into()],
        };
        vec![
            Actor {
                name: "alice".into(),
                roles: all.clone(),
            },
            Actor {
                name: "boss1".into(),
                roles: all.clone(),
            },
            Actor {
                name: "boss2".into(),
                roles: all.clone(),
            },
            Actor {
                name: "boss3".into(),
                roles: all,
            },
            one("quinn", "qa-lead"),
            one("pat", "platform-reviewer"),
            one("lena", "platform-lead"),
            Actor {
                name: "mallory".into(),
                roles: vec![],
            },
            Actor {
                name: "jenkins".into(),
                roles: vec![],
            },
        ]
    }

    /// An environment, relative to where the candidate is (so that random walks get far).
    #[derive(Debug, Clone, Copy)]
    enum Pick {
        /// The furthest environment reached (inttest before any).
        Here,
        /// The one after it.
        Next,
        /// The one after that.
        Skip,
        /// A fixed one.
        At(usize),
    }

    /// Artifacts: the candidate's (0) or a drifted copy (1 digest, 2 an app missing, 3 extra).
    type Arts = u8;

    #[derive(Debug, Clone)]
    enum Op {
        Deploy(Pick, Arts),
        /// The `n`th exit evidence of the environment (any kind when it needs none), or
        /// (`None`) the first it lacks.
        Evidence(Pick, Option<usize>, bool),
        Request(Pick),
        Approve(Pick),
        Merge(Pick, bool),
        Promote(Pick, Arts),
        RollBack(Pick),
        OpenHotfix(bool, usize),
        CloseHotfix(bool),
        Recreate,
        Advance(i64),
    }

    const SKIPS: &[&[&str]] = &[
        &["exttest"],
        &["exttest"],
        &[],
        &["preprod"],
        &["exttest", "preprod"],
    ];

    fn op() -> impl Strategy<Value = Op> {
        // Where each kind of event mostly goes: evidence and deployments where the candidate
        // is, promotions one further (or two, for hotfixes); sometimes anywhere.
        let here = prop_oneof![
            6 => Just(Pick::Here),
            1 => Just(Pick::Next),
            1 => (0usize..4).prop_map(Pick::At),
        ];
        let ahead = prop_oneof![
            6 => Just(Pick::Next),
            1 => Just(Pick::Skip),
            1 => Just(Pick::Here),
            1 => (0usize..4).prop_map(Pick::At),
        ];
        let arts = prop_oneof![8 => Just(0u8), 1 => 1u8..4];
        prop_oneof![
            2 => (here.clone(), arts.clone()).prop_map(|(p, a)| Op::Deploy(p, a)),
            10 => (here.clone(), proptest::option::of(0usize..4), proptest::bool::weighted(0.9)).prop_map(|(p, k, ok)| Op::Evidence(p, k, ok)),
            1 => ahead.clone().prop_map(Op::Request),
            3 => ahead.clone().prop_map(Op::Approve),
            1 => (ahead.clone(), proptest::bool::weighted(0.8)).prop_map(|(p, right)| Op::Merge(p, right)),
            3 => (ahead, arts).prop_map(|(p, a)| Op::Promote(p, a)),
            1 => (0usize..4).prop_map(|i| Op::RollBack(Pick::At(i))),
            1 => (proptest::bool::weighted(0.8), 0..SKIPS.len()).prop_map(|(j, s)| Op::OpenHotfix(j, s)),
            1 => proptest::bool::weighted(0.8).prop_map(Op::CloseHotfix),
            1 => Just(Op::Recreate),
            3 => (0i64..30).prop_map(Op::Advance),
        ]
    }

    fn arts(kind: Arts) -> Artifacts {
        let mut a = artifacts();
        match kind {
            0 => {}
            1 => {
                a.insert("api".into(), artifact("api", DRIFTED_DIGEST));
            }
            2 => {
                a.remove("web");
            }
            _ => {
                a.insert("db".into(), artifact("db", DRIFTED_DIGEST));
            }
        }
        a
    }

    fn env_of(release: &Release, pick: Pick) -> String {
        let here = release.furthest().unwrap_or(0);
        let i = match pick {
            Pick::Here => here,
            Pick::Next => here + 1,
            Pick::Skip => here + 2,
            Pick::At(i) => i,
        };
        pipeline().stages[i.min(3)].environment.clone()
    }

    /// The event an operation means in the current state (`None`: the clock moves).
    fn event_of(release: &Release, op: &Op) -> Option<Event> {
        let env = |p: Pick| env_of(release, p);
        Some(match *op {
            Op::Deploy(p, a) => Event::Deployed {
                environment: env(p),
                artifacts: arts(a),
            },
            Op::Evidence(p, k, ok) => {
                let environment = env(p);
                let needed = exit_evidence(&environment);
                let i = release
                    .environments
                    .iter()
                    .position(|e| e.environment == environment)
                    .unwrap();
                let lacking = needed.iter().copied().find(|kind| {
                    !release.environments[i]
                        .evidence
                        .get(kind)
                        .is_some_and(|r| r.ok)
                });
                let kind = match (k, lacking) {
                    (None, Some(kind)) => kind,
                    (Some(k), _) if !needed.is_empty() => needed[k % needed.len()],
                    (k, _) => Evidence::ALL[k.unwrap_or(0)],
                };
                Event::Evidence {
                    environment,
                    kind,
                    ok,
                    note: None,
                }
            }
            Op::Request(p) => Event::PromotionRequested { to: env(p) },
            Op::Approve(p) => Event::Approved { to: env(p) },
            Op::Merge(p, right) => Event::PullRequestMerged {
                to: env(p),
                source_branch: if right { "master" } else { "develop" }.into(),
                target_branch: "prod".into(),
                reference: None,
            },
            Op::Promote(p, a) => Event::Promoted {
                to: env(p),
                artifacts: arts(a),
            },
            Op::RollBack(p) => Event::RolledBack {
                environment: env(p),
                reason: "random".into(),
            },
            Op::OpenHotfix(justified, s) => Event::HotfixOpened {
                justification: if justified {
                    "incident".into()
                } else {
                    String::new()
                },
                ticket: if justified {
                    "INC-1".into()
                } else {
                    String::new()
                },
                skip: SKIPS[s].iter().map(|e| e.to_string()).collect(),
            },
            Op::CloseHotfix(revision) => Event::HotfixClosed {
                master_revision: if revision {
                    "abc".into()
                } else {
                    String::new()
                },
            },
            Op::Recreate => created(),
            Op::Advance(_) => return None,
        })
    }

    /// What the test itself remembers of the walk, to check the library against.
    #[derive(Default)]
    struct Model {
        /// Environments the candidate left with every exit gate met, at that time.
        passed: [bool; 4],
        /// Environments skipped by a promotion while an open hotfix allowed it.
        skipped: [bool; 4],
        /// What preprod ran when the candidate was promoted into prod.
        passed_preprod: Option<Arc<Artifacts>>,
        /// How far the walks got (for the statistics).
        furthest: Option<usize>,
    }

    /// An accepted `Promoted` into `to`: check, independently of the library, that every gate
    /// held in `before` at `now`, and remember what was passed or skipped.
    fn promoted(
        model: &mut Model,
        before: &Release,
        actor: &Actor,
        to: usize,
        artifacts: &Artifacts,
        now: Timestamp,
    ) {
        let p = pipeline();
        let stage = &p.stages[to];
        let env = &before.environments[to];
        let candidate = before.candidate.as_ref().unwrap();
        let hotfix = before.hotfix.as_ref().filter(|h| h.closed.is_none());
        let reached = |e: &ehdeploy::promotion::EnvState| {
            matches!(
                e.place,
                Place::Promoted | Place::Deployed | Place::RolledBack
            )
        };
        assert!(
            before.environments[to..].iter().all(|e| !reached(e)),
            "promoted into {} where it was (or past) already",
            stage.environment
        );
        assert!(
            actor.has_any(&stage.promoters),
            "{} promoted without the role",
            actor.name
        );
        // The request, four eyes and approvals.
        let request = env.request.as_ref().expect("promoted without a request");
        // Only approvals by the stage's approver roles count (or the hotfix lane's role while
        // a hotfix is open).
        let lane_role = hotfix
            .and(p.hotfix.as_ref())
            .and_then(|l| l.approval_role.as_ref());
        let counted = env
            .approvals
            .iter()
            .filter(|a| {
                stage.approvers.is_empty()
                    || a.roles
                        .iter()
                        .any(|r| stage.approvers.contains(r) || lane_role == Some(r))
            })
            .count();
        assert!(
            counted as u32 >= stage.approvals,
            "promoted into {} with {counted} approvals that count: {:?}",
            stage.environment,
            env.approvals
        );
        for (i, a) in env.approvals.iter().enumerate() {
            assert_ne!(a.by, request.by, "the requester approved");
            assert_ne!(a.by, candidate.author, "the author approved");
            assert!(
                env.approvals[..i].iter().all(|b| b.by != a.by),
                "approved twice"
            );
        }
        if let (Some(_), Some(role)) = (
            hotfix,
            p.hotfix.as_ref().and_then(|l| l.approval_role.as_ref()),
        ) {
            assert!(env.approvals.iter().any(|a| a.roles.contains(role)));
        }
        if matches!(stage.entry, ehdeploy::promotion::Entry::PullRequest { .. }) {
            assert!(
                env.merged.is_some(),
                "promoted without the pull request merged"
            );
        }
        assert!(
            p.blocked_until(stage, now).is_none(),
            "promoted outside the window"
        );
        if to == 0 {
            assert_eq!(artifacts, &*candidate.artifacts);
            return;
        }
        // The environment it leaves: the furthest reached before `to` (inttest if none).
        let source = (0..to)
            .rev()
            .find(|&j| reached(&before.environments[j]))
            .unwrap_or(0);
        let left = &before.environments[source];
        let left_stage = &p.stages[source];
        assert_eq!(
            left.place,
            Place::Deployed,
            "left {} without it deployed",
            left_stage.environment
        );
        for kind in &left_stage.exit_evidence {
            assert!(
                left.evidence.get(kind).is_some_and(|r| r.ok),
                "left {} without {} ok",
                left_stage.environment,
                kind.as_str()
            );
        }
        let mut soak = left_stage.soak;
        if let (Some(_), Some(lane)) = (hotfix, p.hotfix.as_ref()) {
            if let Some(short) = lane.soak.get(&left_stage.environment) {
                soak = soak.min(*short);
            }
        }
        let ran = now.duration_since(left.deployed_at.unwrap());
        assert!(
            ran >= soak,
            "left {} after {ran:?} of {soak:?}",
            left_stage.environment
        );
        assert_eq!(
            Some(artifacts),
            left.deployed.as_deref(),
            "promoted other artifacts than passed"
        );
        model.passed[source] = true;
        for j in source + 1..to {
            let name = &p.stages[j].environment;
            let h = hotfix.unwrap_or_else(|| panic!("skipped {name} without a hotfix"));
            assert!(
                h.skip.contains(name),
                "skipped {name}, which the hotfix does not skip"
            );
            assert!(
                p.hotfix.as_ref().unwrap().may_skip.contains(name),
                "skipped {name}, which the lane does not allow"
            );
            model.skipped[j] = true;
        }
        if to == 3 {
            model.passed_preprod.clone_from(&left.deployed);
        }
    }

    /// What must hold after every event.
    fn invariants(model: &Model, release: &Release) {
        let candidate = release.candidate.as_ref().unwrap();
        for (n, env) in release.environments.iter().enumerate() {
            if matches!(
                env.place,
                Place::Promoted | Place::Deployed | Place::RolledBack
            ) && n > 0
            {
                for j in 0..n {
                    assert!(
                        model.passed[j] || model.skipped[j],
                        "{} is {:?} but {} was neither passed nor skipped",
                        env.environment,
                        env.place,
                        release.environments[j].environment
                    );
                }
            }
            if env.place == Place::Skipped {
                assert!(
                    model.skipped[n],
                    "{} is skipped without a hotfix",
                    env.environment
                );
            }
        }
        let prod = &release.environments[3];
        if let Some(deployed) = &prod.deployed {
            assert_eq!(
                deployed, &candidate.artifacts,
                "prod runs other artifacts than the candidate's"
            );
            assert_eq!(
                Some(deployed),
                model.passed_preprod.as_ref(),
                "prod runs other artifacts than passed preprod"
            );
        }
    }

    /// Walk `ops` from a created candidate: check every decision and the invariants, write the
    /// audit log, and replay it. How far the candidate got.
    fn walk(ops: &[(usize, Op)]) -> Option<usize> {
        let p = pipeline();
        let people = actors();
        let mut now = ts("2026-11-24T09:00:00Z");
        let mut model = Model::default();
        let mut release = Release::default();
        let mut log = String::new();
        let mut head = GENESIS.to_string();
        let mut seq = 0u64;
        let mut write =
            |actor: &Actor, event: &Event, decision: &Decision, at: Timestamp, log: &mut String| {
                let (line, hash) = entry_line(seq, at, actor, event, decision, &head);
                log.push_str(&line);
                log.push('\n');
                head = hash;
                seq += 1;
            };

        let alice = &people[0];
        release = apply(&release, alice, &created(), p, now).unwrap();
        write(alice, &created(), &Decision::Accepted, now, &mut log);

        for (who, op) in ops {
            let Some(event) = event_of(&release, op) else {
                if let Op::Advance(h) = op {
                    now += SignedDuration::from_hours(*h);
                }
                continue;
            };
            let actor = &people[*who % people.len()];
            let decision = match apply(&release, actor, &event, p, now) {
                Ok(next) => {
                    if let Event::Promoted { to, artifacts } = &event {
                        promoted(
                            &mut model,
                            &release,
                            actor,
                            p.index(to).unwrap(),
                            artifacts,
                            now,
                        );
                    }
                    release = next;
                    invariants(&model, &release);
                    Decision::Accepted
                }
                Err(refusal) => {
                    assert!(!refusal.reasons.is_empty());
                    let mut same = release.clone();
                    let again = apply_in_place(&mut same, actor, &event, p, now).unwrap_err();
                    assert_eq!(again, refusal);
                    assert_eq!(same, release, "a refused {event:?} changed the state");
                    Decision::Refused {
                        reasons: refusal.reasons,
                    }
                }
            };
            write(actor, &event, &decision, now, &mut log);
        }
        model.furthest = release.furthest();

        // The log verifies, and replays to the same state.
        let verified = verify(&log, p, Some(&head)).unwrap_or_else(|e| panic!("{e:?}\n{log}"));
        assert_eq!(verified.entries.len() as u64, seq);
        assert_eq!(verified.head, head);
        assert_eq!(verified.release, release);
        model.furthest
    }

    fn ops() -> impl Strategy<Value = Vec<(usize, Op)>> {
        proptest::collection::vec((0usize..9, op()), 0..400)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn random_walks_keep_the_gates_and_replay_from_the_log(ops in ops()) {
            walk(&ops);
        }
    }

    /// The random walks are worth something only if they get far: over a fixed seed,
    /// long walks reach preprod and prod (where the artifact and order invariants bite).
    #[test]
    fn random_walks_reach_the_late_environments() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
        );
        let strategy = proptest::collection::vec((0usize..9, op()), 800..801);
        let mut reached = [0usize; 4];
        for _ in 0..40 {
            let ops = strategy.new_tree(&mut runner).unwrap().current();
            if let Some(f) = walk(&ops) {
                reached[f] += 1;
            }
        }
        eprintln!("furthest environment reached, by environment: {reached:?}");
        assert!(
            reached[2] + reached[3] >= 5 && reached[3] > 0,
            "{reached:?}"
        );
    }
}
