//! An OCI image layout on disk (as `cosign save` or `oras copy --to-oci-layout` write it): the
//! images, their cosign signature artifacts and their referrers (Sigstore bundles), read with
//! bounded reads.

use std::borrow::{Borrow, Cow};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::sync::Arc;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::borrowed::{Annotations, AnyString, Is};
use super::cosign::{SignatureError, SignatureReason};
use super::referrers::{referrers_by_tag, Descriptor, ReferrerManifest};
use super::store::{
    image_manifest, read_bounded, read_digested, sha256_hex, with_joined, ImageStore,
    MAX_DOCUMENT_BYTES,
};

/// The annotation of `index.json` that names a manifest (`registry.example/team/app:1.0.0`,
/// or its cosign signature `registry.example/team/app:sha256-<hex>.sig`).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// One entry of `index.json`, read for its digest, reference name and whether it has an
/// artifact type (digests are checked when their blobs are read); its strings borrowed from
/// the file where they need no unescaping.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexEntry<'a> {
    #[serde(borrow)]
    digest: Cow<'a, str>,
    #[serde(default)]
    artifact_type: Option<AnyString>,
    #[serde(default, borrow, deserialize_with = "ref_name")]
    annotations: Option<Cow<'a, str>>,
}

/// An entry's annotations, read for its reference name alone.
fn ref_name<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    let [name] = deserializer.deserialize_map(Annotations(&[REF_NAME]))?;
    Ok(name)
}

/// `index.json` (an object with `manifests`; its other fields are skipped), read entry by
/// entry straight into the layout's references and the digests of its unnamed manifests.
struct IndexReader<'l>(Manifests<'l>);

impl<'de> Visitor<'de> for IndexReader<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OCI image index")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(is_manifests) = map.next_key_seed(Is("manifests"))? {
            if !is_manifests {
                map.next_value::<IgnoredAny>()?;
            } else if std::mem::replace(&mut seen, true) {
                return Err(serde::de::Error::duplicate_field("manifests"));
            } else {
                map.next_value_seed(Manifests {
                    refs: &mut *self.0.refs,
                    unnamed: &mut *self.0.unnamed,
                })?;
            }
        }
        if seen {
            Ok(())
        } else {
            Err(serde::de::Error::missing_field("manifests"))
        }
    }
}

/// The index's `manifests`. Named manifests are images and cosign's artifacts; a referrer
/// (an artifact with a subject, as `oras copy -r --to-oci-layout` stores one) is unnamed or
/// typed. The last of a repeated name wins.
struct Manifests<'l> {
    refs: &'l mut References,
    unnamed: &'l mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Manifests<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Manifests<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of manifest descriptors")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<IndexEntry<'de>>()? {
            if entry.annotations.is_none() || entry.artifact_type.is_some() {
                self.unnamed.push(entry.digest.to_string());
            }
            if let Some(name) = entry.annotations {
                self.refs.replace(Reference::new(&name, &entry.digest));
            }
        }
        Ok(())
    }
}

/// The references an index names, found by name: a set of [`Reference`]s.
type References = HashSet<Reference, foldhash::fast::RandomState>;

/// A reference the index names (`registry.example/team/app:1.0.0`) and its manifest's digest,
/// in one allocation. Hashed and compared as its name alone, so that the set of them is found
/// by name.
#[derive(Clone)]
struct Reference {
    /// The name, then the digest.
    text: Box<str>,
    /// Where the name ends.
    name_len: usize,
}

impl Reference {
    fn new(name: &str, digest: &str) -> Reference {
        let mut text = String::with_capacity(name.len() + digest.len());
        text.push_str(name);
        text.push_str(digest);
        Reference {
            text: text.into_boxed_str(),
            name_len: name.len(),
        }
    }

    fn name(&self) -> &str {
        self.text.get(..self.name_len).unwrap_or_default()
    }

    fn digest(&self) -> &str {
        self.text.get(self.name_len..).unwrap_or_default()
    }
}

impl Borrow<str> for Reference {
    fn borrow(&self) -> &str {
        self.name()
    }
}

impl PartialEq for Reference {
    fn eq(&self, other: &Reference) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Reference {}

impl Hash for Reference {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.name(), self.digest())
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
    refs: References,
    /// The referrers the index lists, by their subject's digest.
    referrers: HashMap<String, Vec<Descriptor>, foldhash::fast::RandomState>,
}

impl Layout {
    /// Opens the layout at `dir`: reads its `index.json`.
    pub fn open(dir: &Path) -> Result<Layout, SignatureError> {
        let index_path = dir.join("index.json");
        let bytes = read_file(&index_path, MAX_DOCUMENT_BYTES)?;
        // An entry takes at least about 80 bytes; room for the references is made once.
        let mut refs = References::with_capacity_and_hasher(bytes.len() / 128, Default::default());
        let mut unnamed = Vec::new();
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        json.deserialize_map(IndexReader(Manifests {
            refs: &mut refs,
            unnamed: &mut unnamed,
        }))
        .and_then(|()| json.end())
        .map_err(|e| {
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
            refs,
            referrers: HashMap::default(),
        };
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
        let mut names: Vec<&str> = self.refs.iter().map(Reference::name).collect();
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
        Ok(with_joined(&[name, ":", tag], |reference| {
            self.refs.get(reference).map(|r| r.digest().to_string())
        }))
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

fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, SignatureError> {
    let what = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| SignatureError::layout(format!("{what}: {e}")))?;
    read_bounded(file, limit, what, SignatureReason::Layout)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A layout whose `index.json` is `index` (and no blobs): its references, or the error.
    fn open(index: &str) -> Result<Vec<(String, String)>, SignatureError> {
        let dir = std::env::temp_dir().join(format!(
            "ehdeploy-layout-index-{}-{}",
            std::process::id(),
            crate::promotion::sha256_hex(index.as_bytes())
                .get(..12)
                .unwrap()
        ));
        std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        std::fs::write(dir.join("index.json"), index).unwrap();
        let layout = Layout::open(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let layout = layout?;
        Ok(layout
            .references()
            .map(|r| {
                (
                    r.to_string(),
                    layout.refs.get(r).unwrap().digest().to_string(),
                )
            })
            .collect())
    }

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    /// Each named manifest is found by its name (unescaped), the last of a repeated name
    /// wins, and the index's other fields and annotations are skipped.
    #[test]
    fn the_index_names_each_reference_once_the_last_winning() {
        let index = format!(
            r#"{{"schemaVersion": 2, "annotations": {{"x": "y"}}, "manifests": [
                {{"mediaType": "m", "digest": "{A}", "size": 1,
                  "annotations": {{"other": "z", "{REF_NAME}": "r.example/a:1"}}}},
                {{"digest": "{A}", "annotations": {{"{REF_NAME}": "r.example/\u0062:2"}}}},
                {{"digest": "{B}", "annotations": {{"{REF_NAME}": "r.example/a:1"}}}}
            ]}}"#
        );
        assert_eq!(
            open(&index).unwrap(),
            [
                ("r.example/a:1".to_string(), B.to_string()),
                ("r.example/b:2".to_string(), A.to_string()),
            ]
        );
    }

    /// What is not an OCI image index is refused with where it went wrong.
    #[test]
    fn an_index_that_is_not_one_is_refused() {
        for (index, why) in [
            (
                r#"{"schemaVersion": 2}"#.to_string(),
                "missing field `manifests`",
            ),
            (
                r#"{"manifests": [], "manifests": []}"#.to_string(),
                "duplicate field `manifests`",
            ),
            (r#"{"manifests": []} x"#.to_string(), "trailing characters"),
            (
                r#"{"manifests": [{"size": 1}]}"#.to_string(),
                "missing field `digest`",
            ),
            (
                format!(r#"{{"manifests": [{{"digest": "{A}", "annotations": {{"n": 1}}}}]}}"#),
                "expected a string",
            ),
            (r#"[]"#.to_string(), "expected an OCI image index"),
        ] {
            let e = open(&index).unwrap_err();
            assert_eq!(e.reason, SignatureReason::Layout, "{index}");
            assert!(
                e.message.contains("is not an OCI image index") && e.message.contains(why),
                "{index}: {}",
                e.message
            );
        }
    }
}
