//! A canary analysis run over time: every check from the canary's start up to now, each
//! decided from the metrics at its time, as Flagger would have decided them.

use indexmap::IndexMap;
use jiff::{SignedDuration, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{decide, Action, Decision, Sample, Samples, State, Validated};

/// Where the metrics of a canary come from: anything that evaluates PromQL over time
/// (Prometheus's HTTP API with the `prometheus` feature).
pub trait MetricSource {
    /// The error of a query that could not be answered.
    type Error;

    /// `query` evaluated at `start`, `start + step`, … up to `end` (inclusive): one sample
    /// per time, in order, [`Sample::NoData`] where there is no value.
    fn range(
        &self,
        query: &str,
        start: Timestamp,
        end: Timestamp,
        step_seconds: u64,
    ) -> Result<Vec<(Timestamp, Sample)>, Self::Error>;
}

/// One check of a run: when, and what was decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TimedDecision {
    /// The check's time (RFC 3339).
    #[schemars(with = "String")]
    pub at: Timestamp,
    /// The decision, with each metric's value.
    pub decision: Decision,
}

/// A canary's analysis from its start up to a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Run {
    /// When the canary started (its first check is one interval later).
    #[schemars(with = "String")]
    pub since: Timestamp,
    /// The time the run is judged at.
    #[schemars(with = "String")]
    pub until: Timestamp,
    /// Each metric's PromQL, by name.
    pub queries: IndexMap<String, String>,
    /// Every check, in order, up to the first that promotes or rolls back.
    pub checks: Vec<TimedDecision>,
    /// Where the canary stands after the last check (the start when there was none).
    pub state: State,
    /// What the last check decided; `None` before the first check is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// When the next check is due, while the analysis goes on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub next_check: Option<Timestamp>,
}

impl Run {
    /// Whether the run ended: the canary was promoted or rolled back.
    pub fn finished(&self) -> bool {
        matches!(self.action, Some(Action::Promote | Action::RollBack))
    }

    /// The last check's decision.
    pub fn last(&self) -> Option<&Decision> {
        self.checks.last().map(|c| &c.decision)
    }

    /// The run for people: one line per check, then the outcome.
    pub fn human(&self, app: &str) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "canary {app}: {} check(s) from {} to {}",
            self.checks.len(),
            self.since,
            self.until
        );
        for check in &self.checks {
            let d = &check.decision;
            let metrics: Vec<String> = d
                .checks
                .iter()
                .map(|c| format!("{} {}", c.metric, c.note))
                .collect();
            let _ = writeln!(
                out,
                "  {}  {:<12} weight {:>3}%  {}",
                check.at,
                d.action.as_str(),
                d.state.weight,
                metrics.join("; ")
            );
        }
        match (self.action, self.last()) {
            (Some(action), Some(last)) => {
                let _ = writeln!(out, "decision: {}: {}", action.as_str(), last.reason);
            }
            _ => {
                let _ = writeln!(
                    out,
                    "decision: none yet: no check is due before {}",
                    self.until
                );
            }
        }
        if let Some(next) = self.next_check {
            let _ = writeln!(out, "next check: {next}");
        }
        out
    }
}

/// Runs the analysis of a canary that started at `since`, judged at `until`: the checks fall
/// every interval from `since` (the first one interval after it) up to `until`; each metric's
/// query (from [`Validated::queries`]) is asked once over that whole range, and each check is
/// [`decide`]d in turn from the start, until one promotes or rolls back.
///
/// A query the source cannot answer is an error, never a pass: nothing is decided from part
/// of the metrics. A time where a query has no value is [`Sample::NoData`] for that check.
pub fn run<S: MetricSource>(
    analysis: &Validated,
    queries: &IndexMap<String, String>,
    source: &S,
    since: Timestamp,
    until: Timestamp,
) -> Result<Run, S::Error> {
    let step = analysis.interval_seconds().max(1);
    let interval = SignedDuration::from_secs(i64::try_from(step).unwrap_or(i64::MAX));
    let times: Vec<Timestamp> = std::iter::successors(since.checked_add(interval).ok(), |t| {
        t.checked_add(interval).ok()
    })
    .take_while(|t| *t <= until)
    .collect();
    let mut state = State::default();
    let mut checks = Vec::new();
    if let (Some(&first), Some(&last)) = (times.first(), times.last()) {
        let mut series: Vec<(&String, IndexMap<Timestamp, Sample>)> = Vec::new();
        for (name, query) in queries {
            let points = source.range(query, first, last, step)?;
            series.push((name, points.into_iter().collect()));
        }
        for at in times {
            let samples: Samples = series
                .iter()
                .map(|(name, points)| {
                    let sample = points.get(&at).cloned().unwrap_or(Sample::NoData);
                    ((*name).clone(), sample)
                })
                .collect();
            let decision = decide(analysis, &state, &samples);
            state = decision.state;
            let done = matches!(decision.action, Action::Promote | Action::RollBack);
            checks.push(TimedDecision { at, decision });
            if done {
                break;
            }
        }
    }
    let action = checks.last().map(|c| c.decision.action);
    let finished = matches!(action, Some(Action::Promote | Action::RollBack));
    let next_check = if finished {
        None
    } else {
        let after = checks.last().map_or(since, |c| c.at);
        after.checked_add(interval).ok()
    };
    Ok(Run {
        since,
        until,
        queries: queries.clone(),
        checks,
        state,
        action,
        next_check,
    })
}

#[cfg(feature = "prometheus")]
impl MetricSource for super::Prometheus {
    type Error = super::PrometheusError;

    fn range(
        &self,
        query: &str,
        start: Timestamp,
        end: Timestamp,
        step_seconds: u64,
    ) -> Result<Vec<(Timestamp, Sample)>, Self::Error> {
        super::Prometheus::range(self, query, start, end, step_seconds)
    }
}
