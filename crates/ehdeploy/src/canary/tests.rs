//! Tests of canary analysis: validation, queries, and every edge of the decision.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::json;

use super::*;

const RATE: &str = "request-success-rate";
const DURATION: &str = "request-duration";

fn analysis(value: serde_json::Value) -> Analysis {
    serde_json::from_value(value).unwrap()
}

/// threshold 3, stepWeight 10 up to 50; success rate ≥ 99, duration ≤ 500.
fn standard() -> Validated {
    analysis(json!({
        "interval": "1m",
        "threshold": 3,
        "maxWeight": 50,
        "stepWeight": 10,
        "metrics": [
            {"name": RATE, "thresholdRange": {"min": 99}},
            {"name": DURATION, "thresholdRange": {"max": 500}, "interval": "30s"},
        ]
    }))
    .validate()
    .unwrap()
}

fn samples(rate: Sample, duration: Sample) -> Samples {
    Samples::from([(RATE.to_string(), rate), (DURATION.to_string(), duration)])
}

fn good() -> Samples {
    samples(Sample::Value(99.9), Sample::Value(120.0))
}

fn at(weight: u32) -> State {
    State {
        weight,
        ..State::default()
    }
}

fn problems(value: serde_json::Value) -> Vec<(String, String)> {
    analysis(value)
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|p| (p.pointer, p.message))
        .collect()
}

fn pointers(value: serde_json::Value) -> Vec<String> {
    problems(value).into_iter().map(|(p, _)| p).collect()
}

// Durations.

#[test]
fn durations() {
    assert_eq!(parse_duration("30s"), Ok(30));
    assert_eq!(parse_duration("1m"), Ok(60));
    assert_eq!(parse_duration("1m30s"), Ok(90));
    assert_eq!(parse_duration("2h"), Ok(7200));
    assert_eq!(parse_duration("1h0m5s"), Ok(3605));
    for bad in [
        "",
        "1",
        "m",
        "1.5m",
        "1d",
        "500ms",
        "-1m",
        "1s1m",
        "1m1m",
        " 1m",
        "1m ",
        "0s",
        "0m0s",
        "99999999999999999999s",
        "18446744073709551615h",
    ] {
        let err = parse_duration(bad).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("`{bad}` is not a duration")),
            "{bad}: {err}"
        );
    }
    assert!(parse_duration("90")
        .unwrap_err()
        .to_string()
        .contains("`90` has no unit"));
}

// Validation.

#[test]
fn a_good_analysis_validates() {
    let v = standard();
    assert_eq!(v.interval_seconds(), 60);
    assert_eq!(v.max_weight(), 50);
    assert_eq!(v.weights(), [10, 20, 30, 40, 50]);
    assert_eq!(v.analysis().metrics.len(), 2);
}

#[test]
fn defaults_are_flaggers() {
    let v = analysis(json!({
        "threshold": 1, "stepWeight": 30,
        "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]
    }))
    .validate()
    .unwrap();
    assert_eq!(v.interval_seconds(), 60);
    assert_eq!(v.max_weight(), 100);
    // The last step is cut at the highest weight.
    assert_eq!(v.weights(), [30, 60, 90, 100]);
    assert_eq!(v.analysis().metrics[0].window(), "1m");
}

#[test]
fn step_weights() {
    let v = analysis(json!({
        "threshold": 2, "stepWeights": [1, 5, 25, 80],
        "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]
    }))
    .validate()
    .unwrap();
    assert_eq!(v.max_weight(), 80);
    assert_eq!(v.weights(), [1, 5, 25, 80]);
    assert_eq!(v.next_weight(0), 1);
    assert_eq!(v.next_weight(3), 5);
    assert_eq!(v.next_weight(80), 80);
    assert_eq!(v.next_weight(95), 80);
    // maxWeight may repeat the last.
    assert!(analysis(json!({
        "threshold": 2, "stepWeights": [10, 80], "maxWeight": 80,
        "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]
    }))
    .validate()
    .is_ok());
}

#[test]
fn validate_reports_every_problem_with_pointers() {
    let found = problems(json!({
        "interval": "1 minute",
        "threshold": 0,
        "maxWeight": 120,
        "stepWeight": 0,
        "metrics": [
            {"name": "request-succes-rate", "thresholdRange": {"min": 99}},
            {"name": RATE, "thresholdRange": {"min": 99.5, "max": 99}},
            {"name": DURATION, "interval": "5 m"},
            {"name": "custom", "query": "sum(x{a=\"{{ app }}\"}[{{interval}}]) / {{ cluster }}", "thresholdRange": {"max": 1}},
            {"name": "open", "query": "sum(x[{{ interval ])", "thresholdRange": {"max": 1}},
            {"name": RATE, "thresholdRange": {"min": 0.99}},
            {"name": "", "query": "up", "thresholdRange": {"min": 1}},
        ]
    }));
    let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/interval",
            "/threshold",
            "/maxWeight",
            "/stepWeight",
            "/metrics/0/query",
            "/metrics/1/thresholdRange",
            "/metrics/2/thresholdRange",
            "/metrics/2/interval",
            "/metrics/3/query",
            "/metrics/4/query",
            "/metrics/5/name",
            "/metrics/5/thresholdRange/min",
            "/metrics/6/name",
        ],
        "{found:#?}"
    );
    let message = |p: &str| &found.iter().find(|(q, _)| q == p).unwrap().1;
    assert!(message("/interval").contains("`1 minute` is not a duration"));
    assert!(message("/threshold").contains("at least 1"));
    assert!(message("/maxWeight").contains("120"));
    assert!(message("/stepWeight").contains("0"));
    assert!(message("/metrics/0/query").contains("did you mean `request-success-rate`?"));
    assert!(message("/metrics/1/thresholdRange").contains("min 99.5 is above max 99"));
    assert!(message("/metrics/2/thresholdRange").contains("always passes"));
    assert!(message("/metrics/3/query").contains("`app`, `cluster`"));
    assert!(message("/metrics/4/query").contains("never closed"));
    assert!(message("/metrics/5/name").contains("/metrics/1"));
    assert!(message("/metrics/5/thresholdRange/min").contains("did you mean 99?"));
    assert!(message("/metrics/6/name").contains("needs a name"));
}

#[test]
fn weight_problems() {
    // stepWeight above maxWeight.
    assert_eq!(
        pointers(json!({"threshold": 1, "maxWeight": 20, "stepWeight": 30,
            "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]})),
        ["/stepWeight"]
    );
    // stepWeight equal to maxWeight is fine: one step.
    let v = analysis(json!({"threshold": 1, "maxWeight": 30, "stepWeight": 30,
        "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]}))
    .validate()
    .unwrap();
    assert_eq!(v.weights(), [30]);
    // maxWeight 0, and 100 (fine).
    assert_eq!(
        pointers(json!({"threshold": 1, "maxWeight": 0, "stepWeight": 10,
            "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]})),
        ["/maxWeight", "/stepWeight"]
    );
    assert!(
        analysis(json!({"threshold": 1, "maxWeight": 100, "stepWeight": 100,
            "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]}))
        .validate()
        .is_ok()
    );
    // Neither, and both.
    assert_eq!(
        pointers(json!({"threshold": 1,
            "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]})),
        ["/stepWeight"]
    );
    assert_eq!(
        pointers(
            json!({"threshold": 1, "stepWeight": 10, "stepWeights": [10, 20],
            "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]})
        ),
        ["/stepWeights"]
    );
    // Not increasing, out of range, and a contradicting maxWeight.
    assert_eq!(
        pointers(
            json!({"threshold": 1, "stepWeights": [0, 10, 10, 5, 101, 60], "maxWeight": 50,
            "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]})
        ),
        [
            "/stepWeights/0",
            "/stepWeights/2",
            "/stepWeights/3",
            "/stepWeights/4",
            "/maxWeight"
        ]
    );
    // No metric.
    assert_eq!(
        problems(json!({"threshold": 1, "stepWeight": 10, "metrics": []})),
        [(
            "/metrics".to_string(),
            "an analysis needs at least one metric: without one, a canary would be promoted without evidence".to_string()
        )]
    );
}

#[test]
fn success_rate_is_a_percentage() {
    assert_eq!(
        pointers(json!({"threshold": 1, "stepWeight": 10,
            "metrics": [{"name": RATE, "thresholdRange": {"min": -1, "max": 101}}]})),
        [
            "/metrics/0/thresholdRange/min",
            "/metrics/0/thresholdRange/max"
        ]
    );
    // A custom query of that name is not checked: it may measure something else.
    assert!(analysis(json!({"threshold": 1, "stepWeight": 10,
        "metrics": [{"name": RATE, "query": "x", "thresholdRange": {"min": 0.99}}]}))
    .validate()
    .is_ok());
}

#[test]
fn non_finite_bounds_are_problems() {
    let mut a = analysis(json!({"threshold": 1, "stepWeight": 10,
        "metrics": [{"name": DURATION, "thresholdRange": {"max": 500}}]}));
    a.metrics[0].threshold_range = ThresholdRange {
        min: Some(f64::NAN),
        max: Some(f64::INFINITY),
    };
    let found: Vec<String> = a
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|p| p.pointer)
        .collect();
    assert_eq!(
        found,
        [
            "/metrics/0/thresholdRange/min",
            "/metrics/0/thresholdRange/max"
        ]
    );
}

#[test]
fn unknown_fields_are_refused() {
    let err = serde_json::from_value::<Analysis>(json!({
        "threshold": 1, "stepWeight": 10, "iterations": 10, "metrics": []
    }))
    .unwrap_err();
    assert!(err.to_string().contains("iterations"), "{err}");
    let err = serde_json::from_value::<Analysis>(json!({
        "threshold": 1, "stepWeight": 10,
        "metrics": [{"name": RATE, "thresholdRange": {"minimum": 99}}]
    }))
    .unwrap_err();
    assert!(err.to_string().contains("minimum"), "{err}");
}

#[test]
fn analysis_reads_flagger_yaml() {
    let a: Analysis = serde_yaml::from_str(
        "interval: 1m\nthreshold: 5\nmaxWeight: 50\nstepWeight: 10\nmetrics:\n  - name: request-success-rate\n    thresholdRange:\n      min: 99\n    interval: 1m\n  - name: request-duration\n    thresholdRange:\n      max: 500\n    interval: 30s\n",
    )
    .unwrap();
    let v = a.validate().unwrap();
    assert_eq!(v.weights(), [10, 20, 30, 40, 50]);
    // And round-trips.
    let back: Analysis = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
    assert_eq!(back, a);
}

// Queries.

#[test]
fn builtin_queries_render() {
    let v = standard();
    let queries = v.queries("shop", "cart").unwrap();
    assert_eq!(
        queries[RATE],
        "100 * sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"shop\",destination_workload=~\"cart\",response_code!~\"5.*\"}[1m])) / sum(rate(istio_requests_total{reporter=\"destination\",destination_workload_namespace=\"shop\",destination_workload=~\"cart\"}[1m]))"
    );
    assert_eq!(
        queries[DURATION],
        "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter=\"destination\",destination_workload_namespace=\"shop\",destination_workload=~\"cart\"}[30s])) by (le))"
    );
    assert!(builtin_query("request-count").is_none());
}

#[test]
fn render_query_substitutes_with_or_without_spaces() {
    let metric = Metric {
        name: "custom".into(),
        query: Some("a{{namespace}}b{{ target }}c{{  interval\t}}d{{ namespace }}".into()),
        ..Metric::default()
    };
    assert_eq!(
        render_query(&metric, "ns", "app", "5m").unwrap(),
        "ansbappc5mdns"
    );
    // A custom query replaces the built-in one of the same name.
    let own = Metric {
        name: RATE.into(),
        query: Some("up{namespace=\"{{ namespace }}\"}".into()),
        ..Metric::default()
    };
    assert_eq!(
        render_query(&own, "ns", "app", "1m").unwrap(),
        "up{namespace=\"ns\"}"
    );
    // No variables at all, and single braces (label matchers) untouched.
    let plain = Metric {
        name: "plain".into(),
        query: Some("sum(up{job=\"x\"})".into()),
        ..Metric::default()
    };
    assert_eq!(
        render_query(&plain, "ns", "app", "1m").unwrap(),
        "sum(up{job=\"x\"})"
    );
}

#[test]
fn render_query_refuses() {
    let custom = |q: &str| Metric {
        name: "custom".into(),
        query: Some(q.into()),
        ..Metric::default()
    };
    assert_eq!(
        render_query(
            &custom("{{ service }} {{ target }} {{ variables.x }} {{service}}"),
            "ns",
            "app",
            "1m"
        ),
        Err(CanaryError::UnknownVariables {
            names: vec!["service".into(), "variables.x".into()]
        })
    );
    let err = render_query(&custom("{{ nope }}"), "ns", "app", "1m").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown template variable: `nope`; the variables are `namespace`, `target` and `interval`"
    );
    assert_eq!(
        render_query(&custom("x {{ target"), "ns", "app", "1m"),
        Err(CanaryError::Unclosed { at: 2 })
    );
    assert_eq!(
        render_query(
            &Metric {
                name: "latency".into(),
                ..Metric::default()
            },
            "ns",
            "app",
            "1m"
        ),
        Err(CanaryError::UnknownMetric {
            name: "latency".into()
        })
    );
    // Values that could break out of the query's quotes.
    for (ns, target) in [
        ("ns\"}", "app"),
        ("ns", "a\"b"),
        ("", "app"),
        ("NS", "app"),
        ("ns", "-app"),
    ] {
        assert!(
            matches!(
                render_query(&custom("{{ target }}"), ns, target, "1m"),
                Err(CanaryError::BadName { .. })
            ),
            "{ns} {target}"
        );
    }
    assert!(matches!(
        render_query(&custom("{{ interval }}"), "ns", "app", "1m]"),
        Err(CanaryError::Duration { .. })
    ));
}

// The decision: ranges.

fn one_check(min: Option<f64>, max: Option<f64>, sample: Sample) -> CheckResult {
    let v = Analysis {
        threshold: 2,
        step_weight: Some(10),
        metrics: vec![Metric {
            name: "m".into(),
            query: Some("m".into()),
            threshold_range: ThresholdRange { min, max },
            ..Metric::default()
        }],
        ..Analysis::default()
    }
    .validate()
    .unwrap();
    let d = decide(&v, &at(10), &Samples::from([("m".to_string(), sample)]));
    assert_eq!(d.checks.len(), 1);
    d.checks[0].clone()
}

#[test]
fn bounds_are_inclusive() {
    let verdict = |min, max, v| one_check(min, max, Sample::Value(v)).verdict;
    assert_eq!(verdict(Some(99.0), None, 99.0), Verdict::Passed);
    assert_eq!(verdict(Some(99.0), None, 98.999_999), Verdict::Failed);
    assert_eq!(verdict(Some(99.0), None, f64::INFINITY), Verdict::Passed);
    assert_eq!(verdict(None, Some(500.0), 500.0), Verdict::Passed);
    assert_eq!(verdict(None, Some(500.0), 500.000_001), Verdict::Failed);
    assert_eq!(verdict(None, Some(500.0), f64::INFINITY), Verdict::Failed);
    assert_eq!(verdict(None, Some(500.0), -1.0), Verdict::Passed);
    assert_eq!(verdict(Some(1.0), Some(1.0), 1.0), Verdict::Passed);
    assert_eq!(verdict(Some(1.0), Some(2.0), 0.5), Verdict::Failed);
    assert_eq!(verdict(Some(1.0), Some(2.0), 2.5), Verdict::Failed);
    let below = one_check(Some(99.0), Some(100.0), Sample::Value(98.5));
    assert_eq!(below.note, "98.5 is below min 99");
    assert_eq!(
        (below.value, below.min, below.max),
        (Some(98.5), Some(99.0), Some(100.0))
    );
    assert_eq!(
        one_check(None, Some(500.0), Sample::Value(612.0)).note,
        "612 is above max 500"
    );
    assert_eq!(
        one_check(Some(99.0), None, Sample::Value(99.5)).note,
        "99.5 (min 99)"
    );
    assert!(ThresholdRange {
        min: None,
        max: None
    }
    .contains(1.0));
    assert!(!ThresholdRange {
        min: None,
        max: None
    }
    .contains(f64::NAN));
}

#[test]
fn nan_and_no_data_and_errors_are_inconclusive() {
    let nan = one_check(Some(99.0), None, Sample::Value(f64::NAN));
    assert_eq!((nan.verdict, nan.value), (Verdict::NoData, None));
    assert!(!nan.passed());
    let none = one_check(Some(99.0), None, Sample::NoData);
    assert_eq!(none.verdict, Verdict::NoData);
    let err = one_check(Some(99.0), None, Sample::Error("connection refused".into()));
    assert_eq!(err.verdict, Verdict::QueryError);
    assert_eq!(err.note, "query failed: connection refused");
    assert_eq!(Sample::from_value(None), Sample::NoData);
    assert_eq!(Sample::from_value(Some(f64::NAN)), Sample::NoData);
    assert_eq!(Sample::from_value(Some(1.5)), Sample::Value(1.5));
}

// The decision: weights.

#[test]
fn passing_checks_step_up_to_max_weight_then_promote() {
    let v = standard();
    let mut state = State::default();
    let mut weights = Vec::new();
    loop {
        let d = decide(&v, &state, &good());
        assert_eq!(d.state.failed_checks, 0);
        if d.action == Action::Promote {
            assert_eq!(d.state.weight, 50);
            assert!(d.reason.contains("highest weight 50"), "{}", d.reason);
            break;
        }
        assert_eq!(d.action, Action::Continue, "{}", d.reason);
        weights.push(d.state.weight);
        state = d.state;
        assert!(weights.len() < 10);
    }
    assert_eq!(weights, [10, 20, 30, 40, 50]);
    assert_eq!(weights, v.weights());
}

#[test]
fn step_weights_list_is_followed() {
    let v = analysis(json!({
        "threshold": 2, "stepWeights": [5, 20, 60],
        "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]
    }))
    .validate()
    .unwrap();
    let ok = Samples::from([(RATE.to_string(), Sample::Value(100.0))]);
    let mut state = State::default();
    let mut seen = Vec::new();
    let last = loop {
        let d = decide(&v, &state, &ok);
        if d.action != Action::Continue {
            break d;
        }
        seen.push(d.state.weight);
        state = d.state;
    };
    assert_eq!(seen, [5, 20, 60]);
    assert_eq!((last.action, last.state.weight), (Action::Promote, 60));
}

#[test]
fn the_start_continues_without_data() {
    let v = standard();
    let d = decide(
        &v,
        &State::default(),
        &samples(Sample::NoData, Sample::NoData),
    );
    assert_eq!((d.action, d.state), (Action::Continue, at(10)));
    assert!(d.reason.starts_with("starting"), "{}", d.reason);
    assert_eq!(d.checks[0].verdict, Verdict::NoData);
    // Even with a failed query: nothing is promoted, and the next check needs data.
    let d = decide(
        &v,
        &State::default(),
        &samples(Sample::Error("timeout".into()), Sample::NoData),
    );
    assert_eq!((d.action, d.state.weight), (Action::Continue, 10));
    // But a failed metric at the start is a failed check.
    let d = decide(
        &v,
        &State::default(),
        &samples(Sample::Value(50.0), Sample::NoData),
    );
    assert_eq!(d.action, Action::Continue);
    assert_eq!(
        d.state,
        State {
            weight: 0,
            failed_checks: 1,
            inconclusive_checks: 0
        }
    );
}

#[test]
fn a_failed_check_holds_the_weight() {
    let v = standard();
    let d = decide(
        &v,
        &at(30),
        &samples(Sample::Value(98.0), Sample::Value(100.0)),
    );
    assert_eq!(d.action, Action::Continue);
    assert_eq!(
        d.state,
        State {
            weight: 30,
            failed_checks: 1,
            inconclusive_checks: 0
        }
    );
    assert_eq!(
        d.reason,
        "failed check 1 of 3, holding weight 30: request-success-rate 98 is below min 99"
    );
    assert_eq!(
        d.checks.iter().map(|c| c.verdict).collect::<Vec<_>>(),
        [Verdict::Failed, Verdict::Passed]
    );
    // A failure at the highest weight is no promotion either.
    let d = decide(
        &v,
        &at(50),
        &samples(Sample::Value(99.5), Sample::Value(501.0)),
    );
    assert_eq!((d.action, d.state.weight), (Action::Continue, 50));
}

#[test]
fn failed_checks_add_up_to_the_threshold_exactly() {
    let v = standard();
    let bad = samples(Sample::Value(99.5), Sample::Value(900.0));
    let one = decide(&v, &at(20), &bad);
    assert_eq!((one.action, one.state.failed_checks), (Action::Continue, 1));
    // A pass in between does not reset the count (as in Flagger).
    let pass = decide(&v, &one.state, &good());
    assert_eq!(
        pass.state,
        State {
            weight: 30,
            failed_checks: 1,
            inconclusive_checks: 0
        }
    );
    let two = decide(&v, &pass.state, &bad);
    assert_eq!((two.action, two.state.failed_checks), (Action::Continue, 2));
    let three = decide(&v, &two.state, &bad);
    assert_eq!(three.action, Action::RollBack);
    assert_eq!(
        three.state,
        State {
            weight: 30,
            failed_checks: 3,
            inconclusive_checks: 0
        }
    );
    assert_eq!(
        three.reason,
        "failed check 3 of 3 at weight 30: request-duration 900 is above max 500"
    );
    // A state already at the threshold rolls back whatever the samples.
    let again = decide(&v, &three.state, &good());
    assert_eq!(again.action, Action::RollBack);
    assert_eq!(again.state, three.state);
    // Threshold 1: the first failure rolls back.
    let strict = analysis(json!({"threshold": 1, "stepWeight": 50,
        "metrics": [{"name": RATE, "thresholdRange": {"min": 99}}]}))
    .validate()
    .unwrap();
    let d = decide(
        &strict,
        &at(50),
        &Samples::from([(RATE.to_string(), Sample::Value(98.9))]),
    );
    assert_eq!(d.action, Action::RollBack);
}

#[test]
fn no_data_never_promotes_and_rolls_back_after_threshold_in_a_row() {
    let v = standard();
    let quiet = samples(Sample::NoData, Sample::NoData);
    let first = decide(&v, &at(50), &quiet);
    assert_eq!(first.action, Action::Inconclusive);
    assert_eq!(
        first.state,
        State {
            weight: 50,
            failed_checks: 0,
            inconclusive_checks: 1
        }
    );
    assert!(
        first.reason.contains("inconclusive check 1 of 3"),
        "{}",
        first.reason
    );
    assert!(
        first.reason.contains("no data (no traffic?)"),
        "{}",
        first.reason
    );
    let second = decide(&v, &first.state, &quiet);
    assert_eq!(
        (second.action, second.state.inconclusive_checks),
        (Action::Inconclusive, 2)
    );
    let third = decide(&v, &second.state, &quiet);
    assert_eq!(third.action, Action::RollBack);
    assert_eq!(third.state.inconclusive_checks, 3);
    assert!(
        third
            .reason
            .starts_with("no traffic/data for 3 checks in a row (threshold 3)"),
        "{}",
        third.reason
    );
    // One metric with data is not enough.
    let half = decide(&v, &at(50), &samples(Sample::Value(100.0), Sample::NoData));
    assert_eq!(half.action, Action::Inconclusive);
    // A missing sample is a failed query, never a pass.
    let missing = decide(
        &v,
        &at(50),
        &Samples::from([(RATE.to_string(), Sample::Value(100.0))]),
    );
    assert_eq!(missing.action, Action::Inconclusive);
    assert_eq!(missing.checks[1].verdict, Verdict::QueryError);
    assert_eq!(missing.checks[1].note, "was not measured: no sample given");
}

#[test]
fn a_conclusive_check_ends_the_run_of_inconclusive_ones() {
    let v = standard();
    let quiet = samples(Sample::NoData, Sample::Value(100.0));
    let two = decide(&v, &decide(&v, &at(20), &quiet).state, &quiet);
    assert_eq!(two.state.inconclusive_checks, 2);
    let passed = decide(&v, &two.state, &good());
    assert_eq!(
        passed.state,
        State {
            weight: 30,
            failed_checks: 0,
            inconclusive_checks: 0
        }
    );
    let failed = decide(&v, &two.state, &samples(Sample::Value(1.0), Sample::NoData));
    assert_eq!(
        failed.state,
        State {
            weight: 20,
            failed_checks: 1,
            inconclusive_checks: 0
        }
    );
    assert_eq!(failed.action, Action::Continue);
    // A failure weighs more than no data in the same check.
    assert!(failed.reason.starts_with("failed check 1 of 3"));
}

#[test]
fn a_query_error_never_promotes() {
    let v = standard();
    let d = decide(
        &v,
        &at(50),
        &samples(
            Sample::Value(100.0),
            Sample::Error("prometheus unreachable".into()),
        ),
    );
    assert_eq!(d.action, Action::Inconclusive);
    assert_eq!(d.state.weight, 50);
    assert!(
        d.reason
            .contains("request-duration query failed: prometheus unreachable"),
        "{}",
        d.reason
    );
    // Errors count towards the run of inconclusive checks.
    let errs = samples(Sample::Error("x".into()), Sample::Error("x".into()));
    let mut state = at(50);
    for _ in 0..2 {
        let d = decide(&v, &state, &errs);
        assert_eq!(d.action, Action::Inconclusive);
        state = d.state;
    }
    assert_eq!(decide(&v, &state, &errs).action, Action::RollBack);
}

#[test]
fn a_weight_above_the_highest_is_held_at_it() {
    // The analysis changed under a running canary.
    let v = standard();
    let d = decide(&v, &at(80), &good());
    assert_eq!((d.action, d.state.weight), (Action::Promote, 50));
    let d = decide(
        &v,
        &at(80),
        &samples(Sample::Value(1.0), Sample::Value(1.0)),
    );
    assert_eq!((d.action, d.state.weight), (Action::Continue, 50));
    let d = decide(&v, &at(80), &samples(Sample::NoData, Sample::Value(1.0)));
    assert_eq!((d.action, d.state.weight), (Action::Inconclusive, 50));
    let past = State {
        weight: 80,
        failed_checks: 3,
        inconclusive_checks: 0,
    };
    let d = decide(&v, &past, &good());
    assert_eq!((d.action, d.state.weight), (Action::RollBack, 50));
}

#[test]
fn decisions_serialize_with_stable_tags() {
    let v = standard();
    let d = decide(&v, &at(10), &good());
    let value = serde_json::to_value(&d).unwrap();
    assert_eq!(
        value,
        json!({
            "action": "continue",
            "state": {"weight": 20, "failedChecks": 0, "inconclusiveChecks": 0},
            "reason": "all 2 metrics passed at weight 10; next weight 20",
            "checks": [
                {"metric": RATE, "verdict": "passed", "value": 99.9, "min": 99.0, "note": "99.9 (min 99)"},
                {"metric": DURATION, "verdict": "passed", "value": 120.0, "max": 500.0, "note": "120 (max 500)"},
            ]
        })
    );
    let back: Decision = serde_json::from_value(value).unwrap();
    assert_eq!(back, d);
    for (action, tag) in [
        (Action::Promote, "promote"),
        (Action::Continue, "continue"),
        (Action::RollBack, "roll-back"),
        (Action::Inconclusive, "inconclusive"),
    ] {
        assert_eq!(serde_json::to_value(action).unwrap(), json!(tag));
        assert_eq!(action.as_str(), tag);
    }
    // Samples as the API reads them.
    let samples: Samples = serde_json::from_value(json!({
        RATE: {"value": 99.5}, DURATION: "no-data", "custom": {"error": "timeout"}
    }))
    .unwrap();
    assert_eq!(samples[RATE], Sample::Value(99.5));
    assert_eq!(samples[DURATION], Sample::NoData);
    assert_eq!(samples["custom"], Sample::Error("timeout".into()));
    // A state may leave out its counts.
    let state: State = serde_json::from_value(json!({"weight": 20})).unwrap();
    assert_eq!(state, at(20));
    assert!(serde_json::from_value::<State>(json!({"weight": 20, "failed": 1})).is_err());
}

#[test]
fn schemas_generate() {
    for schema in [
        crate::schema::schema_for::<Analysis>("canary-analysis"),
        crate::schema::schema_for::<Decision>("canary-decision"),
        crate::schema::schema_for::<State>("canary-state"),
        crate::schema::schema_for::<Samples>("canary-samples"),
        crate::schema::schema_for::<Problem>("canary-problem"),
    ] {
        assert!(schema.get("$id").is_some());
    }
    let decision = crate::schema::schema_for::<Decision>("canary-decision").to_string();
    for tag in [
        "promote",
        "continue",
        "roll-back",
        "inconclusive",
        "no-data",
        "query-error",
    ] {
        assert!(decision.contains(&format!("\"{tag}\"")), "{tag}");
    }
}

// Properties.

fn any_sample() -> impl Strategy<Value = Sample> {
    prop_oneof![
        4 => (-10.0f64..1000.0).prop_map(Sample::Value),
        1 => Just(Sample::Value(f64::NAN)),
        1 => Just(Sample::Value(f64::INFINITY)),
        2 => Just(Sample::NoData),
        2 => Just(Sample::Error("down".into())),
    ]
}

fn any_analysis() -> impl Strategy<Value = Validated> {
    let steps = prop_oneof![
        (1u32..=100, 1u32..=100).prop_map(|(a, b)| (Some(a.min(b)), vec![], Some(a.max(b)))),
        proptest::collection::btree_set(1u32..=100, 1..6).prop_map(|s| (
            None,
            s.into_iter().collect::<Vec<_>>(),
            None
        )),
    ];
    (1u32..6, steps, 0.0f64..200.0, 0.0f64..200.0).prop_map(
        |(threshold, (step, list, max), a, b)| {
            Analysis {
                threshold,
                step_weight: step,
                step_weights: list,
                max_weight: max,
                metrics: vec![
                    Metric {
                        name: "a".into(),
                        query: Some("a".into()),
                        threshold_range: ThresholdRange {
                            min: Some(a.min(b)),
                            max: None,
                        },
                        ..Metric::default()
                    },
                    Metric {
                        name: "b".into(),
                        query: Some("b".into()),
                        threshold_range: ThresholdRange {
                            min: None,
                            max: Some(a.max(b)),
                        },
                        ..Metric::default()
                    },
                ],
                ..Analysis::default()
            }
            .validate()
            .unwrap()
        },
    )
}

fn any_state() -> impl Strategy<Value = State> {
    (0u32..=120, 0u32..7, 0u32..7).prop_map(|(weight, failed_checks, inconclusive_checks)| State {
        weight,
        failed_checks,
        inconclusive_checks,
    })
}

proptest! {
    #[test]
    fn never_promote_with_no_data_or_error(
        v in any_analysis(), state in any_state(), a in any_sample(), b in any_sample(),
    ) {
        let inconclusive = [&a, &b].iter().any(|s| match s {
            Sample::Value(x) => x.is_nan(),
            _ => true,
        });
        let d = decide(&v, &state, &Samples::from([("a".to_string(), a), ("b".to_string(), b)]));
        if inconclusive {
            prop_assert_ne!(d.action, Action::Promote);
        }
        if d.action == Action::Promote {
            prop_assert!(d.checks.iter().all(CheckResult::passed));
        }
    }

    #[test]
    fn weight_never_exceeds_max_and_promotion_only_at_max(
        v in any_analysis(), state in any_state(), a in any_sample(), b in any_sample(),
    ) {
        let d = decide(&v, &state, &Samples::from([("a".to_string(), a), ("b".to_string(), b)]));
        prop_assert!(d.state.weight <= v.max_weight());
        if d.action == Action::Promote {
            prop_assert!(state.weight >= v.max_weight());
            prop_assert_eq!(d.state.weight, v.max_weight());
        }
        // Weight only goes up, and only on a pass (or at the start).
        if d.state.weight > state.weight.min(v.max_weight()) {
            prop_assert_eq!(d.action, Action::Continue);
            prop_assert!(d.checks.iter().all(|c| c.verdict != Verdict::Failed));
        }
        // Counts never go down, except a run of inconclusive checks ended.
        prop_assert!(d.state.failed_checks >= state.failed_checks);
        if d.action == Action::RollBack {
            prop_assert!(
                d.state.failed_checks >= v.analysis().threshold
                    || d.state.inconclusive_checks >= v.analysis().threshold
            );
        }
    }

    #[test]
    fn a_run_of_passes_promotes_within_the_schedule(v in any_analysis()) {
        let ok = Samples::from([
            ("a".to_string(), Sample::Value(v.analysis().metrics[0].threshold_range.min.unwrap_or(0.0))),
            ("b".to_string(), Sample::Value(v.analysis().metrics[1].threshold_range.max.unwrap_or(0.0))),
        ]);
        let mut state = State::default();
        let mut checks = 0;
        let last = loop {
            let d = decide(&v, &state, &ok);
            checks += 1;
            if d.action != Action::Continue || checks > 200 {
                break d;
            }
            state = d.state;
        };
        prop_assert_eq!(last.action, Action::Promote);
        prop_assert_eq!(checks, v.weights().len() + 1);
    }
}
