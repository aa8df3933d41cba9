//! An OCI image layout on disk (as `cosign save` or `oras copy --to-oci-layout` write it): the
//! images, their cosign signature artifacts and their referrers (Sigstore bundles), read with
//! bounded reads.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::sync::Arc;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::cosign::{SignatureError, SignatureReason};
use super::referrers::{referrers_by_tag, Descriptor, ReferrerManifest};
use super::store::{
    image_manifest, read_bounded, read_digested, sha256_hex, ImageStore, MAX_DOCUMENT_BYTES,
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
    annotations: RefName,
}

/// An entry's annotations, read for its reference name alone: every annotation is a string,
/// and the last of a repeated name wins (as a map of them would have it), but only the
/// reference name is kept.
#[derive(Default)]
struct RefName(Option<String>);

impl<'de> Deserialize<'de> for RefName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RefName, D::Error> {
        deserializer.deserialize_map(RefNameVisitor)
    }
}

struct RefNameVisitor;

impl<'de> Visitor<'de> for RefNameVisitor {
    type Value = RefName;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RefName, A::Error> {
        let mut name = None;
        while let Some(is_ref_name) = map.next_key::<IsRefName>()? {
            if is_ref_name.0 {
                name = Some(map.next_value::<String>()?);
            } else {
                map.next_value::<AnyString>()?;
            }
        }
        Ok(RefName(name))
    }
}

/// Whether an annotation's name is [`REF_NAME`] (the name is not kept).
struct IsRefName(bool);

impl<'de> Deserialize<'de> for IsRefName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IsRefName, D::Error> {
        deserializer
            .deserialize_str(StrVisitor(|s: &str| s == REF_NAME))
            .map(IsRefName)
    }
}

/// An annotation's value that is not kept: a string, as any annotation's.
struct AnyString;

impl<'de> Deserialize<'de> for AnyString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AnyString, D::Error> {
        deserializer.deserialize_str(StrVisitor(|_: &str| AnyString))
    }
}

/// A string, looked at without being copied.
struct StrVisitor<F>(F);

impl<'de, T, F: FnOnce(&str) -> T> Visitor<'de> for StrVisitor<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
        Ok((self.0)(s))
    }
}

/// An OCI image layout, opened: its references and their manifests' digests, and the
/// referrers it holds by their subjects. Its blobs are shared by every image it holds.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `blobs/sha256` under the layout's folder.
    blobs: PathBuf,
    /// That folder, opened when the layout is (none: it could not be; blobs are then opened
    /// by path).
    #[cfg(unix)]
    blobs_dir: Option<Arc<File>>,
    /// Each reference's manifest digest, hashed with foldhash (seeded per process).
    /// Each reference's manifest digest, hashed with foldhash (seeded per process).
    refs: HashMap<String, String, foldhash::fast::RandomState>,
    /// The referrers the index lists, by their subject's digest.
    referrers: HashMap<String, Vec<Descriptor>, foldhash::fast::RandomState>,
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
        let blobs = dir.join("blobs/sha256");
        let mut layout = Layout {
            #[cfg(unix)]
            blobs_dir: rustix::fs::open(
                &blobs,
                rustix::fs::OFlags::RDONLY
                    | rustix::fs::OFlags::DIRECTORY
                    | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .ok()
            .map(|dir| Arc::new(File::from(dir))),
            blobs,
            refs: HashMap::with_capacity_and_hasher(index.manifests.len(), Default::default()),
            referrers: HashMap::default(),
        };
        // Named manifests are images and cosign's artifacts; a referrer (an artifact with a
        // subject, as `oras copy -r --to-oci-layout` stores one) is unnamed or typed.
        let mut unnamed = Vec::new();
        for entry in index.manifests {
            match (entry.annotations.0, entry.artifact_type) {
                (Some(reference), None) => {
                    layout.refs.insert(reference, entry.digest);
                }
                (Some(reference), Some(_)) => {
                    layout.refs.insert(reference, entry.digest.clone());
                    unnamed.push(entry.digest);
                }
                (None, _) => unnamed.push(entry.digest),
            }
        }
        for digest in unnamed {
            let Some(manifest) = image_manifest::<ReferrerManifest>(&layout, "", &digest)? else {
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
        let mut names: Vec<&str> = self.refs.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.into_iter()
    }

    /// The blob of a well-formed sha256 digest.
    fn blob_path<'a>(&'a self, digest: &'a str) -> Option<Blob<'a>> {
        sha256_hex(digest).map(|hex| Blob {
            blobs: &self.blobs,
            hex,
        })
    }

    /// Opens a blob for reading: relative to the folder's handle where there is one, so that
    /// the layout's path is not walked again for every blob. `nonblocking`: a FIFO does not
    /// wait for a writer (and is then not a regular file).
    fn open_blob(&self, blob: &Blob<'_>, nonblocking: bool) -> std::io::Result<File> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            use std::os::unix::fs::OpenOptionsExt;
            let extra = if nonblocking {
                OFlags::NONBLOCK
            } else {
                OFlags::empty()
            };
            match &self.blobs_dir {
                Some(dir) => rustix::fs::openat(
                    dir.as_ref(),
                    blob.hex,
                    OFlags::RDONLY | OFlags::CLOEXEC | extra,
                    Mode::empty(),
                )
                .map(File::from)
                .map_err(std::io::Error::from),
                None => std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(extra.bits() as i32)
                    .open(blob.path()),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = nonblocking;
            File::open(blob.path())
        }
    }
}

impl ImageStore for Layout {
    fn resolve(&self, name: &str, tag: &str) -> Result<Option<String>, SignatureError> {
        // `name:tag` written on the stack (a reference is short), not in a new `String`.
        let mut text = [0u8; 256];
        let found = match join_reference(&mut text, name, tag) {
            Some(reference) => self.refs.get(reference),
            None => self.refs.get(&format!("{name}:{tag}")),
        };
        Ok(found.cloned())
    }

    fn manifest(&self, _name: &str, digest: &str) -> Result<Option<Vec<u8>>, SignatureError> {
        let Some(blob) = self.blob_path(digest) else {
            return Ok(None);
        };
        // Opened once, without a `stat` (and never waiting on a FIFO): a manifest that is not
        // there, or a folder, is none; one that is there and cannot be read is an error, and one
        // that is not a regular file is not its digest.
        let file = match self.open_blob(&blob, true) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SignatureError::layout(format!("{blob}: {e}"))),
        };
        match read_digested(
            file,
            MAX_DOCUMENT_BYTES,
            digest,
            &blob,
            SignatureReason::Layout,
        ) {
            Err(e) if e.reason == SignatureReason::Layout && blob.path().is_dir() => Ok(None),
            read => read.map(Some),
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
        let Some(blob) = self.blob_path(digest) else {
            return Err(SignatureError::new(
                SignatureReason::BadResponse,
                format!("`{digest}` is not a sha256 digest"),
            ));
        };
        let file = self
            .open_blob(&blob, true)
            .map_err(|e| SignatureError::layout(format!("{blob}: {e}")))?;
        read_digested(file, limit, digest, &blob, SignatureReason::Layout)
    }
}

/// A blob of the layout: its name in `blobs/sha256`, its path built only when needed (a
/// message, or a layout without the folder's handle); shown as that path.
struct Blob<'a> {
    blobs: &'a Path,
    hex: &'a str,
}

impl Blob<'_> {
    fn path(&self) -> PathBuf {
        self.blobs.join(self.hex)
    }
}

impl fmt::Display for Blob<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.path().display().fmt(f)
    }
}

/// `name:tag` in `buffer`, when it fits.
fn join_reference<'a>(buffer: &'a mut [u8], name: &str, tag: &str) -> Option<&'a str> {
    let len = name.len() + 1 + tag.len();
    let out = buffer.get_mut(..len)?;
    out[..name.len()].copy_from_slice(name.as_bytes());
    out[name.len()] = b':';
    out[name.len() + 1..].copy_from_slice(tag.as_bytes());
    std::str::from_utf8(out).ok()
}

fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, SignatureError> {
    let what = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| SignatureError::layout(format!("{what}: {e}")))?;
    read_bounded(file, limit, what, SignatureReason::Layout)
}
