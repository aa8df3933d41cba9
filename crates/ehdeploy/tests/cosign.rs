//! cosign's classic signatures from an OCI image layout, made by a signer that is not ours:
//! `openssl` following cosign's signature specification (the simple signing payload, signed
//! with ECDSA P-256 / SHA-256, base64 in the layer's `dev.cosignproject.cosign/signature`
//! annotation, in the `sha256-<hex>.sig` manifest). The negative matrix, each with its exact
//! reason; and the trust policy's decision.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ehdeploy::signing::{verify_image, ImageVerdict, Layout};
use ehdeploy::trust::{TrustConfig, TrustPolicy, TrustReason};
use ehdeploy::workload::image::ImageRef;
use serde_json::json;
use sha2::{Digest, Sha256};

const REPO: &str = "registry.example/team/api";

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir() -> Dir {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "ehdeploy-cosign-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("layout/blobs/sha256")).unwrap();
    Dir(d)
}

fn openssl(args: &[&str], cwd: &Path) -> Vec<u8> {
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

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An OCI layout being written, with keys made by openssl.
struct Fixture {
    dir: Dir,
    refs: Vec<(String, String, usize)>,
}

impl Fixture {
    fn new() -> Fixture {
        let f = Fixture {
            dir: dir(),
            refs: Vec::new(),
        };
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
                &f.dir.0,
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
                &f.dir.0,
            );
        }
        f
    }

    fn blob(&self, bytes: &[u8]) -> String {
        let hex = sha256(bytes);
        std::fs::write(self.dir.0.join("layout/blobs/sha256").join(&hex), bytes).unwrap();
        format!("sha256:{hex}")
    }

    fn manifest(&mut self, reference: &str, manifest: serde_json::Value) -> String {
        let bytes = serde_json::to_vec(&manifest).unwrap();
        let digest = self.blob(&bytes);
        self.refs.retain(|(r, _, _)| r != reference);
        self.refs
            .push((reference.into(), digest.clone(), bytes.len()));
        self.write_index();
        digest
    }

    fn write_index(&self) {
        let manifests: Vec<serde_json::Value> = self
            .refs
            .iter()
            .map(|(r, d, size)| {
                json!({
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": d, "size": size,
                    "annotations": {"org.opencontainers.image.ref.name": r}
                })
            })
            .collect();
        let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
        std::fs::write(
            self.dir.0.join("layout/index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
    }

    /// An image `REPO:tag` whose one layer holds `content`; its manifest digest.
    fn image(&mut self, tag: &str, content: &str) -> String {
        let config = self.blob(b"{}");
        let layer = self.blob(content.as_bytes());
        self.manifest(&format!("{REPO}:{tag}"), json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": content.len()}]
        }))
    }

    /// cosign's simple signing payload for `repository` at `digest`.
    fn payload(repository: &str, digest: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "critical": {
                "identity": {"docker-reference": repository},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature"
            },
            "optional": null
        }))
        .unwrap()
    }

    /// openssl's base64 ECDSA signature of `payload` with `key`.
    fn sign(&self, key: &str, payload: &[u8]) -> String {
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

    /// The signature artifact `REPO:sha256-<hex>.sig` of `under`, with these (payload,
    /// signature) layers.
    fn signatures(&mut self, under: &str, layers: &[(Vec<u8>, String)]) {
        let config = self.blob(b"{}");
        let layers: Vec<serde_json::Value> = layers
            .iter()
            .map(|(payload, signature)| {
                json!({
                    "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                    "digest": self.blob(payload), "size": payload.len(),
                    "annotations": {"dev.cosignproject.cosign/signature": signature}
                })
            })
            .collect();
        self.manifest(&format!("{REPO}:{}.sig", under.replacen(':', "-", 1)), json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
            "layers": layers
        }));
    }

    /// Signs `digest` with `key` as cosign does.
    fn cosign_sign(&mut self, key: &str, digest: &str) {
        let payload = Fixture::payload(REPO, digest);
        let signature = self.sign(key, &payload);
        self.signatures(digest, &[(payload, signature)]);
    }

    fn policy(
        &self,
        authorities: serde_json::Value,
        listed: &[&str],
        threshold: u32,
    ) -> TrustPolicy {
        let config: TrustConfig = serde_json::from_value(json!({
            "authorities": authorities,
            "policies": [{"images": ["registry.example/**"], "authorities": listed, "threshold": threshold}]
        }))
        .unwrap();
        let (policy, problems) = TrustPolicy::compile(&config, &self.dir.0, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        policy
    }

    fn key_a(&self) -> TrustPolicy {
        self.policy(json!({"a": {"key": "a.pub"}}), &["a"], 1)
    }

    fn verify(&self, image: &str, policy: &TrustPolicy) -> ImageVerdict {
        let layout = Layout::open(&self.dir.0.join("layout")).unwrap();
        verify_image(&layout, &image.parse::<ImageRef>().unwrap(), policy, None)
    }
}

/// The first check's reason code (`[signature/<code>]`).
fn reason(v: &ImageVerdict) -> String {
    let r = v.checks[0].reason.as_deref().unwrap_or("");
    r.rsplit_once("[signature/")
        .map(|(_, c)| c.trim_end_matches(']').to_string())
        .unwrap_or_default()
}

#[test]
fn an_image_signed_with_the_key_is_allowed_by_tag_and_by_digest() {
    let mut f = Fixture::new();
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let v = f.verify(&format!("{REPO}:1.0.0"), &f.key_a());
    assert!(v.decision.allowed, "{v:?}");
    assert_eq!(v.digest.as_deref(), Some(digest.as_str()));
    assert_eq!(v.decision.passed, ["a"]);
    assert_eq!(v.decision.message, "signed by a");
    let v = f.verify(&format!("{REPO}@{digest}"), &f.key_a());
    assert!(v.decision.allowed);
}

#[test]
fn the_negative_matrix_each_with_its_reason() {
    let mut f = Fixture::new();
    let digest = f.image("1.0.0", "app v1");
    let other = f.image("2.0.0", "app v2");
    let image = format!("{REPO}:1.0.0");
    let refused = |f: &Fixture, expected: &str| {
        let v = f.verify(&image, &f.key_a());
        assert!(!v.decision.allowed, "{expected}: {v:?}");
        assert_eq!(v.decision.reason, Some(TrustReason::Unsigned));
        assert_eq!(reason(&v), expected, "{v:?}");
    };
    // Unsigned: no signature artifact.
    refused(&f, "unsigned");
    // Wrong key: signed with b, the policy trusts a.
    f.cosign_sign("b", &digest);
    refused(&f, "signature-invalid");
    // Tampered payload: signed, then changed (its blob is consistent, the signature is not).
    let payload = Fixture::payload(REPO, &digest);
    let signature = f.sign("a", &payload);
    let mut tampered = payload.clone();
    tampered.extend_from_slice(b" ");
    f.signatures(&digest, &[(tampered, signature.clone())]);
    refused(&f, "signature-invalid");
    // Tampered signature.
    let mut bad = signature.clone().into_bytes();
    let i = bad.len() / 2;
    bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
    f.signatures(
        &digest,
        &[(payload.clone(), String::from_utf8(bad).unwrap())],
    );
    refused(&f, "signature-invalid");
    // A validly signed payload for another digest (or a signature moved to this image's tag).
    let for_other = Fixture::payload(REPO, &other);
    let sig_other = f.sign("a", &for_other);
    f.signatures(&digest, &[(for_other, sig_other)]);
    refused(&f, "digest-mismatch");
    // A validly signed payload for another repository.
    let elsewhere = Fixture::payload("registry.example/team/web", &digest);
    let sig_elsewhere = f.sign("a", &elsewhere);
    f.signatures(&digest, &[(elsewhere, sig_elsewhere)]);
    refused(&f, "reference-mismatch");
    // Good again; then the tag re-pointed to a new image after signing: that one is unsigned.
    f.cosign_sign("a", &digest);
    assert!(f.verify(&image, &f.key_a()).decision.allowed);
    let repointed = f.image("1.0.0", "app v1, rebuilt");
    let v = f.verify(&image, &f.key_a());
    assert_eq!(v.digest.as_deref(), Some(repointed.as_str()));
    assert_eq!(reason(&v), "unsigned");
    // An image the layout does not have.
    let v = f.verify(&format!("{REPO}:9.9.9"), &f.key_a());
    assert_eq!(reason(&v), "image-missing");
}

#[test]
fn a_good_signature_among_bad_ones_verifies() {
    let mut f = Fixture::new();
    let digest = f.image("1.0.0", "app v1");
    let payload = Fixture::payload(REPO, &digest);
    let by_b = f.sign("b", &payload);
    let by_a = f.sign("a", &payload);
    f.signatures(&digest, &[(payload.clone(), by_b), (payload, by_a)]);
    assert!(
        f.verify(&format!("{REPO}:1.0.0"), &f.key_a())
            .decision
            .allowed
    );
}

#[test]
fn thresholds_count_signers_and_one_key_listed_twice_counts_once() {
    let mut f = Fixture::new();
    let digest = f.image("1.0.0", "app v1");
    let payload = Fixture::payload(REPO, &digest);
    let by_a = f.sign("a", &payload);
    let by_a_again = f.sign("a", &payload);
    f.signatures(
        &digest,
        &[
            (payload.clone(), by_a.clone()),
            (payload.clone(), by_a_again),
        ],
    );
    let image = format!("{REPO}:1.0.0");
    // Two authorities, only one signed (twice): not met.
    let two = f.policy(
        json!({"a": {"key": "a.pub"}, "b": {"key": "b.pub"}}),
        &["a", "b"],
        2,
    );
    let v = f.verify(&image, &two);
    assert_eq!(v.decision.reason, Some(TrustReason::ThresholdNotMet));
    assert_eq!(
        v.decision.message,
        "1 of 2 distinct authorities verified (a)"
    );
    // The same key under two names: one signer.
    let twice = f.policy(
        json!({"a": {"key": "a.pub"}, "a-again": {"key": "a.pub"}}),
        &["a", "a-again"],
        2,
    );
    let v = f.verify(&image, &twice);
    assert_eq!(v.decision.reason, Some(TrustReason::ThresholdNotMet));
    assert_eq!(
        v.checks[1].reason.as_deref(),
        Some("the same key as `a`: one signer counts once [signature/same-key]")
    );
    // Both signers: met.
    let by_b = f.sign("b", &payload);
    f.signatures(&digest, &[(payload.clone(), by_a), (payload, by_b)]);
    assert!(f.verify(&image, &two).decision.allowed);
}

#[test]
fn a_huge_or_corrupt_layout_is_refused_without_reading_it_all() {
    let mut f = Fixture::new();
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    // The signature manifest replaced by a 5 GB file (sparse: no disk used).
    let sig_ref = format!("{REPO}:{}.sig", digest.replacen(':', "-", 1));
    let sig_digest = f
        .refs
        .iter()
        .find(|(r, _, _)| *r == sig_ref)
        .unwrap()
        .1
        .clone();
    let path = f
        .dir
        .0
        .join("layout/blobs/sha256")
        .join(&sig_digest["sha256:".len()..]);
    std::fs::File::create(&path)
        .unwrap()
        .set_len(5 << 30)
        .unwrap();
    let started = std::time::Instant::now();
    let v = f.verify(&format!("{REPO}:1.0.0"), &f.key_a());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(reason(&v), "too-large");
    assert!(v.checks[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("is larger than 4194304 bytes: not read"));
    // A blob whose content is not its digest.
    std::fs::write(&path, b"{\"schemaVersion\": 2}").unwrap();
    let v = f.verify(&format!("{REPO}:1.0.0"), &f.key_a());
    assert_eq!(reason(&v), "content-mismatch");
    assert!(v.checks[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("not what was asked for"));
}
