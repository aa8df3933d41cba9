//! Report renderers: human text, JSON, SARIF 2.1.0 and JUnit XML.
//!
//! Every renderer is a pure function of the report (and, for the human format, of the source
//! text); the output is deterministic, so it can be compared byte for byte.

mod human;
mod json;
mod junit;
mod sarif;

#[cfg(test)]
mod tests;

use super::{Report, Severity};
use crate::source::SourceMap;
use crate::term::plural;

/// The output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for a person, like rustc's: the source line with a caret; `color` for a terminal.
    Human {
        /// Use ANSI colours.
        color: bool,
    },
    /// The JSON report (`schemas/report.schema.json`).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML, one test case per rule per app.
    Junit,
}

/// Render a report. `sources` lets the human format show the lines findings point at.
pub fn render(report: &Report, sources: Option<&SourceMap>, format: Format) -> String {
    match format {
        Format::Human { color } => human::render(report, sources, color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
    }
}

/// The summary line every format that has room for one shows:
/// `2 errors, 1 warning, 0 infos in 3 files (2 apps, 1 environment)`.
pub(crate) fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let scope = format!(
        "in {} ({}, {})",
        plural(s.files, "file"),
        plural(s.apps, "app"),
        plural(s.environments, "environment")
    );
    if report.findings.is_empty() {
        return format!("no findings {scope}");
    }
    // Counted from the findings shown, so the line agrees with them even when the summary of a
    // report read back from JSON does not.
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    format!(
        "{}, {}, {} {scope}",
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
        plural(count(Severity::Info), "info")
    )
}
