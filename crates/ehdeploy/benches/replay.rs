//! Replaying a release's audit log: verify every entry (its SHA-256, `seq`, `prev`) and apply
//! the accepted events, for a 100,000-event log.
//!
//! The log is made with `entry_line` like `ehdeploy release` writes it: a candidate of 8 apps
//! created, then rounds of evidence, requests, approvals, pull-request merges, promotions,
//! deployments (with the 8 apps' artifacts) and refused events (with their reasons), through
//! the example platform's 4 environments. Goal (issue 5): at least 1,000,000 events per second
//! verified and applied. Run: `cargo bench -p ehdeploy --bench replay`. Figures:
//! `docs/performance.md`.

// A benchmark fails loudly on bad setup, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use ehdeploy::promotion::{
    entry_line, replay, Actor, Artifact, Artifacts, Decision, Event, Evidence, Pipeline,
    PipelineConfig, Reason, ReasonCode, GENESIS,
};
use jiff::{SignedDuration, Timestamp};

const EVENTS: usize = 100_000;
const ENVS: [&str; 4] = ["inttest", "exttest", "preprod", "prod"];

fn artifacts() -> Artifacts {
    (0..8)
        .map(|i| {
            (
                format!("app-{i}"),
                Artifact {
                    chart: "ehealth/ehealth-service".into(),
                    version: "2.4.1".into(),
                    image: Some(format!("registry.ehealth.example/supplier-{i}/app-{i}")),
                    digest: Some(format!("sha256:{:064x}", i * 7919 + 1)),
                },
            )
        })
        .collect()
}

/// The log's text: `EVENTS` entries.
fn log() -> String {
    let artifacts = artifacts();
    let actor = |name: &str, role: &str| Actor {
        name: name.into(),
        roles: vec![role.into()],
    };
    let mut events = vec![(
        actor("alice", "supplier-release-manager"),
        Event::CandidateCreated {
            candidate: "2026.11.26-1".into(),
            revision: "4f9c2e1d".into(),
            artifacts: artifacts.clone(),
        },
        Decision::Accepted,
    )];
    let mut round = 0;
    while events.len() < EVENTS {
        let env = ENVS[round % ENVS.len()].to_string();
        let to = ENVS[(round + 1) % ENVS.len()].to_string();
        events.push((
            actor("jenkins", "deployer"),
            Event::Deployed {
                environment: env.clone(),
                artifacts: artifacts.clone(),
            },
            Decision::Accepted,
        ));
        for kind in Evidence::ALL {
            events.push((
                actor("jenkins", "deployer"),
                Event::Evidence {
                    environment: env.clone(),
                    kind,
                    ok: true,
                    note: Some(format!("run {round}")),
                },
                Decision::Accepted,
            ));
        }
        events.push((
            actor("bob", "promoter"),
            Event::PromotionRequested { to: to.clone() },
            Decision::Accepted,
        ));
        events.push((
            actor("bob", "promoter"),
            Event::Approved { to: to.clone() },
            Decision::Refused {
                reasons: vec![Reason::new(
                    ReasonCode::SelfApproval,
                    Some(&to),
                    "the approver is the requester (`bob`)",
                )],
            },
        ));
        for approver in ["carol", "dave"] {
            events.push((
                actor(approver, "approver"),
                Event::Approved { to: to.clone() },
                Decision::Accepted,
            ));
        }
        events.push((
            actor("erin", "release-manager"),
            Event::PullRequestMerged {
                to: to.clone(),
                source_branch: "master".into(),
                target_branch: "prod".into(),
                reference: Some(format!("PR-{round}")),
            },
            Decision::Accepted,
        ));
        events.push((
            actor("bob", "promoter"),
            Event::Promoted {
                to,
                artifacts: artifacts.clone(),
            },
            Decision::Accepted,
        ));
        round += 1;
    }
    events.truncate(EVENTS);
    let start: Timestamp = "2026-11-24T08:00:00Z".parse().unwrap();
    let mut prev = GENESIS.to_string();
    let mut text = String::new();
    for (seq, (actor, event, decision)) in events.iter().enumerate() {
        let at = start + SignedDuration::from_secs(60 * seq as i64);
        let (line, hash) = entry_line(seq as u64, at, actor, event, decision, &prev);
        text.push_str(&line);
        text.push('\n');
        prev = hash;
    }
    text
}

fn main() {
    let envs: Vec<String> = ENVS.iter().map(|e| e.to_string()).collect();
    let (pipeline, problems) = Pipeline::compile(&envs, &PipelineConfig::default());
    assert!(problems.is_empty());
    let text = log();
    let replayed = replay(&text, &pipeline, None).unwrap();
    assert_eq!(replayed.entries, EVENTS as u64);
    println!(
        "log: {EVENTS} entries, {:.1} MB, {} bytes per entry on average",
        text.len() as f64 / 1e6,
        text.len() / EVENTS
    );
    let mut c = Criterion::default().configure_from_args().sample_size(10);
    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("verify_and_apply_100k", |b| {
        b.iter(|| black_box(replay(black_box(&text), &pipeline, None).unwrap()))
    });
    group.finish();
    c.final_summary();
}
