//! Images: official registry, tag, digest.

use super::{AppView, Emitter};
use crate::platform::{EnvironmentConfig, Platform};
use crate::rules;
use crate::workload::image::ImageRefs;
use crate::workload::Workload;

pub(crate) fn check(
    out: &mut Emitter<'_>,
    view: &AppView<'_>,
    w: &Workload<'_>,
    platform: &Platform,
    env: Option<&EnvironmentConfig>,
    images: &ImageRefs,
) {
    let label = view.label;
    let values = &view.values;
    let Some(image) = &w.image else {
        return;
    };
    let reference = match w.image_ref_in(images) {
        None => return,
        Some(Ok(r)) => r,
        Some(Err((e, at))) => {
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
