//! TOML into a located [`Node`] tree (Helmsman accepts TOML desired-state files).

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::files::{FileId, SourceMap, Span};
use super::node::{pointer_join, Entry, Mapping, Node, NodeKind};
use super::substitute::Substitution;
use super::{syntax_finding, Limits};
use crate::report::Finding;
use crate::rules;

/// Parse TOML text (already substituted) into a tree. The TOML parser bounds its own nesting.
pub(super) fn parse(
    sources: &SourceMap,
    file: FileId,
    text: &str,
    subst: &Substitution,
    limits: &Limits,
) -> (Option<Node>, Vec<Finding>) {
    let span_of = |r: std::ops::Range<usize>| {
        Span::new(
            file,
            subst.original_offset(r.start),
            subst.original_offset(r.end),
        )
    };
    match DeTable::parse(text) {
        Ok(table) => {
            let span = span_of(table.span());
            let mut findings = Vec::new();
            let root = convert_table(table.get_ref(), span, &span_of, "", 1, limits, &mut |f| {
                findings.push(syntax_finding(
                    sources,
                    rules::SYNTAX_TOO_DEEP,
                    f.0,
                    &f.1,
                    f.2,
                ))
            });
            (root, findings)
        }
        Err(e) => {
            let at = e.span().map_or(0, |r| r.start);
            let span = span_of(at..at);
            let message = format!("TOML syntax error: {}", e.message().trim_end());
            (
                None,
                vec![syntax_finding(
                    sources,
                    rules::SYNTAX_TOML,
                    span,
                    "",
                    message,
                )],
            )
        }
    }
}

type Fail<'f> = dyn FnMut((Span, String, String)) + 'f;

fn convert_table(
    table: &DeTable<'_>,
    span: Span,
    span_of: &dyn Fn(std::ops::Range<usize>) -> Span,
    pointer: &str,
    depth: usize,
    limits: &Limits,
    fail: &mut Fail<'_>,
) -> Option<Node> {
    if depth > limits.max_depth {
        fail((
            span,
            pointer.to_string(),
            format!(
                "nesting is deeper than the limit of {} levels",
                limits.max_depth
            ),
        ));
        return None;
    }
    let mut map = Mapping::new();
    for (k, v) in table.iter() {
        let child = pointer_join(pointer, k.get_ref());
        let value = convert_value(v, span_of, &child, depth + 1, limits, fail)?;
        map.insert(
            &**k.get_ref(),
            Entry {
                key_span: span_of(k.span()),
                value,
            },
        );
    }
    map.shrink_to_fit();
    Some(Node::new(NodeKind::Map(map), span))
}

fn convert_value(
    value: &Spanned<DeValue<'_>>,
    span_of: &dyn Fn(std::ops::Range<usize>) -> Span,
    pointer: &str,
    depth: usize,
    limits: &Limits,
    fail: &mut Fail<'_>,
) -> Option<Node> {
    let span = span_of(value.span());
    let kind = match value.get_ref() {
        DeValue::String(s) => NodeKind::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits: String = i.as_str().chars().filter(|&c| c != '_').collect();
            match i64::from_str_radix(&digits, i.radix()) {
                Ok(v) => NodeKind::Int(v),
                Err(_) => NodeKind::Str(i.as_str().to_string()),
            }
        }
        DeValue::Float(f) => {
            let text: String = f.as_str().chars().filter(|&c| c != '_').collect();
            match text.parse::<f64>() {
                Ok(v) => NodeKind::Float(v),
                Err(_) => NodeKind::Str(text),
            }
        }
        DeValue::Boolean(b) => NodeKind::Bool(*b),
        DeValue::Datetime(d) => NodeKind::Str(d.to_string()),
        DeValue::Array(items) => {
            if depth > limits.max_depth {
                fail((
                    span,
                    pointer.to_string(),
                    format!(
                        "nesting is deeper than the limit of {} levels",
                        limits.max_depth
                    ),
                ));
                return None;
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let child = pointer_join(pointer, &i.to_string());
                out.push(convert_value(
                    item,
                    span_of,
                    &child,
                    depth + 1,
                    limits,
                    fail,
                )?);
            }
            NodeKind::Seq(out)
        }
        DeValue::Table(t) => return convert_table(t, span, span_of, pointer, depth, limits, fail),
    };
    Some(Node::new(kind, span))
}
