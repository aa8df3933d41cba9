//! The located document tree.

use serde_json::Value;

use super::files::Span;
pub use super::mapping::Mapping;

/// A value of a parsed document with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where the value is written.
    pub span: Span,
}

/// The kinds of value a YAML or TOML document holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or nothing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence (array).
    Seq(Vec<Node>),
    /// A mapping (table), in document order.
    Map(Mapping),
}

/// One key of a mapping, with where the key is written, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Node {
    /// A node of `kind` at `span`.
    pub fn new(kind: NodeKind, span: Span) -> Node {
        Node { kind, span }
    }

    /// The mapping, if this is one.
    pub fn as_map(&self) -> Option<&Mapping> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence, if this is one.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// A scalar as text, the way Helm prints it into a template (`None` for mappings and sequences).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Null => Some(String::new()),
            NodeKind::Bool(b) => Some(b.to_string()),
            NodeKind::Int(i) => Some(i.to_string()),
            NodeKind::Float(f) => Some(format_float(*f)),
            NodeKind::Str(s) => Some(s.clone()),
            NodeKind::Seq(_) | NodeKind::Map(_) => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key).map(|e| &e.value)
    }

    /// The node at a JSON pointer (`/apps/web/chart`, `/list/0`), if it exists.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = unescape_pointer_token(token);
            node = match &node.kind {
                NodeKind::Map(m) => &m.get(&token)?.value,
                NodeKind::Seq(s) => s.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Set the value at a JSON pointer, creating mappings on the way (a scalar or sequence in
    /// the way is replaced by a mapping; a sequence index must exist). New keys take the value's
    /// span. Returns whether the value was set.
    pub fn set_pointer(&mut self, pointer: &str, value: Node) -> bool {
        let tokens: Vec<String> = match pointer.strip_prefix('/') {
            Some(rest) => rest.split('/').map(unescape_pointer_token).collect(),
            None => Vec::new(),
        };
        set_in(self, &tokens, value)
    }

    /// Remove the value at a JSON pointer (a mapping key); returns whether there was one.
    pub fn remove_pointer(&mut self, pointer: &str) -> bool {
        let tokens: Vec<String> = match pointer.strip_prefix('/') {
            Some(rest) => rest.split('/').map(unescape_pointer_token).collect(),
            None => return false,
        };
        remove_in(self, &tokens)
    }

    /// The span of the value at `pointer`, or of its nearest existing ancestor. A pointer that
    /// ends at a mapping key gives the key's span when `key` is true.
    pub fn span_at(&self, pointer: &str, key: bool) -> Span {
        let mut node = self;
        let mut span = self.span;
        let Some(rest) = pointer.strip_prefix('/') else {
            return span;
        };
        let tokens: Vec<String> = rest.split('/').map(unescape_pointer_token).collect();
        for (i, token) in tokens.iter().enumerate() {
            let last = i + 1 == tokens.len();
            match &node.kind {
                NodeKind::Map(m) => match m.get(token) {
                    Some(e) => {
                        span = if last && key {
                            e.key_span
                        } else {
                            e.value.span
                        };
                        node = &e.value;
                    }
                    None => return span,
                },
                NodeKind::Seq(s) => match token.parse::<usize>().ok().and_then(|i| s.get(i)) {
                    Some(n) => {
                        span = n.span;
                        node = n;
                    }
                    None => return span,
                },
                _ => return span,
            }
        }
        span
    }

    /// The JSON pointer of the innermost value whose span holds byte `offset` of its file.
    pub fn pointer_at_offset(&self, offset: u32) -> String {
        let mut pointer = String::new();
        let mut node = self;
        'down: loop {
            let inside = |n: &Node| {
                n.span.file == self.span.file
                    && n.span.start <= offset
                    && offset < n.span.end.max(n.span.start + 1)
            };
            match &node.kind {
                NodeKind::Map(m) => {
                    for (k, e) in m.iter() {
                        if inside(&e.value) {
                            pointer = pointer_join(&pointer, k);
                            node = &e.value;
                            continue 'down;
                        }
                    }
                }
                NodeKind::Seq(items) => {
                    for (i, n) in items.iter().enumerate() {
                        if inside(n) {
                            pointer = pointer_join(&pointer, &i.to_string());
                            node = n;
                            continue 'down;
                        }
                    }
                }
                _ => {}
            }
            return pointer;
        }
    }

    /// Whether two trees hold the same value, wherever they are written (spans ignored).
    pub fn same_value(&self, other: &Node) -> bool {
        match (&self.kind, &other.kind) {
            (NodeKind::Map(a), NodeKind::Map(b)) => {
                // A subtree that two environments' values share (from one values file, changed
                // by neither) is not walked.
                if a.is_copy_of(b) {
                    return true;
                }
                if a.len() != b.len() {
                    return false;
                }
                // Usually the keys are in the same order: compare side by side, and look keys
                // up only when the order differs.
                if a.iter().zip(b.iter()).all(|((ka, _), (kb, _))| ka == kb) {
                    a.iter()
                        .zip(b.iter())
                        .all(|((_, x), (_, y))| x.value.same_value(&y.value))
                } else {
                    a.iter()
                        .all(|(k, e)| b.get(k).is_some_and(|o| e.value.same_value(&o.value)))
                }
            }
            (NodeKind::Seq(a), NodeKind::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_value(y))
            }
            (NodeKind::Float(a), NodeKind::Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (a, b) => a == b,
        }
    }

    /// The plain JSON value of this tree (spans dropped).
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(format_float(*f))),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(s) => Value::Array(s.iter().map(Node::to_json).collect()),
            NodeKind::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, e)| (k.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// A short name of the kind of value, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "boolean",
            NodeKind::Int(_) => "integer",
            NodeKind::Float(_) => "number",
            NodeKind::Str(_) => "string",
            NodeKind::Seq(_) => "sequence",
            NodeKind::Map(_) => "mapping",
        }
    }
}

/// Format a float the way Go's `%v` does for the common cases.
fn format_float(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.into()
    } else {
        f.to_string()
    }
}

fn set_in(node: &mut Node, tokens: &[String], value: Node) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        *node = value;
        return true;
    };
    if let NodeKind::Seq(items) = &mut node.kind {
        return match token.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(item) => set_in(item, rest, value),
            None => false,
        };
    }
    if !matches!(node.kind, NodeKind::Map(_)) {
        node.kind = NodeKind::Map(Mapping::new());
    }
    let NodeKind::Map(map) = &mut node.kind else {
        return false;
    };
    if rest.is_empty() {
        let key_span = map.get(token).map_or(value.span, |e| e.key_span);
        map.insert(token.clone(), Entry { key_span, value });
        return true;
    }
    if !map.contains_key(token) {
        let empty = Node::new(NodeKind::Map(Mapping::new()), value.span);
        map.insert(
            token.clone(),
            Entry {
                key_span: value.span,
                value: empty,
            },
        );
    }
    match map.get_mut(token) {
        Some(entry) => set_in(&mut entry.value, rest, value),
        None => false,
    }
}

fn remove_in(node: &mut Node, tokens: &[String]) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        return false;
    };
    match &mut node.kind {
        NodeKind::Map(m) if rest.is_empty() => m.remove(token).is_some(),
        NodeKind::Map(m) => m
            .get_mut(token)
            .is_some_and(|e| remove_in(&mut e.value, rest)),
        NodeKind::Seq(items) => token
            .parse::<usize>()
            .ok()
            .and_then(|i| items.get_mut(i))
            .is_some_and(|n| remove_in(n, rest)),
        _ => false,
    }
}

/// Escape one JSON pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_string()
    }
}

/// Undo [`escape_pointer_token`].
pub fn unescape_pointer_token(token: &str) -> String {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~")
    } else {
        token.to_string()
    }
}

/// Append a token to a JSON pointer.
pub fn pointer_join(pointer: &str, token: &str) -> String {
    let mut p = String::with_capacity(pointer.len() + token.len() + 1);
    p.push_str(pointer);
    p.push('/');
    if token.contains(['~', '/']) {
        p.push_str(&escape_pointer_token(token));
    } else {
        p.push_str(token);
    }
    p
}

/// One step of a path into a tree, kept on a stack while walking so that a JSON pointer is
/// only built for the values that need one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// A mapping key.
    Key(&'a str),
    /// A sequence index.
    Index(usize),
}

/// The JSON pointer of a path.
pub(crate) fn pointer_of(path: &[Step<'_>]) -> String {
    let mut p = String::new();
    for step in path {
        p.push('/');
        match step {
            Step::Key(k) if k.contains(['~', '/']) => p.push_str(&escape_pointer_token(k)),
            Step::Key(k) => p.push_str(k),
            Step::Index(i) => p.push_str(&i.to_string()),
        }
    }
    p
}
