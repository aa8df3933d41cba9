//! Images: official registry, tag, digest.

use super::{AppView, Emitter};
use crate::platform::{EnvironmentConfig, Platform};
use crate::rules;
use crate::workload::image::ImageRef;
use crate::workload::Workload;

pub(crate) fn check(
    out: &mut Emitter<'_>,
    view: &AppView<'_>,
    w: &Workload<'_>,
    platform: &Platform,
    env: Option<&EnvironmentConfig>,
) {
    let label = view.label;
    let values = &view.values;
    let Some(image) = &w.image else {
        return;
    };
    let Some(repo) = image.node.scalar_text().filter(|s| !s.is_empty()) else {
        return;
    };
    let tag_text = w
        .tag
        .as_ref()
        .and_then(|t| t.node.scalar_text())
        .filter(|s| !s.is_empty());
    let digest_text = w
        .digest
        .as_ref()
        .and_then(|d| d.node.scalar_text())
        .filter(|s| !s.is_empty());
    let reference =
        match ImageRef::with_tag_and_digest(&repo, tag_text.as_deref(), digest_text.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                let at = if digest_text.is_some() {
                    w.digest.as_ref()
                } else {
                    w.tag.as_ref()
                }
                .unwrap_or(image);
                out.at_value(
                    rules::IMAGE_DIGEST_INVALID,
                    label,
                    values,
                    at,
                    format!("image reference is not valid: {e}"),
                );
                return;
            }
        };
    let registries = &platform.file.registries;
    if !registries.is_empty() && !registries.iter().any(|r| reference.is_under(r)) {
        out.at_value(
            rules::IMAGE_OFFICIAL_REGISTRY,
            label,
            values,
            image,
            format!(
                "image `{}` is not from an official registry ({})",
                reference.name(),
                registries.join(", ")
            ),
        );
    }
    match reference.tag() {
        None if reference.digest().is_none() => out.at_value(
            rules::IMAGE_TAG_MISSING,
            label,
            values,
            w.tag.as_ref().unwrap_or(image),
            format!("image `{}` has no tag", reference.name()),
        ),
        Some("latest") => out.at_value(
            rules::IMAGE_TAG_LATEST,
            label,
            values,
            w.tag.as_ref().unwrap_or(image),
            format!("image `{}` uses the tag `latest`", reference.name()),
        ),
        _ => {}
    }
    if reference.digest().is_none() && env.is_some_and(EnvironmentConfig::requires_digest) {
        let env_name = env.map_or("", |e| e.name.as_str());
        out.at_value(
            rules::IMAGE_DIGEST_REQUIRED,
            label,
            values,
            w.digest.as_ref().or(w.tag.as_ref()).unwrap_or(image),
            format!(
                "image `{}` must be pinned by digest in {env_name}",
                reference.name()
            ),
        );
    }
}
