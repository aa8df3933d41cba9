//! An OCI image layout on disk (as `cosign save` or `oras copy --to-oci-layout` write it): the
//! images and their cosign signature artifacts, by reference, read with bounded reads.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use oci_spec::image::{ImageIndex, ImageManifest};

use super::cosign::SignatureError;

/// The largest index, manifest or signature payload read, in bytes: a manifest is a few KB.
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// The annotation of `index.json` that names a manifest (`registry.example/team/app:1.0.0`,
/// or its cosign signature `registry.example/team/app:sha256-<hex>.sig`).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// An OCI image layout, opened: its references and their manifests' digests.
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
    refs: BTreeMap<String, String>,
}

impl Layout {
    /// Opens the layout at `dir`: reads its `index.json`.
    pub fn open(dir: &Path) -> Result<Layout, SignatureError> {
        let index_path = dir.join("index.json");
        let bytes = read_bounded(&index_path)?;
        let index: ImageIndex = serde_json::from_slice(&bytes).map_err(|e| {
            SignatureError::layout(format!(
                "{} is not an OCI image index: {e}",
                index_path.display()
            ))
        })?;
        let refs = index
            .manifests()
            .iter()
            .filter_map(|m| {
                let name = m.annotations().as_ref()?.get(REF_NAME)?;
                Some((name.clone(), m.digest().to_string()))
            })
            .collect();
        Ok(Layout {
            root: dir.to_path_buf(),
            refs,
        })
    }

    /// The manifest digest of `reference` (`name:tag`), if the layout has it.
    pub fn resolve(&self, reference: &str) -> Option<&str> {
        self.refs.get(reference).map(String::as_str)
    }

    /// The path of a blob, for a well-formed sha256 digest.
    fn blob_path(&self, digest: &str) -> Option<PathBuf> {
        digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|hex| self.root.join("blobs/sha256").join(hex))
    }

    /// Whether the layout holds the blob `digest`.
    pub fn has_blob(&self, digest: &str) -> bool {
        self.blob_path(digest).is_some_and(|p| p.is_file())
    }

    /// A blob's bytes, checked against its digest, at most `limit` bytes.
    pub fn blob(&self, digest: &str, limit: u64) -> Result<Vec<u8>, SignatureError> {
        let Some(path) = self.blob_path(digest) else {
            return Err(SignatureError::layout(format!(
                "`{digest}` is not a sha256 digest"
            )));
        };
        let hex = &digest["sha256:".len()..];
        let file = std::fs::File::open(&path)
            .map_err(|e| SignatureError::layout(format!("{}: {e}", path.display())))?;
        let mut bytes = Vec::new();
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| SignatureError::layout(format!("{}: {e}", path.display())))?;
        if bytes.len() as u64 > limit {
            return Err(SignatureError::layout(format!(
                "{digest} is larger than {limit} bytes: not read"
            )));
        }
        let actual = crate::promotion::sha256_hex(&bytes);
        if actual != hex {
            return Err(SignatureError::layout(format!(
                "the blob {digest} holds content of sha256:{actual}: the layout is corrupt"
            )));
        }
        Ok(bytes)
    }

    /// The image manifest at `digest`.
    pub fn manifest(&self, digest: &str) -> Result<ImageManifest, SignatureError> {
        let bytes = self.blob(digest, MAX_DOCUMENT_BYTES)?;
        serde_json::from_slice::<ImageManifest>(&bytes)
            .map_err(|e| SignatureError::layout(format!("{digest} is not an image manifest: {e}")))
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, SignatureError> {
    let file = std::fs::File::open(path)
        .map_err(|e| SignatureError::layout(format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SignatureError::layout(format!("{}: {e}", path.display())))?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(SignatureError::layout(format!(
            "{} is larger than {MAX_DOCUMENT_BYTES} bytes: not read",
            path.display()
        )));
    }
    Ok(bytes)
}
