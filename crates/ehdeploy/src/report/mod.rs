//! Findings and the report that gathers them, with renderers for people and for tools.

mod finding;
mod render;

pub use finding::{Finding, Location, Severity};
pub use render::{render, Format as ReportFormat};

use serde::{Deserialize, Serialize};

/// Everything one operation found, with a summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The findings, ordered by file, line, column, rule.
    pub findings: Vec<Finding>,
    /// Counts.
    pub summary: Summary,
}

/// Counts of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Findings of severity error.
    pub errors: usize,
    /// Findings of severity warning.
    pub warnings: usize,
    /// Findings of severity info.
    pub infos: usize,
    /// Files read.
    pub files: usize,
    /// Apps checked.
    pub apps: usize,
    /// Environments checked.
    #[serde(default)]
    pub environments: usize,
}

impl Report {
    /// A report of `findings` over `files` files and `apps` apps; sorts the findings and counts them.
    pub fn new(
        mut findings: Vec<Finding>,
        files: usize,
        apps: usize,
        environments: usize,
    ) -> Report {
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings.dedup();
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let summary = Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            files,
            apps,
            environments,
        };
        Report { findings, summary }
    }

    /// Whether any finding is at or above `level`.
    pub fn fails_at(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }
}
