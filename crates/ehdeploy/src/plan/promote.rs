//! Promotion: the target environment as it is after taking the source environment's artifacts.
//!
//! For each app of the source, the chart, its version and the image (as the chart profile
//! reads it: repository, tag, digest), and the values paths the platform marks portable, are
//! carried into the target; everything else (DNS, replicas, memory, secret references, …) stays
//! as the target has it. A portable value the source does not set is removed from the target.
//! The digest is the exception where environments pin images only from some point on: a
//! target's digest stays while the image stays, and goes (with a note to pin the new one) when
//! the image changes, so that no stale digest survives a new tag.

use std::borrow::Cow;

use indexmap::IndexMap;

use super::diff::{AppSide, Side};
use crate::platform::{CompiledProfile, Platform};
use crate::source::{Node, NodeKind};
use crate::spec::values::ValuesPath;
use crate::spec::DesiredState;

/// Something a person must do that the promotion cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionNote {
    /// The app.
    pub app: String,
    /// What to do.
    pub message: String,
}

/// The target side after promoting `source` into it (only `apps` when given).
pub fn promote<'t>(
    source: &Side<'_>,
    target: &'t Side<'_>,
    platform: &Platform,
    apps: Option<&[String]>,
) -> (Side<'t>, Vec<PromotionNote>) {
    // Copied only when something changes: most promotions change few apps.
    let mut state: Cow<'t, DesiredState> = Cow::Borrowed(&*target.state);
    let mut sides: Cow<'t, IndexMap<String, AppSide>> = Cow::Borrowed(&*target.apps);
    let mut notes = Vec::new();
    let wanted = |label: &str| apps.is_none_or(|a| a.iter().any(|x| x == label));
    if let Some(list) = apps {
        for label in list {
            let in_source = source
                .state
                .apps
                .as_ref()
                .is_some_and(|a| a.contains_key(label));
            if !in_source {
                notes.push(PromotionNote {
                    app: label.clone(),
                    message: format!("app `{label}` is not in the source environment"),
                });
            }
        }
    }
    for (label, app) in source.state.apps.iter().flatten() {
        if app.enabled != Some(true) || !wanted(label) {
            continue;
        }
        let Some(target_app) = state.apps.as_ref().and_then(|a| a.get(label)) else {
            notes.push(PromotionNote {
                app: label.clone(),
                message: format!(
                    "app `{label}` is new: add it to the target environment with that environment's own settings (DNS, replicas, memory, secret references)"
                ),
            });
            // Proposed for creation with what the promotion carries, and nothing of the
            // source environment's own settings.
            if let Some(from) = source.apps.get(label) {
                let carried = carried_only(app, from, platform);
                if let Some(apps) = state.to_mut().apps.as_mut() {
                    apps.insert(label.clone(), app.clone());
                }
                sides.to_mut().insert(label.clone(), carried);
            }
            continue;
        };
        if target_app.chart != app.chart || target_app.version != app.version {
            if let Some(a) = state.to_mut().apps.as_mut().and_then(|a| a.get_mut(label)) {
                a.chart.clone_from(&app.chart);
                a.version.clone_from(&app.version);
            }
        }
        let Some(profile) = state
            .apps
            .as_ref()
            .and_then(|a| a.get(label))
            .and_then(|a| platform.profile_of(a))
        else {
            continue;
        };
        let (Some(from), Some(to)) = (source.apps.get(label), sides.get(label)) else {
            continue;
        };
        let (ops, note) = carry(
            label,
            profile,
            platform,
            &from.values.values,
            &to.values.values,
        );
        notes.extend(note);
        if ops.is_empty() {
            continue;
        }
        if let Some(to) = sides.to_mut().get_mut(label) {
            for op in ops {
                match op {
                    Op::Set(pointer, node) => {
                        to.values.values.set_pointer(&pointer, node);
                    }
                    Op::Remove(pointer) => {
                        to.values.values.remove_pointer(&pointer);
                    }
                }
            }
            *to = AppSide::new(to.values.clone(), Some(profile.clone()));
        }
    }
    let promoted = Side {
        state,
        tree: target.tree,
        apps: sides,
    };
    (promoted, notes)
}

/// An app's values reduced to what a promotion carries: the image and the portable paths.
fn carried_only(app: &crate::spec::App, from: &AppSide, platform: &Platform) -> AppSide {
    let profile = platform.profile_of(app);
    let mut values = from.values.clone();
    values.values = Node::new(
        NodeKind::Map(crate::source::Mapping::new()),
        from.values.values.span,
    );
    values.set_pointers.clear();
    if let Some(profile) = profile {
        let paths = [&profile.image, &profile.tag, &profile.digest]
            .into_iter()
            .flatten()
            .chain(platform.portable.iter());
        for path in paths {
            for (pointer, node) in path.get(&from.values.values) {
                values.values.set_pointer(&pointer, node.clone());
            }
        }
    }
    AppSide::new(values, profile.cloned())
}

/// A change to the target's values.
enum Op {
    Set(String, Node),
    Remove(String),
}

/// What carrying an app's image and portable values from `from` into `to` changes.
fn carry(
    label: &str,
    profile: &CompiledProfile,
    platform: &Platform,
    from: &Node,
    to: &Node,
) -> (Vec<Op>, Option<PromotionNote>) {
    let mut ops = Vec::new();
    let mut note = None;
    // The image as each side names it (repository and tag), before anything is carried.
    let named = |values: &Node| {
        [&profile.image, &profile.tag].map(|p| {
            p.as_ref()
                .and_then(|p| p.first(values))
                .and_then(Node::scalar_text)
        })
    };
    let image_changes = named(from) != named(to);
    let paths: Vec<(&ValuesPath, bool)> = [&profile.image, &profile.tag]
        .into_iter()
        .flatten()
        .map(|p| (p, false))
        .chain(profile.digest.iter().map(|p| (p, true)))
        .chain(platform.portable.iter().map(|p| (p, false)))
        .collect();
    for (path, is_digest) in paths {
        let carried = path.get(from);
        let present: Vec<String> = path.get(to).into_iter().map(|(p, _)| p).collect();
        if is_digest && carried.is_empty() && !present.is_empty() {
            // The source does not pin the image: the target's digest stays while the image
            // stays, and must be pinned again when it changes.
            if image_changes {
                ops.extend(present.into_iter().map(Op::Remove));
                note = Some(PromotionNote {
                    app: label.to_string(),
                    message: format!(
                        "the image of `{label}` changes and the source environment does not pin it by digest: pin the digest of the image that passed the source environment"
                    ),
                });
            }
            continue;
        }
        for p in &present {
            if !carried.iter().any(|(q, _)| q == p) {
                ops.push(Op::Remove(p.clone()));
            }
        }
        for (pointer, node) in carried {
            let same = to.pointer(&pointer).is_some_and(|t| t.same_value(node));
            if !same && !matches!(node.kind, NodeKind::Null) {
                ops.push(Op::Set(pointer, node.clone()));
            }
        }
    }
    (ops, note)
}
