//! The decision after one check: promote, continue at a weight, hold as inconclusive, or roll
//! back; with the evidence.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Metric, Validated};

/// The canary's progress between two checks. Start with the default (weight 0, no checks
/// counted), and pass each [`Decision::state`] to the next [`decide`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct State {
    /// The traffic weight, in percent, routed to the canary now.
    #[serde(default)]
    pub weight: u32,
    /// The failed checks so far, over the whole analysis.
    #[serde(default)]
    pub failed_checks: u32,
    /// The inconclusive checks (no data, or a failed query) in a row, up to now.
    #[serde(default)]
    pub inconclusive_checks: u32,
}

/// The result of one metric's query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Sample {
    /// A value (`{"value": 99.2}`). `NaN` counts as no data.
    Value(f64),
    /// No data: an empty result, or `NaN` (as a success rate without requests is): nothing
    /// was measured, typically because the canary had no traffic (`"no-data"`).
    NoData,
    /// The query failed: Prometheus unreachable, a bad query, a timeout (`{"error": "…"}`).
    /// It says nothing about the canary.
    Error(String),
}

impl Sample {
    /// A sample from a query's value, if any: `None` and `NaN` are [`Sample::NoData`].
    pub fn from_value(value: Option<f64>) -> Sample {
        match value {
            Some(v) if !v.is_nan() => Sample::Value(v),
            _ => Sample::NoData,
        }
    }
}

/// The samples of one check, by metric name.
pub type Samples = IndexMap<String, Sample>;

/// What one metric's sample says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The value is within the range.
    Passed,
    /// The value is outside the range.
    Failed,
    /// There was no data: inconclusive, never a pass.
    NoData,
    /// The query failed (or no sample was given): inconclusive, never a pass.
    QueryError,
}

impl Verdict {
    /// Whether the metric passed.
    pub fn passed(self) -> bool {
        self == Verdict::Passed
    }

    /// Whether the sample said nothing about the canary (no data, or a failed query).
    pub fn inconclusive(self) -> bool {
        matches!(self, Verdict::NoData | Verdict::QueryError)
    }
}

/// One metric's part of a check: its sample against its range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CheckResult {
    /// The metric's name.
    pub metric: String,
    /// What the sample says.
    pub verdict: Verdict,
    /// The value measured, if any (an infinite value is written `null` in JSON; the note
    /// names it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The lowest value that passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The highest value that passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// One line for people: `99.2 (min 99)`, `612 is above max 500`, `no data (no traffic?)`.
    pub note: String,
}

impl CheckResult {
    /// Whether the metric passed.
    pub fn passed(&self) -> bool {
        self.verdict.passed()
    }
}

/// What to do after a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Every metric passed at the highest weight: promote the canary.
    Promote,
    /// Go on at [`State::weight`] of the decision: the next weight after a passed check, the
    /// same after a failed one below the threshold.
    Continue,
    /// Roll the canary back: too many failed checks, or too many inconclusive ones in a row.
    RollBack,
    /// Nothing was learnt (no data, or a failed query, and no metric failed): hold the weight
    /// and check again.
    Inconclusive,
}

impl Action {
    /// The name, as JSON writes it: `promote`, `continue`, `roll-back`, `inconclusive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Promote => "promote",
            Action::Continue => "continue",
            Action::RollBack => "roll-back",
            Action::Inconclusive => "inconclusive",
        }
    }
}

/// The decision after one check, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Decision {
    /// What to do.
    pub action: Action,
    /// The canary's progress after this check, for the next one: on `continue` its weight is
    /// the weight to route to the canary now; on `inconclusive` the weight held; on `promote`
    /// and `roll-back`, where the analysis ended.
    pub state: State,
    /// Why, in one line.
    pub reason: String,
    /// Each metric's result, in the analysis's order.
    pub checks: Vec<CheckResult>,
}

/// The decision after one check of the canary at `state`, from each metric's sample (by
/// name; a metric without a sample counts as a failed query). Pure: the same arguments give
/// the same decision. The rules, in order:
///
/// 1. `state` at or past the threshold (failed checks, or inconclusive checks in a row):
///    roll back.
/// 2. A metric failed: one more failed check; at `threshold` failed checks roll back, else
///    continue at the same weight.
/// 3. At weight 0 (the start: no traffic routed to the canary, so no data is expected):
///    continue at the first weight.
/// 4. A metric had no data or its query failed: one more inconclusive check in a row; at
///    `threshold` of them roll back, else hold the weight (`inconclusive`).
/// 5. Every metric passed: promote at the highest weight, else continue at the next weight.
///
/// A passed or failed check ends a run of inconclusive ones; failed checks add up over the
/// whole analysis, as in Flagger.
pub fn decide(analysis: &Validated, state: &State, samples: &Samples) -> Decision {
    let threshold = analysis.analysis().threshold;
    let max = analysis.max_weight();
    let weight = state.weight.min(max);
    let checks: Vec<CheckResult> = analysis
        .analysis()
        .metrics
        .iter()
        .map(|m| check(m, samples.get(&m.name)))
        .collect();
    let names = |verdicts: &[Verdict]| {
        checks
            .iter()
            .filter(|c| verdicts.contains(&c.verdict))
            .map(|c| format!("{} {}", c.metric, c.note))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let decision = |action, state, reason| Decision {
        action,
        state,
        reason,
        checks: checks.clone(),
    };

    // 1. Past the threshold already (the analysis changed, or a roll-back was not acted on).
    let held = State { weight, ..*state };
    if state.failed_checks >= threshold {
        return decision(
            Action::RollBack,
            held,
            format!(
                "{} failed checks already reach the threshold of {threshold}",
                state.failed_checks
            ),
        );
    }
    if state.inconclusive_checks >= threshold {
        return decision(
            Action::RollBack,
            held,
            format!(
                "{} inconclusive checks in a row already reach the threshold of {threshold}",
                state.inconclusive_checks
            ),
        );
    }

    // 2. Failed.
    if checks.iter().any(|c| c.verdict == Verdict::Failed) {
        let failed_checks = state.failed_checks.saturating_add(1);
        let next = State {
            weight,
            failed_checks,
            inconclusive_checks: 0,
        };
        let failed = names(&[Verdict::Failed]);
        return if failed_checks >= threshold {
            decision(
                Action::RollBack,
                next,
                format!("failed check {failed_checks} of {threshold} at weight {weight}: {failed}"),
            )
        } else {
            decision(
                Action::Continue,
                next,
                format!(
                    "failed check {failed_checks} of {threshold}, holding weight {weight}: {failed}"
                ),
            )
        };
    }

    // 3. The start.
    if weight == 0 {
        let next = analysis.next_weight(0);
        return decision(
            Action::Continue,
            State {
                weight: next,
                failed_checks: state.failed_checks,
                inconclusive_checks: 0,
            },
            format!("starting: no traffic is routed to the canary yet; next weight {next}"),
        );
    }

    // 4. Inconclusive.
    if checks.iter().any(|c| c.verdict.inconclusive()) {
        let inconclusive_checks = state.inconclusive_checks.saturating_add(1);
        let next = State {
            weight,
            failed_checks: state.failed_checks,
            inconclusive_checks,
        };
        let what = names(&[Verdict::NoData, Verdict::QueryError]);
        return if inconclusive_checks >= threshold {
            decision(
                Action::RollBack,
                next,
                format!(
                    "no traffic/data for {inconclusive_checks} checks in a row (threshold {threshold}) at weight {weight}; a canary is never promoted without data: {what}"
                ),
            )
        } else {
            decision(
                Action::Inconclusive,
                next,
                format!(
                    "inconclusive check {inconclusive_checks} of {threshold} in a row, holding weight {weight}: {what}"
                ),
            )
        };
    }

    // 5. Passed.
    let next = State {
        weight,
        failed_checks: state.failed_checks,
        inconclusive_checks: 0,
    };
    let count = checks.len();
    if weight >= max {
        decision(
            Action::Promote,
            next,
            format!("all {count} metrics passed at the highest weight {max}: promote"),
        )
    } else {
        let to = analysis.next_weight(weight);
        decision(
            Action::Continue,
            State { weight: to, ..next },
            format!("all {count} metrics passed at weight {weight}; next weight {to}"),
        )
    }
}

/// One metric's sample against its range.
fn check(metric: &Metric, sample: Option<&Sample>) -> CheckResult {
    let range = metric.threshold_range;
    let bounds = match (range.min, range.max) {
        (Some(min), Some(max)) => format!("min {min}, max {max}"),
        (Some(min), None) => format!("min {min}"),
        (None, Some(max)) => format!("max {max}"),
        (None, None) => "no bounds".to_string(),
    };
    let (verdict, value, note) = match sample {
        None => (
            Verdict::QueryError,
            None,
            "was not measured: no sample given".to_string(),
        ),
        Some(Sample::Error(e)) => (Verdict::QueryError, None, format!("query failed: {e}")),
        Some(Sample::NoData) => (Verdict::NoData, None, "no data (no traffic?)".to_string()),
        Some(Sample::Value(v)) if v.is_nan() => (
            Verdict::NoData,
            None,
            "no data (NaN: no traffic?)".to_string(),
        ),
        Some(Sample::Value(v)) => {
            let v = *v;
            if let Some(min) = range.min.filter(|&min| v < min) {
                (Verdict::Failed, Some(v), format!("{v} is below min {min}"))
            } else if let Some(max) = range.max.filter(|&max| v > max) {
                (Verdict::Failed, Some(v), format!("{v} is above max {max}"))
            } else {
                (Verdict::Passed, Some(v), format!("{v} ({bounds})"))
            }
        }
    };
    CheckResult {
        metric: metric.name.clone(),
        verdict,
        value,
        min: range.min,
        max: range.max,
        note,
    }
}
