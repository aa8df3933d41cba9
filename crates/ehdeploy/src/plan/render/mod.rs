//! Plan renderers: human text, JSON and Markdown.
//!
//! Every renderer is a pure function of the plan; the output is deterministic, so it can be
//! compared byte for byte. A change marked `secret` shows `***` for its values in every format,
//! whatever the plan holds.

mod human;
mod markdown;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

use serde_json::Value;

use crate::term::{clean, plural};

use super::model::{Action, Change, Decision, Plan, PlanSummary};

/// The output formats of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    /// Text for a person, grouped by priority; `color` for a terminal.
    Human {
        /// Use ANSI colours.
        color: bool,
    },
    /// The JSON plan (`schemas/plan.schema.json`).
    Json,
    /// Markdown for a pull-request description.
    Markdown,
}

/// Render a plan.
pub fn render(plan: &Plan, format: PlanFormat) -> String {
    match format {
        PlanFormat::Human { color } => human::render(plan, color),
        PlanFormat::Json => json(plan),
        PlanFormat::Markdown => markdown::render(plan),
    }
}

/// The plan as pretty JSON and a newline. Secret changes are masked again on the way out, so a
/// plan built elsewhere cannot leak one through this renderer (a plan from `diff` is unchanged).
fn json(plan: &Plan) -> String {
    let plan = plan.masked();
    let mut s = serde_json::to_string_pretty(plan.as_ref()).unwrap_or_default();
    s.push('\n');
    s
}

impl Plan {
    /// The plan with every value of a secret change that is not `"***"` replaced by it (a
    /// plan from [`diff`](crate::plan::diff) is returned as it is). Every output goes through this.
    pub fn masked(&self) -> Cow<'_, Plan> {
        masked(self)
    }
}

/// `plan`, with every value of a secret change that is not `"***"` replaced by it.
fn masked(plan: &Plan) -> Cow<'_, Plan> {
    let mask = Value::String(MASK.into());
    let leaks = |c: &Change| {
        c.secret
            && [&c.from, &c.to]
                .iter()
                .any(|v| v.as_ref().is_some_and(|v| *v != mask))
    };
    if !plan.actions.iter().flat_map(|a| &a.changes).any(leaks) {
        return Cow::Borrowed(plan);
    }
    let mut plan = plan.clone();
    for change in plan.actions.iter_mut().flat_map(|a| &mut a.changes) {
        if change.secret {
            for v in [&mut change.from, &mut change.to].into_iter().flatten() {
                *v = mask.clone();
            }
        }
    }
    Cow::Owned(plan)
}

/// What a secret value shows as.
const MASK: &str = "***";

/// The sign of a decision.
fn sign(decision: Decision) -> &'static str {
    match decision {
        Decision::Create => "+",
        Decision::Change => "~",
        Decision::Remove => "-",
        Decision::Noop => "=",
        Decision::Protected => "!",
        Decision::MoveNamespace => ">",
        Decision::ReplaceChart => "±",
    }
}

/// The sign of a change: `+` a new field, `-` a removed one, `~` one that changes.
fn change_sign(change: &Change) -> &'static str {
    match (&change.from, &change.to) {
        (None, Some(_)) => "+",
        (Some(_), None) => "-",
        _ => "~",
    }
}

/// A side of a change as compact JSON (strings quoted), `***` for a secret, cleaned for display.
fn value_text(change: &Change, value: Option<&Value>) -> Option<String> {
    value.map(|v| {
        if change.secret {
            MASK.to_string()
        } else {
            clean(&v.to_string())
        }
    })
}

/// What changes: the platform's name and the path (`image.tag (values/imageTag)`), or the path.
fn what(change: &Change) -> String {
    match &change.field {
        Some(field) => format!("{} ({})", clean(field), clean(&change.path)),
        None => clean(&change.path),
    }
}

/// The apps that are collapsed into the "unchanged" line: no-ops with nothing to show.
fn collapsed(action: &Action) -> bool {
    action.decision == Decision::Noop && action.changes.is_empty() && action.risks.is_empty()
}

/// `N apps unchanged: a, b, c` for the collapsed no-ops, `app` to show each name.
fn unchanged_line(plan: &Plan, app: impl Fn(&str) -> String) -> Option<String> {
    let names: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| collapsed(a))
        .map(|a| app(&a.app))
        .collect();
    if names.is_empty() {
        return None;
    }
    Some(format!(
        "{} unchanged: {}",
        plural(names.len(), "app"),
        names.join(", ")
    ))
}

/// The counts of the actions shown (not the plan's `summary`, so the line agrees with them even
/// when the summary of a plan read back from JSON does not).
fn counted(plan: &Plan) -> PlanSummary {
    PlanSummary::of(&plan.actions)
}

/// `Plan: 1 to create, 2 to change, 0 to remove, 1 namespace move, 3 unchanged, 1 protected;
/// 2 risk notes.` (counts of zero left out but the first three), or `No changes.`
fn summary_line(plan: &Plan) -> String {
    let s = counted(plan);
    let risks = (s.risks > 0).then(|| plural(s.risks, "risk note"));
    let protected = (s.protected > 0).then(|| format!("{} protected", s.protected));
    if !s.has_changes() {
        return match (protected, risks) {
            (None, None) => "No changes.".to_string(),
            (Some(p), None) => format!("No changes ({p})."),
            (None, Some(r)) => format!("No changes ({r})."),
            (Some(p), Some(r)) => format!("No changes ({p}; {r})."),
        };
    }
    let mut parts = vec![
        format!("{} to create", s.create),
        format!("{} to change", s.change),
        format!("{} to remove", s.remove),
    ];
    if s.move_namespace > 0 {
        parts.push(plural(s.move_namespace, "namespace move"));
    }
    if s.replace_chart > 0 {
        parts.push(plural(s.replace_chart, "chart replacement"));
    }
    if s.noop > 0 {
        parts.push(format!("{} unchanged", s.noop));
    }
    parts.extend(protected);
    let mut line = format!("Plan: {}", parts.join(", "));
    if let Some(r) = risks {
        line.push_str("; ");
        line.push_str(&r);
    }
    line.push('.');
    line
}
