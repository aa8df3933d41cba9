//! Writing a promotion into the target environment's files: the edits, at the spans the loader
//! recorded, that make the target's DSF and values files say what the promotion plan says.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::diff::{diff, PlanContext, Side};
use super::model::Decision;
use super::promote::{promote, PromotionNote};
use crate::platform::Platform;
use crate::source::{
    insert_entry, pointer_join, remove_entry, replace_scalar, unescape_pointer_token, FileId, Node,
    NodeKind, SourceMap, Span, TextEdit,
};
use crate::spec::ValuesCache;

/// Which files a promotion may edit: those that belong to the target environment's app alone.
pub trait Ownership {
    /// Whether `file` is used by the target environment's `app` and by nothing else (no other
    /// app, no other environment).
    fn owns(&self, file: &Path, app: &str) -> bool;
    /// Whether the target environment's DSF `file` is used by no other environment.
    fn owns_dsf(&self, file: &Path) -> bool;
}

/// The edits, by file, and what a person must do.
#[derive(Debug, Default)]
pub struct PromotionEdits {
    /// Edits per file path.
    pub files: IndexMap<PathBuf, Vec<TextEdit>>,
    /// What the promotion cannot write.
    pub notes: Vec<PromotionNote>,
}

impl PromotionEdits {
    /// Each file's edits in order, once each.
    fn sorted(mut self) -> PromotionEdits {
        for edits in self.files.values_mut() {
            edits.sort_by_key(|e| (e.start, e.end));
            edits.dedup();
        }
        self
    }
}

/// What the edits are written from, besides the two sides.
pub struct EditContext<'a> {
    /// The platform (profiles, portable paths).
    pub platform: &'a Platform,
    /// Every file read (their texts are what is edited).
    pub sources: &'a SourceMap,
    /// The parsed values files (to insert into them).
    pub cache: &'a ValuesCache,
    /// Which files the promotion may edit.
    pub ownership: &'a dyn Ownership,
}

/// Compute the edits that write the promotion of `source` into `target` (only `apps`, when
/// given).
pub fn promotion_edits(
    source: &Side<'_>,
    target: &Side<'_>,
    apps: Option<&[String]>,
    ctx: &EditContext<'_>,
) -> PromotionEdits {
    let EditContext {
        platform,
        sources,
        ownership,
        ..
    } = *ctx;
    let (promoted, notes) = promote(source, target, platform, apps);
    let plan = diff(
        target,
        &promoted,
        &PlanContext {
            sources,
            secrets: &platform.file.secrets,
            production: false,
        },
    );
    let mut out = PromotionEdits {
        notes,
        ..PromotionEdits::default()
    };
    // A new app is for a person to add (its note says so): nothing of it is written.
    for action in plan
        .actions
        .iter()
        .filter(|a| !matches!(a.decision, Decision::Noop | Decision::Create))
    {
        let label = action.app.as_str();
        let manual = |out: &mut PromotionEdits, what: String| {
            out.notes.push(PromotionNote {
                app: label.to_string(),
                message: what,
            })
        };
        let app_pointer = pointer_join("/apps", label);
        let app_span = target.tree.span_at(&app_pointer, false);
        for change in &action.changes {
            if let Some(pointer) = change.path.strip_prefix("values") {
                let (Some(before), Some(after)) =
                    (target.apps.get(label), promoted.apps.get(label))
                else {
                    continue;
                };
                let old = before.values.values.pointer(pointer);
                let new = after.values.values.pointer(pointer);
                let edit = value_edit(label, pointer, old, new, target, before, ctx);
                match edit {
                    Ok((path, e)) => out.files.entry(path).or_default().push(e),
                    Err(why) => manual(&mut out, why),
                }
                continue;
            }
            // A DSF field (`version`, `chart`): replaced where the app itself writes it.
            let field_pointer = pointer_join(&app_pointer, &change.path);
            let node = target.tree.pointer(&field_pointer);
            let new = promoted
                .state
                .apps
                .as_ref()
                .and_then(|a| a.get(label))
                .and_then(|a| match change.path.as_str() {
                    "version" => a.version.clone(),
                    "chart" => a.chart.clone(),
                    _ => None,
                });
            let edit = match (node, new) {
                (Some(n), Some(v)) if within(n.span, app_span) => path_of(sources, n.span.file)
                    .filter(|p| ownership.owns_dsf(p))
                    .and_then(|p| {
                        let value = Node::new(NodeKind::Str(v), n.span);
                        replace_scalar(text_of(sources, &p)?, n.span, &value).map(|e| (p, e))
                    }),
                _ => None,
            };
            match edit {
                Some((p, e)) => out.files.entry(p).or_default().push(e),
                None => manual(
                    &mut out,
                    format!("set `{}` of `{label}` by hand: it is not written in the target environment's own DSF entry", change.path),
                ),
            }
        }
    }
    out.sorted()
}

/// The edits that set values of apps of `side`, each `(app label, values pointer, value)`:
/// in place where the side writes the value now in a file of the app's own, else as an
/// override in the app's last values file of its own. What cannot be written (the value
/// lives in a file shared with other apps or environments, and the app has no file of its
/// own) is a note for a person. Used to pin verified digests.
pub fn value_edits(
    side: &Side<'_>,
    values: &[(String, String, Node)],
    ctx: &EditContext<'_>,
) -> PromotionEdits {
    let mut out = PromotionEdits::default();
    for (label, pointer, new) in values {
        let Some(app) = side.apps.get(label) else {
            continue;
        };
        let old = app.values.values.pointer(pointer);
        match value_edit(label, pointer, old, Some(new), side, app, ctx) {
            Ok((path, e)) => out.files.entry(path).or_default().push(e),
            Err(message) => out.notes.push(PromotionNote {
                app: label.clone(),
                message,
            }),
        }
    }
    out.sorted()
}

fn path_of(sources: &SourceMap, file: FileId) -> Option<PathBuf> {
    sources.file(file).map(|f| f.path().to_path_buf())
}

fn text_of<'s>(sources: &'s SourceMap, path: &Path) -> Option<&'s str> {
    sources
        .find(path)
        .and_then(|id| sources.file(id))
        .map(|f| f.text())
}

fn within(inner: Span, outer: Span) -> bool {
    inner.file == outer.file && inner.start >= outer.start && inner.end <= outer.end
}

/// The edit for one value of an app's effective values.
fn value_edit(
    label: &str,
    pointer: &str,
    old: Option<&Node>,
    new: Option<&Node>,
    target: &Side<'_>,
    app: &super::diff::AppSide,
    ctx: &EditContext<'_>,
) -> Result<(PathBuf, TextEdit), String> {
    let EditContext {
        sources,
        cache,
        ownership,
        ..
    } = *ctx;
    let manual = |what: &str| {
        format!(
            "{what} `{}` of `{label}` by hand",
            pointer.trim_start_matches('/').replace('/', ".")
        )
    };
    // Where the target writes the value now, if in a file of its own: edit it there.
    if let Some(old) = old {
        let set_by_dsf = app.values.set_pointers.contains_key(&old.span);
        if let Some(path) = path_of(sources, old.span.file).filter(|p| {
            if set_by_dsf {
                ownership.owns_dsf(p)
            } else {
                ownership.owns(p, label)
            }
        }) {
            let text = text_of(sources, &path).ok_or_else(|| manual("change"))?;
            let edit = match new {
                Some(new) => replace_scalar(text, old.span, new),
                None if set_by_dsf => None,
                None => {
                    let key = key_span(cache.tree(&path), pointer);
                    key.and_then(|k| remove_entry(text, k, old.span))
                }
            };
            return edit
                .map(|e| (path, e))
                .ok_or_else(|| manual(if new.is_some() { "change" } else { "remove" }));
        }
    }
    // Otherwise an override in the app's last values file of its own (null removes, as Helm).
    let values_files: Vec<PathBuf> = target
        .state
        .apps
        .as_ref()
        .and_then(|a| a.get(label))
        .map(|a| {
            a.all_values_files()
                .into_iter()
                .map(|(_, p)| PathBuf::from(p))
                .collect()
        })
        .unwrap_or_default();
    let own = values_files
        .iter()
        .rev()
        .find(|p| ownership.owns(p, label))
        .ok_or_else(|| manual("set"))?;
    let text = text_of(sources, own).ok_or_else(|| manual("set"))?;
    let tree = cache.tree(own).ok_or_else(|| manual("set"))?;
    let tokens: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(unescape_pointer_token)
        .collect();
    let null = Node::new(NodeKind::Null, tree.span);
    let edit = insert_entry(text, tree, &tokens, new.unwrap_or(&null));
    edit.map(|e| (own.clone(), e)).ok_or_else(|| manual("set"))
}

/// The span of the key of the mapping entry at `pointer` in a file's tree.
fn key_span(tree: Option<&Node>, pointer: &str) -> Option<Span> {
    let (parent, last) = pointer.rsplit_once('/')?;
    let parent = tree?.pointer(parent)?;
    parent
        .as_map()?
        .get(&unescape_pointer_token(last))
        .map(|e| e.key_span)
}
