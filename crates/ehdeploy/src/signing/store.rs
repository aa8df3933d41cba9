//! Where images and their signature artifacts are read from: an OCI image layout on disk
//! ([`super::Layout`]) or a registry. Verification asks a store three questions and checks
//! every answer against its digest; a store that cannot answer is an error, never a pass.

use super::cosign::{SignatureError, SignatureReason};
use super::referrers::{attached_bundles, referrers_by_tag, AttachedBundle, Descriptor};

/// The largest index, manifest or signature payload read, in bytes: a manifest is a few KB.
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;

/// A source of images: tags, manifests and blobs, by the image's normalised name
/// (`registry.example/team/app`).
///
/// Implementations check what they return against its digest and read at most the limit
/// given; `Sync`, so that images are verified in parallel from one store.
pub trait ImageStore: Sync {
    /// The manifest digest that `name:tag` points at; none when the store has no such tag.
    fn resolve(&self, name: &str, tag: &str) -> Result<Option<String>, SignatureError>;

    /// The manifest (an image manifest or an index) of `name` at `digest`, its bytes checked
    /// against the digest; none when the store does not have it.
    fn manifest(&self, name: &str, digest: &str) -> Result<Option<Vec<u8>>, SignatureError>;

    /// A blob of `name`, its bytes checked against `digest`, at most `limit` bytes.
    fn blob(&self, name: &str, digest: &str, limit: u64) -> Result<Vec<u8>, SignatureError>;

    /// The referrers of `name@digest` (OCI 1.1: the manifests whose `subject` it is), as a
    /// referrers index lists them. By default the referrers tag schema's index
    /// (`name:sha256-<hex>`); a registry asks its referrers API first.
    fn referrers(&self, name: &str, digest: &str) -> Result<Vec<Descriptor>, SignatureError> {
        referrers_by_tag(self, name, digest)
    }

    /// The Sigstore bundles that sign `name@digest`: by default, those attached as referrers
    /// ([`super::attached_bundles`]); bundle files beside the spec add theirs
    /// ([`super::BundleFiles`]).
    fn bundles(&self, name: &str, digest: &str) -> Result<Vec<AttachedBundle>, SignatureError> {
        attached_bundles(self, name, digest)
    }
}

/// The manifest of `name` at `digest`, read as `T` (none: the store does not have it).
pub(super) fn image_manifest<T: serde::de::DeserializeOwned>(
    store: &(impl ImageStore + ?Sized),
    name: &str,
    digest: &str,
) -> Result<Option<T>, SignatureError> {
    let Some(bytes) = store.manifest(name, digest)? else {
        return Ok(None);
    };
    serde_json::from_slice::<T>(&bytes).map(Some).map_err(|e| {
        SignatureError::new(
            SignatureReason::BadResponse,
            format!("{name}@{digest} is not an image manifest: {e}"),
        )
    })
}

/// The lowercase hex of a well-formed `sha256:` digest.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// Checks that `bytes` are what `digest` (sha256) says.
pub fn check_digest(digest: &str, bytes: &[u8]) -> Result<(), SignatureError> {
    let Some(hex) = sha256_hex(digest) else {
        return Err(SignatureError::new(
            SignatureReason::BadResponse,
            format!("`{digest}` is not a sha256 digest"),
        ));
    };
    if !crate::promotion::hash_is(bytes, hex) {
        let actual = crate::promotion::sha256_hex(bytes);
        return Err(SignatureError::new(
            SignatureReason::ContentMismatch,
            format!("the content of {digest} is sha256:{actual}: not what was asked for"),
        ));
    }
    Ok(())
}

/// Reads at most `limit` bytes of `file`; more is an error, and what is beyond is never read.
/// The file's size, when known, refuses a larger file before reading and sizes the buffer
/// (one read for a small blob); the bounded read stands whatever the size said. A failure to
/// read is `io_reason`.
pub fn read_bounded(
    file: std::fs::File,
    limit: u64,
    what: impl std::fmt::Display,
    io_reason: SignatureReason,
) -> Result<Vec<u8>, SignatureError> {
    let size = file.metadata().map_or(0, |m| m.len());
    read_sized(file, size, limit, what, io_reason)
}

/// [`read_bounded`] of a file whose size the caller already has (from its metadata).
pub(super) fn read_sized(
    file: std::fs::File,
    size: u64,
    limit: u64,
    what: impl std::fmt::Display,
    io_reason: SignatureReason,
) -> Result<Vec<u8>, SignatureError> {
    use std::io::Read;
    if size > limit {
        return Err(too_large(what, limit));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SignatureError::new(io_reason, format!("{what}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(what, limit));
    }
    Ok(bytes)
}

/// `what` is larger than `limit` bytes, and was not read.
fn too_large(what: impl std::fmt::Display, limit: u64) -> SignatureError {
    SignatureError::new(
        SignatureReason::TooLarge,
        format!("{what} is larger than {limit} bytes: not read"),
    )
}
