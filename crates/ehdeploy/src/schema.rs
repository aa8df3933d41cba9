//! JSON Schemas of ehdeploy's documents, generated from the Rust types, and the structural
//! check that runs on every document before typed parsing and reports *all* problems at once.
//!
//! The schemas in `schemas/` are these, written out; a test keeps the two equal.

use std::sync::OnceLock;

use serde_json::Value;

use crate::report::{Finding, Severity};
use crate::rules;
use crate::source::{Node, SourceMap};
use crate::suggest::did_you_mean;

/// The documents that have a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    /// A Helmsman desired-state file.
    Dsf,
    /// A Helmsman `--spec` file.
    SpecFile,
    /// The platform file (`platform.yaml`).
    Platform,
    /// The JSON report.
    Report,
    /// The JSON plan.
    Plan,
    /// One entry (line) of a release candidate's audit log.
    AuditEntry,
}

impl Document {
    /// Every document, in the order of `schemas/`.
    pub const ALL: [Document; 6] = [
        Document::Dsf,
        Document::SpecFile,
        Document::Platform,
        Document::Report,
        Document::Plan,
        Document::AuditEntry,
    ];

    /// The short name used by `ehdeploy schema NAME` and the file name in `schemas/`.
    pub fn name(self) -> &'static str {
        match self {
            Document::Dsf => "dsf",
            Document::SpecFile => "spec-file",
            Document::Platform => "platform",
            Document::Report => "report",
            Document::Plan => "plan",
            Document::AuditEntry => "audit-entry",
        }
    }

    /// The document of a short name.
    pub fn from_name(name: &str) -> Option<Document> {
        Document::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The JSON Schema (draft 2020-12), strict: objects allow only the keys they declare.
    pub fn schema(self) -> &'static Value {
        static CACHE: [OnceLock<Value>; 6] = [const { OnceLock::new() }; 6];
        CACHE[self as usize].get_or_init(|| self.generate())
    }

    fn generate(self) -> Value {
        let name = self.name();
        match self {
            Document::Dsf => schema_for::<crate::spec::DesiredState>(name),
            Document::SpecFile => schema_for::<crate::spec::SpecFile>(name),
            Document::Platform => schema_for::<crate::platform::PlatformFile>(name),
            Document::Report => schema_for::<crate::report::Report>(name),
            Document::Plan => schema_for::<crate::plan::Plan>(name),
            Document::AuditEntry => schema_for::<crate::promotion::LogEntry>(name),
        }
    }

    fn validator(self) -> Option<&'static jsonschema::Validator> {
        static CACHE: [OnceLock<Option<jsonschema::Validator>>; 6] = [const { OnceLock::new() }; 6];
        CACHE[self as usize]
            .get_or_init(|| jsonschema::validator_for(self.schema()).ok())
            .as_ref()
    }
}

/// The strict JSON Schema (draft 2020-12) of `T`, with the `$id` of `schemas/<name>.schema.json`.
pub fn schema_for<T: schemars::JsonSchema>(name: &str) -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut value = generator.into_root_schema_for::<T>().to_value();
    if let Value::Object(o) = &mut value {
        o.insert(
            "$id".into(),
            Value::String(format!(
                "https://ehdeploy.invalid/schemas/{name}.schema.json"
            )),
        );
    }
    make_strict(&mut value);
    value
}

/// Close every object schema that lists its properties (`additionalProperties: false`).
fn make_strict(value: &mut Value) {
    match value {
        Value::Object(o) => {
            if o.contains_key("properties") && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            for v in o.values_mut() {
                make_strict(v);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(make_strict),
        _ => {}
    }
}

/// The outcome of a structural check.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Unknown keys (warnings) and structural errors, located.
    pub findings: Vec<Finding>,
    /// JSON pointers of the values that are structurally wrong (errors only).
    pub invalid: Vec<String>,
}

/// Check a located tree against a document's schema. Unknown keys are `schema/unknown-key`
/// warnings with a "did you mean"; everything else is a `schema/invalid` error at the value.
pub fn check(document: Document, root: &Node, sources: &SourceMap) -> Checked {
    let instance = match document {
        Document::Dsf => dsf_json(root),
        _ => root.to_json(),
    };
    check_json(document, &instance, root, sources)
}

/// [`check`] on the JSON of `root` computed by the caller (who needs it for typed parsing too).
pub fn check_json(
    document: Document,
    instance: &Value,
    root: &Node,
    sources: &SourceMap,
) -> Checked {
    let mut out = Checked::default();
    let Some(validator) = document.validator() else {
        return out;
    };
    let schema = document.schema();
    for error in validator.iter_errors(instance) {
        handle(&error, root, sources, schema, &mut out);
    }
    out
}

/// The JSON of a DSF as Helmsman decodes it: a null member is the same as an absent one
/// (Go leaves the field at its zero value), except where null means "defined, empty":
/// namespaces and the `apps` section.
pub fn dsf_json(root: &Node) -> Value {
    fn strip(v: &mut Value, keep: bool) {
        match v {
            Value::Object(o) => {
                if !keep {
                    o.retain(|_, v| !v.is_null());
                }
                for (k, v) in o.iter_mut() {
                    strip(v, k == "namespaces");
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|v| strip(v, false)),
            _ => {}
        }
    }
    let mut v = root.to_json();
    let apps_null = v.get("apps").is_some_and(Value::is_null);
    strip(&mut v, false);
    if apps_null {
        if let Value::Object(o) = &mut v {
            o.insert("apps".into(), Value::Null);
        }
    }
    v
}

fn handle(
    error: &jsonschema::ValidationError<'_>,
    root: &Node,
    sources: &SourceMap,
    schema: &Value,
    out: &mut Checked,
) {
    use jsonschema::error::ValidationErrorKind as K;
    let pointer = error.instance_path().as_str().to_string();
    match error.kind() {
        K::AdditionalProperties { unexpected } => {
            let parent = parent_pointer(error.schema_path().as_str());
            let known: Vec<&str> = schema
                .pointer(parent)
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            for key in unexpected {
                let key_pointer = crate::source::pointer_join(&pointer, key);
                let mut message = format!("unknown key `{key}`");
                if let Some(s) = did_you_mean(key, known.iter().copied()) {
                    message.push_str(&format!(": did you mean `{s}`?"));
                }
                let span = root.span_at(&key_pointer, true);
                let mut f = Finding::new(rules::SCHEMA_UNKNOWN_KEY, Severity::Warning, message)
                    .at(sources.location(span, &key_pointer));
                if !known.is_empty() {
                    f = f.help(format!(
                        "Helmsman ignores keys it does not know. The keys allowed here are: {}.",
                        known.join(", ")
                    ));
                }
                out.findings.push(f);
            }
        }
        K::AnyOf { context } | K::OneOfNotValid { context } => {
            // When one alternative is of the value's own type, its errors are the real ones.
            let best = context
                .iter()
                .filter(|errs| {
                    !errs.is_empty()
                        && errs.iter().all(|e| {
                            !(e.instance_path().as_str() == pointer
                                && matches!(e.kind(), K::Type { .. }))
                        })
                })
                .min_by_key(|errs| errs.len());
            match best {
                Some(errs) => {
                    for e in errs {
                        handle(e, root, sources, schema, out);
                    }
                }
                None => push_invalid(error, root, sources, schema, out, pointer),
            }
        }
        _ => push_invalid(error, root, sources, schema, out, pointer),
    }
}

fn push_invalid(
    error: &jsonschema::ValidationError<'_>,
    root: &Node,
    sources: &SourceMap,
    schema: &Value,
    out: &mut Checked,
    pointer: String,
) {
    let found = root.pointer(&pointer);
    let message = describe(error, found, schema);
    let span = root.span_at(&pointer, false);
    out.findings.push(
        Finding::new(rules::SCHEMA_INVALID, Severity::Error, message)
            .at(sources.location(span, &pointer)),
    );
    out.invalid.push(pointer);
}

fn parent_pointer(p: &str) -> &str {
    p.rfind('/').map_or("", |i| &p[..i])
}

/// A message in the words of the document, not of JSON Schema.
fn describe(
    error: &jsonschema::ValidationError<'_>,
    found: Option<&Node>,
    schema: &Value,
) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    let found_kind = found.map_or("nothing", Node::kind_name);
    let at = match error.instance_path().as_str() {
        "" => "the document".to_string(),
        p => format!("`{}`", p.trim_start_matches('/').replace('/', ".")),
    };
    match error.kind() {
        K::Type { .. } | K::AnyOf { .. } | K::OneOfNotValid { .. } => {
            let node_schema = schema.pointer(parent_pointer(error.schema_path().as_str()));
            let keyword = error
                .schema_path()
                .as_str()
                .rsplit('/')
                .next()
                .unwrap_or("");
            let expected = node_schema
                .map(|s| match keyword {
                    "type" => expected_of(s.get("type").unwrap_or(&Value::Null), schema),
                    _ => expected_of(s.get(keyword).unwrap_or(s), schema),
                })
                .unwrap_or_else(|| "another type".into());
            format!("{at} must be {expected}, but it is {}", article(found_kind))
        }
        K::Required { property } => {
            format!("{at} needs the key {property}")
        }
        _ => format!("{at}: {error}"),
    }
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" | "object" => format!("an {kind}"),
        "nothing" => "missing".into(),
        "null" => "null (empty)".into(),
        k => format!("a {k}"),
    }
}

/// Describe what a schema (fragment) accepts: "a string", "a mapping or null".
fn expected_of(s: &Value, root: &Value) -> String {
    match s {
        Value::String(t) => type_word(t).to_string(),
        Value::Array(items) => {
            let words: Vec<String> = items.iter().map(|i| expected_of(i, root)).collect();
            let mut words: Vec<String> = words.into_iter().filter(|w| !w.is_empty()).collect();
            words.dedup();
            words.join(" or ")
        }
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                let target = r.trim_start_matches('#');
                return root
                    .pointer(target)
                    .map_or_else(|| "a value".into(), |t| expected_of(t, root));
            }
            if let Some(t) = o.get("type") {
                return expected_of(t, root);
            }
            for k in ["anyOf", "oneOf"] {
                if let Some(alts) = o.get(k) {
                    return expected_of(alts, root);
                }
            }
            "a value".into()
        }
        _ => String::new(),
    }
}

fn type_word(t: &str) -> &'static str {
    match t {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean (true or false)",
        "null" => "null",
        _ => "a value",
    }
}
