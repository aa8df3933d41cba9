//! Loading desired-state files: substitution, `--spec` files, path resolution, merging in
//! order with Helmsman's rules, the schema check, and the typed model.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::model::DesiredState;
use super::paths::{is_remote, normalize, resolve_path};
use crate::report::{Finding, Severity};
use crate::rules;
use crate::schema::{self, Document};
use crate::source::{read_file, Limits, Node, NodeKind, SourceMap, Vars};

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
    let mut out = LoadedSpec::default();
    let mut merged: Option<Node> = None;
    for path in paths {
        load_one(sources, path, options, &mut merged, &mut out, true)?;
    }
    if let Some(tree) = &merged {
        let json = schema::dsf_json(tree);
        let checked = schema::check_json(Document::Dsf, &json, tree, sources);
        out.findings.extend(checked.findings);
        out.state = typed(json, tree, &checked.invalid, sources, &mut out.findings);
    }
    out.tree = merged;
    Ok(out)
}

fn load_one(
    sources: &mut SourceMap,
    path: &Path,
    options: &LoadOptions<'_>,
    merged: &mut Option<Node>,
    out: &mut LoadedSpec,
    allow_spec: bool,
) -> std::io::Result<()> {
    let display = normalize(path).display().to_string();
    let parsed = read_file(sources, path, display, &options.limits, options.vars)?;
    out.findings.extend(parsed.findings);
    let Some(mut root) = parsed.root else {
        return Ok(());
    };
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if allow_spec && root.get("stateFiles").is_some() {
        let checked = schema::check(Document::SpecFile, &root, sources);
        out.findings.extend(checked.findings);
        if !checked.invalid.is_empty() {
            return Ok(());
        }
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
                Some(p) => load_one(sources, &p, options, merged, out, false)?,
                None => out.findings.push(
                    Finding::new(
                        rules::SPEC_FILE_MISSING,
                        Severity::Error,
                        format!("state file `{rel}` does not exist (looked in the spec file's folder and its parents)"),
                    )
                    .at(sources.location(span, &pointer)),
                ),
            }
        }
        return Ok(());
    }
    out.files.push(path.to_path_buf());
    resolve_paths(&mut root, &base);
    match merged {
        None => *merged = Some(root),
        Some(m) => merge(m, root),
    }
    Ok(())
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
                *s = resolve_path(base, s).display().to_string();
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
        if !crate::policy::LIFECYCLE_HOOKS.contains(&key.as_str()) {
            continue;
        }
        if let NodeKind::Str(s) = &mut e.value.kind {
            if is_manifest(s) && !is_remote(s) && !s.contains(char::is_whitespace) {
                *s = resolve_path(base, s).display().to_string();
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
            for (k, e) in s.entries_owned() {
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
