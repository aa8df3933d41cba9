//! Helmsman's environment substitution on the raw text of a file, with a map back to the
//! original offsets so that every location still points into the file a person edits.

/// The text after substitution, and where each substitution came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Substitution {
    /// The substituted text, which the parser reads.
    pub text: String,
    /// Replacements in order: (start, end) in the substituted text, (start, end) in the original.
    edits: Vec<Edit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edit {
    new_start: usize,
    new_end: usize,
    old_start: usize,
    old_end: usize,
}

/// A variable that the text names but that is not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsetVariable {
    /// The variable's name.
    pub name: String,
    /// Byte offset of the `$` in the original text.
    pub offset: usize,
    /// Byte length of the reference (`$NAME` or `${NAME}`).
    pub len: usize,
}

impl Substitution {
    /// A text that needs no substitution.
    pub fn identity(text: &str) -> Substitution {
        Substitution {
            text: text.to_string(),
            edits: Vec::new(),
        }
    }

    /// Map a byte offset in the substituted text back to the original text. An offset inside a
    /// substituted value maps to the `$` of its reference.
    pub fn original_offset(&self, offset: usize) -> usize {
        let i = self.edits.partition_point(|e| e.new_start <= offset);
        if i == 0 {
            return offset;
        }
        let e = self.edits[i - 1];
        if offset < e.new_end {
            e.old_start
        } else {
            offset - e.new_end + e.old_end
        }
    }
}

/// Substitute `$NAME`, `${NAME}` and `$$` (a literal `$`) in `text`, line by line, leaving
/// comment lines (first non-blank character `#`) alone, as Helmsman does. `lookup` gives a
/// variable's value, `None` when it is unset. Unlike Helmsman, an unset variable is never an
/// empty string: every one is returned, with where it is written, and the text keeps the
/// reference as written.
///
/// ```
/// use ehdeploy::source::substitute_env;
/// let (s, unset) = substitute_env("tag: ${TAG} # $$HOME\nrepo: $REPO\n", |n| {
///     (n == "TAG").then(|| "1.2.3".to_string())
/// });
/// assert_eq!(s.text, "tag: 1.2.3 # $HOME\nrepo: $REPO\n");
/// assert_eq!(unset[0].name, "REPO");
/// ```
pub fn substitute_env(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> (Substitution, Vec<UnsetVariable>) {
    if !text.contains('$') {
        return (Substitution::identity(text), Vec::new());
    }
    let mut out = String::with_capacity(text.len());
    let mut edits = Vec::new();
    let mut unset = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('#') || !line.contains('$') {
            out.push_str(line);
            line_start += line.len();
            continue;
        }
        let bytes = line.as_bytes();
        let comment = comment_start(line);
        let mut i = 0;
        let mut copied = 0;
        while i < bytes.len() {
            if bytes[i] != b'$' {
                i += 1;
                continue;
            }
            let in_comment = i >= comment;
            let Some((name, len)) = reference_at(&line[i..]) else {
                i += 1;
                continue;
            };
            let replacement = match name {
                None => Some("$".to_string()),
                Some(n) => lookup(n),
            };
            match replacement {
                Some(value) => {
                    out.push_str(&line[copied..i]);
                    let new_start = out.len();
                    out.push_str(&value);
                    edits.push(Edit {
                        new_start,
                        new_end: out.len(),
                        old_start: line_start + i,
                        old_end: line_start + i + len,
                    });
                    copied = i + len;
                }
                None if in_comment => {}
                None => unset.push(UnsetVariable {
                    name: name.unwrap_or_default().to_string(),
                    offset: line_start + i,
                    len,
                }),
            }
            i += len;
        }
        out.push_str(&line[copied..]);
        line_start += line.len();
    }
    (Substitution { text: out, edits }, unset)
}

/// Where a trailing comment starts: a `#` at the start or after a blank, outside quotes.
/// References in a comment are substituted when set, and never reported when unset.
fn comment_start(line: &str) -> usize {
    let mut quote: Option<u8> = None;
    let mut prev = b' ';
    for (i, &b) in line.as_bytes().iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'#' && (prev == b' ' || prev == b'\t') => return i,
            None => {}
        }
        prev = b;
    }
    line.len()
}

/// The reference that starts at `$`: `Some((None, 2))` for `$$`, `Some((Some(name), len))` for a
/// variable, `None` when the `$` stands for itself.
fn reference_at(s: &str) -> Option<(Option<&str>, usize)> {
    let rest = &s[1..];
    if rest.starts_with('$') {
        return Some((None, 2));
    }
    if let Some(braced) = rest.strip_prefix('{') {
        let close = braced.find('}')?;
        let name = &braced[..close];
        if name.is_empty() || !name.bytes().all(is_name_byte) {
            return None;
        }
        return Some((Some(name), close + 3));
    }
    let len = rest.bytes().take_while(|&b| is_name_byte(b)).count();
    if len == 0 {
        return None;
    }
    Some((Some(&rest[..len]), len + 1))
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("alpha".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_and_maps_offsets_back() {
        let text = "x: $A-${A}\n# $NOPE\ny: $$A $ ok\n";
        let (s, unset) = substitute_env(text, env);
        assert_eq!(s.text, "x: alpha-alpha\n# $NOPE\ny: $A $ ok\n");
        assert!(unset.is_empty());
        // "-" after the first value is at 8 in the new text and 5 in the old
        assert_eq!(s.original_offset(8), 5);
        // inside the second value maps to its `$`
        assert_eq!(s.original_offset(10), 6);
        // the comment line keeps its place: "#" at 15 new, 11 old
        assert_eq!(s.original_offset(15), 11);
    }

    #[test]
    fn lists_every_unset_variable_with_its_place() {
        let (s, unset) = substitute_env("a: $X\nb: ${Y}\nc: $EMPTY # not $Z\n", env);
        assert_eq!(s.text, "a: $X\nb: ${Y}\nc:  # not $Z\n");
        assert_eq!(
            unset,
            vec![
                UnsetVariable {
                    name: "X".into(),
                    offset: 3,
                    len: 2
                },
                UnsetVariable {
                    name: "Y".into(),
                    offset: 9,
                    len: 4
                },
            ]
        );
    }
}
