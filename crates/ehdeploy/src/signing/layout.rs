//! An OCI image layout on disk (as `cosign save` or `oras copy --to-oci-layout` write it): the
//! images, their cosign signature artifacts and their referrers (Sigstore bundles), read with
//! bounded reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::cosign::{SignatureError, SignatureReason};
use super::referrers::{referrers_by_tag, Descriptor};
use super::store::{
    check_digest, image_manifest, read_bounded, sha256_hex, ImageStore, MAX_DOCUMENT_BYTES,
};

/// The annotation of `index.json` that names a manifest (`registry.example/team/app:1.0.0`,
/// or its cosign signature `registry.example/team/app:sha256-<hex>.sig`).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// What `index.json` is read for: each manifest's digest, reference name and artifact type
/// (digests are checked when their blobs are read).
#[derive(Deserialize)]
struct Index {
    manifests: Vec<IndexEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexEntry {
    digest: String,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// What an unnamed manifest of the index is read for: whether it refers to an image.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Referrer {
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    subject: Option<Subject>,
}

#[derive(Deserialize)]
struct Subject {
    digest: String,
}

/// An OCI image layout, opened: its references and their manifests' digests, and the
/// referrers it holds by their subjects. Its blobs are shared by every image it holds.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
    refs: BTreeMap<String, String>,
    referrers: BTreeMap<String, Vec<Descriptor>>,
}

impl Layout {
    /// Opens the layout at `dir`: reads its `index.json`.
    pub fn open(dir: &Path) -> Result<Layout, SignatureError> {
        let index_path = dir.join("index.json");
        let bytes = read_file(&index_path, MAX_DOCUMENT_BYTES)?;
        let index: Index = serde_json::from_slice(&bytes).map_err(|e| {
            SignatureError::layout(format!(
                "{} is not an OCI image index: {e}",
                index_path.display()
            ))
        })?;
        let mut layout = Layout {
            root: dir.to_path_buf(),
            refs: BTreeMap::new(),
            referrers: BTreeMap::new(),
        };
        // Named manifests are images and cosign's artifacts; a referrer (an artifact with a
        // subject, as `oras copy -r --to-oci-layout` stores one) is unnamed or typed.
        let mut unnamed = Vec::new();
        for mut entry in index.manifests {
            match entry.annotations.remove(REF_NAME) {
                Some(name) if entry.artifact_type.is_none() => {
                    layout.refs.insert(name, entry.digest);
                }
                Some(name) => {
                    layout.refs.insert(name, entry.digest.clone());
                    unnamed.push(entry.digest);
                }
                None => unnamed.push(entry.digest),
            }
        }
        for digest in unnamed {
            let Some(manifest) = image_manifest::<Referrer>(&layout, "", &digest)? else {
                return Err(SignatureError::layout(format!(
                    "{} lists {digest}, which is not in its blobs",
                    index_path.display()
                )));
            };
            if let Some(subject) = manifest.subject {
                layout
                    .referrers
                    .entry(subject.digest)
                    .or_default()
                    .push(Descriptor {
                        digest,
                        artifact_type: manifest.artifact_type,
                    });
            }
        }
        Ok(layout)
    }

    /// The references the layout names (`name:tag`), in order.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.refs.keys().map(String::as_str)
    }

    /// The path of a blob, for a well-formed sha256 digest.
    fn blob_path(&self, digest: &str) -> Option<PathBuf> {
        sha256_hex(digest).map(|hex| self.root.join("blobs/sha256").join(hex))
    }
}

impl ImageStore for Layout {
    fn resolve(&self, name: &str, tag: &str) -> Result<Option<String>, SignatureError> {
        Ok(self.refs.get(&format!("{name}:{tag}")).cloned())
    }

    fn manifest(&self, name: &str, digest: &str) -> Result<Option<Vec<u8>>, SignatureError> {
        match self.blob_path(digest) {
            Some(path) if path.is_file() => self.blob(name, digest, MAX_DOCUMENT_BYTES).map(Some),
            _ => Ok(None),
        }
    }

    /// The referrers tag schema's, and the index's manifests that name this image as their
    /// subject.
    fn referrers(&self, name: &str, digest: &str) -> Result<Vec<Descriptor>, SignatureError> {
        let mut found = referrers_by_tag(self, name, digest)?;
        for referrer in self.referrers.get(digest).into_iter().flatten() {
            if !found.iter().any(|f| f.digest == referrer.digest) {
                found.push(referrer.clone());
            }
        }
        Ok(found)
    }

    fn blob(&self, _name: &str, digest: &str, limit: u64) -> Result<Vec<u8>, SignatureError> {
        let Some(path) = self.blob_path(digest) else {
            return Err(SignatureError::new(
                SignatureReason::BadResponse,
                format!("`{digest}` is not a sha256 digest"),
            ));
        };
        let bytes = read_file(&path, limit)?;
        check_digest(digest, &bytes)?;
        Ok(bytes)
    }
}

fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, SignatureError> {
    let what = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|e| SignatureError::layout(format!("{what}: {e}")))?;
    read_bounded(file, limit, &what, SignatureReason::Layout)
}
