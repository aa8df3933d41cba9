//! Emitting findings with the platform's severities and locations.

use crate::platform::Platform;
use crate::report::{Finding, Location};
use crate::rules::RuleId;
use crate::source::{Node, SourceMap};
use crate::spec::AppValues;
use crate::workload::Field;

/// Collects findings for one environment (or one spec without a platform).
pub(crate) struct Emitter<'a> {
    pub sources: &'a SourceMap,
    platform: Option<&'a Platform>,
    environment: Option<&'a str>,
    pub tree: &'a Node,
    findings: Vec<Finding>,
}

impl<'a> Emitter<'a> {
    pub fn new(
        sources: &'a SourceMap,
        platform: Option<&'a Platform>,
        environment: Option<&'a str>,
        tree: &'a Node,
    ) -> Emitter<'a> {
        Emitter {
            sources,
            platform,
            environment,
            tree,
            findings: Vec::new(),
        }
    }

    /// Report `rule` at `location` unless it is off here.
    pub fn emit(&mut self, rule: RuleId, app: Option<&str>, location: Location, message: String) {
        let severity = match self.platform {
            Some(p) => p.severity(rule, self.environment),
            None => Some(rule.default_severity()),
        };
        let Some(severity) = severity else {
            return;
        };
        let mut f = Finding::new(rule, severity, message).at(location);
        f.app = app.map(str::to_string);
        f.environment = self.environment.map(str::to_string);
        self.findings.push(f);
    }

    /// The location of a value (or key) in the DSF tree.
    pub fn dsf(&self, pointer: &str, key: bool) -> Location {
        self.sources
            .location(self.tree.span_at(pointer, key), pointer)
    }

    /// Report at a value of the DSF tree.
    pub fn at_dsf(&mut self, rule: RuleId, app: Option<&str>, pointer: &str, message: String) {
        let loc = self.dsf(pointer, false);
        self.emit(rule, app, loc, message);
    }

    /// Report at a value of an app's effective values.
    pub fn at_value(
        &mut self,
        rule: RuleId,
        app: &str,
        values: &AppValues,
        field: &Field<'_>,
        message: String,
    ) {
        let loc = values.location(self.sources, field.node, &field.pointer);
        self.emit(rule, Some(app), loc, message);
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}
