//! SARIF 2.1.0: one run of the `ehdeploy` driver, the rules the report uses, one result per
//! finding.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::report::{Finding, Location, Report, Severity};
use crate::rules::RuleId;

/// The SARIF schema the output declares.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where the documentation lives; rules link to their section of `rules.md`.
const DOCS: &str = "https://ehdeploy.invalid/docs/";

/// The SARIF level of a severity.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The SARIF log as pretty JSON with a trailing newline.
pub(super) fn render(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(&log(report)).unwrap_or_default();
    out.push('\n');
    out
}

/// The SARIF log as a JSON value.
fn log(report: &Report) -> Value {
    // The distinct rules, ordered by id; a result names its rule by index into this list.
    let index: BTreeMap<RuleId, usize> = report
        .findings
        .iter()
        .map(|f| (f.rule, 0))
        .collect::<BTreeMap<_, _>>()
        .into_keys()
        .enumerate()
        .map(|(i, r)| (r, i))
        .collect();
    let rules: Vec<Value> = index.keys().map(|&r| rule(r)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, index.get(&f.rule).copied().unwrap_or(0)))
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "ehdeploy",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": DOCS,
                    "rules": rules,
                }
            },
            // Columns count characters (Unicode scalar values), not UTF-16 code units.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

/// A reportingDescriptor of the catalogue entry of `id`.
fn rule(id: RuleId) -> Value {
    let entry = id.rule();
    json!({
        "id": id.as_str(),
        "shortDescription": { "text": entry.map_or(id.as_str(), |r| r.summary) },
        "help": { "text": entry.map_or("", |r| r.help) },
        "helpUri": format!("{DOCS}rules.md#{}", id.doc_anchor()),
        "defaultConfiguration": { "level": level(id.default_severity()) },
    })
}

/// The result of one finding.
fn result(f: &Finding, rule_index: usize) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule.as_str()));
    r.insert("ruleIndex".into(), json!(rule_index));
    r.insert("level".into(), json!(level(f.severity)));
    r.insert("message".into(), json!({ "text": f.message }));
    if let Some(loc) = f.location.as_ref().and_then(location) {
        r.insert("locations".into(), json!([Value::Object(loc)]));
    }
    let related: Vec<Value> = f
        .related
        .iter()
        .filter_map(location)
        .enumerate()
        .map(|(i, l)| {
            let mut with_id = Map::new();
            with_id.insert("id".into(), json!(i));
            with_id.extend(l);
            Value::Object(with_id)
        })
        .collect();
    if !related.is_empty() {
        r.insert("relatedLocations".into(), json!(related));
    }
    let mut props = Map::new();
    if let Some(env) = &f.environment {
        props.insert("environment".into(), json!(env));
    }
    if let Some(app) = &f.app {
        props.insert("app".into(), json!(app));
    }
    if !props.is_empty() {
        r.insert("properties".into(), Value::Object(props));
    }
    Value::Object(r)
}

/// A location object: the file and region, and the JSON pointer as a logical location.
/// `None` when the location names neither a file nor a pointer.
fn location(loc: &Location) -> Option<Map<String, Value>> {
    let mut l = Map::new();
    if !loc.file.is_empty() {
        let mut physical = Map::new();
        physical.insert("artifactLocation".into(), json!({ "uri": uri(&loc.file) }));
        if loc.line > 0 {
            let mut region = Map::new();
            region.insert("startLine".into(), json!(loc.line));
            if loc.column > 0 {
                region.insert("startColumn".into(), json!(loc.column));
            }
            physical.insert("region".into(), Value::Object(region));
        }
        l.insert("physicalLocation".into(), Value::Object(physical));
    }
    if !loc.pointer.is_empty() {
        l.insert(
            "logicalLocations".into(),
            json!([{ "fullyQualifiedName": loc.pointer }]),
        );
    }
    (!l.is_empty()).then_some(l)
}

/// A file path as a URI reference: forward slashes, relative paths stay relative, characters
/// that may not appear in a URI percent-encoded. A Windows drive path becomes a `file:` URI.
pub(super) fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let bytes = path.as_bytes();
    let drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    let (mut out, rest) = if drive {
        (format!("file:///{}", &path[..2]), &path[2..])
    } else {
        (String::new(), path.as_str())
    };
    for b in rest.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
