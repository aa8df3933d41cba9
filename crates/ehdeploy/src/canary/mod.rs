//! Canary analysis: an app's analysis definition, in the meaning of Flagger's
//! `spec.analysis`, and the pure decision after each check.
//!
//! # The analysis
//!
//! ```yaml
//! interval: 1m          # time between checks (default 1m)
//! threshold: 5          # failed checks that roll the canary back
//! maxWeight: 50         # highest traffic weight, percent (default 100)
//! stepWeight: 10        # weight added after each passed check (or stepWeights: [1, 10, 50])
//! metrics:
//!   - name: request-success-rate   # built in: percent of requests without a 5xx
//!     thresholdRange: { min: 99 }
//!   - name: request-duration       # built in: P99 in milliseconds
//!     thresholdRange: { max: 500 }
//!     interval: 30s
//!   - name: error-budget           # custom: a PromQL template
//!     query: sum(rate(errors{namespace="{{ namespace }}",app="{{ target }}"}[{{ interval }}]))
//!     thresholdRange: { max: 1 }
//! ```
//!
//! [`Analysis::validate`] reports every problem at once, each with a JSON pointer into the
//! analysis. The built-in queries are Flagger's Istio ones; [`render_query`] fills a template's
//! `{{ namespace }}`, `{{ target }}` and `{{ interval }}` and refuses any other variable.
//! Durations are whole `h`, `m`, `s` ([`parse_duration`]). A/B testing (`iterations`, `match`)
//! is not supported.
//!
//! # The decision
//!
//! After each check, [`decide`] takes the canary's [`State`] (its weight, its failed checks,
//! its inconclusive checks in a row) and each metric's [`Sample`]: a value, no data, or a
//! failed query. Each value is checked against the metric's `thresholdRange`, bounds included.
//! Then:
//!
//! - a metric **failed**: one more failed check. At `threshold` failed checks, counted over the
//!   whole analysis as Flagger counts them, the canary is **rolled back**; below it, the
//!   analysis **continues at the same weight**.
//! - every metric **passed**: at the highest weight (`maxWeight`, or the last of `stepWeights`)
//!   the canary is **promoted**; below it, the analysis **continues at the next weight**
//!   (`weight + stepWeight`, or the next of `stepWeights`, never above the highest).
//! - at **weight 0**, the start, no traffic is routed to the canary and no data is expected: as
//!   in Flagger, a check without a failed metric continues at the first weight.
//!
//! # No data is not success
//!
//! A canary without traffic has no data: Prometheus answers an empty result, or `NaN` for a
//! success rate of zero requests. Flagger halts with "no values found … probably not receiving
//! traffic" and counts a failed check (fluxcd/flagger#1689), and users ask for the opposite,
//! to count it as success (fluxcd/flagger#1353). Here a metric **without data**, and a metric
//! whose **query failed** (Prometheus unreachable, a timeout), is **inconclusive**: neither
//! passed nor failed, and never a pass. A check with an inconclusive metric and none failed is `inconclusive`:
//! the weight is held, and nothing is promoted. After `threshold` inconclusive checks **in a
//! row**, the canary is **rolled back**, with the reason "no traffic/data for N checks in a
//! row", rather than held at a partial weight forever. A passed or failed check ends the run.
//!
//! **A canary is never promoted without a value for every metric in the last check.**
//!
//! Every [`Decision`] carries its evidence: each metric's [`CheckResult`] and a one-line
//! reason.
//!
//! ```
//! use ehdeploy::canary::{decide, Action, Analysis, Sample, Samples, State};
//! let analysis: Analysis = serde_json::from_str(r#"{
//!     "threshold": 2, "maxWeight": 20, "stepWeight": 10,
//!     "metrics": [{"name": "request-success-rate", "thresholdRange": {"min": 99}}]
//! }"#).unwrap();
//! let analysis = analysis.validate().unwrap();
//! let rate = |s: Sample| Samples::from([("request-success-rate".to_string(), s)]);
//!
//! let start = decide(&analysis, &State::default(), &rate(Sample::NoData));
//! assert_eq!((start.action, start.state.weight), (Action::Continue, 10));
//! let quiet = decide(&analysis, &start.state, &rate(Sample::NoData));
//! assert_eq!((quiet.action, quiet.state.weight), (Action::Inconclusive, 10));
//! let good = decide(&analysis, &quiet.state, &rate(Sample::Value(99.5)));
//! assert_eq!((good.action, good.state.weight), (Action::Continue, 20));
//! let done = decide(&analysis, &good.state, &rate(Sample::Value(100.0)));
//! assert_eq!(done.action, Action::Promote);
//! ```
//!
//! # Asking Prometheus
//!
//! With the cargo feature `prometheus`, `Prometheus` asks a Prometheus server's HTTP API for
//! each metric's [`Sample`]: `Prometheus::instant` at one time, `Prometheus::range` at every
//! step of a range. An empty answer or `NaN` is [`Sample::NoData`]; a query giving several
//! series is refused (aggregate it). Failures are `PrometheusError`s with stable codes;
//! connection errors, timeouts and 5xx answers are retried, as `PrometheusOptions` bound.

mod analysis;
mod decide;
mod duration;
mod error;
mod flagger;
#[cfg(feature = "prometheus")]
mod prometheus;
mod query;
mod resolve;
mod run;
#[cfg(test)]
mod tests;

pub use analysis::{
    Analysis, Metric, Problem, ThresholdRange, Validated, DEFAULT_INTERVAL, DEFAULT_MAX_WEIGHT,
    DEFAULT_METRIC_INTERVAL,
};
pub use decide::{decide, Action, CheckResult, Decision, Sample, Samples, State, Verdict};
pub use duration::parse_duration;
pub use error::CanaryError;
pub use flagger::{
    flagger_objects, CanaryService, CanarySpec, CanaryTarget, FlaggerAnalysis, FlaggerMetric,
    FlaggerObject, MetricProvider, MetricTemplateSpec, ObjectMeta, TargetRef, TemplateRef,
    FLAGGER_API_VERSION,
};
#[cfg(feature = "prometheus")]
pub use prometheus::{Prometheus, PrometheusError, PrometheusOptions};
pub use query::{
    builtin_query, query_template, render_query, REQUEST_DURATION, REQUEST_SUCCESS_RATE,
};
pub use resolve::{app_analysis, AnalysisSource};
pub use run::{run, MetricSource, Run, TimedDecision};
