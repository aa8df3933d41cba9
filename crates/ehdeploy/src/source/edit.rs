//! Editing YAML text in place, at the spans the loader recorded: a value replaced, a key added
//! to a block mapping, a one-line entry removed. Nothing is re-serialised, so every comment, key
//! order and the formatting of the rest of the file stay as they are.

use super::files::Span;
use super::node::{Node, NodeKind};

/// One replacement of a byte range of a file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    /// First byte replaced.
    pub start: usize,
    /// One past the last byte replaced (`start` for an insertion).
    pub end: usize,
    /// The new text.
    pub text: String,
}

/// Apply edits to a text; `None` when two of them overlap.
///
/// ```
/// use ehdeploy::source::{apply_edits, TextEdit};
/// let text = "a: 1\nb: 2\n";
/// let edits = [TextEdit { start: 3, end: 4, text: "9".into() }, TextEdit { start: 10, end: 10, text: "c: 3\n".into() }];
/// assert_eq!(apply_edits(text, &edits).as_deref(), Some("a: 9\nb: 2\nc: 3\n"));
/// ```
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> Option<String> {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in sorted {
        if e.start < at
            || e.end < e.start
            || !text.is_char_boundary(e.start)
            || !text.is_char_boundary(e.end)
        {
            return None;
        }
        out.push_str(text.get(at..e.start)?);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// A scalar as YAML text, written like `like` (the text it replaces): in the same quotes, or
/// plain when that reads back as the same string; otherwise double-quoted.
pub fn scalar_text(value: &Node, like: &str) -> Option<String> {
    if value.is_null() {
        return Some("null".into());
    }
    let plain = value.scalar_text()?;
    let is_string = matches!(value.kind, NodeKind::Str(_));
    let quote = like.chars().next().filter(|c| *c == '"' || *c == '\'');
    Some(match (quote, is_string) {
        (Some('\''), true) => format!("'{}'", plain.replace('\'', "''")),
        (Some(_), true) => double_quoted(&plain),
        (_, true) if reads_back_as_string(&plain) => plain,
        (_, true) => double_quoted(&plain),
        (_, false) => plain,
    })
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a plain scalar of this text would read back as this very string.
fn reads_back_as_string(s: &str) -> bool {
    !s.is_empty()
        && matches!(super::resolve_plain_scalar(s), NodeKind::Str(ref t) if t == s)
        && !s.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"',
            '%', '@', '`',
        ])
        && !s.ends_with([' ', ':'])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.contains('\n')
}

/// Replace the scalar at `span` of `text` by `value`, in the same style.
pub fn replace_scalar(text: &str, span: Span, value: &Node) -> Option<TextEdit> {
    let (start, end) = (span.start as usize, span.end as usize);
    let like = text.get(start..end)?;
    if like.starts_with(['|', '>']) {
        return None;
    }
    Some(TextEdit {
        start,
        end,
        text: scalar_text(value, like)?,
    })
}

/// Add `tokens` = `value` to a block-style YAML file whose tree is `root`: under the deepest
/// mapping of the path that exists, indented like its keys, after its last entry (at the end of
/// the file for the top level). `None` when the place is a flow mapping, a sequence or a
/// scalar, or the value is not a scalar.
pub fn insert_entry(text: &str, root: &Node, tokens: &[String], value: &Node) -> Option<TextEdit> {
    let mut node = root;
    let mut depth = 0;
    while depth < tokens.len() {
        let NodeKind::Map(m) = &node.kind else {
            return None;
        };
        match m.get(&tokens[depth]) {
            Some(e) if matches!(e.value.kind, NodeKind::Map(_)) && depth + 1 < tokens.len() => {
                node = &e.value;
                depth += 1;
            }
            Some(_) => return None,
            None => break,
        }
    }
    let NodeKind::Map(parent) = &node.kind else {
        return None;
    };
    // Indentation and place: like the mapping's keys, after its last entry.
    let (indent, at) = if depth == 0 {
        (0, text.len())
    } else {
        let (_, first) = parent.iter().next()?;
        let line_start = text
            .get(..first.key_span.start as usize)?
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let indent = first.key_span.start as usize - line_start;
        if text.get(line_start..first.key_span.start as usize)?.trim() != "" {
            return None; // flow mapping or `- key:` in a sequence
        }
        let last_end = parent
            .iter()
            .map(|(_, e)| e.value.span.end.max(e.key_span.end))
            .max()? as usize;
        let at = text
            .get(last_end..)?
            .find('\n')
            .map_or(text.len(), |i| last_end + i + 1);
        (indent, at)
    };
    let mut lines = String::new();
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        lines.push('\n');
    }
    for (i, token) in tokens.iter().enumerate().skip(depth) {
        let pad = " ".repeat(indent + 2 * (i - depth));
        let key = if reads_back_as_string(token) {
            token.clone()
        } else {
            double_quoted(token)
        };
        if i + 1 == tokens.len() {
            lines.push_str(&format!("{pad}{key}: {}\n", scalar_text(value, "")?));
        } else {
            lines.push_str(&format!("{pad}{key}:\n"));
        }
    }
    Some(TextEdit {
        start: at,
        end: at,
        text: lines,
    })
}

/// Remove a one-line `key: value` entry (with a trailing comment), given the spans of its key
/// and value. `None` when the entry is not alone on its line(s).
pub fn remove_entry(text: &str, key: Span, value: Span) -> Option<TextEdit> {
    let start = text
        .get(..key.start as usize)?
        .rfind('\n')
        .map_or(0, |i| i + 1);
    if text.get(start..key.start as usize)?.trim() != "" {
        return None;
    }
    let value_end = value.end.max(key.end) as usize;
    let end = text
        .get(value_end..)?
        .find('\n')
        .map_or(text.len(), |i| value_end + i + 1);
    let rest = text.get(value_end..end)?.trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some(TextEdit {
        start,
        end,
        text: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::test_tree as tree;

    fn tokens(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    fn s(v: &str) -> Node {
        Node::new(
            NodeKind::Str(v.into()),
            Span::new(crate::source::FileId(0), 0, 0),
        )
    }

    #[test]
    fn replaces_in_the_same_style() {
        let text = "a: \"1.2\"  # keep\nb: 'x'\nc: plain   # note\nd: 3\n";
        let root = tree(text);
        let edit =
            |p: &str, v: &Node| replace_scalar(text, root.pointer(p).unwrap().span, v).unwrap();
        let out = apply_edits(
            text,
            &[
                edit("/a", &s("2.0")),
                edit("/b", &s("it's")),
                edit("/c", &s("yes")),
                edit(
                    "/d",
                    &Node::new(NodeKind::Int(4), Span::new(crate::source::FileId(0), 0, 0)),
                ),
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "a: \"2.0\"  # keep\nb: 'it''s'\nc: \"yes\"   # note\nd: 4\n"
        );
    }

    #[test]
    fn inserts_under_the_deepest_mapping_with_its_indentation() {
        let text =
            "image:\n    repository: r  # the image\n    pullPolicy: Always\nreplicaCount: 2\n";
        let root = tree(text);
        let e = insert_entry(text, &root, &tokens("image.tag"), &s("1.2.3")).unwrap();
        assert_eq!(
            apply_edits(text, &[e]).unwrap(),
            "image:\n    repository: r  # the image\n    pullPolicy: Always\n    tag: 1.2.3\nreplicaCount: 2\n"
        );
        let e = insert_entry(
            text,
            &root,
            &tokens("canary.enabled"),
            &Node::new(
                NodeKind::Bool(true),
                Span::new(crate::source::FileId(0), 0, 0),
            ),
        )
        .unwrap();
        assert_eq!(
            apply_edits(text, &[e]).unwrap(),
            format!("{text}canary:\n  enabled: true\n")
        );
        let flow = "image: {repository: r}\n";
        assert!(insert_entry(flow, &tree(flow), &tokens("image.tag"), &s("1")).is_none());
    }

    #[test]
    fn removes_a_one_line_entry_with_its_comment() {
        let text = "a: 1\nimageDigest: sha256:abc   # pinned\nb: 2\n";
        let root = tree(text);
        let e = root.as_map().unwrap().get("imageDigest").unwrap();
        let edit = remove_entry(text, e.key_span, e.value.span).unwrap();
        assert_eq!(apply_edits(text, &[edit]).unwrap(), "a: 1\nb: 2\n");
    }

    #[test]
    fn overlapping_edits_are_refused() {
        let e = |s, e| TextEdit {
            start: s,
            end: e,
            text: String::new(),
        };
        assert!(apply_edits("abcdef", &[e(0, 3), e(2, 4)]).is_none());
    }
}
