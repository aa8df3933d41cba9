//! The analysis definition of one app, as Flagger writes it, and its validation.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::query::{check_template, render_query, REQUEST_SUCCESS_RATE};
use super::{builtin_query, parse_duration, CanaryError, REQUEST_DURATION};

/// The analysis interval when none is written, as in Flagger.
pub const DEFAULT_INTERVAL: &str = "1m";

/// The range of a metric's query when the metric has no `interval`, as in Flagger.
pub const DEFAULT_METRIC_INTERVAL: &str = "1m";

/// The highest weight when `maxWeight` is not written, as in Flagger.
pub const DEFAULT_MAX_WEIGHT: u32 = 100;

/// The canary analysis of one app (Flagger's `spec.analysis`, progressive traffic shifting
/// only): every `interval` the metrics are checked; while they pass the canary's traffic
/// weight steps up to `maxWeight`, and a check passing at `maxWeight` promotes it; `threshold`
/// failed checks roll it back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Analysis {
    /// The time between two checks (`30s`, `1m`, `1m30s`; default `1m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// The number of failed checks (counted over the whole analysis, not only in a row) that
    /// rolls the canary back; also the number of inconclusive checks in a row that does. At
    /// least 1.
    pub threshold: u32,
    /// The highest traffic weight, in percent, routed to the canary (1–100, default 100). With
    /// `stepWeights`, it is their last and may be left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_weight: Option<u32>,
    /// The weight, in percent, added after each passed check. Give this or `stepWeights`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_weight: Option<u32>,
    /// The weights, in percent and increasing, the canary goes through (`[1, 10, 50]`). Give
    /// this or `stepWeight`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_weights: Vec<u32>,
    /// The checks, at least one. Each has a name of its own.
    pub metrics: Vec<Metric>,
}

/// One check: a PromQL query (built in or written here) and the range its value must lie in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metric {
    /// `request-success-rate` (percent, 0–100) or `request-duration` (milliseconds, the
    /// 99th percentile) for the built-in queries; any other name with a `query`.
    pub name: String,
    /// The values that pass, bounds included.
    #[serde(default)]
    pub threshold_range: ThresholdRange,
    /// The range of the query, `{{ interval }}` in its template (default `1m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// A PromQL template with `{{ namespace }}`, `{{ target }}` and `{{ interval }}`, in place
    /// of the built-in query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

impl Metric {
    /// The range of the metric's query: its `interval`, or [`DEFAULT_METRIC_INTERVAL`].
    pub fn window(&self) -> &str {
        self.interval.as_deref().unwrap_or(DEFAULT_METRIC_INTERVAL)
    }
}

/// The values of a metric that pass: at least `min` and at most `max`, bounds included. At
/// least one bound is required.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ThresholdRange {
    /// The lowest value that passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The highest value that passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl ThresholdRange {
    /// Whether `value` lies in the range, bounds included. `NaN` never does.
    pub fn contains(&self, value: f64) -> bool {
        !value.is_nan()
            && self.min.is_none_or(|min| value >= min)
            && self.max.is_none_or(|max| value <= max)
    }
}

/// One problem of an analysis: where (a JSON pointer into the analysis) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Problem {
    /// A JSON pointer into the analysis (`/metrics/0/thresholdRange`; empty for the whole).
    pub pointer: String,
    /// What is wrong, and how to put it right.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

/// An analysis without problems, ready for [`super::decide`]; made by [`Analysis::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    analysis: Analysis,
    interval: u64,
    max_weight: u32,
}

/// The weights the canary goes through, from 0 up to its highest.
#[derive(Debug, Clone, Copy)]
enum Steps<'a> {
    /// Add this much each time.
    Step(u32),
    /// Go through these.
    List(&'a [u32]),
}

impl Analysis {
    /// The analysis, validated; or every problem of it at once, each with a JSON pointer
    /// into it: a bad `interval`, `threshold` 0, `maxWeight` outside 1–100, `stepWeight` and
    /// `stepWeights` both or neither, `stepWeight` 0 or above `maxWeight`, `stepWeights` not
    /// increasing within 1–100, no metric, a metric's name empty or used twice, a name neither
    /// built in nor with a `query`, a template with unknown variables, a `thresholdRange`
    /// without bounds or with `min` above `max`, and a bad metric `interval`.
    pub fn validate(&self) -> Result<Validated, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut problem = |pointer: String, message: String| {
            problems.push(Problem { pointer, message });
        };
        let interval = self.interval.as_deref().unwrap_or(DEFAULT_INTERVAL);
        let interval = parse_duration(interval)
            .map_err(|e| problem("/interval".into(), e.to_string()))
            .unwrap_or(0);
        if self.threshold == 0 {
            problem(
                "/threshold".into(),
                "the threshold is at least 1: it is the number of failed checks that rolls the canary back".into(),
            );
        }
        let max_weight = self.weights(&mut problem);
        if self.metrics.is_empty() {
            problem(
                "/metrics".into(),
                "an analysis needs at least one metric: without one, a canary would be promoted without evidence".into(),
            );
        }
        let mut names: IndexMap<&str, usize> = IndexMap::new();
        for (i, metric) in self.metrics.iter().enumerate() {
            let at = format!("/metrics/{i}");
            if metric.name.trim().is_empty() {
                problem(format!("{at}/name"), "a metric needs a name".into());
            } else if let Some(first) = names.get(metric.name.as_str()) {
                problem(
                    format!("{at}/name"),
                    format!(
                        "`{}` names /metrics/{first} already: samples are given by metric name",
                        metric.name
                    ),
                );
            } else {
                names.insert(&metric.name, i);
            }
            check_metric(metric, &at, &mut problem);
        }
        if problems.is_empty() {
            Ok(Validated {
                analysis: self.clone(),
                interval,
                max_weight,
            })
        } else {
            Err(problems)
        }
    }

    fn steps(&self) -> Steps<'_> {
        if self.step_weights.is_empty() {
            Steps::Step(self.step_weight.unwrap_or(0))
        } else {
            Steps::List(&self.step_weights)
        }
    }

    /// Checks the weights; the highest weight.
    fn weights(&self, problem: &mut impl FnMut(String, String)) -> u32 {
        if let Some(max) = self.max_weight {
            if max == 0 || max > 100 {
                problem(
                    "/maxWeight".into(),
                    format!("maxWeight {max} is not a percentage from 1 to 100"),
                );
            }
        }
        match (self.step_weight, self.step_weights.as_slice()) {
            (None, []) => {
                problem(
                    "/stepWeight".into(),
                    "give stepWeight (or stepWeights): how the canary's traffic weight grows"
                        .into(),
                );
                self.max_weight.unwrap_or(DEFAULT_MAX_WEIGHT)
            }
            (Some(_), [_, ..]) => {
                problem(
                    "/stepWeights".into(),
                    "give stepWeight or stepWeights, not both".into(),
                );
                self.max_weight.unwrap_or(DEFAULT_MAX_WEIGHT)
            }
            (Some(step), []) => {
                let max = self.max_weight.unwrap_or(DEFAULT_MAX_WEIGHT);
                if step == 0 {
                    problem(
                        "/stepWeight".into(),
                        "stepWeight 0 never moves traffic to the canary".into(),
                    );
                } else if step > max {
                    problem(
                        "/stepWeight".into(),
                        format!("stepWeight {step} is above maxWeight {max}"),
                    );
                }
                max
            }
            (None, list @ [.., last]) => {
                let mut previous = 0;
                for (i, &w) in list.iter().enumerate() {
                    if w == 0 || w > 100 {
                        problem(
                            format!("/stepWeights/{i}"),
                            format!("{w} is not a percentage from 1 to 100"),
                        );
                    } else if w <= previous {
                        problem(
                            format!("/stepWeights/{i}"),
                            format!("{w} does not increase on {previous}: the weights go up"),
                        );
                    } else {
                        previous = w;
                    }
                }
                if let Some(max) = self.max_weight.filter(|max| max != last) {
                    problem(
                        "/maxWeight".into(),
                        format!(
                            "maxWeight {max} is not the last of stepWeights ({last}); leave it out"
                        ),
                    );
                }
                *last
            }
        }
    }
}

fn check_metric(metric: &Metric, at: &str, problem: &mut impl FnMut(String, String)) {
    match &metric.query {
        Some(query) => {
            if let Err(e) = check_template(query) {
                problem(format!("{at}/query"), e.to_string());
            }
        }
        None if builtin_query(&metric.name).is_none() && !metric.name.trim().is_empty() => {
            let hint = crate::suggest::did_you_mean(
                &metric.name,
                [REQUEST_SUCCESS_RATE, REQUEST_DURATION],
            )
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
            problem(
                format!("{at}/query"),
                format!(
                    "{}{hint}",
                    CanaryError::UnknownMetric {
                        name: metric.name.clone()
                    }
                ),
            );
        }
        None => {}
    }
    let range = metric.threshold_range;
    let bounds = format!("{at}/thresholdRange");
    for (key, bound) in [("min", range.min), ("max", range.max)] {
        if bound.is_some_and(|b| !b.is_finite()) {
            problem(format!("{bounds}/{key}"), format!("{key} is not a number"));
        }
    }
    match (range.min, range.max) {
        (None, None) => problem(
            bounds.clone(),
            "give min, max or both: a check without bounds always passes".into(),
        ),
        (Some(min), Some(max)) if min > max => problem(
            bounds.clone(),
            format!("min {min} is above max {max}: no value passes"),
        ),
        _ => {}
    }
    if metric.name == REQUEST_SUCCESS_RATE && metric.query.is_none() {
        for (key, bound) in [("min", range.min), ("max", range.max)] {
            match bound {
                Some(b) if !(0.0..=100.0).contains(&b) => problem(
                    format!("{bounds}/{key}"),
                    format!("{key} {b} is not a percentage (0–100), which the success rate is"),
                ),
                Some(b) if key == "min" && b > 0.0 && b < 1.0 => problem(
                    format!("{bounds}/{key}"),
                    format!(
                        "the success rate is a percentage: min {b} passes a canary failing {}% of requests (did you mean {}?)",
                        100.0 - b,
                        b * 100.0
                    ),
                ),
                _ => {}
            }
        }
    }
    if let Some(interval) = &metric.interval {
        if let Err(e) = parse_duration(interval) {
            problem(format!("{at}/interval"), e.to_string());
        }
    }
}

impl Validated {
    /// The analysis.
    pub fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// The time between two checks, in seconds.
    pub fn interval_seconds(&self) -> u64 {
        self.interval
    }

    /// The highest weight: `maxWeight` (default 100), or the last of `stepWeights`.
    pub fn max_weight(&self) -> u32 {
        self.max_weight
    }

    /// The weight after a passed check at `current`: `current + stepWeight`, or the first of
    /// `stepWeights` above `current`; never above [`Validated::max_weight`].
    pub fn next_weight(&self, current: u32) -> u32 {
        let next = match self.analysis.steps() {
            Steps::Step(step) => current.saturating_add(step),
            Steps::List(list) => list
                .iter()
                .copied()
                .find(|&w| w > current)
                .unwrap_or(self.max_weight),
        };
        next.min(self.max_weight)
    }

    /// The weights the canary goes through from 0, in order; the last is
    /// [`Validated::max_weight`]. A canary passing every check is promoted at the check after
    /// the last, so after `weights().len() + 1` checks.
    pub fn weights(&self) -> Vec<u32> {
        let mut weights = Vec::new();
        let mut current = 0;
        while current < self.max_weight {
            current = self.next_weight(current);
            weights.push(current);
        }
        weights
    }

    /// Each metric's name and its PromQL for the canary `target` in `namespace`, over its own
    /// [`Metric::window`].
    pub fn queries(
        &self,
        namespace: &str,
        target: &str,
    ) -> Result<IndexMap<String, String>, CanaryError> {
        self.analysis
            .metrics
            .iter()
            .map(|m| render_query(m, namespace, target, m.window()).map(|q| (m.name.clone(), q)))
            .collect()
    }
}
