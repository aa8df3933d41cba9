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

use super::diff::{field_names, Side};
use crate::platform::Platform;
use crate::source::NodeKind;
use crate::spec::values::ValuesPath;

/// Something a person must do that the promotion cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionNote {
    /// The app.
    pub app: String,
    /// What to do.
    pub message: String,
}

/// The target side after promoting `source` into it (only `apps` when given).
pub fn promote<'a>(
    source: &Side<'_>,
    target: &Side<'a>,
    platform: &Platform,
    apps: Option<&[String]>,
) -> (Side<'a>, Vec<PromotionNote>) {
    let mut state = target.state.clone().into_owned();
    let mut sides = target.apps.clone();
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
        let Some(target_app) = state.apps.as_mut().and_then(|a| a.get_mut(label)) else {
            notes.push(PromotionNote {
                app: label.clone(),
                message: format!(
                    "app `{label}` is new: add it to the target environment with that environment's own settings (DNS, replicas, memory, secret references)"
                ),
            });
            continue;
        };
        target_app.chart.clone_from(&app.chart);
        target_app.version.clone_from(&app.version);
        let (Some(from), Some(to)) = (source.apps.get(label), sides.get_mut(label)) else {
            continue;
        };
        let Some(profile) = platform.profile_of(target_app) else {
            continue;
        };
        // The image as each side names it (repository and tag), before anything is carried.
        let named = |values: &crate::source::Node| {
            [&profile.image, &profile.tag].map(|p| {
                p.as_ref()
                    .and_then(|p| p.get(values).into_iter().next())
                    .and_then(|(_, n)| n.scalar_text())
            })
        };
        let image_changes = named(&from.values.values) != named(&to.values.values);
        let paths: Vec<(&ValuesPath, bool)> = [&profile.image, &profile.tag]
            .into_iter()
            .flatten()
            .map(|p| (p, false))
            .chain(profile.digest.iter().map(|p| (p, true)))
            .chain(platform.portable.iter().map(|p| (p, false)))
            .collect();
        for (path, is_digest) in paths {
            let carried = path.get(&from.values.values);
            let present: Vec<String> = path
                .get(&to.values.values)
                .into_iter()
                .map(|(p, _)| p)
                .collect();
            if is_digest && carried.is_empty() && !present.is_empty() {
                // The source does not pin the image: the target's digest stays while the image
                // stays, and must be pinned again when it changes.
                if image_changes {
                    for pointer in &present {
                        to.values.values.remove_pointer(pointer);
                    }
                    notes.push(PromotionNote {
                        app: label.clone(),
                        message: format!(
                            "the image of `{label}` changes and the source environment does not pin it by digest: pin the digest of the image that passed the source environment"
                        ),
                    });
                }
                continue;
            }
            let stale: Vec<String> = present
                .into_iter()
                .filter(|p| !carried.iter().any(|(q, _)| q == p))
                .collect();
            for (pointer, node) in carried {
                if !matches!(node.kind, NodeKind::Null) {
                    to.values.values.set_pointer(&pointer, node.clone());
                }
            }
            for pointer in stale {
                to.values.values.remove_pointer(&pointer);
            }
        }
        to.fields = field_names(&to.values.values, profile);
        to.profiled = true;
    }
    let promoted = Side {
        state: Cow::Owned(state),
        tree: target.tree,
        apps: sides,
    };
    (promoted, notes)
}
