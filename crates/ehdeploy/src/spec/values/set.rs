//! Helm's `--set`, `--set-string` and `--set-file` assignments, as Helmsman passes them.

use std::fmt;

use crate::source::{Entry, Mapping, Node, NodeKind, Span};

/// Helm's largest list index (`strvals.MaxIndex`, 64 Ki).
pub const MAX_INDEX: usize = 65_536;

/// Helm's deepest nesting of dotted key names (`strvals.MaxNestedNameLevel`).
pub const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Which Helm flag an assignment is given with.
///
/// Helm applies all `--set` flags first, then all `--set-string`, then all `--set-file`
/// (after the values files), whatever order the DSF lists them in; callers should apply
/// them in that order too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetKind {
    /// `set:` → `--set`: values are typed (`true`, `null`, `42` become a boolean, a null and
    /// an integer; everything else a string).
    Set,
    /// `setString:` → `--set-string`: values are always strings.
    SetString,
    /// `setFile:` → `--set-file`: the value is the content of a file, as a string. The caller
    /// reads the file and passes its content.
    SetFile,
}

impl fmt::Display for SetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetKind::Set => "set",
            SetKind::SetString => "setString",
            SetKind::SetFile => "setFile",
        })
    }
}

/// An assignment Helm would refuse (or, for an empty key name, silently drop).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot set `{key}`: {problem}")]
pub struct SetError {
    /// The key as written in the DSF.
    pub key: String,
    /// What is wrong with it.
    pub problem: SetProblem,
}

/// What is wrong with an assignment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetProblem {
    /// A key name is empty (`=v`, `.a`, `a..b`, `a.`, `[0]`).
    #[error("a key name in the path is empty")]
    EmptyKey,
    /// `[` without its `]`.
    #[error("`[` is not closed by `]`")]
    UnclosedBracket,
    /// The text between `[` and `]` is not an integer.
    #[error("`[{0}]` is not a list index")]
    BadIndex(String),
    /// A negative list index.
    #[error("negative list index {0}")]
    NegativeIndex(i64),
    /// A list index larger than Helm allows.
    #[error("list index {0} is larger than Helm's maximum of {MAX_INDEX}")]
    IndexTooLarge(i64),
    /// Text between a `]` and the next `.`, `[` or `=`.
    #[error("unexpected `{0}` after a list index")]
    AfterIndex(String),
    /// A name with no `=value` after it (the key holds a `,`, or the value re-enters the key
    /// syntax, e.g. `{a}b`).
    #[error("`{0}` has no value")]
    NoValue(String),
    /// More than [`MAX_NESTED_NAME_LEVEL`] dots.
    #[error("the key is nested deeper than Helm's maximum of {MAX_NESTED_NAME_LEVEL} levels")]
    TooDeep,
    /// A value starting with `{` that has no `}`.
    #[error("a list value starting with `{{` must end with `}}`")]
    UnterminatedList,
}

/// Apply one DSF assignment `key: value` to `values`, as Helm does for the argument
/// `key=value` Helmsman passes it.
///
/// Helmsman turns every entry `key: value` of an app's `set`, `setString` and `setFile` into
/// one `--set key=value` argument (resp. `--set-string`, `--set-file`), escaping each `,` of
/// the value as `\,` and nothing else. Helm then parses that argument with its `strvals`
/// parser. This function does the same: it builds the argument exactly as Helmsman does and
/// parses it the way `strvals` does, so the odd corners come out as Helm has them:
///
/// - a `\` in the value escapes the next character and disappears (`C:\tmp` sets `C:tmp`);
/// - `{a,b}` is Helm's list syntax, but since Helmsman escapes the comma, it is a list of one
///   element, `["a,b"]`; `{a}` is `["a"]`, `{}` is `[""]`, and `{a` is an error;
/// - a key may hold several assignments (`a=1,b` as a key gives `a=1,b=value`).
///
/// Two things differ from Helm on purpose: an empty key name (`=v`, `.a=v`, `a..b=v`,
/// `[0]=v`) is an error where Helm silently ignores the assignment, and setting a path through
/// a value of another kind (`a.b=1` where `a` is a string, `a[0]=1` where `a` is a mapping)
/// replaces that value where Helm 3 fails with `unable to parse key: interface conversion`.
///
/// Every node this creates (values, mappings and lists on the way, list padding) carries
/// `span`, the span of the DSF entry, so findings about them point at the DSF line. For
/// [`SetKind::SetFile`], `value` is the content of the file. On error, `values` is unchanged.
///
/// ```
/// use ehdeploy::source::{FileId, Node, NodeKind, Mapping, Span};
/// use ehdeploy::spec::values::{apply_set, SetKind};
///
/// let span = Span::new(FileId(0), 0, 0);
/// let mut values = Node::new(NodeKind::Map(Mapping::new()), span);
/// apply_set(&mut values, "image.tag", "42", SetKind::Set, span)?;
/// apply_set(&mut values, "ports[1].name", "http", SetKind::Set, span)?;
/// apply_set(&mut values, "build", "007", SetKind::Set, span)?;
/// apply_set(&mut values, "version", "1", SetKind::SetString, span)?;
/// assert_eq!(
///     values.to_json(),
///     serde_json::json!({
///         "image": {"tag": 42},
///         "ports": [null, {"name": "http"}],
///         "build": "007",
///         "version": "1",
///     })
/// );
/// assert!(apply_set(&mut values, "a[99999999]", "x", SetKind::Set, span).is_err());
/// # Ok::<(), ehdeploy::spec::values::SetError>(())
/// ```
pub fn apply_set(
    values: &mut Node,
    key: &str,
    value: &str,
    kind: SetKind,
    span: Span,
) -> Result<(), SetError> {
    let (line, mode) = match kind {
        SetKind::Set => (argument(key, value), Mode::Typed),
        SetKind::SetString => (argument(key, value), Mode::Strings),
        SetKind::SetFile => (format!("{key}="), Mode::File(value)),
    };
    let assignments = Parser::new(&line, mode, span)
        .parse()
        .map_err(|problem| SetError {
            key: key.to_string(),
            problem,
        })?;
    for Assignment { path, value } in assignments {
        assign(values, &path, value, span);
    }
    Ok(())
}

/// The argument Helmsman gives Helm: `key=value` with every `,` of the value escaped.
fn argument(key: &str, value: &str) -> String {
    format!("{key}={}", value.replace(',', "\\,"))
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// One parsed assignment.
#[derive(Debug)]
struct Assignment {
    path: Vec<Seg>,
    value: Node,
}

/// How values are read.
#[derive(Debug, Clone, Copy)]
enum Mode<'a> {
    Typed,
    Strings,
    File(&'a str),
}

/// Whether parsing goes on after a step (Go's `nil`) or the input is used up (Go's `io.EOF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    More,
    End,
}

/// A port of Helm's `strvals` parser that records assignments instead of writing a map.
struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    mode: Mode<'a>,
    span: Span,
    out: Vec<Assignment>,
}

impl<'a> Parser<'a> {
    fn new(line: &str, mode: Mode<'a>, span: Span) -> Parser<'a> {
        Parser {
            chars: line.chars().collect(),
            pos: 0,
            mode,
            span,
            out: Vec::new(),
        }
    }

    fn parse(mut self) -> Result<Vec<Assignment>, SetProblem> {
        while self.key(Vec::new(), 0)? == Flow::More {}
        Ok(self.out)
    }

    fn read(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    /// Go's `runesUntil`: the text up to one of `stop` (`\` escapes any character) and the
    /// stop character, `None` at the end of the input.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut text = String::new();
        loop {
            match self.read() {
                None => return (text, None),
                Some(c) if stop.contains(&c) => return (text, Some(c)),
                Some('\\') => match self.read() {
                    Some(next) => text.push(next),
                    None => return (text, None),
                },
                Some(c) => text.push(c),
            }
        }
    }

    /// Go's `parser.key`.
    fn key(&mut self, mut path: Vec<Seg>, level: usize) -> Result<Flow, SetProblem> {
        let (name, last) = self.until(&['=', '[', ',', '.']);
        match last {
            None if name.is_empty() => Ok(Flow::End),
            None | Some(',') => Err(SetProblem::NoValue(name)),
            Some('[') => {
                path.push(Seg::Key(non_empty(name)?));
                let index = self.index()?;
                path.push(Seg::Index(index));
                self.list_item(path, level)
            }
            Some('=') => {
                path.push(Seg::Key(non_empty(name)?));
                self.value(path)
            }
            _ => {
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(SetProblem::TooDeep);
                }
                path.push(Seg::Key(non_empty(name)?));
                self.key(path, level)
            }
        }
    }

    /// Go's `parser.keyIndex` and the range checks of `setIndex`.
    fn index(&mut self) -> Result<usize, SetProblem> {
        let (text, last) = self.until(&[']']);
        if last.is_none() {
            return Err(SetProblem::UnclosedBracket);
        }
        let index: i64 = text.parse().map_err(|_| SetProblem::BadIndex(text))?;
        if index < 0 {
            return Err(SetProblem::NegativeIndex(index));
        }
        match usize::try_from(index) {
            Ok(i) if i <= MAX_INDEX => Ok(i),
            _ => Err(SetProblem::IndexTooLarge(index)),
        }
    }

    /// Go's `parser.listItem`: what follows `name[i]`.
    fn list_item(&mut self, mut path: Vec<Seg>, level: usize) -> Result<Flow, SetProblem> {
        let (text, last) = self.until(&['[', '.', '=']);
        if !text.is_empty() {
            return Err(SetProblem::AfterIndex(text));
        }
        match last {
            // `name[i]` at the very end: Helm sets nothing.
            None => Ok(Flow::End),
            Some('=') => self.value(path),
            Some('[') => {
                let index = self.index()?;
                path.push(Seg::Index(index));
                self.list_item(path, level)
            }
            _ => self.key(path, level),
        }
    }

    /// Go's `valList` then `val`: the value after `=`.
    fn value(&mut self, path: Vec<Seg>) -> Result<Flow, SetProblem> {
        let mode = self.mode;
        if let Mode::File(content) = mode {
            // Helm reads the file named by the rest of the argument.
            let _path = self.until(&[',']);
            self.push(path, NodeKind::Str(content.to_string()));
            return Ok(Flow::More);
        }
        match self.read() {
            None => {
                self.push(path, NodeKind::Str(String::new()));
                Ok(Flow::End)
            }
            Some('{') => {
                let mut items = Vec::new();
                loop {
                    let (text, last) = self.until(&[',', '}']);
                    match last {
                        None => return Err(SetProblem::UnterminatedList),
                        Some('}') => {
                            if let Some(c) = self.read() {
                                if c != ',' {
                                    self.unread();
                                }
                            }
                            items.push(Node::new(self.typed(text), self.span));
                            self.push(path, NodeKind::Seq(items));
                            return Ok(Flow::More);
                        }
                        _ => items.push(Node::new(self.typed(text), self.span)),
                    }
                }
            }
            Some(_) => {
                self.unread();
                let (text, _) = self.until(&[',']);
                let kind = self.typed(text);
                self.push(path, kind);
                Ok(Flow::More)
            }
        }
    }

    fn typed(&self, text: String) -> NodeKind {
        match self.mode {
            Mode::Typed => typed_value(text),
            Mode::Strings | Mode::File(_) => NodeKind::Str(text),
        }
    }

    fn push(&mut self, path: Vec<Seg>, kind: NodeKind) {
        self.out.push(Assignment {
            path,
            value: Node::new(kind, self.span),
        });
    }
}

fn non_empty(name: String) -> Result<String, SetProblem> {
    if name.is_empty() {
        Err(SetProblem::EmptyKey)
    } else {
        Ok(name)
    }
}

/// Helm's `typedVal`: `true`/`false` (any case), `null` (any case), `0`, and base-10 int64
/// not starting with `0` are typed; everything else is a string.
fn typed_value(text: String) -> NodeKind {
    if text.eq_ignore_ascii_case("true") {
        return NodeKind::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return NodeKind::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return NodeKind::Null;
    }
    if text == "0" {
        return NodeKind::Int(0);
    }
    if !text.is_empty() && !text.starts_with('0') {
        if let Some(i) = parse_go_int(&text) {
            return NodeKind::Int(i);
        }
    }
    NodeKind::Str(text)
}

/// Go's `strconv.ParseInt(s, 10, 64)`: an optional sign and decimal digits, no underscores.
fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Write `value` at `path` under `node`, making mappings and lists on the way (at `span`) and
/// replacing values of another kind that stand in the way.
fn assign(node: &mut Node, path: &[Seg], value: Node, span: Span) {
    let Some((seg, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    match seg {
        Seg::Key(key) => {
            if !matches!(node.kind, NodeKind::Map(_)) {
                *node = Node::new(NodeKind::Map(Mapping::new()), span);
            }
            let NodeKind::Map(map) = &mut node.kind else {
                return;
            };
            if rest.is_empty() {
                map.insert(
                    key.clone(),
                    Entry {
                        key_span: span,
                        value,
                    },
                );
                return;
            }
            match map.get_mut(key) {
                Some(entry) => assign(&mut entry.value, rest, value, span),
                None => {
                    let mut child = Node::new(NodeKind::Null, span);
                    assign(&mut child, rest, value, span);
                    map.insert(
                        key.clone(),
                        Entry {
                            key_span: span,
                            value: child,
                        },
                    );
                }
            }
        }
        Seg::Index(index) => {
            if !matches!(node.kind, NodeKind::Seq(_)) {
                *node = Node::new(NodeKind::Seq(Vec::new()), span);
            }
            let NodeKind::Seq(list) = &mut node.kind else {
                return;
            };
            if list.len() <= *index {
                list.resize(index + 1, Node::new(NodeKind::Null, span));
            }
            if let Some(slot) = list.get_mut(*index) {
                assign(slot, rest, value, span);
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
    use crate::source::{parse_bytes, FileId, Limits, SourceMap};

    fn span() -> Span {
        Span::new(FileId(7), 3, 9)
    }

    fn empty() -> Node {
        Node::new(NodeKind::Map(Mapping::new()), Span::new(FileId(0), 0, 0))
    }

    fn set(values: &mut Node, key: &str, value: &str) {
        apply_set(values, key, value, SetKind::Set, span()).unwrap();
    }

    fn one(key: &str, value: &str, kind: SetKind) -> Node {
        let mut values = empty();
        apply_set(&mut values, key, value, kind, span()).unwrap();
        values
    }

    fn problem(key: &str, value: &str) -> SetProblem {
        let mut values = empty();
        let before = values.clone();
        let err = apply_set(&mut values, key, value, SetKind::Set, span()).unwrap_err();
        assert_eq!(values, before, "an error leaves the values unchanged");
        assert_eq!(err.key, key);
        err.problem
    }

    /// Every node of the tree carries `span`.
    fn all_spans(node: &Node, span: Span) -> bool {
        node.span == span
            && match &node.kind {
                NodeKind::Map(m) => m
                    .iter()
                    .all(|(_, e)| e.key_span == span && all_spans(&e.value, span)),
                NodeKind::Seq(s) => s.iter().all(|n| all_spans(n, span)),
                _ => true,
            }
    }

    #[test]
    fn int_value_makes_nested_mappings() {
        let v = one("a.b", "1", SetKind::Set);
        assert_eq!(v.to_json(), json!({"a": {"b": 1}}));
        assert_eq!(v.pointer("/a/b").unwrap().kind, NodeKind::Int(1));
        let a = v.as_map().unwrap().get("a").unwrap();
        assert_eq!(a.key_span, span());
        assert!(all_spans(&a.value, span()));
    }

    #[test]
    fn typed_values() {
        let cases: &[(&str, NodeKind)] = &[
            ("01", NodeKind::Str("01".into())),
            ("0", NodeKind::Int(0)),
            ("-5", NodeKind::Int(-5)),
            ("+5", NodeKind::Int(5)),
            ("1_000", NodeKind::Str("1_000".into())),
            ("1.5", NodeKind::Str("1.5".into())),
            ("1e3", NodeKind::Str("1e3".into())),
            ("9223372036854775807", NodeKind::Int(i64::MAX)),
            (
                "9223372036854775808",
                NodeKind::Str("9223372036854775808".into()),
            ),
            ("true", NodeKind::Bool(true)),
            ("TRUE", NodeKind::Bool(true)),
            ("False", NodeKind::Bool(false)),
            ("yes", NodeKind::Str("yes".into())),
            ("null", NodeKind::Null),
            ("NULL", NodeKind::Null),
            ("~", NodeKind::Str("~".into())),
            ("", NodeKind::Str(String::new())),
            ("a=b", NodeKind::Str("a=b".into())),
        ];
        for (value, want) in cases {
            let v = one("a.b", value, SetKind::Set);
            assert_eq!(&v.pointer("/a/b").unwrap().kind, want, "value {value:?}");
        }
    }

    #[test]
    fn null_is_stored_as_null() {
        let v = one("x.y", "null", SetKind::Set);
        assert_eq!(v.to_json(), json!({"x": {"y": null}}));
        assert_eq!(v.pointer("/x/y").unwrap().span, span());
    }

    #[test]
    fn list_index_grows_with_nulls() {
        let v = one("list[1]", "v", SetKind::Set);
        assert_eq!(v.to_json(), json!({"list": [null, "v"]}));
        assert!(all_spans(v.get("list").unwrap(), span()));

        let mut v = empty();
        set(&mut v, "list[2].name", "c");
        set(&mut v, "list[0].name", "a");
        set(&mut v, "list[2].port", "80");
        set(&mut v, "m[1][0]", "x");
        assert_eq!(
            v.to_json(),
            json!({
                "list": [{"name": "a"}, null, {"name": "c", "port": 80}],
                "m": [null, ["x"]],
            })
        );
        // The largest index Helm allows.
        let v = one("big[65536]", "1", SetKind::Set);
        assert_eq!(v.get("big").unwrap().as_seq().unwrap().len(), 65_537);
    }

    #[test]
    fn escaped_dot_is_part_of_the_key() {
        let v = one(r"a\.b", "c", SetKind::Set);
        assert_eq!(v.to_json(), json!({"a.b": "c"}));
        let v = one(
            r"ingress.annotations.kubernetes\.io/tls-acme",
            "true",
            SetKind::Set,
        );
        assert_eq!(
            v.to_json(),
            json!({"ingress": {"annotations": {"kubernetes.io/tls-acme": true}}})
        );
    }

    #[test]
    fn list_syntax_with_helmsman_escaped_commas() {
        // Helmsman passes `{a\,b}`: one element holding the comma.
        let v = one("l", "{a,b}", SetKind::Set);
        assert_eq!(v.to_json(), json!({"l": ["a,b"]}));
        let v = one("l", "{1}", SetKind::Set);
        assert_eq!(v.to_json(), json!({"l": [1]}));
        assert!(all_spans(v.get("l").unwrap(), span()));
        let v = one("l", "{}", SetKind::Set);
        assert_eq!(v.to_json(), json!({"l": [""]}));
        let v = one("l", "{true}", SetKind::SetString);
        assert_eq!(v.to_json(), json!({"l": ["true"]}));
        let v = one("l[1]", "{x}", SetKind::Set);
        assert_eq!(v.to_json(), json!({"l": [null, ["x"]]}));
        // A comma in a value never splits it.
        let v = one("hosts", "a.example,b.example", SetKind::Set);
        assert_eq!(v.to_json(), json!({"hosts": "a.example,b.example"}));
    }

    #[test]
    fn backslash_escapes_in_values_like_helm() {
        let v = one("p", r"C:\tmp", SetKind::Set);
        assert_eq!(v.to_json(), json!({"p": "C:tmp"}));
        let v = one("p", r"a\\b", SetKind::Set);
        assert_eq!(v.to_json(), json!({"p": r"a\b"}));
        let v = one("p", "x\\", SetKind::Set);
        assert_eq!(v.to_json(), json!({"p": "x"}));
    }

    #[test]
    fn set_string_keeps_text() {
        let v = one("a", "1", SetKind::SetString);
        assert_eq!(v.get("a").unwrap().kind, NodeKind::Str("1".into()));
        let v = one("a.b", "null", SetKind::SetString);
        assert_eq!(v.to_json(), json!({"a": {"b": "null"}}));
    }

    #[test]
    fn set_file_stores_content() {
        let content = "line 1, with comma\n{not a list}\\n";
        let v = one("cfg.file", content, SetKind::SetFile);
        assert_eq!(v.to_json(), json!({"cfg": {"file": content}}));
        assert!(all_spans(v.get("cfg").unwrap(), span()));
    }

    #[test]
    fn a_key_may_hold_several_assignments() {
        let v = one("a=1,b", "2", SetKind::Set);
        assert_eq!(v.to_json(), json!({"a": 1, "b": 2}));
    }

    #[test]
    fn setting_through_other_kinds_replaces_them() {
        let mut v = empty();
        set(&mut v, "a", "text");
        set(&mut v, "a.b", "1");
        set(&mut v, "l.x", "1");
        set(&mut v, "l[0]", "y");
        set(&mut v, "m[0]", "z");
        set(&mut v, "m[0].k", "w");
        assert_eq!(
            v.to_json(),
            json!({"a": {"b": 1}, "l": ["y"], "m": [{"k": "w"}]})
        );
        let mut root = Node::new(NodeKind::Null, Span::new(FileId(0), 0, 0));
        set(&mut root, "a", "1");
        assert_eq!(root.to_json(), json!({"a": 1}));
    }

    #[test]
    fn existing_values_keep_their_place_and_spans() {
        let mut sources = SourceMap::new();
        let text = "image:\n  repository: nginx\n  tag: \"1.0\"\nreplicas: 2\n";
        let mut v = parse_bytes(
            &mut sources,
            Path::new("v.yaml"),
            "v.yaml".into(),
            text.as_bytes().to_vec(),
            &Limits::default(),
            None,
        )
        .root
        .unwrap();
        set(&mut v, "image.tag", "2.0");
        set(&mut v, "image.pullPolicy", "Always");
        assert_eq!(
            v.to_json(),
            json!({
                "image": {"repository": "nginx", "tag": "2.0", "pullPolicy": "Always"},
                "replicas": 2,
            })
        );
        let image = v.get("image").unwrap();
        assert_eq!(
            image.as_map().unwrap().keys().collect::<Vec<_>>(),
            ["repository", "tag", "pullPolicy"]
        );
        let repo = sources.location(v.pointer("/image/repository").unwrap().span, "");
        assert_eq!(
            (repo.file.as_str(), repo.line, repo.column),
            ("v.yaml", 2, 15)
        );
        assert_eq!(image.span.file, v.span.file);
        assert_eq!(v.pointer("/image/tag").unwrap().span, span());
        assert_eq!(image.as_map().unwrap().get("tag").unwrap().key_span, span());
    }

    #[test]
    fn errors() {
        assert_eq!(problem("a[", "x"), SetProblem::UnclosedBracket);
        assert_eq!(problem("a[0", "x"), SetProblem::UnclosedBracket);
        assert_eq!(
            problem("a[99999999]", "x"),
            SetProblem::IndexTooLarge(99_999_999)
        );
        assert_eq!(problem("a[65537]", "x"), SetProblem::IndexTooLarge(65_537));
        assert_eq!(problem("a[-1]", "x"), SetProblem::NegativeIndex(-1));
        assert_eq!(problem("a[x]", "x"), SetProblem::BadIndex("x".into()));
        assert_eq!(problem("a[]", "x"), SetProblem::BadIndex(String::new()));
        assert_eq!(problem("a[0]b", "x"), SetProblem::AfterIndex("b".into()));
        assert_eq!(problem("", "x"), SetProblem::EmptyKey);
        assert_eq!(problem(".a", "x"), SetProblem::EmptyKey);
        assert_eq!(problem("a..b", "x"), SetProblem::EmptyKey);
        assert_eq!(problem("a.", "x"), SetProblem::EmptyKey);
        assert_eq!(problem("[0]", "x"), SetProblem::EmptyKey);
        assert_eq!(problem("a,b", "x"), SetProblem::NoValue("a".into()));
        assert_eq!(problem("l", "{a"), SetProblem::UnterminatedList);
        assert_eq!(problem("l", "{a}b"), SetProblem::NoValue("b".into()));
        let deep = vec!["k"; MAX_NESTED_NAME_LEVEL + 2].join(".");
        assert_eq!(problem(&deep, "x"), SetProblem::TooDeep);
        let ok = vec!["k"; MAX_NESTED_NAME_LEVEL + 1].join(".");
        let _ = one(&ok, "x", SetKind::Set);

        let mut values = empty();
        let err = apply_set(&mut values, "a[99999999]", "x", SetKind::Set, span()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot set `a[99999999]`: list index 99999999 is larger than Helm's maximum of 65536"
        );
        let err = apply_set(&mut values, "a[", "x", SetKind::Set, span()).unwrap_err();
        assert_eq!(err.to_string(), "cannot set `a[`: `[` is not closed by `]`");
    }
}
