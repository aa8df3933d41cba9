//! Emitting findings with the platform's severities. A finding keeps the span of its value
//! until the end, when its line and column are read off the sources, so that rules can run
//! while values files are still being read into them.

use crate::platform::Platform;
use crate::report::Finding;
use crate::rules::RuleId;
use crate::source::{Node, SourceMap, Span};
use crate::spec::AppValues;
use crate::workload::Field;

/// Where a finding points: a span and the JSON pointer of the value in its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub span: Span,
    pub pointer: String,
}

impl Place {
    /// The place of a value of an app's effective values: in the DSF for `set*` values, else in
    /// its values file.
    pub fn of_value(values: &AppValues, field: &Field<'_>) -> Place {
        Place {
            span: field.node.span,
            pointer: values.pointer_of(field.node, &field.pointer),
        }
    }
}

/// Collects findings for one environment (or one spec without a platform).
pub(crate) struct Emitter<'a> {
    platform: Option<&'a Platform>,
    environment: Option<&'a str>,
    pub tree: &'a Node,
    findings: Vec<(Finding, Place)>,
}

impl<'a> Emitter<'a> {
    pub fn new(
        platform: Option<&'a Platform>,
        environment: Option<&'a str>,
        tree: &'a Node,
    ) -> Emitter<'a> {
        Emitter {
            platform,
            environment,
            tree,
            findings: Vec::new(),
        }
    }

    /// Report `rule` at `place` unless it is off here.
    pub fn emit(&mut self, rule: RuleId, app: Option<&str>, place: Place, message: String) {
        let severity = match self.platform {
            Some(p) => p.severity(rule, self.environment),
            None => Some(rule.default_severity()),
        };
        let Some(severity) = severity else {
            return;
        };
        let mut f = Finding::new(rule, severity, message);
        f.app = app.map(str::to_string);
        f.environment = self.environment.map(str::to_string);
        self.findings.push((f, place));
    }

    /// The place of a value (or key) in the DSF tree.
    pub fn dsf(&self, pointer: &str, key: bool) -> Place {
        Place {
            span: self.tree.span_at(pointer, key),
            pointer: pointer.to_string(),
        }
    }

    /// Report at a value of the DSF tree.
    pub fn at_dsf(&mut self, rule: RuleId, app: Option<&str>, pointer: &str, message: String) {
        let place = self.dsf(pointer, false);
        self.emit(rule, app, place, message);
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
        self.emit(rule, Some(app), Place::of_value(values, field), message);
    }

    /// Take on the findings `other` emitted, after this one's.
    pub fn append(&mut self, other: Emitter<'_>) {
        self.findings.extend(other.findings);
    }

    /// The findings, located in `sources`.
    pub fn into_findings(self, sources: &SourceMap) -> Vec<Finding> {
        self.findings
            .into_iter()
            .map(|(f, place)| f.at(sources.location(place.span, &place.pointer)))
            .collect()
    }
}
