//! Canary analysis end to end: a platform repo whose apps have canary on, judged from a real
//! Prometheus (Debian's, over `promtool`-built data: a healthy canary, one with 20% errors, a
//! slow one, one without traffic), each with its exact checks and verdict; the outcome
//! recorded in a release's audit log; and the Flagger objects the same analysis means.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/prometheus.rs"]
mod prometheus_server;

use std::path::{Path, PathBuf};

use ehdeploy::api::{self, CanaryAnalyzeRequest, CanaryResourcesRequest, ErrorCode};
use ehdeploy::canary::{Action, FlaggerObject, Verdict};
use ehdeploy::promotion::{Actor, Artifact, Event, Evidence};
use jiff::{SignedDuration, Timestamp};
use prometheus_server::{ERRORING, HEALTHY, IDLE, NAMESPACE, SLOW, T0};

/// A platform repo in a fresh folder: one environment `test` whose four apps (one per
/// scenario) have canary on and are judged by the platform's default analysis: checks every
/// minute, weights 10, 20, 30, rolled back after 2 failed checks.
struct Repo {
    dir: PathBuf,
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn repo(prometheus: &str) -> Repo {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ehdeploy-canary-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let apps: String = [HEALTHY, ERRORING, SLOW, IDLE]
        .iter()
        .map(|app| {
            format!(
                "  {app}:\n    namespace: {NAMESPACE}\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.0.0\n    valuesFile: values.yaml\n"
            )
        })
        .collect();
    let files = [
        (
            "platform.yaml",
            format!(
                "name: canary-test\nenvironments:\n  - name: test\n    dsf: [test.yaml]\nregistries: [registry.example]\ncharts:\n  - name: ehealth-service\n    repository: https://charts.example/stable\n    profile: ehealth-service\ncanary:\n  prometheus: {prometheus}\n  analysis:\n    interval: 1m\n    threshold: 2\n    stepWeight: 10\n    maxWeight: 30\n    metrics:\n      - name: request-success-rate\n        thresholdRange: {{ min: 99 }}\n      - name: request-duration\n        thresholdRange: {{ max: 500 }}\n        interval: 1m\n      - name: error-rate\n        query: sum(rate(istio_requests_total{{destination_workload_namespace=\"{{{{ namespace }}}}\",destination_workload=\"{{{{ target }}}}\",response_code=~\"5.*\"}}[{{{{ interval }}}}]))\n        thresholdRange: {{ max: 10 }}\n"
            ),
        ),
        (
            "test.yaml",
            format!("namespaces:\n  {NAMESPACE}: {{}}\nhelmRepos:\n  ehealth: https://charts.example/stable\napps:\n{apps}"),
        ),
        (
            "values.yaml",
            "image: registry.example/team/app\nimageTag: 1.0.0\ncontainerPort: 8080\ncanary:\n  enabled: true\n".to_string(),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    Repo { dir }
}

fn t0(minutes: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
}

fn analyze(platform: &Path, app: &str, since: i64, at: i64) -> api::CanaryAnalyzeResponse {
    api::canary_analyze(&request(platform, app, since, at)).unwrap()
}

fn request(platform: &Path, app: &str, since: i64, at: i64) -> CanaryAnalyzeRequest {
    CanaryAnalyzeRequest {
        platform: platform.to_path_buf(),
        environment: "test".into(),
        app: app.into(),
        prometheus: None,
        since: Some(t0(since).to_string()),
        at: Some(t0(at).to_string()),
        candidate: None,
        actor: None,
        timeout_seconds: Some(5),
        retries: Some(1),
    }
}

/// Each check as (minutes after T0, action, weight after it).
fn steps(answer: &api::CanaryAnalyzeResponse) -> Vec<(i64, Action, u32)> {
    answer
        .run
        .checks
        .iter()
        .map(|c| {
            let minutes = c.at.duration_since(t0(0)).as_mins();
            (minutes, c.decision.action, c.decision.state.weight)
        })
        .collect()
}

fn value(answer: &api::CanaryAnalyzeResponse, check: usize, metric: &str) -> Option<f64> {
    answer.run.checks[check]
        .decision
        .checks
        .iter()
        .find(|c| c.metric == metric)
        .unwrap()
        .value
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.unwrap_or(f64::NAN);
    assert!(
        (actual - expected).abs() < 1e-6 * expected.abs().max(1.0),
        "{actual} is not {expected}"
    );
}

#[test]
fn a_healthy_canary_steps_up_to_its_highest_weight_and_is_promoted() {
    let server = prometheus_server::shared();
    let repo = repo(&server.url);
    let answer = analyze(&repo.dir, HEALTHY, 5, 25);
    assert_eq!(
        steps(&answer),
        [
            (6, Action::Continue, 10),
            (7, Action::Continue, 20),
            (8, Action::Continue, 30),
            (9, Action::Promote, 30),
        ]
    );
    for check in 0..4 {
        close(value(&answer, check, "request-success-rate"), 99.9);
        close(value(&answer, check, "request-duration"), 120.0);
        close(value(&answer, check, "error-rate"), 0.1);
    }
    assert_eq!(answer.run.action, Some(Action::Promote));
    assert!(answer.run.finished() && answer.run.next_check.is_none());
    assert_eq!(answer.namespace, NAMESPACE);
    assert_eq!(answer.analysis_source, "platform.yaml at /canary/analysis");
    assert_eq!(
        answer.run.queries["error-rate"],
        "sum(rate(istio_requests_total{destination_workload_namespace=\"canary-test\",destination_workload=\"healthy\",response_code=~\"5.*\"}[1m]))"
    );
    assert!(answer.recorded.is_none());
}

#[test]
fn a_canary_with_20_percent_errors_is_rolled_back_at_the_threshold() {
    let server = prometheus_server::shared();
    let repo = repo(&server.url);
    let answer = analyze(&repo.dir, ERRORING, 5, 25);
    assert_eq!(
        steps(&answer),
        [(6, Action::Continue, 0), (7, Action::RollBack, 0)]
    );
    let last = answer.run.last().unwrap();
    close(value(&answer, 1, "request-success-rate"), 80.0);
    close(value(&answer, 1, "error-rate"), 20.0);
    let verdicts: Vec<Verdict> = last.checks.iter().map(|c| c.verdict).collect();
    assert_eq!(
        verdicts,
        [Verdict::Failed, Verdict::Passed, Verdict::Failed]
    );
    assert_eq!(answer.run.state.failed_checks, 2);
}

#[test]
fn a_slow_canary_is_rolled_back_on_its_duration_alone() {
    let server = prometheus_server::shared();
    let repo = repo(&server.url);
    let answer = analyze(&repo.dir, SLOW, 5, 25);
    assert_eq!(
        steps(&answer),
        [(6, Action::Continue, 0), (7, Action::RollBack, 0)]
    );
    close(value(&answer, 0, "request-duration"), 1500.0);
    close(value(&answer, 0, "request-success-rate"), 99.9);
    let verdicts: Vec<Verdict> = answer.run.checks[1]
        .decision
        .checks
        .iter()
        .map(|c| c.verdict)
        .collect();
    assert_eq!(
        verdicts,
        [Verdict::Passed, Verdict::Failed, Verdict::Passed]
    );
}

#[test]
fn a_canary_without_traffic_is_never_promoted_and_is_rolled_back_after_threshold_quiet_checks() {
    let server = prometheus_server::shared();
    let repo = repo(&server.url);
    let answer = analyze(&repo.dir, IDLE, 5, 25);
    // At weight 0 no traffic is expected: the first check moves to the first weight. Then no
    // data is inconclusive, twice in a row: rolled back, never promoted.
    assert_eq!(
        steps(&answer),
        [
            (6, Action::Continue, 10),
            (7, Action::Inconclusive, 10),
            (8, Action::RollBack, 10),
        ]
    );
    for check in &answer.run.checks {
        let verdicts: Vec<Verdict> = check.decision.checks.iter().map(|c| c.verdict).collect();
        // The success rate is 0/0 (NaN), the duration has no bucket, and there is no 5xx
        // series to sum: no data, for each.
        assert_eq!(verdicts, [Verdict::NoData; 3]);
    }
    assert!(
        answer
            .run
            .last()
            .unwrap()
            .reason
            .contains("2 checks in a row"),
        "{}",
        answer.run.last().unwrap().reason
    );
}

#[test]
fn before_its_first_check_a_canary_has_no_decision_and_says_when_the_next_is_due() {
    let server = prometheus_server::shared();
    let repo = repo(&server.url);
    let mut req = request(&repo.dir, HEALTHY, 5, 5);
    req.at = Some((t0(5) + SignedDuration::from_secs(59)).to_string());
    let answer = api::canary_analyze(&req).unwrap();
    assert!(answer.run.checks.is_empty());
    assert_eq!(answer.run.action, None);
    assert_eq!(answer.run.next_check, Some(t0(6)));
    // Halfway: the run goes on, the next check is one interval after the last.
    let answer = analyze(&repo.dir, HEALTHY, 5, 7);
    assert_eq!(answer.run.action, Some(Action::Continue));
    assert_eq!(answer.run.next_check, Some(t0(8)));
    assert!(!answer.run.finished());
}

#[test]
fn a_finished_analysis_is_recorded_as_canary_evidence_in_the_release_log() {
    let server = prometheus_server::shared();
    let repo = repo(&server.url);
    let actor = Actor {
        name: "jenkins".into(),
        roles: vec![],
    };
    let artifact = Artifact {
        chart: "ehealth/ehealth-service".into(),
        version: "2.0.0".into(),
        image: Some("registry.example/team/app".into()),
        digest: None,
    };
    let artifacts: ehdeploy::promotion::Artifacts = [(HEALTHY.to_string(), artifact)].into();
    let event = |event: Event, minutes: i64| {
        let answer = api::release_event(&api::ReleaseEventRequest {
            platform: repo.dir.clone(),
            candidate: "c1".into(),
            actor: actor.clone(),
            event,
            at: Some(t0(minutes).to_string()),
        })
        .unwrap();
        assert!(
            matches!(answer.decision, ehdeploy::promotion::Decision::Accepted),
            "{:?}",
            answer.decision
        );
    };
    event(
        Event::CandidateCreated {
            candidate: "c1".into(),
            revision: "abc".into(),
            artifacts: artifacts.clone(),
        },
        1,
    );
    event(
        Event::Deployed {
            environment: "test".into(),
            artifacts,
        },
        5,
    );
    // The canary's start is the deployment's time, from the log.
    let mut req = request(&repo.dir, HEALTHY, 0, 25);
    req.since = None;
    req.candidate = Some("c1".into());
    req.actor = Some(actor.clone());
    let answer = api::canary_analyze(&req).unwrap();
    assert_eq!(answer.run.since, t0(5));
    assert_eq!(answer.run.action, Some(Action::Promote));
    let recorded = answer.recorded.unwrap();
    assert!(matches!(
        recorded.decision,
        ehdeploy::promotion::Decision::Accepted
    ));
    match &recorded.entry.event {
        Event::Evidence {
            environment,
            kind,
            ok,
            note,
        } => {
            assert_eq!(
                (environment.as_str(), *kind, *ok),
                ("test", Evidence::CanaryPassed, true)
            );
            assert_eq!(
                note.as_deref(),
                Some(
                    format!(
                        "canary healthy: promote after 4 check(s) from {}: {}",
                        t0(5),
                        answer.run.last().unwrap().reason
                    )
                    .as_str()
                )
            );
        }
        other => panic!("{other:?}"),
    }
    // The log verifies, and holds the three entries.
    let verified = api::verify_log(&api::VerifyLogRequest {
        platform: repo.dir.clone(),
        candidate: "c1".into(),
        head: None,
    })
    .unwrap();
    assert!(verified.ok, "{verified:?}");
    assert_eq!(verified.entries, 3);
    // An analysis that has not finished records nothing.
    let mut req = req.clone();
    req.at = Some(t0(7).to_string());
    assert!(api::canary_analyze(&req).unwrap().recorded.is_none());
}

#[test]
fn prometheus_that_cannot_answer_is_an_error_never_a_verdict() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = repo(&format!("http://127.0.0.1:{port}"));
    let e = api::canary_analyze(&request(&down.dir, HEALTHY, 5, 25)).unwrap_err();
    assert_eq!(e.code, ErrorCode::Io);
    assert!(
        e.message.ends_with("[prometheus/unreachable]"),
        "{}",
        e.message
    );
    // A bad query is Prometheus's error, named.
    let server = prometheus_server::shared();
    let bad = self::repo(&server.url);
    let platform = bad.dir.join("platform.yaml");
    let text = std::fs::read_to_string(&platform)
        .unwrap()
        .replace("sum(rate(istio", "sum(rate(rate(istio");
    std::fs::write(&platform, text).unwrap();
    let e = api::canary_analyze(&request(&bad.dir, HEALTHY, 5, 25)).unwrap_err();
    assert!(
        e.message.ends_with("[prometheus/query-error]"),
        "{}",
        e.message
    );
}

#[test]
fn the_usage_errors_name_what_is_missing() {
    let repo = repo("http://127.0.0.1:9");
    let mut req = request(&repo.dir, HEALTHY, 5, 25);
    req.since = None;
    let e = api::canary_analyze(&req).unwrap_err();
    assert_eq!(e.code, ErrorCode::Usage);
    assert!(
        e.message.contains("when did the canary start"),
        "{}",
        e.message
    );
    let e = api::canary_analyze(&request(&repo.dir, "healthy-ish", 5, 25)).unwrap_err();
    assert_eq!(
        e.message,
        "`healthy-ish` is not an enabled app of test (did you mean `healthy`?)"
    );
}

#[test]
fn the_flagger_objects_mean_the_same_analysis() {
    let repo = repo("http://prometheus.istio-system:9090");
    let list = api::canary_resources(&CanaryResourcesRequest {
        platform: repo.dir.clone(),
        environment: "test".into(),
        apps: vec![SLOW.into()],
    })
    .unwrap();
    let json = serde_json::to_value(&list).unwrap();
    let expected = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "kind": "Canary",
                "apiVersion": "flagger.app/v1beta1",
                "metadata": {
                    "name": "slow",
                    "namespace": "canary-test",
                    "labels": {"app.kubernetes.io/managed-by": "ehdeploy"},
                    "annotations": {"ehdeploy.example/analysis-source": "platform.yaml at /canary/analysis"}
                },
                "spec": {
                    "provider": "istio",
                    "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "slow"},
                    "service": {"port": 8080, "targetPort": 8080},
                    "analysis": {
                        "interval": "1m",
                        "threshold": 2,
                        "maxWeight": 30,
                        "stepWeight": 10,
                        "metrics": [
                            {"name": "request-success-rate", "interval": "1m", "thresholdRange": {"min": 99.0}},
                            {"name": "request-duration", "interval": "1m", "thresholdRange": {"max": 500.0}},
                            {
                                "name": "error-rate",
                                "interval": "1m",
                                "thresholdRange": {"max": 10.0},
                                "templateRef": {"name": "slow-error-rate", "namespace": "canary-test"}
                            }
                        ]
                    }
                }
            },
            {
                "kind": "MetricTemplate",
                "apiVersion": "flagger.app/v1beta1",
                "metadata": {
                    "name": "slow-error-rate",
                    "namespace": "canary-test",
                    "labels": {"app.kubernetes.io/managed-by": "ehdeploy"},
                    "annotations": {"ehdeploy.example/analysis-source": "platform.yaml at /canary/analysis"}
                },
                "spec": {
                    "provider": {"type": "prometheus", "address": "http://prometheus.istio-system:9090"},
                    "query": "sum(rate(istio_requests_total{destination_workload_namespace=\"{{ namespace }}\",destination_workload=\"{{ target }}\",response_code=~\"5.*\"}[{{ interval }}]))"
                }
            }
        ]
    });
    assert_eq!(json, expected);
    // All four apps: a Canary and a MetricTemplate each.
    let all = api::canary_resources(&CanaryResourcesRequest {
        platform: repo.dir.clone(),
        environment: "test".into(),
        apps: vec![],
    })
    .unwrap();
    let kinds: Vec<&str> = all
        .items
        .iter()
        .map(|o| match o {
            FlaggerObject::Canary { .. } => "Canary",
            FlaggerObject::MetricTemplate { .. } => "MetricTemplate",
        })
        .collect();
    assert_eq!(kinds, ["Canary", "MetricTemplate"].repeat(4));
}
