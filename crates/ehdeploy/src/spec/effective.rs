//! The effective values of an app, exactly as Helm would merge them: `valuesFile(s)` in order,
//! then `set`, `setString` and `setFile`. Secrets files are references and are never read.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::Path;

use indexmap::IndexMap;

use super::values::{apply_set, coalesce, SetKind};
use super::LoadOptions;
use crate::report::{Finding, Severity};
use crate::rules;
use crate::source::{
    pointer_join, read_files, Limits, Mapping, Node, NodeKind, SourceMap, Span, Vars,
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
    //
    // The trees are kept in the order they were read: they were allocated in that order, and
    // are freed in it at the end, walking memory forwards rather than jumping about it.
    parsed: IndexMap<OsString, Option<Node>, foldhash::fast::RandomState>,
    exists: HashMap<OsString, bool, foldhash::fast::RandomState>,
    folders: HashMap<OsString, bool, foldhash::fast::RandomState>,
    images: ImageRefs,
}

impl ValuesCache {
    /// An empty cache.
    pub fn new() -> ValuesCache {
        ValuesCache::default()
    }

    /// Read every values file of `paths` not read yet, on up to `threads` threads; the syntax
    /// findings of each go to `findings` the first time it is read only. The trees, the
    /// findings and their order, and the files' places in the source map are the same
    /// whatever the number of threads. A file that does not exist has no tree (the
    /// `spec/file-missing` rule reports it).
    pub fn read_all(
        &mut self,
        sources: &mut SourceMap,
        paths: &[&Path],
        limits: &Limits,
        vars: Option<Vars<'_>>,
        findings: &mut Vec<Finding>,
        threads: usize,
    ) {
        let mut seen: HashSet<&std::ffi::OsStr, foldhash::fast::RandomState> =
            HashSet::with_capacity_and_hasher(paths.len(), Default::default());
        let unread: Vec<&Path> = paths
            .iter()
            .copied()
            .filter(|p| !self.parsed.contains_key(p.as_os_str()) && seen.insert(p.as_os_str()))
            .collect();
        let read = read_files(
            sources,
            &unread,
            super::paths::shown_path,
            limits,
            vars,
            threads,
        );
        for (path, read) in unread.into_iter().zip(read) {
            let node = match read {
                Ok(p) => {
                    findings.extend(p.findings);
                    self.exists.insert(path.as_os_str().to_owned(), true);
                    p.root
                }
                Err(_) => None,
            };
            self.parsed.insert(path.as_os_str().to_owned(), node);
        }
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
    pub fn images(&self) -> &ImageRefs {
        &self.images
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

/// The local values files an app (its node in the DSF tree) lists, in the order Helm merges
/// them: `valuesFile`, then `valuesFiles`. Remote ones (URLs) are not read.
pub fn values_files(app: &Node) -> impl Iterator<Item = &Path> {
    let list = app.get("valuesFiles").and_then(Node::as_seq).unwrap_or(&[]);
    app.get("valuesFile")
        .into_iter()
        .chain(list)
        .filter_map(Node::as_str)
        .filter(|p| !p.is_empty() && !super::is_remote(p))
        .map(Path::new)
}

/// Read into `cache` the values files of the apps `labels` of a merged DSF tree, on up to
/// `threads` threads (see [`ValuesCache::read_all`]). Values files are substituted only with
/// `options.substitute_values`.
pub fn read_values_files<'a>(
    sources: &mut SourceMap,
    cache: &mut ValuesCache,
    tree: &Node,
    labels: impl IntoIterator<Item = &'a str>,
    options: &LoadOptions<'_>,
    findings: &mut Vec<Finding>,
    threads: usize,
) {
    let apps = tree.get("apps");
    let paths: Vec<&Path> = labels
        .into_iter()
        .filter_map(|label| apps?.get(label))
        .flat_map(values_files)
        .collect();
    let vars = options.values_vars();
    cache.read_all(sources, &paths, &options.limits, vars, findings, threads);
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
    read_values_files(sources, cache, tree, [label], options, findings, 1);
    merged_values(sources, cache, tree, label, findings)
}

/// [`effective_values`] of an app whose values files `cache` has already read (with
/// [`ValuesCache::read_all`]; a file it has not read counts as missing). It only reads the
/// sources and the cache, so many apps can be merged side by side.
pub fn merged_values(
    sources: &SourceMap,
    cache: &ValuesCache,
    tree: &Node,
    label: &str,
    findings: &mut Vec<Finding>,
) -> Option<AppValues> {
    let app = tree.get("apps")?.get(label)?;
    let mut values = Node::new(NodeKind::Map(Mapping::new()), app.span);
    for path in values_files(app) {
        if let Some(tree) = cache.tree(path) {
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
        let section = pointer_join(&pointer_join("/apps", label), key);
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
