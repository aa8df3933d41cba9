//! YAML into a located [`Node`] tree, on saphyr's event parser, with an explicit stack (no
//! recursion, so nesting depth costs no native stack) and bounded alias expansion.

use std::collections::HashMap;

use compact_str::CompactString;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Tag};

use super::files::{FileId, SourceMap, Span};
use super::node::{pointer_join, Entry, Mapping, Node, NodeKind};
use super::scalar::resolve_plain_scalar;
use super::substitute::Substitution;
use super::{syntax_finding, Limits};
use crate::report::{Finding, Severity};
use crate::rules;

/// Maps the parser's character markers to byte offsets in the original text.
struct Offsets<'a> {
    file: FileId,
    /// The text the parser reads.
    text: &'a str,
    subst: &'a Substitution,
    /// Byte offset of each line start in the substituted text; empty when the text is ASCII.
    line_starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(file: FileId, text: &'a str, subst: &'a Substitution) -> Offsets<'a> {
        let line_starts = if text.is_ascii() {
            Vec::new()
        } else {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        };
        Offsets {
            file,
            text,
            subst,
            line_starts,
        }
    }

    fn byte(&self, m: &Marker) -> usize {
        self.subst.original_offset(self.in_text(m))
    }

    /// The byte offset of a marker in the text the parser reads.
    fn in_text(&self, m: &Marker) -> usize {
        if self.line_starts.is_empty() {
            m.index()
        } else {
            let start = self
                .line_starts
                .get(m.line().saturating_sub(1))
                .copied()
                .unwrap_or(0);
            let line = self.text.get(start..).unwrap_or("");
            start
                + line
                    .char_indices()
                    .nth(m.col())
                    .map_or(line.len(), |(i, _)| i)
        }
    }

    /// The span of a quoted scalar: from its opening quote to just after its closing one (the
    /// parser's end marker runs on over what follows on the line).
    fn quoted_span(&self, start: &Marker, end: &Marker, style: ScalarStyle) -> Span {
        let from = self.in_text(start);
        let rest = self.text.get(from..).unwrap_or("");
        let close = match style {
            ScalarStyle::DoubleQuoted => {
                let mut escaped = false;
                rest.char_indices().skip(1).find_map(|(i, c)| {
                    let hit = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    hit.then_some(i)
                })
            }
            _ => {
                let bytes = rest.as_bytes();
                let mut i = 1;
                let mut found = None;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        found = Some(i);
                        break;
                    }
                    i += 1;
                }
                found
            }
        };
        match close {
            Some(i) => Span::new(
                self.file,
                self.subst.original_offset(from),
                self.subst.original_offset(from + i + 1),
            ),
            None => self.span(start, end),
        }
    }

    fn span(&self, start: &Marker, end: &Marker) -> Span {
        Span::new(self.file, self.byte(start), self.byte(end))
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        map: Mapping,
        /// Values of `<<` keys, in order.
        merges: Vec<Node>,
        key: Option<(CompactString, Span, bool)>,
        start: Span,
        anchor: usize,
    },
}

struct Anchor {
    node: Node,
    size: Option<usize>,
}

struct Builder<'a> {
    sources: &'a SourceMap,
    limits: &'a Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchor>,
    alias_nodes: usize,
    root: Option<Node>,
    findings: Vec<Finding>,
}

/// Parse YAML text (already substituted) into a tree; only the first document is read.
pub(super) fn parse(
    sources: &SourceMap,
    file: FileId,
    text: &str,
    subst: &Substitution,
    limits: &Limits,
) -> (Option<Node>, Vec<Finding>) {
    let offsets = Offsets::new(file, text, subst);
    let mut b = Builder {
        sources,
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        findings: Vec::new(),
    };
    let mut documents = 0;
    for item in Parser::new_from_str(text) {
        let (event, span) = match item {
            Ok(ok) => ok,
            Err(e) => {
                b.scan_error(&offsets, &e);
                return (None, b.findings);
            }
        };
        let sp = offsets.span(&span.start, &span.end);
        let result = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    let pointer = String::new();
                    b.findings.push(
                        Finding::new(
                            rules::SYNTAX_MULTIPLE_DOCUMENTS,
                            Severity::Warning,
                            "only the first YAML document of this file is read".into(),
                        )
                        .at(sources.location(sp, &pointer)),
                    );
                    break;
                }
                Ok(())
            }
            Event::Scalar(value, style, anchor, tag) => {
                let merge = style == ScalarStyle::Plain
                    && value == "<<"
                    && tag
                        .as_deref()
                        .is_none_or(|t| t.is_yaml_core_schema() && t.suffix == "merge");
                let sp = match style {
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        offsets.quoted_span(&span.start, &span.end, style)
                    }
                    _ => sp,
                };
                if anchor == 0 && b.expects_key() {
                    // A key is its text as written (as go-yaml gives struct keys): no node.
                    b.set_key(value.into(), sp, merge);
                    Ok(())
                } else {
                    let kind = scalar_kind(&value, style, tag.as_deref());
                    b.emit_scalar(Node::new(kind, sp), anchor, Some((&value, merge)))
                }
            }
            Event::SequenceStart(anchor, _) => b.open(Frame::Seq {
                items: Vec::new(),
                start: sp,
                anchor,
            }),
            Event::MappingStart(anchor, _) => b.open(Frame::Map {
                map: Mapping::new(),
                merges: Vec::new(),
                key: None,
                start: sp,
                anchor,
            }),
            Event::SequenceEnd | Event::MappingEnd => b.close(sp),
            Event::Alias(id) => b.alias(id, sp),
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => Ok(()),
        };
        if result.is_err() {
            return (None, b.findings);
        }
    }
    let root = b
        .root
        .take()
        .unwrap_or_else(|| Node::new(NodeKind::Null, Span::new(file, 0, 0)));
    (Some(root), b.findings)
}

/// A fatal problem: the finding is recorded and parsing stops.
struct Abort;

fn scalar_kind(value: &str, style: ScalarStyle, tag: Option<&Tag>) -> NodeKind {
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() {
            match tag.suffix.as_str() {
                "str" | "binary" | "timestamp" => return NodeKind::Str(value.to_string()),
                "null" | "bool" | "int" | "float" => return resolve_plain_scalar(value),
                _ => {}
            }
        }
    }
    match style {
        ScalarStyle::Plain => resolve_plain_scalar(value),
        _ => NodeKind::Str(value.to_string()),
    }
}

impl Builder<'_> {
    fn pointer(&self) -> String {
        let mut p = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Seq { items, .. } => p = pointer_join(&p, &items.len().to_string()),
                Frame::Map { key: Some(k), .. } => p = pointer_join(&p, &k.0),
                Frame::Map { key: None, .. } => {}
            }
        }
        p
    }

    fn fail(&mut self, rule: rules::RuleId, span: Span, message: String) -> Abort {
        let pointer = self.pointer();
        self.findings
            .push(syntax_finding(self.sources, rule, span, &pointer, message));
        Abort
    }

    fn scan_error(&mut self, offsets: &Offsets<'_>, e: &ScanError) {
        let at = offsets.byte(e.marker());
        let span = Span::new(offsets.file, at, at);
        self.fail(
            rules::SYNTAX_YAML,
            span,
            format!("YAML syntax error: {}", e.info()),
        );
    }

    fn open(&mut self, frame: Frame) -> Result<(), Abort> {
        if self.stack.len() >= self.limits.max_depth {
            let span = match &frame {
                Frame::Seq { start, .. } | Frame::Map { start, .. } => *start,
            };
            let depth = self.limits.max_depth;
            return Err(self.fail(
                rules::SYNTAX_TOO_DEEP,
                span,
                format!("nesting is deeper than the limit of {depth} levels"),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), Abort> {
        match self.stack.pop() {
            Some(Frame::Seq {
                items,
                start,
                anchor,
            }) => {
                let span = Span::new(start.file, start.start as usize, end.end as usize);
                self.emit(Node::new(NodeKind::Seq(items), span), anchor)
            }
            Some(Frame::Map {
                mut map,
                merges,
                start,
                anchor,
                ..
            }) => {
                if !merges.is_empty() {
                    map = self.apply_merges(map, merges)?;
                }
                map.shrink_to_fit();
                let span = Span::new(start.file, start.start as usize, end.end as usize);
                self.emit(Node::new(NodeKind::Map(map), span), anchor)
            }
            None => Ok(()),
        }
    }

    /// Apply `<<` merge keys: keys written in the mapping win; among several `<<` keys the later
    /// wins (go-yaml v2), within one `<<: [a, b]` list the earlier wins (YAML merge spec).
    fn apply_merges(&mut self, explicit: Mapping, merges: Vec<Node>) -> Result<Mapping, Abort> {
        let mut merged = Mapping::new();
        for source in merges {
            let maps: Vec<Node> = match source.kind {
                NodeKind::Map(_) => vec![source],
                NodeKind::Seq(items) => items.into_iter().rev().collect(),
                _ => {
                    return Err(self.fail(
                        rules::SYNTAX_YAML,
                        source.span,
                        format!(
                            "a merge key `<<` takes a mapping or a list of mappings, not a {}",
                            source.kind_name()
                        ),
                    ))
                }
            };
            for m in maps {
                let span = m.span;
                let NodeKind::Map(m) = m.kind else {
                    return Err(self.fail(
                        rules::SYNTAX_YAML,
                        span,
                        "a merge key `<<` takes a list of mappings only".into(),
                    ));
                };
                for (k, e) in m.into_entries() {
                    merged.insert(k, e);
                }
            }
        }
        for (k, e) in explicit.into_entries() {
            merged.insert(k, e);
        }
        Ok(merged)
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), Abort> {
        let Some(anchor) = self.anchors.get_mut(&id) else {
            return Err(self.fail(rules::SYNTAX_YAML, span, "unknown alias".into()));
        };
        let size = *anchor.size.get_or_insert_with(|| count_nodes(&anchor.node));
        let mut node = anchor.node.clone();
        self.alias_nodes = self.alias_nodes.saturating_add(size);
        if self.alias_nodes > self.limits.max_alias_nodes {
            let limit = self.limits.max_alias_nodes;
            return Err(self.fail(
                rules::SYNTAX_ALIAS_LIMIT,
                span,
                format!("aliases expand to more than {limit} nodes (an alias bomb?)"),
            ));
        }
        node.span = span;
        self.emit(node, 0)
    }

    /// Whether the next scalar is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// Take a plain key's text; `merge` marks a plain `<<`.
    fn set_key(&mut self, text: CompactString, span: Span, merge: bool) {
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = Some((text, span, merge));
        }
    }

    fn emit(&mut self, node: Node, anchor: usize) -> Result<(), Abort> {
        self.emit_scalar(node, anchor, None)
    }

    /// Attach a node to its parent. A scalar comes with its text as written (a key is that
    /// text, as go-yaml gives struct keys) and whether it is a plain `<<` (a merge key).
    fn emit_scalar(
        &mut self,
        node: Node,
        anchor: usize,
        scalar: Option<(&str, bool)>,
    ) -> Result<(), Abort> {
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchor {
                    node: node.clone(),
                    size: None,
                },
            );
        }
        let mut duplicate = None;
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                map, merges, key, ..
            }) => match key.take() {
                None => {
                    let merge = scalar.is_some_and(|(_, m)| m);
                    let text = match scalar
                        .map(|(raw, _)| CompactString::from(raw))
                        .or_else(|| node.scalar_text().map(CompactString::from))
                    {
                        Some(t) => t,
                        None => {
                            return Err(self.fail(
                                rules::SYNTAX_YAML,
                                node.span,
                                "a mapping key must be a scalar".into(),
                            ))
                        }
                    };
                    *key = Some((text, node.span, merge));
                }
                Some((k, key_span, merge)) => {
                    if merge {
                        merges.push(node);
                    } else {
                        // One search for both: the entry a duplicate key replaces is given back.
                        let replaced = map.insert(
                            k.clone(),
                            Entry {
                                key_span,
                                value: node,
                            },
                        );
                        if let Some(prev) = replaced {
                            duplicate = Some((k, key_span, prev.key_span));
                        }
                    }
                }
            },
        }
        if let Some((k, span, first)) = duplicate {
            let pointer = pointer_join(&self.pointer(), &k);
            let first_line = self
                .sources
                .file(first.file)
                .map_or(0, |f| f.position(first.start).line);
            self.findings.push(
                Finding::new(
                    rules::SYNTAX_DUPLICATE_KEY,
                    Severity::Error,
                    format!("duplicate key `{k}`: it is already set on line {first_line}, and this value replaces it"),
                )
                .at(self.sources.location(span, &pointer))
                .related(self.sources.location(first, &pointer)),
            );
        }
        Ok(())
    }
}

fn count_nodes(node: &Node) -> usize {
    let mut count = 0;
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.kind {
            NodeKind::Seq(items) => todo.extend(items.iter()),
            NodeKind::Map(m) => todo.extend(m.iter().map(|(_, e)| &e.value)),
            _ => {}
        }
    }
    count
}
