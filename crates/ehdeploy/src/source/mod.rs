//! Source files and the located document tree every other module reads.
//!
//! YAML and TOML are parsed here, and only here, into a [`Node`] tree whose every value and
//! key carries a [`Span`] into the original text of its file, so that a finding about any value
//! (also one that came out of a values file or an override file) can point at the line and column
//! a person edits. Parsing is bounded by [`Limits`]: file size, nesting depth and alias expansion.

mod de;
mod edit;
mod files;
mod mapping;
mod node;
mod read;
mod scalar;
mod substitute;
mod toml;
mod yaml;

pub use de::{from_node_strict, Mismatch};
pub use edit::{apply_edits, insert_entry, remove_entry, replace_scalar, scalar_text, TextEdit};
pub use files::{FileId, Position, SourceFile, SourceMap, Span};
pub use node::{
    escape_pointer_token, pointer_join, unescape_pointer_token, Entry, Mapping, Node, NodeKind,
};
pub(crate) use node::{pointer_of, Step};
pub use read::{parse_bytes, read_file, read_files, Parsed, Vars};
pub use scalar::resolve_plain_scalar;
pub use substitute::{substitute_env, Substitution, UnsetVariable};

use crate::report::{Finding, Severity};
use crate::rules::RuleId;

/// The format of a source file, told by its extension (`.toml` is TOML, everything else YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML 1.1 as Helm and Helmsman read it (go-yaml v2 semantics for plain scalars).
    Yaml,
    /// TOML 1.0.
    Toml,
}

impl Format {
    /// The format of a path, by its extension.
    pub fn of_path(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("toml") || ext.eq_ignore_ascii_case("tml") => {
                Format::Toml
            }
            _ => Format::Yaml,
        }
    }
}

/// Bounds on what one parsed file may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes that YAML aliases may add by expansion, beyond the nodes written out.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 * 1024 * 1024,
            max_depth: 128,
            max_alias_nodes: 100_000,
        }
    }
}

/// Parse one file's text into a located tree.
///
/// `text` is what the parser reads (after environment substitution); `subst` maps its offsets
/// back to the original text held by `sources` under `file`. Returns the root (`None` when the
/// file could not be parsed at all) and the findings: syntax errors, duplicate keys, limits.
pub fn parse(
    sources: &SourceMap,
    file: FileId,
    text: &str,
    subst: &Substitution,
    format: Format,
    limits: &Limits,
) -> (Option<Node>, Vec<Finding>) {
    match format {
        Format::Yaml => yaml::parse(sources, file, text, subst, limits),
        Format::Toml => toml::parse(sources, file, text, subst, limits),
    }
}

/// A finding about the text of a file itself (syntax, limits), located at `span`.
pub(crate) fn syntax_finding(
    sources: &SourceMap,
    rule: RuleId,
    span: Span,
    pointer: &str,
    message: String,
) -> Finding {
    Finding::new(rule, Severity::Error, message).at(sources.location(span, pointer))
}

/// A YAML text parsed into its tree, for tests; a syntax finding fails the test.
#[cfg(test)]
pub(crate) fn test_tree(text: &str) -> Node {
    let mut sources = SourceMap::new();
    let parsed = parse_bytes(
        &mut sources,
        std::path::Path::new("test.yaml"),
        "test.yaml".into(),
        text.as_bytes().to_vec(),
        &Limits::default(),
        None,
    );
    assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
    parsed.root.expect("a tree")
}
