//! Verifying 1,000 key-signed images offline from an OCI layout, against the raw ECDSA P-256
//! verify rate of aws-lc-rs on the same signatures (issue 4's goal: at least 80% of it).
//!
//! The layout holds 1,000 images, each with a cosign signature artifact whose payload is
//! signed with one ECDSA P-256 key (by `sigstore-crypto`'s signer). `ehdeploy` is
//! `signing::verify_image` per image: the tag resolved, the signature manifest and payload
//! read from disk with digest checks, the signature verified, the payload's digest and
//! repository checked, and the trust policy's decision. `aws-lc-rs` is only the signature
//! verification of the same 1,000 payloads (with the key as bytes, parsed by each verification,
//! and with the key parsed once, as ehdeploy does); `aws-lc-rs + two blobs` is that and the reading of
//! the two files each image needs (opened in the blob folder, read, closed), the floor of
//! verifying from a layout. Both again on every core: the raw signatures split among as many
//! threads, and `signing::verify_all` with as many workers. Run: `cargo bench -p ehdeploy --features
//! signatures --bench verify`. Figures: `docs/performance.md`.

// A benchmark fails loudly on bad setup, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;

use aws_lc_rs::signature::{ParsedPublicKey, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
use criterion::{Criterion, Throughput};
use ehdeploy::signing::{verify_all, verify_image, Job, Layout};
use ehdeploy::trust::{TrustConfig, TrustPolicy};
use ehdeploy::workload::image::ImageRef;
use serde_json::json;
use sha2::{Digest, Sha256};
use sigstore_verify::crypto::KeyPair;

const IMAGES: usize = 1000;

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn blob(dir: &Path, bytes: &[u8]) -> String {
    let h = hex(bytes);
    std::fs::write(dir.join("blobs/sha256").join(&h), bytes).unwrap();
    format!("sha256:{h}")
}

fn manifest(dir: &Path, layers: serde_json::Value) -> (String, usize) {
    let config = blob(dir, b"{}");
    let bytes = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": layers
    }))
    .unwrap();
    (blob(dir, &bytes), bytes.len())
}

/// Each image's signed payload and its DER signature, and the hex digests of the two blobs a
/// verifier reads for it (its signature manifest and its payload).
type Signed = Vec<(Vec<u8>, Vec<u8>, [String; 2])>;

/// Writes the layout; the raw public key and each (payload, DER signature).
fn setup(dir: &Path) -> (Vec<u8>, Signed) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let key = KeyPair::generate_ecdsa_p256().unwrap();
    let mut refs = Vec::new();
    let mut signed = Vec::new();
    for i in 0..IMAGES {
        let name = format!("registry.example/team/app-{i}");
        let content = format!("layer of app {i}");
        let layer = blob(dir, content.as_bytes());
        let (digest, size) = manifest(
            dir,
            json!([{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": content.len()}]),
        );
        refs.push((format!("{name}:1.0.0"), digest.clone(), size));
        let payload = serde_json::to_vec(&json!({
            "critical": {
                "identity": {"docker-reference": name},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature"
            },
            "optional": null
        }))
        .unwrap();
        let signature = key.sign(&payload).unwrap();
        let payload_digest = blob(dir, &payload);
        let (sig, sig_size) = manifest(
            dir,
            json!([{
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "digest": payload_digest, "size": payload.len(),
                "annotations": {"dev.cosignproject.cosign/signature": signature.to_base64()}
            }]),
        );
        let blobs = [sig.clone(), payload_digest].map(|d| d["sha256:".len()..].to_string());
        refs.push((
            format!("{name}:{}.sig", digest.replacen(':', "-", 1)),
            sig,
            sig_size,
        ));
        signed.push((payload, signature.as_bytes().to_vec(), blobs));
    }
    let manifests: Vec<serde_json::Value> = refs
        .iter()
        .map(|(r, d, s)| json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": s,
                               "annotations": {"org.opencontainers.image.ref.name": r}}))
        .collect();
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests})).unwrap(),
    )
    .unwrap();
    let der = key.public_key_der().unwrap();
    std::fs::write(
        dir.join("key.pub"),
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            der.to_base64()
        ),
    )
    .unwrap();
    (key.public_key_bytes().to_vec(), signed)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("ehdeploy-bench-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (public, signed) = setup(&dir);
    let config: TrustConfig = serde_json::from_value(json!({
        "authorities": {"ci": {"key": "key.pub"}},
        "policies": [{"images": ["registry.example/**"], "authorities": ["ci"]}]
    }))
    .unwrap();
    let (policy, problems) = TrustPolicy::compile(&config, &dir, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    let images: Vec<ImageRef> = (0..IMAGES)
        .map(|i| {
            format!("registry.example/team/app-{i}:1.0.0")
                .parse()
                .unwrap()
        })
        .collect();
    let layout = Layout::open(&dir).unwrap();
    for image in &images {
        let verdict = verify_image(&layout, image, &policy, None);
        assert!(verdict.decision.allowed, "{verdict:?}");
    }
    let raw = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &public);
    for (payload, signature, _) in &signed {
        raw.verify(payload, signature).unwrap();
    }

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("verify-1000-images");
    group.throughput(Throughput::Elements(IMAGES as u64));
    group.sample_size(20);
    group.bench_function("aws-lc-rs raw ECDSA P-256 verify", |b| {
        b.iter(|| {
            for (payload, signature, _) in &signed {
                black_box(raw.verify(payload, signature)).unwrap();
            }
        })
    });
    // The same with the key parsed once, as ehdeploy parses each authority's key when the
    // policy is compiled.
    let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &public).unwrap();
    group.bench_function("aws-lc-rs raw ECDSA P-256 verify, key parsed once", |b| {
        b.iter(|| {
            for (payload, signature, _) in &signed {
                black_box(parsed.verify_sig(payload, signature)).unwrap();
            }
        })
    });
    // The floor of verifying from a layout: the raw verification and reading the two files
    // each image needs (opened in the blob folder, read, closed), and nothing else.
    let blobs_dir = std::fs::File::open(dir.join("blobs/sha256")).unwrap();
    group.bench_function("aws-lc-rs raw verify + reading two blobs", |b| {
        b.iter(|| {
            for (payload, signature, blobs) in &signed {
                for hex in blobs {
                    let fd = rustix::fs::openat(
                        &blobs_dir,
                        hex.as_str(),
                        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
                        rustix::fs::Mode::empty(),
                    )
                    .unwrap();
                    let mut buf = [0u8; 4096];
                    black_box(rustix::io::read(&fd, &mut buf).unwrap());
                }
                black_box(raw.verify(payload, signature)).unwrap();
            }
        })
    });
    group.bench_function("ehdeploy verify_image from the layout", |b| {
        b.iter(|| {
            let layout = Layout::open(&dir).unwrap();
            for image in &images {
                black_box(verify_image(&layout, image, &policy, None));
            }
        })
    });
    // Across cores: the same work on every core, raw signatures split among threads, and
    // `verify_all` with as many workers.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs: Vec<Job> = images
        .iter()
        .map(|image| Job {
            image: image.clone(),
            environment: None,
        })
        .collect();
    group.bench_function(
        format!("aws-lc-rs raw ECDSA P-256 verify, {cores} threads"),
        |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    for chunk in signed.chunks(signed.len().div_ceil(cores)) {
                        let raw = &raw;
                        s.spawn(move || {
                            for (payload, signature, _) in chunk {
                                black_box(raw.verify(payload, signature)).unwrap();
                            }
                        });
                    }
                })
            })
        },
    );
    group.bench_function(
        format!("ehdeploy verify_all from the layout, {cores} threads"),
        |b| {
            b.iter(|| {
                let layout = Layout::open(&dir).unwrap();
                black_box(verify_all(&layout, &jobs, &policy, cores, &|_, _| {}))
            })
        },
    );
    group.finish();
    c.final_summary();
    let _ = std::fs::remove_dir_all(&dir);
}
