//! Helm values: merging values files and applying `set`, `setString` and `setFile`.
//!
//! Helm builds a release's values from the values files in order (`-f a.yaml -f b.yaml`,
//! merged by [`coalesce`]), then the `--set`, `--set-string` and `--set-file` flags, in that
//! order (applied by [`apply_set`]). Everything works on located [`Node`] trees, and every
//! value keeps the span of the text that set it: a value from `b.yaml` points into `b.yaml`,
//! a value from a DSF `set:` entry points at that entry. [`get_path`] reads the result the way
//! chart profiles name values (`ingress.hosts[*].host`).

mod set;

pub use set::{apply_set, SetError, SetKind, SetProblem, MAX_INDEX, MAX_NESTED_NAME_LEVEL};

use crate::source::{pointer_of, Entry, Mapping, Node, NodeKind, Step};

/// Merge the values file `overlay` over `base`, as Helm merges `-f base.yaml -f overlay.yaml`.
///
/// - mappings merge key by key, recursively; base keys keep their order and new keys are
///   appended;
/// - any other value of `overlay` replaces the value of `base` (lists are replaced, not
///   appended), also when one side is a mapping and the other is not;
/// - a `null` in `overlay` deletes the key (Helm's way to drop a chart default); nulls inside
///   mappings that `overlay` adds are dropped too, nulls inside lists are kept;
/// - an empty (`null`) `overlay` document changes nothing, and a `null` `base` counts as an
///   empty mapping.
///
/// Replaced values and added keys carry the spans of `overlay` (key and value); a mapping
/// merged with another keeps the spans of `base`.
///
/// ```
/// use ehdeploy::source::{FileId, Mapping, Node, NodeKind, Span};
/// use ehdeploy::spec::values::coalesce;
///
/// fn json(file: u32, value: serde_json::Value) -> Node {
///     // A tiny stand-in for a parsed file: every node at the start of `file`.
///     let span = Span::new(FileId(file), 0, 0);
///     let kind = match value {
///         serde_json::Value::Null => NodeKind::Null,
///         serde_json::Value::Number(n) => NodeKind::Int(n.as_i64().unwrap_or(0)),
///         serde_json::Value::String(s) => NodeKind::Str(s),
///         serde_json::Value::Array(a) => NodeKind::Seq(a.into_iter().map(|v| json(file, v)).collect()),
///         serde_json::Value::Object(o) => {
///             let mut m = Mapping::new();
///             for (k, v) in o {
///                 m.insert(k, ehdeploy::source::Entry { key_span: span, value: json(file, v) });
///             }
///             NodeKind::Map(m)
///         }
///         serde_json::Value::Bool(b) => NodeKind::Bool(b),
///     };
///     Node::new(kind, span)
/// }
///
/// let mut values = json(0, serde_json::json!({
///     "image": {"repository": "nginx", "tag": "1.0"},
///     "ports": [80, 443],
///     "debug": "yes",
/// }));
/// coalesce(&mut values, json(1, serde_json::json!({
///     "image": {"tag": "2.0"},
///     "ports": [8080],
///     "debug": null,
///     "replicas": 3,
/// })));
/// assert_eq!(values.to_json(), serde_json::json!({
///     "image": {"repository": "nginx", "tag": "2.0"},
///     "ports": [8080],
///     "replicas": 3,
/// }));
/// assert_eq!(values.pointer("/image/tag").map(|n| n.span.file), Some(FileId(1)));
/// assert_eq!(values.pointer("/image/repository").map(|n| n.span.file), Some(FileId(0)));
/// ```
pub fn coalesce(base: &mut Node, overlay: Node) {
    // Over nothing, a mapping without nulls is taken as it is (shared, not copied).
    let base_empty = match &base.kind {
        NodeKind::Map(m) => m.is_empty(),
        _ => false,
    };
    if base_empty && matches!(overlay.kind, NodeKind::Map(_)) && !has_null_members(&overlay) {
        *base = overlay;
        return;
    }
    match overlay.kind {
        NodeKind::Null => {}
        NodeKind::Map(over) => {
            if !matches!(base.kind, NodeKind::Map(_)) {
                *base = Node::new(NodeKind::Map(Mapping::new()), overlay.span);
            }
            if let NodeKind::Map(map) = &mut base.kind {
                merge_mappings(map, over);
            }
        }
        kind => *base = Node::new(kind, overlay.span),
    }
}

/// Merge the entries of `overlay` into `base`.
fn merge_mappings(base: &mut Mapping, overlay: Mapping) {
    base.reserve(overlay.len());
    for (key, entry) in overlay.into_entries() {
        if entry.value.is_null() {
            base.remove(&key);
            continue;
        }
        if let Some(existing) = base.get_mut(&key) {
            if matches!(existing.value.kind, NodeKind::Map(_))
                && matches!(entry.value.kind, NodeKind::Map(_))
            {
                coalesce(&mut existing.value, entry.value);
                continue;
            }
        }
        let value = match entry.value.kind {
            // A mapping taken over whole still drops its nulls.
            NodeKind::Map(_) if has_null_members(&entry.value) => {
                let mut fresh = Node::new(NodeKind::Map(Mapping::new()), entry.value.span);
                coalesce(&mut fresh, entry.value);
                fresh
            }
            _ => entry.value,
        };
        // `insert` keeps the place of a key that is already there.
        base.insert(
            key,
            Entry {
                key_span: entry.key_span,
                value,
            },
        );
    }
}

/// Whether a mapping, or one nested in it through mappings, has a null member.
fn has_null_members(node: &Node) -> bool {
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        if let NodeKind::Map(m) = &n.kind {
            for (_, e) in m.iter() {
                match e.value.kind {
                    NodeKind::Null => return true,
                    NodeKind::Map(_) => todo.push(&e.value),
                    _ => {}
                }
            }
        }
    }
    false
}

/// One step of a values path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathSeg {
    /// `name`: the value of a mapping key.
    Key(String),
    /// `*` as a name: every value of a mapping.
    AnyKey,
    /// `[N]`: one element of a list.
    Index(usize),
    /// `[*]`: every element of a list.
    AnyIndex,
}

/// Parse a values path; `None` when it is malformed.
fn parse_path(path: &str) -> Option<Vec<PathSeg>> {
    let mut segs = Vec::new();
    if path.is_empty() {
        return Some(segs);
    }
    let mut rest = path.chars().peekable();
    let mut first = true;
    loop {
        let mut name = String::new();
        let mut escaped = false;
        while let Some(&c) = rest.peek() {
            match c {
                '.' | '[' => break,
                '\\' => {
                    rest.next();
                    name.push(rest.next()?);
                    escaped = true;
                }
                _ => {
                    rest.next();
                    name.push(c);
                }
            }
        }
        if name.is_empty() {
            // Only a path that starts with an index may have no name first.
            if !(first && rest.peek() == Some(&'[')) {
                return None;
            }
        } else if name == "*" && !escaped {
            segs.push(PathSeg::AnyKey);
        } else {
            segs.push(PathSeg::Key(name));
        }
        first = false;
        while rest.peek() == Some(&'[') {
            rest.next();
            let mut index = String::new();
            loop {
                match rest.next()? {
                    ']' => break,
                    c => index.push(c),
                }
            }
            segs.push(if index == "*" {
                PathSeg::AnyIndex
            } else {
                PathSeg::Index(index.parse().ok()?)
            });
        }
        match rest.next() {
            None => return Some(segs),
            Some('.') => {}
            Some(_) => return None,
        }
    }
}

/// Every value at a values `path`, with its JSON pointer, in document order.
///
/// A path is what chart profiles write: key names separated by `.` (`\.` for a dot inside a
/// name), `[N]` for element N of a list, `[*]` for every element of a list and `*` as a name
/// for every value of a mapping: `image.repository`, `ingress.hosts[*].host`,
/// `ports[0].containerPort`, `env.*`. The empty path is the root. A path that does not match,
/// or is malformed (`a..b`, `a[x]`, `a[0`), gives no matches. Nulls are values too: a key set
/// to `null` matches.
///
/// ```
/// use ehdeploy::source::{FileId, Node, NodeKind, Mapping, Span};
/// use ehdeploy::spec::values::{apply_set, get_path, SetKind};
///
/// let span = Span::new(FileId(0), 0, 0);
/// let mut values = Node::new(NodeKind::Map(Mapping::new()), span);
/// apply_set(&mut values, "ingress.hosts[0].host", "a.example", SetKind::Set, span)?;
/// apply_set(&mut values, "ingress.hosts[1].host", "b.example", SetKind::Set, span)?;
/// let hosts: Vec<(String, Option<&str>)> = get_path(&values, "ingress.hosts[*].host")
///     .into_iter()
///     .map(|(pointer, node)| (pointer, node.as_str()))
///     .collect();
/// assert_eq!(hosts, [
///     ("/ingress/hosts/0/host".to_string(), Some("a.example")),
///     ("/ingress/hosts/1/host".to_string(), Some("b.example")),
/// ]);
/// assert!(get_path(&values, "ingress.tls").is_empty());
/// # Ok::<(), ehdeploy::spec::values::SetError>(())
/// ```
pub fn get_path<'a>(values: &'a Node, path: &str) -> Vec<(String, &'a Node)> {
    ValuesPath::parse(path).map_or_else(Vec::new, |p| p.get(values))
}

/// A values path (see [`get_path`]) parsed once, to be read from many apps' values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesPath {
    text: String,
    segs: Vec<PathSeg>,
    /// [`ValuesPath::key_pointer`], made once: a path of keys only (most profile paths)
    /// is read by following its keys, with this pointer for the one place it can match.
    keys_pointer: Option<String>,
}

impl ValuesPath {
    /// Parse a path; `None` when it is malformed.
    ///
    /// ```
    /// use ehdeploy::spec::values::ValuesPath;
    /// assert_eq!(ValuesPath::parse("ingress.hosts[*].host").map(|p| p.to_string()), Some("ingress.hosts[*].host".into()));
    /// assert!(ValuesPath::parse("a..b").is_none());
    /// ```
    pub fn parse(path: &str) -> Option<ValuesPath> {
        let segs = parse_path(path)?;
        let keys_pointer = keys_pointer(&segs);
        Some(ValuesPath {
            text: path.to_string(),
            segs,
            keys_pointer,
        })
    }

    /// The JSON pointer of the one place this path names, when it names only mapping keys
    /// (no `*`, no index): where a value is written that is not there yet.
    ///
    /// ```
    /// use ehdeploy::spec::values::ValuesPath;
    /// assert_eq!(ValuesPath::parse("image.digest").as_ref().and_then(ValuesPath::key_pointer), Some("/image/digest"));
    /// assert_eq!(ValuesPath::parse("hosts[*].name").as_ref().and_then(ValuesPath::key_pointer), None);
    /// ```
    pub fn key_pointer(&self) -> Option<&str> {
        self.keys_pointer.as_deref()
    }

    /// Every value at this path, with its JSON pointer, in document order.
    pub fn get<'a>(&self, values: &'a Node) -> Vec<(String, &'a Node)> {
        if let Some(pointer) = &self.keys_pointer {
            return self
                .first(values)
                .map(|node| vec![(pointer.clone(), node)])
                .unwrap_or_default();
        }
        let mut out = Vec::new();
        walk(values, &self.segs, &mut Vec::new(), &mut out);
        out
    }

    /// The first value at this path, in document order (the only one, for a path of keys
    /// only), without its pointer.
    ///
    /// ```
    /// use ehdeploy::source::{FileId, Node, NodeKind, Mapping, Span};
    /// use ehdeploy::spec::values::{apply_set, SetKind, ValuesPath};
    ///
    /// let span = Span::new(FileId(0), 0, 0);
    /// let mut values = Node::new(NodeKind::Map(Mapping::new()), span);
    /// apply_set(&mut values, "hosts[0].name", "a", SetKind::Set, span)?;
    /// apply_set(&mut values, "hosts[1].name", "b", SetKind::Set, span)?;
    /// let first = |p: &str| ValuesPath::parse(p).and_then(|p| p.first(&values).and_then(Node::as_str));
    /// assert_eq!(first("hosts[*].name"), Some("a"));
    /// assert_eq!(first("hosts[1].name"), Some("b"));
    /// assert_eq!(first("hosts[2].name"), None);
    /// # Ok::<(), ehdeploy::spec::values::SetError>(())
    /// ```
    pub fn first<'a>(&self, values: &'a Node) -> Option<&'a Node> {
        if self.keys_pointer.is_none() {
            return self.get(values).into_iter().next().map(|(_, node)| node);
        }
        let mut node = values;
        for seg in &self.segs {
            let PathSeg::Key(key) = seg else {
                return None;
            };
            node = &node.as_map()?.get(key)?.value;
        }
        Some(node)
    }
}

/// The JSON pointer of a path of mapping keys only; `None` for a path with `*` or an index.
fn keys_pointer(segs: &[PathSeg]) -> Option<String> {
    let mut out = String::new();
    for seg in segs {
        let PathSeg::Key(key) = seg else {
            return None;
        };
        out.push('/');
        out.push_str(&crate::source::escape_pointer_token(key));
    }
    Some(out)
}

impl std::fmt::Display for ValuesPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

fn walk<'n: 't, 's: 't, 't>(
    node: &'n Node,
    segs: &'s [PathSeg],
    trail: &mut Vec<Step<'t>>,
    out: &mut Vec<(String, &'n Node)>,
) {
    let Some((seg, rest)) = segs.split_first() else {
        out.push((pointer_of(trail), node));
        return;
    };
    let mut step = |step: Step<'t>, child: &'n Node| {
        trail.push(step);
        walk(child, rest, trail, out);
        trail.pop();
    };
    match seg {
        PathSeg::Key(key) => {
            if let Some(entry) = node.as_map().and_then(|m| m.get(key)) {
                step(Step::Key(key), &entry.value);
            }
        }
        PathSeg::AnyKey => {
            for (key, entry) in node.as_map().into_iter().flat_map(Mapping::iter) {
                step(Step::Key(key), &entry.value);
            }
        }
        PathSeg::Index(index) => {
            if let Some(item) = node.as_seq().and_then(|s| s.get(*index)) {
                step(Step::Index(*index), item);
            }
        }
        PathSeg::AnyIndex => {
            for (index, item) in node.as_seq().unwrap_or_default().iter().enumerate() {
                step(Step::Index(index), item);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;
    use crate::source::{parse_bytes, Limits, SourceMap};

    fn parse(sources: &mut SourceMap, name: &str, text: &str) -> Node {
        let parsed = parse_bytes(
            sources,
            Path::new(name),
            name.into(),
            text.as_bytes().to_vec(),
            &Limits::default(),
            None,
        );
        assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
        parsed.root.unwrap()
    }

    /// File, line and column of the value at `pointer`.
    fn at(sources: &SourceMap, root: &Node, pointer: &str) -> (String, u32, u32) {
        let node = root.pointer(pointer).unwrap();
        let loc = sources.location(node.span, pointer);
        (loc.file, loc.line, loc.column)
    }

    /// File, line and column of the key at `pointer`.
    fn key_at(sources: &SourceMap, root: &Node, pointer: &str) -> (String, u32, u32) {
        let loc = sources.location(root.span_at(pointer, true), pointer);
        (loc.file, loc.line, loc.column)
    }

    const A: &str = "\
image:
  repository: nginx
  tag: \"1.0\"
ports:
  - 80
  - 443
debug: true
resources:
  limits:
    memory: 256Mi
extra: text
";

    const B: &str = "\
image:
  tag: \"2.0\"
  pullPolicy: Always
ports:
  - 8080
debug: null
resources:
  limits:
    cpu: 500m
extra:
  nested: 1
added:
  a: 1
  gone: null
";

    #[test]
    fn coalesce_two_files() {
        let mut sources = SourceMap::new();
        let mut values = parse(&mut sources, "a.yaml", A);
        let overlay = parse(&mut sources, "b.yaml", B);
        coalesce(&mut values, overlay);
        assert_eq!(
            values.to_json(),
            json!({
                "image": {"repository": "nginx", "tag": "2.0", "pullPolicy": "Always"},
                "ports": [8080],
                "resources": {"limits": {"memory": "256Mi", "cpu": "500m"}},
                "extra": {"nested": 1},
                "added": {"a": 1},
            })
        );
        // Key order: base keys first (deleted ones gone), new keys appended.
        let keys: Vec<&str> = values.as_map().unwrap().keys().collect();
        assert_eq!(keys, ["image", "ports", "resources", "extra", "added"]);
        let image: Vec<&str> = values
            .get("image")
            .unwrap()
            .as_map()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(image, ["repository", "tag", "pullPolicy"]);

        let file = |f: &str, l, c| (f.to_string(), l, c);
        // Kept from a.yaml.
        assert_eq!(
            at(&sources, &values, "/image/repository"),
            file("a.yaml", 2, 15)
        );
        assert_eq!(
            at(&sources, &values, "/resources/limits/memory"),
            file("a.yaml", 10, 13)
        );
        // Replaced or added by b.yaml.
        assert_eq!(at(&sources, &values, "/image/tag"), file("b.yaml", 2, 8));
        assert_eq!(
            key_at(&sources, &values, "/image/tag"),
            file("b.yaml", 2, 3)
        );
        assert_eq!(
            at(&sources, &values, "/image/pullPolicy"),
            file("b.yaml", 3, 15)
        );
        assert_eq!(at(&sources, &values, "/ports"), file("b.yaml", 5, 3));
        assert_eq!(at(&sources, &values, "/ports/0"), file("b.yaml", 5, 5));
        assert_eq!(
            at(&sources, &values, "/resources/limits/cpu"),
            file("b.yaml", 9, 10)
        );
        assert_eq!(
            at(&sources, &values, "/extra/nested"),
            file("b.yaml", 11, 11)
        );
        assert_eq!(key_at(&sources, &values, "/extra"), file("b.yaml", 10, 1));
        assert_eq!(at(&sources, &values, "/added/a"), file("b.yaml", 13, 6));
        // A merged mapping keeps its place in a.yaml.
        assert_eq!(key_at(&sources, &values, "/image"), file("a.yaml", 1, 1));
    }

    #[test]
    fn coalesce_scalar_over_mapping_and_empty_documents() {
        let mut sources = SourceMap::new();
        let mut values = parse(&mut sources, "a.yaml", "a:\n  b: 1\nl: [1, 2]\n");
        coalesce(
            &mut values,
            parse(&mut sources, "b.yaml", "a: flat\nl: {x: 1}\n"),
        );
        assert_eq!(values.to_json(), json!({"a": "flat", "l": {"x": 1}}));
        assert_eq!(at(&sources, &values, "/a"), ("b.yaml".to_string(), 1, 4));

        // An empty overlay changes nothing; an empty base takes the overlay.
        let before = values.clone();
        coalesce(&mut values, parse(&mut sources, "empty.yaml", ""));
        assert_eq!(values, before);
        let mut empty = parse(&mut sources, "empty2.yaml", "");
        coalesce(&mut empty, parse(&mut sources, "c.yaml", "k: v\n"));
        assert_eq!(empty.to_json(), json!({"k": "v"}));
        assert_eq!(at(&sources, &empty, "/k"), ("c.yaml".to_string(), 1, 4));

        // Nulls in lists stay.
        let mut values = parse(&mut sources, "d.yaml", "l: [1]\n");
        coalesce(&mut values, parse(&mut sources, "e.yaml", "l: [null, 2]\n"));
        assert_eq!(values.to_json(), json!({"l": [null, 2]}));
    }

    #[test]
    fn set_after_files_points_at_the_dsf() {
        let mut sources = SourceMap::new();
        let mut values = parse(&mut sources, "a.yaml", A);
        let dsf = parse(&mut sources, "dsf.yaml", "set:\n  image.tag: \"3.0\"\n");
        let entry_span = dsf.pointer("/set/image.tag").unwrap().span;
        apply_set(&mut values, "image.tag", "3.0", SetKind::Set, entry_span).unwrap();
        assert_eq!(values.pointer("/image/tag").unwrap().as_str(), Some("3.0"));
        assert_eq!(
            at(&sources, &values, "/image/tag"),
            ("dsf.yaml".to_string(), 2, 14)
        );
        assert_eq!(
            at(&sources, &values, "/image/repository"),
            ("a.yaml".to_string(), 2, 15)
        );
    }

    #[test]
    fn get_path_with_wildcards() {
        let mut sources = SourceMap::new();
        let values = parse(
            &mut sources,
            "v.yaml",
            "\
image:
  repository: nginx
ingress:
  hosts:
    - host: a.example
    - path: /
    - host: c.example
ports:
  - containerPort: 80
  - containerPort: 443
env:
  A: x
  B: z
a.b: dotted
matrix: [[1, 2], [3]]
\"x/y~z\": {n: 1}
",
        );
        let get = |path: &str| -> Vec<(String, serde_json::Value)> {
            get_path(&values, path)
                .into_iter()
                .map(|(p, n)| (p, n.to_json()))
                .collect()
        };
        let p = |s: &str, v: serde_json::Value| (s.to_string(), v);
        assert_eq!(
            get("image.repository"),
            [p("/image/repository", json!("nginx"))]
        );
        assert_eq!(
            get("ingress.hosts[*].host"),
            [
                p("/ingress/hosts/0/host", json!("a.example")),
                p("/ingress/hosts/2/host", json!("c.example")),
            ]
        );
        assert_eq!(
            get("ports[*].containerPort"),
            [
                p("/ports/0/containerPort", json!(80)),
                p("/ports/1/containerPort", json!(443)),
            ]
        );
        assert_eq!(
            get("ports[1].containerPort"),
            [p("/ports/1/containerPort", json!(443))]
        );
        assert_eq!(
            get("env.*"),
            [p("/env/A", json!("x")), p("/env/B", json!("z"))]
        );
        assert_eq!(get(r"a\.b"), [p("/a.b", json!("dotted"))]);
        // A path of keys only has its pointer made once, escaped as any other.
        assert_eq!(get("x/y~z.n"), [p("/x~1y~0z/n", json!(1))]);
        // `first` is the first of `get`'s values, whatever the path.
        for path in [
            "image.repository",
            "ingress.hosts[*].host",
            "env.*",
            "x/y~z.n",
            "nope",
        ] {
            let parsed = ValuesPath::parse(path).unwrap();
            let expected = parsed.get(&values).into_iter().next().map(|(_, n)| n);
            assert_eq!(parsed.first(&values), expected, "{path}");
        }
        assert_eq!(
            get("matrix[*][*]"),
            [
                p("/matrix/0/0", json!(1)),
                p("/matrix/0/1", json!(2)),
                p("/matrix/1/0", json!(3)),
            ]
        );
        assert_eq!(get("").len(), 1);
        for missing in [
            "image.tag",
            "ports[5].containerPort",
            "image[*]",
            "image.repository.x",
            "a..b",
            "ports[x]",
            "ports[0",
            "ports[0]x",
            ".image",
            "image.",
        ] {
            assert!(get(missing).is_empty(), "{missing}");
        }
        // The matched nodes are the tree's own, with their spans.
        let (ptr, node) = get_path(&values, "ports[*].containerPort").pop().unwrap();
        let loc = sources.location(node.span, &ptr);
        assert_eq!(
            (loc.line, loc.column, loc.pointer.as_str()),
            (10, 20, "/ports/1/containerPort")
        );
        // A root list.
        let list = parse(&mut sources, "l.yaml", "- a\n- b\n");
        assert_eq!(get_path(&list, "[1]")[0].0, "/1");
    }
}
