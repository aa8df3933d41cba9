//! The human format: actions grouped by priority, in the order they run, each with its changes,
//! risk notes and reason; no-ops on one line; a summary line.
//!
//! ```text
//! priority -10
//!   + create  db (namespace medilink, release db)
//!     + version: "12.1.0"
//!     new in the spec: install
//!
//! priority 0
//!   ~ change  web (namespace medilink, release web)
//!     ~ image.tag (values/image/tag): "3.14.2" → "3.15.0"
//!     1 field(s) change: upgrade
//!
//! 1 app unchanged: portal
//! Plan: 1 to create, 1 to change, 0 to remove, 1 unchanged.
//! ```

use std::fmt::Write as _;

use super::{change_sign, collapsed, sign, summary_line, unchanged_line, value_text, what};
use crate::plan::model::{Action, Change, Decision, Plan};
use crate::plan::risk::RiskId;
use crate::term::sgr::{BOLD, CYAN, DIM, GREEN, MAGENTA, RED, YELLOW};
use crate::term::{clean, Style};

fn decision_sgr(decision: Decision) -> &'static str {
    match decision {
        Decision::Create => GREEN,
        Decision::Change => YELLOW,
        Decision::Remove => RED,
        Decision::Noop => DIM,
        Decision::Protected => MAGENTA,
        Decision::MoveNamespace | Decision::ReplaceChart => CYAN,
    }
}

fn change_sgr(change: &Change) -> &'static str {
    match change_sign(change) {
        "+" => GREEN,
        "-" => RED,
        _ => YELLOW,
    }
}

/// Every group of actions of one priority, in plan order (a priority shows twice when the plan
/// comes back to it, as untracked removals at the end do), a blank line after each; the
/// unchanged apps; the summary line.
pub(super) fn render(plan: &Plan, color: bool) -> String {
    let style = Style { color };
    let shown: Vec<&Action> = plan.actions.iter().filter(|a| !collapsed(a)).collect();
    let width = shown
        .iter()
        .map(|a| a.decision.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let mut priority = None;
    for action in &shown {
        if priority != Some(action.priority) {
            if priority.is_some() {
                out.push('\n');
            }
            priority = Some(action.priority);
            let _ = writeln!(
                out,
                "{}",
                style.paint(BOLD, &format!("priority {}", action.priority))
            );
        }
        render_action(&mut out, action, width, style);
    }
    if !shown.is_empty() {
        out.push('\n');
    }
    if let Some(line) = unchanged_line(plan, clean) {
        let _ = writeln!(out, "{}", style.paint(DIM, &line));
    }
    let _ = writeln!(out, "{}", style.paint(BOLD, &summary_line(plan)));
    out
}

fn render_action(out: &mut String, a: &Action, width: usize, style: Style) {
    let decision = a.decision.as_str();
    let head = style.paint(
        decision_sgr(a.decision),
        &format!("{} {decision}", sign(a.decision)),
    );
    let pad = " ".repeat(width.saturating_sub(decision.len()));
    let place = match &a.namespace {
        Some(ns) => format!("namespace {}, release {}", clean(ns), clean(&a.release)),
        None => format!("release {}", clean(&a.release)),
    };
    let _ = writeln!(
        out,
        "  {head}{pad}  {} ({place})",
        style.paint(BOLD, &clean(&a.app))
    );
    for change in &a.changes {
        let from = value_text(change, change.from.as_ref());
        let to = value_text(change, change.to.as_ref());
        let values = match (from, to) {
            (Some(f), Some(t)) => format!(": {f} → {t}"),
            (Some(v), None) | (None, Some(v)) => format!(": {v}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "    {} {}{values}",
            style.paint(change_sgr(change), change_sign(change)),
            what(change)
        );
    }
    for risk in &a.risks {
        let _ = writeln!(
            out,
            "    {}: {}",
            style.paint(RED, &format!("! {}", RiskId::as_str(risk.id))),
            clean(&risk.message)
        );
    }
    if !a.reason.is_empty() {
        let _ = writeln!(out, "    {}", style.paint(DIM, &clean(&a.reason)));
    }
}
