//! Reading a file into the source map and parsing it, within the limits.

use std::path::Path;

use super::files::{FileId, SourceMap, Span};
use super::node::Node;
use super::substitute::{substitute_env, Substitution, UnsetVariable};
use super::{parse, syntax_finding, Format, Limits};
use crate::parallel;
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
    let content = read_content(path, limits)?;
    let step = register(sources, path, display, content, limits, vars);
    Ok(step.finish(sources, limits))
}

/// [`read_file`] for each of `paths` (each shown as `display` gives it), reading and parsing
/// on up to `threads` threads; the answers in the paths' order. The files take their places
/// in the source map in that order too, so the outcome is the same whatever the number of
/// threads.
pub fn read_files(
    sources: &mut SourceMap,
    paths: &[&Path],
    display: impl Fn(&Path) -> String,
    limits: &Limits,
    vars: Option<Vars<'_>>,
    threads: usize,
) -> Vec<std::io::Result<Parsed>> {
    let contents = parallel::map(paths, threads, |path| read_content(path, limits));
    // Substitution asks the caller's variables, which need not be shareable between threads:
    // registering is done here, in order.
    let steps: Vec<std::io::Result<Step>> = paths
        .iter()
        .zip(contents)
        .map(|(path, content)| {
            content.map(|c| register(sources, path, display(path), c, limits, vars))
        })
        .collect();
    let sources: &SourceMap = sources;
    let trees = parallel::map(&steps, threads, |step| match step {
        Ok(Step::Parse(registered)) => Some(registered.parse(sources, limits)),
        _ => None,
    });
    steps
        .into_iter()
        .zip(trees)
        .map(|(step, tree)| {
            step.map(|step| match step {
                Step::Done(parsed) => parsed,
                Step::Parse(registered) => registered.into_parsed(tree.unwrap_or_default()),
            })
        })
        .collect()
}

/// A file's content as read, before it is in the source map.
enum Content {
    /// The bytes, at most the limit.
    Bytes(Vec<u8>),
    /// Larger than the limit: this many bytes, not read.
    TooLarge(u64),
}

/// Read `path`: one path lookup (open), then at most one byte more than the limit.
fn read_content(path: &Path, limits: &Limits) -> std::io::Result<Content> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limits.max_file_bytes {
        return Ok(Content::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, limits.max_file_bytes.saturating_add(1)),
        &mut bytes,
    )?;
    Ok(Content::Bytes(bytes))
}

/// A file in the source map: either done (too large, not UTF-8) or waiting to be parsed.
enum Step {
    Done(Parsed),
    Parse(Registered),
}

impl Step {
    /// The file parsed, here and now.
    fn finish(self, sources: &SourceMap, limits: &Limits) -> Parsed {
        match self {
            Step::Done(parsed) => parsed,
            Step::Parse(registered) => {
                let tree = registered.parse(sources, limits);
                registered.into_parsed(tree)
            }
        }
    }
}

/// A file whose text is in the source map, substituted if asked, not parsed yet.
struct Registered {
    file: FileId,
    format: Format,
    subst: Option<Substitution>,
    unset: Vec<UnsetVariable>,
    findings: Vec<Finding>,
}

impl Registered {
    /// Parse the (substituted) text: needs only to read the source map, so files can be
    /// parsed side by side.
    fn parse(&self, sources: &SourceMap, limits: &Limits) -> (Option<Node>, Vec<Finding>) {
        let identity = Substitution::default();
        let (text, subst) = match &self.subst {
            Some(s) => (s.text.as_str(), s),
            None => (sources.file(self.file).map_or("", |f| f.text()), &identity),
        };
        parse(sources, self.file, text, subst, self.format, limits)
    }

    /// The parse's outcome with the findings of reading and substituting.
    fn into_parsed(self, (root, mut more): (Option<Node>, Vec<Finding>)) -> Parsed {
        let mut findings = self.findings;
        if let Some(root) = &root {
            for (f, u) in findings.iter_mut().zip(&self.unset) {
                if let Some(loc) = &mut f.location {
                    loc.pointer = root.pointer_at_offset(u.offset as u32);
                }
            }
        }
        findings.append(&mut more);
        Parsed {
            file: self.file,
            root,
            findings,
        }
    }
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
    register(sources, path, display, Content::Bytes(bytes), limits, vars).finish(sources, limits)
}

/// Put a file's content in the source map: checked against the limit, decoded, substituted.
fn register(
    sources: &mut SourceMap,
    path: &Path,
    display: String,
    content: Content,
    limits: &Limits,
    vars: Option<Vars<'_>>,
) -> Step {
    let format = Format::of_path(path);
    let bytes = match content {
        Content::TooLarge(size) => {
            return Step::Done(too_large(sources, path, display, size, limits))
        }
        Content::Bytes(bytes) if bytes.len() as u64 > limits.max_file_bytes => {
            let size = bytes.len() as u64;
            return Step::Done(too_large(sources, path, display, size, limits));
        }
        Content::Bytes(bytes) => bytes,
    };
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
            return Step::Done(Parsed {
                file,
                root: None,
                findings: vec![finding],
            });
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
    let findings: Vec<Finding> = unset
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
    Step::Parse(Registered {
        file,
        format,
        subst,
        unset,
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a read gave, comparable (an I/O error by its kind).
    fn outcome(
        read: std::io::Result<Parsed>,
    ) -> Result<(FileId, Option<Node>, Vec<Finding>), std::io::ErrorKind> {
        read.map(|p| (p.file, p.root, p.findings))
            .map_err(|e| e.kind())
    }

    /// Reading files side by side gives what reading them one after the other gives: the same
    /// places in the source map, trees and findings, whatever goes wrong with each file.
    #[test]
    fn files_read_side_by_side_are_read_as_one_after_the_other() {
        let dir = std::env::temp_dir().join(format!("ehdeploy-read-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files: [(&str, &[u8]); 7] = [
            ("a.yaml", b"image: registry.example/a\nport: 8080\n"),
            ("broken.yaml", b"a: [1, 2\nb: c\n"),
            ("latin1.yaml", b"name: caf\xe9\n"),
            ("large.yaml", &[b'#'; 600]),
            ("b.toml", b"[image]\ntag = \"1.0\"\n"),
            ("vars.yaml", b"host: $HOST\nuser: $UNSET\n"),
            ("dup.yaml", b"a: 1\na: 2\n"),
        ];
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        let mut paths: Vec<std::path::PathBuf> = files.iter().map(|(n, _)| dir.join(n)).collect();
        paths.insert(3, dir.join("missing.yaml"));
        let paths: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
        let limits = Limits {
            max_file_bytes: 500,
            ..Limits::default()
        };
        let lookup = |name: &str| (name == "HOST").then(|| "api.example".to_string());
        let vars: Option<Vars<'_>> = Some(&lookup);

        let mut one_by_one = SourceMap::new();
        let expected: Vec<_> = paths
            .iter()
            .map(|p| {
                outcome(read_file(
                    &mut one_by_one,
                    p,
                    p.display().to_string(),
                    &limits,
                    vars,
                ))
            })
            .collect();
        // Each file's tree (whether there is one) and its findings' rules, as read alone.
        let summary: Vec<Result<(bool, Vec<String>), std::io::ErrorKind>> = expected
            .iter()
            .map(|e| {
                e.clone().map(|(_, root, findings)| {
                    let rules = findings.iter().map(|f| f.rule.to_string()).collect();
                    (root.is_some(), rules)
                })
            })
            .collect();
        let rules = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            summary,
            vec![
                Ok((true, rules(&[]))),
                Ok((false, rules(&["syntax/yaml"]))),
                Ok((false, rules(&["syntax/encoding"]))),
                Err(std::io::ErrorKind::NotFound),
                Ok((false, rules(&["syntax/too-large"]))),
                Ok((true, rules(&[]))),
                Ok((true, rules(&["spec/unset-variable"]))),
                Ok((true, rules(&["syntax/duplicate-key"]))),
            ]
        );
        for threads in [1, 2, 3, 16] {
            let mut side_by_side = SourceMap::new();
            let shown = |p: &Path| p.display().to_string();
            let got: Vec<_> = read_files(&mut side_by_side, &paths, shown, &limits, vars, threads)
                .into_iter()
                .map(outcome)
                .collect();
            assert_eq!(got, expected, "{threads} threads");
            let names = |m: &SourceMap| -> Vec<String> {
                m.files().map(|(_, f)| f.display().to_string()).collect()
            };
            assert_eq!(
                names(&side_by_side),
                names(&one_by_one),
                "{threads} threads"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
