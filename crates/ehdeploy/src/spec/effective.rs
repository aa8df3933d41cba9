//! The effective values of an app, exactly as Helm would merge them: `valuesFile(s)` in order,
//! then `set`, `setString` and `setFile`. Secrets files are references and are never read.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

use super::values::{apply_set, coalesce, SetKind};
use super::LoadOptions;
use crate::report::{Finding, Severity};
use crate::rules;
use crate::source::{
    pointer_join, read_file, Limits, Mapping, Node, NodeKind, SourceMap, Span, Vars,
};
use crate::workload::image::ImageRefs;

/// An app's effective values and, for values that came from the DSF's `set*` keys, the JSON
/// pointer of the DSF entry that set them (so findings point at the DSF line).
#[derive(Debug, Clone)]
pub struct AppValues {
    /// The merged values.
    pub values: Node,
    /// Span of a `set`/`setString`/`setFile` entry → its pointer in the DSF.
    pub set_pointers: HashMap<Span, String>,
}

impl AppValues {
    /// The JSON pointer to show for a values node: its DSF entry for `set*` values, else its
    /// pointer in the values.
    pub fn pointer_of(&self, node: &Node, values_pointer: &str) -> String {
        self.set_pointers
            .get(&node.span)
            .map_or(values_pointer, String::as_str)
            .to_string()
    }
}

/// Values files parsed once per operation, whichever app or environment uses them, and what
/// is known of other paths (whether a file, whether a folder: one file-system call per path
/// and question); image repositories are parsed once too.
#[derive(Debug, Default)]
pub struct ValuesCache {
    // Keyed by the path's text: hashing a `Path` walks its components, which costs more than
    // the lookup is worth (paths here are already normalised).
    parsed: HashMap<OsString, Option<Node>, foldhash::fast::RandomState>,
    exists: HashMap<OsString, bool, foldhash::fast::RandomState>,
    folders: HashMap<OsString, bool, foldhash::fast::RandomState>,
    images: ImageRefs,
}

impl ValuesCache {
    /// An empty cache.
    pub fn new() -> ValuesCache {
        ValuesCache::default()
    }

    /// The tree of a values file; its syntax findings go to `findings` the first time only.
    /// A file that does not exist gives `None` (the `spec/file-missing` rule reports it).
    pub fn get(
        &mut self,
        sources: &mut SourceMap,
        path: &Path,
        limits: &Limits,
        vars: Option<Vars<'_>>,
        findings: &mut Vec<Finding>,
    ) -> Option<&Node> {
        if !self.parsed.contains_key(path.as_os_str()) {
            let node = match read_file(sources, path, path.display().to_string(), limits, vars) {
                Ok(p) => {
                    findings.extend(p.findings);
                    self.exists.insert(path.as_os_str().to_owned(), true);
                    p.root
                }
                Err(_) => None,
            };
            self.parsed.insert(path.as_os_str().to_owned(), node);
        }
        self.parsed.get(path.as_os_str()).and_then(Option::as_ref)
    }

    /// The tree of a values file already read.
    pub fn tree(&self, path: &Path) -> Option<&Node> {
        self.parsed.get(path.as_os_str()).and_then(Option::as_ref)
    }

    /// Whether `path` is a file, asking the file system once per path.
    pub fn is_file(&mut self, path: &Path) -> bool {
        remembered(&mut self.exists, path, Path::is_file)
    }

    /// The image repositories parsed so far.
    pub fn images(&mut self) -> &mut ImageRefs {
        &mut self.images
    }

    /// Whether `path` is a folder, asking the file system once per path (a chart named in
    /// every environment is looked up once).
    pub fn is_dir(&mut self, path: &Path) -> bool {
        remembered(&mut self.folders, path, Path::is_dir)
    }
}

/// The answer `answers` keeps for `path`, or `ask`'s, asked once and kept.
fn remembered(
    answers: &mut HashMap<OsString, bool, foldhash::fast::RandomState>,
    path: &Path,
    ask: fn(&Path) -> bool,
) -> bool {
    if let Some(known) = answers.get(path.as_os_str()) {
        return *known;
    }
    let answer = ask(path);
    answers.insert(path.as_os_str().to_owned(), answer);
    answer
}

/// Compute the effective values of the app `label` of a merged DSF tree (`None` when the tree
/// has no such app). Values files are substituted only with `options.substitute_values`.
pub fn effective_values(
    sources: &mut SourceMap,
    cache: &mut ValuesCache,
    tree: &Node,
    label: &str,
    options: &LoadOptions<'_>,
    findings: &mut Vec<Finding>,
) -> Option<AppValues> {
    let app_pointer = &pointer_join("/apps", label);
    let app = tree.pointer(app_pointer)?;
    let limits = &options.limits;
    let vars: Option<Vars<'_>> = options.vars.filter(|_| options.substitute_values);
    let mut values = Node::new(NodeKind::Map(Mapping::new()), app.span);
    let mut files: Vec<&Node> = Vec::new();
    if let Some(f) = app.get("valuesFile") {
        files.push(f);
    }
    if let Some(list) = app.get("valuesFiles").and_then(Node::as_seq) {
        files.extend(list.iter());
    }
    for f in files {
        let Some(path) = f.as_str().filter(|p| !p.is_empty() && !super::is_remote(p)) else {
            continue;
        };
        if let Some(tree) = cache.get(sources, Path::new(path), limits, vars, findings) {
            if tree.as_map().is_some() {
                coalesce(&mut values, tree.clone());
            }
        }
    }
    let mut set_pointers = HashMap::new();
    for (key, kind) in [
        ("set", SetKind::Set),
        ("setString", SetKind::SetString),
        ("setFile", SetKind::SetFile),
    ] {
        let Some(map) = app.get(key).and_then(Node::as_map) else {
            continue;
        };
        let section = pointer_join(app_pointer, key);
        for (k, e) in map.iter() {
            let pointer = pointer_join(&section, k);
            let text = match kind {
                SetKind::SetFile => {
                    let Some(path) = e.value.as_str() else {
                        continue;
                    };
                    match std::fs::read_to_string(path) {
                        Ok(content) => content,
                        Err(_) => continue,
                    }
                }
                _ => match e.value.scalar_text() {
                    Some(t) => t,
                    None => continue,
                },
            };
            match apply_set(&mut values, k, &text, kind, e.value.span) {
                Ok(()) => {
                    set_pointers.insert(e.value.span, pointer);
                }
                Err(err) => findings.push(
                    Finding::new(rules::SCHEMA_INVALID, Severity::Error, err.to_string())
                        .at(sources.location(e.key_span, &pointer)),
                ),
            }
        }
    }
    Some(AppValues {
        values,
        set_pointers,
    })
}
