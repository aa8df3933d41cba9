//! The JSON report: the serde form of [`Report`], pretty-printed.

use crate::report::Report;

/// The report as pretty JSON with a trailing newline.
pub(super) fn render(report: &Report) -> String {
    // Serialising these plain data types cannot fail (string keys, no non-finite floats).
    let mut out = serde_json::to_string_pretty(report).unwrap_or_default();
    out.push('\n');
    out
}
