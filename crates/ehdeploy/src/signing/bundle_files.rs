//! Sigstore bundle files beside the spec (`cosign sign --bundle FILE`, or a bundle copied
//! from a registry): read from folders, indexed by the image digests they sign, and added to
//! an image store's attached bundles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::bundle::parse;
use super::cosign::{SignatureError, SignatureReason};
use super::image_bundle::signed;
use super::referrers::{AttachedBundle, Descriptor};
use super::store::{read_bounded, ImageStore, MAX_DOCUMENT_BYTES};

/// The most files read from one folder.
pub const MAX_BUNDLE_FILES: usize = 10_000;

/// Sigstore bundle files, by the image digests they sign.
///
/// Every file of each folder whose name ends in `.json` or `.sigstore` is read (at most
/// [`MAX_DOCUMENT_BYTES`] each, [`MAX_BUNDLE_FILES`] per folder; not recursively): each must
/// be a Sigstore bundle, or opening fails and says which file is not. What a bundle signs is
/// read from it (its statement's subjects, or its message digest); whether it verifies is
/// decided for each image and authority.
///
/// ```
/// use ehdeploy::signing::{BundleFiles, Layout};
/// # let dir = std::env::temp_dir().join(format!("ehdeploy-doc-bundles-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # std::fs::write(dir.join("index.json"), r#"{"schemaVersion":2,"manifests":[]}"#).unwrap();
/// let files = BundleFiles::open(&[dir.join("signatures")]);
/// assert!(files.is_err()); // a folder that is not there is an error, not "no bundles"
/// let files = BundleFiles::open(&[])?;
/// let layout = Layout::open(&dir)?;
/// let store = files.over(&layout); // verify from `store`
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ehdeploy::signing::SignatureError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct BundleFiles {
    by_digest: BTreeMap<String, Vec<AttachedBundle>>,
    files: usize,
}

fn unreadable(path: &Path, message: impl std::fmt::Display) -> SignatureError {
    SignatureError::layout(format!("{}: {message}", path.display()))
}

impl BundleFiles {
    /// Reads the bundle files of `folders`.
    pub fn open(folders: &[PathBuf]) -> Result<BundleFiles, SignatureError> {
        let mut files = BundleFiles::default();
        for folder in folders {
            let mut paths = Vec::new();
            for entry in std::fs::read_dir(folder).map_err(|e| unreadable(folder, e))? {
                let path = entry.map_err(|e| unreadable(folder, e))?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let wanted = !name.starts_with('.')
                    && (name.ends_with(".json") || name.ends_with(".sigstore"))
                    && path.is_file();
                if wanted {
                    paths.push(path);
                }
                if paths.len() > MAX_BUNDLE_FILES {
                    return Err(unreadable(
                        folder,
                        format!("more than {MAX_BUNDLE_FILES} bundle files: not read"),
                    ));
                }
            }
            paths.sort();
            for path in paths {
                files.add(&path)?;
            }
        }
        Ok(files)
    }

    fn add(&mut self, path: &Path) -> Result<(), SignatureError> {
        let what = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
        let bytes = read_bounded(file, MAX_DOCUMENT_BYTES, &what, SignatureReason::Layout)?;
        let json = String::from_utf8(bytes).map_err(|_| unreadable(path, "not UTF-8 text"))?;
        let bundle = parse(&json)
            .map_err(|e| unreadable(path, format!("not a Sigstore bundle: {}", e.message)))?;
        let digests = signed(&bundle)
            .map_err(|e| unreadable(path, e.message))?
            .digests();
        for digest in digests {
            self.by_digest
                .entry(digest)
                .or_default()
                .push(AttachedBundle {
                    origin: what.clone(),
                    json: json.clone(),
                });
        }
        self.files += 1;
        Ok(())
    }

    /// How many bundle files were read.
    pub fn len(&self) -> usize {
        self.files
    }

    /// Whether no bundle file was read.
    pub fn is_empty(&self) -> bool {
        self.files == 0
    }

    /// The bundles that say they sign `digest`.
    pub fn signing(&self, digest: &str) -> &[AttachedBundle] {
        self.by_digest.get(digest).map_or(&[], Vec::as_slice)
    }

    /// `store`, with these files' bundles added to each image's attached bundles.
    pub fn over<'a>(&'a self, store: &'a dyn ImageStore) -> WithBundleFiles<'a> {
        WithBundleFiles { store, files: self }
    }
}

/// An image store with bundle files beside it ([`BundleFiles::over`]).
pub struct WithBundleFiles<'a> {
    store: &'a dyn ImageStore,
    files: &'a BundleFiles,
}

impl ImageStore for WithBundleFiles<'_> {
    fn resolve(&self, name: &str, tag: &str) -> Result<Option<String>, SignatureError> {
        self.store.resolve(name, tag)
    }

    fn manifest(&self, name: &str, digest: &str) -> Result<Option<Vec<u8>>, SignatureError> {
        self.store.manifest(name, digest)
    }

    fn blob(&self, name: &str, digest: &str, limit: u64) -> Result<Vec<u8>, SignatureError> {
        self.store.blob(name, digest, limit)
    }

    fn referrers(&self, name: &str, digest: &str) -> Result<Vec<Descriptor>, SignatureError> {
        self.store.referrers(name, digest)
    }

    /// The store's attached bundles, then the files'.
    fn bundles(&self, name: &str, digest: &str) -> Result<Vec<AttachedBundle>, SignatureError> {
        let mut bundles = self.store.bundles(name, digest)?;
        bundles.extend(self.files.signing(digest).iter().cloned());
        Ok(bundles)
    }
}
