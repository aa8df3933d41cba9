//! Sigstore bundles attached to an image as OCI referrers, as cosign v3 attaches them
//! (`specs/BUNDLE_SPEC.md`): a manifest whose `artifactType` is a Sigstore bundle media type,
//! whose `subject` is the image, and whose one layer is the bundle's JSON. They are found by
//! the registry's referrers API or, where a store has none, by the referrers tag schema (an
//! index tagged `sha256-<hex>` listing them).

use serde::Deserialize;

use super::cosign::{SignatureError, SignatureReason};
use super::store::{image_manifest, with_joined, ImageStore, MAX_DOCUMENT_BYTES};

/// The media type prefix of every Sigstore bundle version: `application/vnd.dev.sigstore.bundle.v0.3+json`
/// (cosign v3) and `application/vnd.dev.sigstore.bundle+json;version=0.1|0.2|0.3`.
pub const BUNDLE_MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";

/// The most bundles read for one image: a hostile referrers index cannot make a verification
/// read without end.
pub const MAX_BUNDLES: usize = 64;

/// One entry of a referrers index (or an OCI layout's `index.json`): the fields used.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// The referrer manifest's digest.
    pub digest: String,
    /// What the referrer is (`application/vnd.dev.sigstore.bundle.v0.3+json`).
    #[serde(default)]
    pub artifact_type: Option<String>,
}

/// A Sigstore bundle attached to an image: where it was found, and its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedBundle {
    /// Where it was found, for messages: `referrer sha256:…` or the file's path.
    pub origin: String,
    /// The bundle, as JSON.
    pub json: String,
}

/// Whether `media_type` is a Sigstore bundle's.
pub fn is_bundle_type(media_type: &str) -> bool {
    media_type.starts_with(BUNDLE_MEDIA_TYPE_PREFIX)
}

/// The referrers tag schema's tag for the image at `digest`: `sha256-<hex>`.
pub fn referrers_tag(digest: &str) -> String {
    digest_tag_parts(digest).concat()
}

/// The parts of a tag named after `digest`: its `:` made a `-` (`sha256-<hex>`), as the
/// referrers tag schema and cosign's signature tags (with `.sig` after) name them.
pub(super) fn digest_tag_parts(digest: &str) -> [&str; 3] {
    match digest.split_once(':') {
        Some((algorithm, hex)) => [algorithm, "-", hex],
        None => [digest, "", ""],
    }
}

/// A referrers index (an OCI image index): its entries.
#[derive(Deserialize)]
pub(super) struct ReferrersIndex {
    #[serde(default)]
    pub(super) manifests: Vec<Descriptor>,
}

/// The referrers of `name@digest` that the referrers tag schema lists (none without the tag).
pub(super) fn referrers_by_tag(
    store: &(impl ImageStore + ?Sized),
    name: &str,
    digest: &str,
) -> Result<Vec<Descriptor>, SignatureError> {
    let Some(index_digest) =
        with_joined(&digest_tag_parts(digest), |tag| store.resolve(name, tag))?
    else {
        return Ok(Vec::new());
    };
    let index = image_manifest::<ReferrersIndex>(store, name, &index_digest)?;
    Ok(index.map(|i| i.manifests).unwrap_or_default())
}

/// What a referrer manifest is read for (here, and by a layout indexing its referrers).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReferrerManifest {
    #[serde(default)]
    pub(super) artifact_type: Option<String>,
    #[serde(default)]
    pub(super) subject: Option<SubjectDescriptor>,
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Deserialize)]
pub(super) struct SubjectDescriptor {
    pub(super) digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Layer {
    media_type: String,
    digest: String,
}

/// The Sigstore bundles attached to `name@digest` as referrers: each referrer whose artifact
/// type is a bundle's, whose manifest names this image as its subject, read from its bundle
/// layer (at most [`MAX_BUNDLES`]). A referrer that names another image is not this image's
/// (a referrers index is not signed): it is left out. A store that fails is an error.
pub fn attached_bundles(
    store: &(impl ImageStore + ?Sized),
    name: &str,
    digest: &str,
) -> Result<Vec<AttachedBundle>, SignatureError> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for referrer in store.referrers(name, digest)? {
        if !referrer
            .artifact_type
            .as_deref()
            .is_some_and(is_bundle_type)
            || seen.contains(&referrer.digest)
        {
            continue;
        }
        if seen.len() == MAX_BUNDLES {
            return Err(SignatureError::new(
                SignatureReason::TooLarge,
                format!(
                    "{name}@{digest} has more than {MAX_BUNDLES} Sigstore bundles attached: \
                     not read"
                ),
            ));
        }
        seen.push(referrer.digest.clone());
        let Some(manifest) = image_manifest::<ReferrerManifest>(store, name, &referrer.digest)?
        else {
            continue;
        };
        let for_this_image = manifest.subject.is_some_and(|s| s.digest == digest);
        if !for_this_image
            || !manifest
                .artifact_type
                .as_deref()
                .is_some_and(is_bundle_type)
        {
            continue;
        }
        let Some(layer) = manifest
            .layers
            .iter()
            .find(|l| is_bundle_type(&l.media_type))
        else {
            continue;
        };
        let bytes = store.blob(name, &layer.digest, MAX_DOCUMENT_BYTES)?;
        let json = String::from_utf8(bytes).map_err(|_| {
            SignatureError::new(
                SignatureReason::BadResponse,
                format!("the bundle {name}@{} is not UTF-8 text", layer.digest),
            )
        })?;
        out.push(AttachedBundle {
            origin: format!("referrer {}", referrer.digest),
            json,
        });
    }
    Ok(out)
}
