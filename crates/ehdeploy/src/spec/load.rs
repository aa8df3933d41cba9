//! Loading desired-state files: substitution, `--spec` files, path resolution, merging in
//! order with Helmsman's rules, the schema check, and the typed model.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::model::DesiredState;
use super::paths::{is_remote, normalize, path_text, resolve_path};
use crate::parallel;
use crate::report::{Finding, Severity};
use crate::rules;
use crate::schema::{self, Document};
use crate::source::{
    from_node_strict, read_file, read_files, Limits, Node, NodeKind, Parsed, SourceMap, Vars,
};

/// How to load.
#[derive(Clone, Copy, Default)]
pub struct LoadOptions<'a> {
    /// Parser limits.
    pub limits: Limits,
    /// Environment variables for `$VAR` substitution; `None` turns substitution off.
    pub vars: Option<Vars<'a>>,
    /// Substitute variables in values files too (Helmsman's `--subst-env-values`).
    pub substitute_values: bool,
}

impl<'a> LoadOptions<'a> {
    /// The variables to substitute in values files: none unless `substitute_values`.
    pub fn values_vars(&self) -> Option<Vars<'a>> {
        self.vars.filter(|_| self.substitute_values)
    }
}

/// One or more desired-state files, loaded and merged.
#[derive(Debug, Clone, Default)]
pub struct LoadedSpec {
    /// The DSF paths read, in merge order (after expanding spec files).
    pub files: Vec<PathBuf>,
    /// The merged tree; every value keeps the span of the file that set it.
    pub tree: Option<Node>,
    /// The typed model. Apps and namespaces with structural errors are left out of it.
    pub state: Option<DesiredState>,
    /// Syntax, substitution and schema findings.
    pub findings: Vec<Finding>,
}

impl LoadedSpec {
    /// The apps Helmsman deploys (`enabled: true`), each with its label, in the spec's order.
    pub fn enabled_apps(&self) -> impl Iterator<Item = (&String, &crate::spec::App)> {
        self.state
            .iter()
            .flat_map(|s| s.apps.iter().flatten())
            .filter(|(_, app)| app.enabled == Some(true))
    }
}

/// Load DSFs (or Helmsman spec files, recognised by their `stateFiles` key) and merge them in
/// order: later non-empty values override, lists are appended, mappings merge key by key.
/// Relative paths in each file resolve against that file's folder.
pub fn load_spec(
    sources: &mut SourceMap,
    paths: &[PathBuf],
    options: &LoadOptions<'_>,
) -> std::io::Result<LoadedSpec> {
    let mut read = Read::default();
    for path in paths {
        let parsed = read_file(sources, path, display(path), &options.limits, options.vars)?;
        read.take(sources, path, parsed, options, true)?;
    }
    Ok(read.merge(sources))
}

/// [`load_spec`] for several specs (an environment's DSFs each), reading and parsing their
/// files, and then merging and checking each spec, on up to `threads` threads. The outcome is
/// the same whatever the number of threads; the files take their places in the source map in
/// the order given.
pub fn load_specs(
    sources: &mut SourceMap,
    specs: &[&[PathBuf]],
    options: &LoadOptions<'_>,
    threads: usize,
) -> Vec<std::io::Result<LoadedSpec>> {
    let paths: Vec<&Path> = specs
        .iter()
        .flat_map(|s| s.iter().map(PathBuf::as_path))
        .collect();
    let mut parsed = read_files(
        sources,
        &paths,
        display,
        &options.limits,
        options.vars,
        threads,
    )
    .into_iter();
    let read: Vec<std::io::Result<Read>> = specs
        .iter()
        .map(|spec| {
            // Every file of the spec is taken from the reads, even after an error, so that
            // the next spec starts at its own.
            let mine: Vec<_> = parsed.by_ref().take(spec.len()).collect();
            let mut read = Read::default();
            for (path, parsed) in spec.iter().zip(mine) {
                read.take(sources, path, parsed?, options, true)?;
            }
            Ok(read)
        })
        .collect();
    let sources: &SourceMap = sources;
    parallel::map_owned(read, threads, |read| read.map(|r| r.merge(sources)))
}

/// How a DSF is shown in findings.
fn display(path: &Path) -> String {
    path_text(normalize(path))
}

/// The files of one spec, read and parsed, in merge order; not merged yet.
#[derive(Default)]
struct Read {
    /// Each DSF's path and tree.
    files: Vec<(PathBuf, Node)>,
    /// Their syntax and substitution findings, and those of spec files.
    findings: Vec<Finding>,
}

impl Read {
    /// Take the file `path` as parsed: a DSF, or a spec file whose state files are read now
    /// (only at the top: `allow_spec`).
    fn take(
        &mut self,
        sources: &mut SourceMap,
        path: &Path,
        parsed: Parsed,
        options: &LoadOptions<'_>,
        allow_spec: bool,
    ) -> std::io::Result<()> {
        self.findings.extend(parsed.findings);
        let Some(root) = parsed.root else {
            return Ok(());
        };
        if !(allow_spec && root.get("stateFiles").is_some()) {
            self.files.push((path.to_path_buf(), root));
            return Ok(());
        }
        let checked = schema::check(Document::SpecFile, &root, sources);
        self.findings.extend(checked.findings);
        if !checked.invalid.is_empty() {
            return Ok(());
        }
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let entries: Vec<(String, crate::source::Span, String)> = root
            .get("stateFiles")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let p = e.get("path")?;
                Some((
                    p.as_str()?.to_string(),
                    p.span,
                    format!("/stateFiles/{i}/path"),
                ))
            })
            .collect();
        for (rel, span, pointer) in entries {
            match find_spec_entry(&base, &rel) {
                Some(p) => {
                    let parsed =
                        read_file(sources, &p, display(&p), &options.limits, options.vars)?;
                    self.take(sources, &p, parsed, options, false)?;
                }
                None => self.findings.push(
                    Finding::new(
                        rules::SPEC_FILE_MISSING,
                        Severity::Error,
                        format!("state file `{rel}` does not exist (looked in the spec file's folder and its parents)"),
                    )
                    .at(sources.location(span, &pointer)),
                ),
            }
        }
        Ok(())
    }

    /// Merge the DSFs in order (their relative paths resolved against each one's folder),
    /// then check the schema and build the typed model. Only reads the source map.
    fn merge(self, sources: &SourceMap) -> LoadedSpec {
        let mut out = LoadedSpec {
            findings: self.findings,
            ..LoadedSpec::default()
        };
        let mut merged: Option<Node> = None;
        for (path, mut root) in self.files {
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            resolve_paths(&mut root, &base);
            out.files.push(path);
            match &mut merged {
                None => merged = Some(root),
                Some(m) => merge(m, root),
            }
        }
        if let Some(tree) = &merged {
            // A document the typed model reads strictly is one the schema accepts: read
            // straight from the tree, without its JSON. Any other is read through the schema
            // check, which reports what is wrong and where.
            if let Ok(state) = from_node_strict::<DesiredState>(tree) {
                out.state = Some(state);
                out.tree = merged;
                return out;
            }
            let json = schema::dsf_json(tree);
            let checked = schema::check_json(Document::Dsf, &json, tree, sources);
            out.findings.extend(checked.findings);
            out.state = typed(json, tree, &checked.invalid, sources, &mut out.findings);
        }
        out.tree = merged;
        out
    }
}

/// A spec file's entry: relative to the spec file's folder, or (as Helmsman, which takes it
/// relative to the folder it runs in) to the nearest parent folder where it exists.
fn find_spec_entry(base: &Path, rel: &str) -> Option<PathBuf> {
    let rel_path = Path::new(rel);
    if rel_path.is_absolute() {
        return rel_path.exists().then(|| rel_path.to_path_buf());
    }
    let mut dir = Some(base);
    while let Some(d) = dir {
        let candidate = resolve_path(d, rel);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent().filter(|p| !p.as_os_str().is_empty());
        if dir.is_none() && !d.as_os_str().is_empty() && Path::new(rel).is_file() {
            return Some(PathBuf::from(rel));
        }
    }
    None
}

/// Rewrite every relative file reference of a DSF tree to a path from the working folder.
fn resolve_paths(root: &mut Node, base: &Path) {
    let fix = |node: &mut Node| {
        if let NodeKind::Str(s) = &mut node.kind {
            if !s.is_empty() && !is_remote(s) && !Path::new(s.as_str()).is_absolute() {
                *s = path_text(resolve_path(base, s));
            }
        }
    };
    let NodeKind::Map(top) = &mut root.kind else {
        return;
    };
    if let Some(settings) = top.get_mut("settings") {
        if let NodeKind::Map(s) = &mut settings.value.kind {
            if let Some(e) = s.get_mut("bearerTokenPath") {
                fix(&mut e.value);
            }
            if let Some(e) = s.get_mut("globalHooks") {
                resolve_hooks(&mut e.value, base);
            }
        }
    }
    if let Some(certs) = top.get_mut("certificates") {
        if let NodeKind::Map(c) = &mut certs.value.kind {
            for (_, e) in c.iter_mut() {
                fix(&mut e.value);
            }
        }
    }
    let Some(apps) = top.get_mut("apps") else {
        return;
    };
    let NodeKind::Map(apps) = &mut apps.value.kind else {
        return;
    };
    for (_, app) in apps.iter_mut() {
        let NodeKind::Map(a) = &mut app.value.kind else {
            continue;
        };
        for key in ["valuesFile", "secretsFile"] {
            if let Some(e) = a.get_mut(key) {
                fix(&mut e.value);
            }
        }
        for key in ["valuesFiles", "secretsFiles"] {
            if let Some(e) = a.get_mut(key) {
                if let NodeKind::Seq(items) = &mut e.value.kind {
                    items.iter_mut().for_each(fix);
                }
            }
        }
        if let Some(e) = a.get_mut("setFile") {
            if let NodeKind::Map(m) = &mut e.value.kind {
                for (_, v) in m.iter_mut() {
                    fix(&mut v.value);
                }
            }
        }
        if let Some(e) = a.get_mut("postRenderer") {
            if e.value.as_str().is_some_and(|s| s.contains('/')) {
                fix(&mut e.value);
            }
        }
        if let Some(e) = a.get_mut("chart") {
            if let NodeKind::Str(s) = &mut e.value.kind {
                if s.starts_with("./") || s.starts_with("../") {
                    let resolved = resolve_path(base, s);
                    *s = if resolved.is_absolute() || resolved.starts_with("..") {
                        resolved.display().to_string()
                    } else {
                        format!("./{}", resolved.display())
                    };
                }
            }
        }
        if let Some(e) = a.get_mut("hooks") {
            resolve_hooks(&mut e.value, base);
        }
    }
}

/// Hook manifests (`.yaml`, `.yml`, `.json`) are files; commands are left alone.
fn resolve_hooks(hooks: &mut Node, base: &Path) {
    let NodeKind::Map(h) = &mut hooks.kind else {
        return;
    };
    for (key, e) in h.iter_mut() {
        if !crate::policy::LIFECYCLE_HOOKS.contains(&key) {
            continue;
        }
        if let NodeKind::Str(s) = &mut e.value.kind {
            if is_manifest(s) && !is_remote(s) && !s.contains(char::is_whitespace) {
                *s = path_text(resolve_path(base, s));
            }
        }
    }
}

/// Whether a path names a manifest file by its extension.
pub(crate) fn is_manifest(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Merge `src` over `dst` as Helmsman merges files: mappings key by key, lists appended,
/// other values replaced unless the new one is empty (null, `""` or 0).
fn merge(dst: &mut Node, src: Node) {
    match (&mut dst.kind, src.kind) {
        (NodeKind::Map(d), NodeKind::Map(s)) => {
            for (k, e) in s.into_entries() {
                match d.get_mut(&k) {
                    Some(de) => merge(&mut de.value, e.value),
                    None => {
                        d.insert(k, e);
                    }
                }
            }
        }
        (NodeKind::Seq(d), NodeKind::Seq(s)) => d.extend(s),
        (_, NodeKind::Null) => {}
        (_, NodeKind::Str(s)) if s.is_empty() => {}
        (_, NodeKind::Int(0)) => {}
        (_, kind) => {
            *dst = Node::new(kind, src.span);
        }
    }
}

/// The typed model of a merged tree, leaving out apps and namespaces that are structurally
/// wrong (their schema findings are reported) so the rest can still be checked.
fn typed(
    mut json: Value,
    tree: &Node,
    invalid: &[String],
    sources: &SourceMap,
    findings: &mut Vec<Finding>,
) -> Option<DesiredState> {
    for pointer in invalid {
        let tokens: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(crate::source::unescape_pointer_token)
            .collect();
        let section = tokens.first()?;
        let Value::Object(top) = &mut json else {
            return None;
        };
        let keyed = matches!(
            section.as_str(),
            "apps" | "namespaces" | "appsTemplates" | "helmRepos" | "metadata" | "certificates"
        );
        match (keyed, tokens.get(1), top.get_mut(section.as_str())) {
            (true, Some(name), Some(Value::Object(entries))) => {
                entries.shift_remove(name.as_str());
            }
            _ => {
                top.shift_remove(section.as_str());
            }
        }
    }
    match serde_json::from_value::<DesiredState>(json) {
        Ok(state) => Some(state),
        Err(e) => {
            findings.push(
                Finding::new(rules::SCHEMA_INVALID, Severity::Error, e.to_string())
                    .at(sources.location(tree.span, "")),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a load gave, comparable across source maps: the merged tree as JSON, the typed
    /// model, the files and the findings.
    type Outcome = Result<
        (
            Option<Value>,
            Option<DesiredState>,
            Vec<PathBuf>,
            Vec<Finding>,
        ),
        std::io::ErrorKind,
    >;

    fn outcome(loaded: std::io::Result<LoadedSpec>) -> Outcome {
        loaded
            .map(|l| (l.tree.map(|t| t.to_json()), l.state, l.files, l.findings))
            .map_err(|e| e.kind())
    }

    /// Several specs loaded side by side are loaded as each alone would be, whatever the
    /// number of threads: merged DSFs, a Helmsman spec file, syntax and schema errors, and a
    /// spec whose file cannot be read.
    #[test]
    fn specs_loaded_side_by_side_are_loaded_as_each_alone() {
        let dir = std::env::temp_dir().join(format!("ehdeploy-load-specs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("state")).unwrap();
        let files = [
            ("a.yaml", "namespaces:\n  web: {}\napps:\n  api:\n    namespace: web\n    enabled: true\n    chart: ./chart\n    version: 1.0.0\n    valuesFile: values/api.yaml\n"),
            ("b.yaml", "apps:\n  api:\n    version: 1.1.0\n  ui:\n    namespace: web\n    enabled: true\n    chart: ./chart\n    version: 2.0.0\n"),
            ("spec.yaml", "stateFiles:\n  - path: state/c.yaml\n  - path: state/gone.yaml\n"),
            ("state/c.yaml", "namespaces:\n  jobs: {}\napps:\n  cron:\n    namespace: jobs\n    enabled: true\n    chart: ./chart\n    version: 3.0.0\n    priority: 5\n"),
            ("broken.yaml", "apps: [1, 2\n"),
            ("wrong.yaml", "apps:\n  api:\n    enabled: maybe\n    unknownKey: 1\n"),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let p = |names: &[&str]| -> Vec<PathBuf> { names.iter().map(|n| dir.join(n)).collect() };
        let specs = [
            p(&["a.yaml", "b.yaml"]),
            p(&["spec.yaml"]),
            p(&["broken.yaml", "wrong.yaml"]),
            p(&["a.yaml", "missing.yaml", "b.yaml"]),
            p(&["wrong.yaml"]),
        ];
        let lists: Vec<&[PathBuf]> = specs.iter().map(Vec::as_slice).collect();
        let options = LoadOptions::default();

        let alone: Vec<Outcome> = specs
            .iter()
            .map(|s| outcome(load_spec(&mut SourceMap::new(), s, &options)))
            .collect();
        assert!(
            matches!(&alone[0], Ok((Some(_), Some(state), files, findings))
            if files.len() == 2 && findings.is_empty()
                && state.apps.as_ref().map(|a| a.len()) == Some(2))
        );
        assert!(matches!(&alone[1], Ok((Some(_), Some(_), files, findings))
            if files == &[dir.join("state/c.yaml")] && findings.len() == 1));
        assert!(matches!(&alone[2], Ok((_, _, _, findings)) if findings.len() >= 2));
        assert_eq!(alone[3], Err(std::io::ErrorKind::NotFound));

        let mut first: Option<Vec<String>> = None;
        for threads in [1, 2, 4] {
            let mut sources = SourceMap::new();
            let together: Vec<Outcome> = load_specs(&mut sources, &lists, &options, threads)
                .into_iter()
                .map(outcome)
                .collect();
            assert_eq!(together, alone, "{threads} threads");
            // The same places in the source map whatever the number of threads.
            let names: Vec<String> = sources
                .files()
                .map(|(_, f)| f.display().to_string())
                .collect();
            match &first {
                None => first = Some(names),
                Some(expected) => assert_eq!(&names, expected, "{threads} threads"),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
