//! cosign's classic signatures made by a signer that is not ours, for the tests that verify
//! them from an OCI layout (`tests/cosign.rs`) and from a registry (`tests/registry.rs`):
//! `openssl` following cosign's signature specification (the simple signing payload, signed
//! with ECDSA P-256 / SHA-256, base64 in the layer's `dev.cosignproject.cosign/signature`
//! annotation, in the `sha256-<hex>.sig` manifest).
//!
//! Include it with `#[path = "support/cosign.rs"] mod cosign_fixture;`. A [`Fixture`] writes
//! images and signature artifacts into a [`Store`]: an OCI layout on disk ([`LayoutWriter`]),
//! or a registry (the registry test pushes them). `support/keyless.rs` writes its layouts with
//! the same pieces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use ehdeploy::signing::ImageVerdict;
use ehdeploy::trust::{TrustConfig, TrustPolicy};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The media type of an OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A temporary folder, removed on drop.
pub struct Dir(pub PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new, empty temporary folder, unique to this process and call.
pub fn dir(prefix: &str) -> Dir {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "ehdeploy-{prefix}-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Dir(d)
}

/// `openssl args…` in `cwd`; its standard output (panics with its error if it fails).
pub fn openssl(args: &[&str], cwd: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The lowercase hex sha256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `sha256:` digest of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256(bytes))
}

/// cosign's simple signing payload for `repository` at `digest`.
pub fn payload(repository: &str, digest: &str) -> Vec<u8> {
    payload_with(repository, digest, serde_json::Value::Null)
}

/// cosign's simple signing payload for `repository` at `digest`, with `optional` annotations.
pub fn payload_with(repository: &str, digest: &str, optional: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": repository},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"
        },
        "optional": optional
    }))
    .unwrap()
}

/// The cosign signature tag of `digest`: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// An OCI manifest (or index) and the blobs it names (config and layers).
pub struct Artifact {
    /// The manifest's media type.
    pub media_type: &'static str,
    /// The manifest's bytes.
    pub manifest: Vec<u8>,
    /// The blobs it names.
    pub blobs: Vec<Vec<u8>>,
}

impl Artifact {
    /// The manifest's digest.
    pub fn digest(&self) -> String {
        digest(&self.manifest)
    }
}

/// An image whose one layer holds `content`.
pub fn image(content: &str) -> Artifact {
    let config = b"{}".to_vec();
    let layer = content.as_bytes().to_vec();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(&layer), "size": layer.len()}]
    }))
    .unwrap();
    Artifact {
        media_type: OCI_MANIFEST,
        manifest,
        blobs: vec![config, layer],
    }
}

/// A signature artifact with these (payload, base64 signature) layers.
pub fn signature_artifact(layers: &[(Vec<u8>, String)]) -> Artifact {
    let layers: Vec<SignatureLayer> = layers
        .iter()
        .map(|(payload, signature)| {
            let annotation = (
                "dev.cosignproject.cosign/signature".into(),
                signature.clone(),
            );
            (payload.clone(), vec![annotation])
        })
        .collect();
    annotated_signature_artifact(&layers)
}

/// A layer of a signature artifact: its payload and its annotations.
pub type SignatureLayer = (Vec<u8>, Vec<(String, String)>);

/// A signature artifact with these (payload, layer annotations) layers.
pub fn annotated_signature_artifact(layers: &[SignatureLayer]) -> Artifact {
    let config = b"{}".to_vec();
    let described: Vec<serde_json::Value> = layers
        .iter()
        .map(|(payload, annotations)| {
            let annotations: serde_json::Map<String, serde_json::Value> = annotations
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            json!({
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "digest": digest(payload), "size": payload.len(),
                "annotations": annotations
            })
        })
        .collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(&config), "size": config.len()},
        "layers": described
    }))
    .unwrap();
    let mut blobs = vec![config];
    blobs.extend(layers.iter().map(|(payload, _)| payload.clone()));
    Artifact {
        media_type: OCI_MANIFEST,
        manifest,
        blobs,
    }
}

/// The media type of an OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// The media type (and artifact type) of a Sigstore bundle v0.3, as cosign v3 attaches it.
pub const BUNDLE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A referrer holding `bundle` (its JSON) for the image `subject` (the image's manifest: its
/// digest and size are the subject descriptor's), as cosign v3 attaches a Sigstore bundle:
/// artifact type and layer of the bundle's media type, the empty config.
pub fn bundle_referrer(subject: &Artifact, bundle: &str) -> Artifact {
    referrer(subject, BUNDLE_V0_3, bundle.as_bytes())
}

/// A referrer of `artifact_type` for the image `subject`, whose one layer (of that media type)
/// is `content`.
pub fn referrer(subject: &Artifact, artifact_type: &str, content: &[u8]) -> Artifact {
    let config = b"{}".to_vec();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": artifact_type, "digest": digest(content), "size": content.len()}],
        "subject": {"mediaType": subject.media_type, "digest": subject.digest(), "size": subject.manifest.len()},
        "annotations": {"dev.sigstore.bundle.content": "dsse-envelope"}
    }))
    .unwrap();
    Artifact {
        media_type: OCI_MANIFEST,
        manifest,
        blobs: vec![config, content.to_vec()],
    }
}

/// The referrers tag schema's index (`sha256-<hex>` of the subject) listing `referrers`.
pub fn referrers_index(referrers: &[&Artifact]) -> Artifact {
    let manifests: Vec<serde_json::Value> = referrers
        .iter()
        .map(|r| {
            let m: serde_json::Value = serde_json::from_slice(&r.manifest).unwrap();
            json!({
                "mediaType": r.media_type, "digest": r.digest(), "size": r.manifest.len(),
                "artifactType": m["artifactType"]
            })
        })
        .collect();
    let manifest = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
    )
    .unwrap();
    Artifact {
        media_type: OCI_INDEX,
        manifest,
        blobs: Vec::new(),
    }
}

/// Where a fixture puts artifacts: `put` stores the artifact's blobs and its manifest under
/// `tag` of the fixture's repository (replacing what the tag named).
pub trait Store {
    /// Stores `artifact` as `tag`; its manifest digest.
    fn put(&mut self, tag: &str, artifact: &Artifact) -> String;
}

/// An OCI image layout being written in `root` (`index.json`, `blobs/sha256/…`), naming each
/// manifest `<repository>:<tag>`.
pub struct LayoutWriter {
    /// The layout's folder.
    pub root: PathBuf,
    /// The repository the tags are of.
    pub repository: String,
    /// The references written: (`repository:tag`, digest, size, media type).
    pub refs: Vec<(String, String, usize, &'static str)>,
    /// Manifests listed without a name, as `oras copy -r --to-oci-layout` lists referrers:
    /// (digest, size, artifact type).
    pub unnamed: Vec<(String, usize, String)>,
}

impl LayoutWriter {
    /// A new layout in `root`.
    pub fn new(root: PathBuf, repository: &str) -> LayoutWriter {
        std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
        LayoutWriter {
            root,
            repository: repository.to_string(),
            refs: Vec::new(),
            unnamed: Vec::new(),
        }
    }

    /// The path of the blob `digest`.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.root
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    }

    /// Writes a blob; its digest.
    pub fn blob(&self, bytes: &[u8]) -> String {
        let d = digest(bytes);
        std::fs::write(self.blob_path(&d), bytes).unwrap();
        d
    }

    fn write_index(&self) {
        let mut manifests: Vec<serde_json::Value> = self
            .refs
            .iter()
            .map(|(r, d, size, media_type)| {
                json!({
                    "mediaType": media_type,
                    "digest": d, "size": size,
                    "annotations": {"org.opencontainers.image.ref.name": r}
                })
            })
            .collect();
        manifests.extend(self.unnamed.iter().map(|(d, size, artifact_type)| {
            json!({"mediaType": OCI_MANIFEST, "digest": d, "size": size, "artifactType": artifact_type})
        }));
        let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
        std::fs::write(
            self.root.join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    }
}

impl LayoutWriter {
    /// Stores `artifact` under `reference` (`repository:tag`, of any repository), replacing
    /// what it named; its manifest digest.
    pub fn put_reference(&mut self, reference: &str, artifact: &Artifact) -> String {
        for blob in &artifact.blobs {
            self.blob(blob);
        }
        let d = self.blob(&artifact.manifest);
        self.refs.retain(|(r, _, _, _)| r != reference);
        self.refs.push((
            reference.to_string(),
            d.clone(),
            artifact.manifest.len(),
            artifact.media_type,
        ));
        self.write_index();
        d
    }
}

impl LayoutWriter {
    /// Stores `artifact` unnamed, listed in the index with its artifact type (as oras lists a
    /// referrer); its digest.
    pub fn put_unnamed(&mut self, artifact: &Artifact, artifact_type: &str) -> String {
        for blob in &artifact.blobs {
            self.blob(blob);
        }
        let d = self.blob(&artifact.manifest);
        self.unnamed.push((
            d.clone(),
            artifact.manifest.len(),
            artifact_type.to_string(),
        ));
        self.write_index();
        d
    }
}

impl Store for LayoutWriter {
    fn put(&mut self, tag: &str, artifact: &Artifact) -> String {
        let reference = format!("{}:{tag}", self.repository);
        self.put_reference(&reference, artifact)
    }
}

/// Keys made by openssl (`a` and `b`: `a.key`, `a.pub`, …), images and their signatures
/// written into a store, and trust policies over the keys.
pub struct Fixture<S: Store> {
    /// The keys' folder (also the trust policy's base folder).
    pub dir: Dir,
    /// The repository (`registry/path`) of the images.
    pub repository: String,
    /// Where images and signatures go.
    pub store: S,
}

impl<S: Store> Fixture<S> {
    /// A fixture writing images of `repository` into `store`, with the keys `a` and `b`.
    pub fn new(dir: Dir, repository: &str, store: S) -> Fixture<S> {
        for key in ["a", "b"] {
            openssl(
                &[
                    "ecparam",
                    "-name",
                    "prime256v1",
                    "-genkey",
                    "-noout",
                    "-out",
                    &format!("{key}.key"),
                ],
                &dir.0,
            );
            openssl(
                &[
                    "ec",
                    "-in",
                    &format!("{key}.key"),
                    "-pubout",
                    "-out",
                    &format!("{key}.pub"),
                ],
                &dir.0,
            );
        }
        Fixture {
            dir,
            repository: repository.to_string(),
            store,
        }
    }

    /// An image `<repository>:<tag>` whose one layer holds `content`; its manifest digest.
    pub fn image(&mut self, tag: &str, content: &str) -> String {
        self.store.put(tag, &image(content))
    }

    /// openssl's base64 ECDSA signature of `payload` with `key`.
    pub fn sign(&self, key: &str, payload: &[u8]) -> String {
        std::fs::write(self.dir.0.join("payload.json"), payload).unwrap();
        let der = openssl(
            &[
                "dgst",
                "-sha256",
                "-sign",
                &format!("{key}.key"),
                "payload.json",
            ],
            &self.dir.0,
        );
        std::fs::write(self.dir.0.join("sig.der"), der).unwrap();
        String::from_utf8(openssl(&["base64", "-A", "-in", "sig.der"], &self.dir.0)).unwrap()
    }

    /// The signature artifact `sha256-<hex>.sig` of `under`, with these (payload, signature)
    /// layers; its manifest digest.
    pub fn signatures(&mut self, under: &str, layers: &[(Vec<u8>, String)]) -> String {
        self.store
            .put(&signature_tag(under), &signature_artifact(layers))
    }

    /// cosign's simple signing payload of this repository at `digest`.
    pub fn payload(&self, digest: &str) -> Vec<u8> {
        payload(&self.repository, digest)
    }

    /// Signs `digest` with `key` as cosign does; the signature artifact's digest.
    pub fn cosign_sign(&mut self, key: &str, digest: &str) -> String {
        let payload = self.payload(digest);
        let signature = self.sign(key, &payload);
        self.signatures(digest, &[(payload, signature)])
    }

    /// A trust policy over the keys: one policy for every image of the repository's
    /// registry.
    pub fn policy(
        &self,
        authorities: serde_json::Value,
        listed: &[&str],
        threshold: u32,
    ) -> TrustPolicy {
        let registry = self.repository.split('/').next().unwrap();
        let config: TrustConfig = serde_json::from_value(json!({
            "authorities": authorities,
            "policies": [{"images": [format!("{registry}/**")], "authorities": listed, "threshold": threshold}]
        }))
        .unwrap();
        let (policy, problems) = TrustPolicy::compile(&config, &self.dir.0, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        policy
    }

    /// The policy trusting key `a`, threshold 1.
    pub fn key_a(&self) -> TrustPolicy {
        self.policy(json!({"a": {"key": "a.pub"}}), &["a"], 1)
    }
}

/// The first check's reason code.
pub fn reason(v: &ImageVerdict) -> String {
    v.checks[0].reason.clone().unwrap_or_default()
}
