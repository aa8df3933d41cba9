//! Reading a file into the source map and parsing it, within the limits.

use std::path::Path;

use super::files::{FileId, SourceMap, Span};
use super::node::Node;
use super::substitute::{substitute_env, Substitution};
use super::{parse, syntax_finding, Format, Limits};
use crate::report::{Finding, Severity};
use crate::rules;

/// Gives the value of an environment variable, `None` when it is unset.
pub type Vars<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A file read and parsed.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The file in the source map.
    pub file: FileId,
    /// The tree; `None` when the file could not be parsed.
    pub root: Option<Node>,
    /// Syntax errors, limits, unset variables.
    pub findings: Vec<Finding>,
}

/// Read `path` (shown as `display`) and parse it. With `vars`, Helmsman's environment
/// substitution runs on the text first. Errors are only those of the file system; everything
/// wrong with the content is a finding.
pub fn read_file(
    sources: &mut SourceMap,
    path: &Path,
    display: String,
    limits: &Limits,
    vars: Option<Vars<'_>>,
) -> std::io::Result<Parsed> {
    // One path lookup: open, then read at most one byte more than the limit.
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limits.max_file_bytes {
        return Ok(too_large(sources, path, display, size, limits));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, limits.max_file_bytes.saturating_add(1)),
        &mut bytes,
    )?;
    Ok(parse_bytes(sources, path, display, bytes, limits, vars))
}

/// A file over the size limit: recorded (empty) so the finding can name it, never parsed.
fn too_large(
    sources: &mut SourceMap,
    path: &Path,
    display: String,
    size: u64,
    limits: &Limits,
) -> Parsed {
    let file = sources.add(path.to_path_buf(), display, String::new());
    let message = format!(
        "the file is {size} bytes, more than the limit of {} bytes",
        limits.max_file_bytes
    );
    let finding = syntax_finding(
        sources,
        rules::SYNTAX_TOO_LARGE,
        Span::new(file, 0, 0),
        "",
        message,
    );
    Parsed {
        file,
        root: None,
        findings: vec![finding],
    }
}

/// Parse content given in memory as if it were the file `path`.
pub fn parse_bytes(
    sources: &mut SourceMap,
    path: &Path,
    display: String,
    bytes: Vec<u8>,
    limits: &Limits,
    vars: Option<Vars<'_>>,
) -> Parsed {
    let format = Format::of_path(path);
    if bytes.len() as u64 > limits.max_file_bytes {
        return too_large(sources, path, display, bytes.len() as u64, limits);
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = sources.add(path.to_path_buf(), display, lossy);
            let message = format!("the file is not UTF-8: invalid byte at offset {at}");
            let finding = syntax_finding(
                sources,
                rules::SYNTAX_ENCODING,
                Span::new(file, at, at),
                "",
                message,
            );
            return Parsed {
                file,
                root: None,
                findings: vec![finding],
            };
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    // Without a `$` there is nothing to substitute: parse the stored text itself, uncopied.
    let (subst, unset) = match vars {
        Some(lookup) if text.contains('$') => {
            let (s, unset) = substitute_env(&text, lookup);
            (Some(s), unset)
        }
        _ => (None, Vec::new()),
    };
    let file = sources.add(path.to_path_buf(), display, text);
    let mut findings: Vec<Finding> = unset
        .iter()
        .map(|u| {
            let span = Span::new(file, u.offset, u.offset + u.len);
            Finding::new(
                rules::SPEC_UNSET_VARIABLE,
                Severity::Error,
                format!("environment variable `{}` is not set", u.name),
            )
            .at(sources.location(span, ""))
        })
        .collect();
    let identity = Substitution::default();
    let (parse_text, subst) = match &subst {
        Some(s) => (s.text.as_str(), s),
        None => (sources.file(file).map_or("", |f| f.text()), &identity),
    };
    let (root, mut more) = parse(sources, file, parse_text, subst, format, limits);
    if let Some(root) = &root {
        for (f, u) in findings.iter_mut().zip(&unset) {
            if let Some(loc) = &mut f.location {
                loc.pointer = root.pointer_at_offset(u.offset as u32);
            }
        }
    }
    findings.append(&mut more);
    Parsed {
        file,
        root,
        findings,
    }
}
