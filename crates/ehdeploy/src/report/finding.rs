//! One finding: which rule, how severe, what and where.

use serde::{Deserialize, Serialize};

use crate::rules::RuleId;

/// How much a finding matters. Ordered: `Info < Warning < Error`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed; does not fail by default.
    Warning,
    /// Must be fixed.
    Error,
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding points: file, 1-based line and column, and the JSON pointer of the value.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// The file, as given to ehdeploy (relative paths stay relative).
    pub file: String,
    /// Line, from 1 (0 when the finding is about the whole file).
    pub line: u32,
    /// Column in characters, from 1 (0 when the finding is about the whole file).
    pub column: u32,
    /// JSON pointer (RFC 6901) of the value in its document, `""` for the whole document.
    pub pointer: String,
}

/// One problem (or remark) about the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The rule's stable id, e.g. `image/tag-latest`.
    pub rule: RuleId,
    /// Severity after the platform's configuration.
    pub severity: Severity,
    /// One line saying what is wrong, with the values involved.
    pub message: String,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Other places involved (the first of two duplicates, the file a value was merged from).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Location>,
    /// The environment, when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The app (Helmsman release key), when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

impl Finding {
    /// A finding of `rule` with the rule's help text.
    pub fn new(rule: RuleId, severity: Severity, message: String) -> Finding {
        Finding {
            help: rule.help().map(str::to_string),
            rule,
            severity,
            message,
            location: None,
            related: Vec::new(),
            environment: None,
            app: None,
        }
    }

    /// Set the location.
    pub fn at(mut self, location: Location) -> Finding {
        self.location = Some(location);
        self
    }

    /// Add a related location.
    pub fn related(mut self, location: Location) -> Finding {
        self.related.push(location);
        self
    }

    /// Set the help text (replacing the rule's).
    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// Set the app.
    pub fn app(mut self, app: impl Into<String>) -> Finding {
        self.app = Some(app.into());
        self
    }

    /// Set the environment.
    pub fn environment(mut self, env: impl Into<String>) -> Finding {
        self.environment = Some(env.into());
        self
    }

    pub(crate) fn sort_key(&self) -> (&str, u32, u32, &'static str, &str) {
        let loc = self.location.as_ref();
        (
            loc.map_or("", |l| l.file.as_str()),
            loc.map_or(0, |l| l.line),
            loc.map_or(0, |l| l.column),
            self.rule.as_str(),
            &self.message,
        )
    }
}
