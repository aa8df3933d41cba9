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
    /// The plan of each next promotion, for each pair of neighbouring environments (`check`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promotions: Vec<NextPromotion>,
    /// Each release candidate of the platform repo (`promotions/*.jsonl`) and its next steps
    /// (`check`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub releases: Vec<crate::promotion::ReleaseReport>,
}

/// What promoting one environment into the next would do now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NextPromotion {
    /// The source environment.
    pub from: String,
    /// The target environment.
    pub to: String,
    /// The plan.
    pub plan: crate::plan::Plan,
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
    /// A report of `findings` over `files` files and `apps` apps; counts the findings and orders
    /// them: findings about no environment first, then each environment in the order it first
    /// appears in `findings` (callers give them in promotion order), and within that by file,
    /// line, column and rule.
    pub fn new(
        mut findings: Vec<Finding>,
        files: usize,
        apps: usize,
        environments: usize,
    ) -> Report {
        let mut order: Vec<Option<String>> = vec![None];
        for f in &findings {
            if !order.contains(&f.environment) {
                order.push(f.environment.clone());
            }
        }
        let rank = |f: &Finding| order.iter().position(|e| *e == f.environment);
        findings.sort_by(|a, b| (rank(a), a.sort_key()).cmp(&(rank(b), b.sort_key())));
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
        Report {
            findings,
            summary,
            promotions: Vec::new(),
            releases: Vec::new(),
        }
    }

    /// Whether any finding is at or above `level`.
    pub fn fails_at(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    fn finding(env: Option<&str>, file: &str, line: u32) -> Finding {
        let mut f =
            Finding::new(rules::IMAGE_TAG_LATEST, Severity::Error, "m".into()).at(Location {
                file: file.into(),
                line,
                column: 1,
                pointer: String::new(),
            });
        f.environment = env.map(str::to_string);
        f
    }

    #[test]
    fn environments_keep_promotion_order_and_files_sort_within() {
        let report = Report::new(
            vec![
                finding(Some("inttest"), "b.yaml", 1),
                finding(Some("prod"), "a.yaml", 1),
                finding(Some("inttest"), "a.yaml", 9),
                finding(None, "platform.yaml", 3),
                finding(Some("inttest"), "a.yaml", 2),
            ],
            3,
            1,
            2,
        );
        let order: Vec<(Option<&str>, &str, u32)> = report
            .findings
            .iter()
            .map(|f| {
                let l = f.location.as_ref().unwrap();
                (f.environment.as_deref(), l.file.as_str(), l.line)
            })
            .collect();
        assert_eq!(
            order,
            [
                (None, "platform.yaml", 3),
                (Some("inttest"), "a.yaml", 2),
                (Some("inttest"), "a.yaml", 9),
                (Some("inttest"), "b.yaml", 1),
                (Some("prod"), "a.yaml", 1),
            ]
        );
        assert_eq!(report.summary.errors, 5);
    }
}
