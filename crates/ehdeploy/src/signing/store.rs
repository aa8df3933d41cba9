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
    parse_manifest(&bytes, name, digest).map(Some)
}

/// The manifest of `name` at `digest`, read from its bytes as `T` (which may borrow them).
pub(super) fn parse_manifest<'a, T: serde::Deserialize<'a>>(
    bytes: &'a [u8],
    name: &str,
    digest: &str,
) -> Result<T, SignatureError> {
    serde_json::from_slice::<T>(bytes).map_err(|e| {
        SignatureError::new(
            SignatureReason::BadResponse,
            format!("{name}@{digest} is not an image manifest: {e}"),
        )
    })
}

/// `then` applied to `parts` one after the other: written on the stack when they fit (a
/// reference to look up, a tag: short texts, asked for once or twice per image), else in a new
/// `String`.
pub(super) fn with_joined<T>(parts: &[&str], then: impl FnOnce(&str) -> T) -> T {
    let mut buffer = [0u8; 256];
    match joined(&mut buffer, parts) {
        Some(text) => then(text),
        None => then(&parts.concat()),
    }
}

/// `parts` one after the other in `buffer`, when they fit.
fn joined<'b>(buffer: &'b mut [u8], parts: &[&str]) -> Option<&'b str> {
    let mut len = 0;
    for part in parts {
        let end = len + part.len();
        buffer.get_mut(len..end)?.copy_from_slice(part.as_bytes());
        len = end;
    }
    std::str::from_utf8(buffer.get(..len)?).ok()
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
    use std::io::Read;
    let size = file.metadata().map_or(0, |m| m.len());
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

/// Reads a file whose content must be `digest`, at most `limit` bytes, then checks it. The
/// digest vouches for every byte read, so the file is neither measured first nor read again to
/// confirm its end: a read that returns less than it was asked for is the end (as it is for a
/// regular file), and whatever that gets wrong (a file cut short, or not a regular file) is
/// not the digest: `content-mismatch`. A small blob costs one read, into a buffer on the stack
/// (the same memory for every blob, where a new buffer as large would push other data out of
/// the processor's caches), copied out at its size. A failure to read is `io_reason`.
pub(super) fn read_digested(
    mut file: std::fs::File,
    limit: u64,
    digest: &str,
    what: impl std::fmt::Display,
    io_reason: SignatureReason,
) -> Result<Vec<u8>, SignatureError> {
    /// A payload, or a key signature's manifest, is smaller.
    const FIRST_READ: usize = 4096;
    // At most `limit + 1` bytes are read: one more than the limit says the file is larger.
    let most = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let mut read = |buffer: &mut [u8]| loop {
        match std::io::Read::read(&mut file, buffer) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            done => break done.map_err(|e| SignatureError::new(io_reason, format!("{what}: {e}"))),
        }
    };
    let mut first = [0u8; FIRST_READ];
    let asked = FIRST_READ.min(most);
    let n = read(&mut first[..asked])?;
    let mut bytes = first[..n].to_vec();
    if n == asked {
        // There may be more: read on into a buffer that doubles, up to `most`.
        let mut len = n;
        while len < most {
            bytes.resize(len.saturating_mul(2).min(most), 0);
            let asked = bytes.len() - len;
            let n = read(&mut bytes[len..])?;
            len += n;
            if n < asked {
                break;
            }
        }
        bytes.truncate(len);
    }
    if bytes.len() as u64 > limit {
        return Err(too_large(what, limit));
    }
    check_digest(digest, &bytes)?;
    Ok(bytes)
}

/// `what` is larger than `limit` bytes, and was not read.
fn too_large(what: impl std::fmt::Display, limit: u64) -> SignatureError {
    SignatureError::new(
        SignatureReason::TooLarge,
        format!("{what} is larger than {limit} bytes: not read"),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// `bytes` written to a new file; its path (removed by the caller's folder).
    fn file(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::fs::File {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        std::fs::File::open(path).unwrap()
    }

    #[test]
    fn parts_are_joined_on_the_stack_when_they_fit_else_in_a_string() {
        let long = "x".repeat(300);
        assert_eq!(with_joined(&["ab", ":", "cd"], str::to_string), "ab:cd");
        assert_eq!(with_joined(&[&long, ":", "cd"], str::len), 303);
        let mut buffer = [0u8; 8];
        assert_eq!(joined(&mut buffer, &["ab", ":", "cd"]), Some("ab:cd"));
        assert_eq!(joined(&mut buffer, &["abcd", ":", "efg"]), Some("abcd:efg"));
        assert_eq!(joined(&mut buffer, &["abcd", ":", "efgh"]), None);
        assert_eq!(joined(&mut buffer, &[]), Some(""));
        assert_eq!(joined(&mut buffer, &["é", "ü"]), Some("éü"));
    }

    #[test]
    fn a_digested_read_takes_exactly_the_blob_or_says_why_not() {
        let dir = std::env::temp_dir().join(format!("ehdeploy-digested-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let read = |bytes: &[u8], limit: u64, digest: &str| {
            read_digested(
                file(&dir, "blob", bytes),
                limit,
                digest,
                "blob",
                SignatureReason::Layout,
            )
        };
        let digest = |bytes: &[u8]| format!("sha256:{}", crate::promotion::sha256_hex(bytes));
        // Small, and larger than the first read: all of it, checked.
        for size in [0, 300, 4095, 4096, 4097, 8192, 16 * 1024 + 1, 100_000] {
            let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            assert_eq!(read(&bytes, 1 << 20, &digest(&bytes)).unwrap(), bytes);
        }
        // One byte over the limit is refused; at the limit, read.
        let bytes = vec![7u8; 1000];
        assert_eq!(
            read(&bytes, 999, &digest(&bytes)).unwrap_err().reason,
            SignatureReason::TooLarge
        );
        assert_eq!(read(&bytes, 1000, &digest(&bytes)).unwrap(), bytes);
        // Other bytes than the digest's.
        assert_eq!(
            read(b"tampered", 1000, &digest(b"original"))
                .unwrap_err()
                .reason,
            SignatureReason::ContentMismatch
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
