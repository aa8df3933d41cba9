//! cosign's classic signatures from an OCI image layout, made by a signer that is not ours:
//! `openssl` following cosign's signature specification (the simple signing payload, signed
//! with ECDSA P-256 / SHA-256, base64 in the layer's `dev.cosignproject.cosign/signature`
//! annotation, in the `sha256-<hex>.sig` manifest). The negative matrix, each with its exact
//! reason; and the trust policy's decision.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cosign.rs"]
mod cosign_fixture;

use cosign_fixture::{dir, reason, LayoutWriter};
use ehdeploy::signing::{verify_image, ImageVerdict, Layout};
use ehdeploy::trust::{TrustPolicy, TrustReason};
use ehdeploy::workload::image::ImageRef;
use serde_json::json;

const REPO: &str = "registry.example/team/api";

/// Images and signatures written into an OCI layout.
type Fixture = cosign_fixture::Fixture<LayoutWriter>;

fn fixture() -> Fixture {
    let d = dir("cosign");
    let layout = LayoutWriter::new(d.0.join("layout"), REPO);
    Fixture::new(d, REPO, layout)
}

/// Verifies `image` from the layout as it is now.
fn verify(f: &Fixture, image: &str, policy: &TrustPolicy) -> ImageVerdict {
    let layout = Layout::open(&f.store.root).unwrap();
    verify_image(&layout, &image.parse::<ImageRef>().unwrap(), policy, None)
}

#[test]
fn an_image_signed_with_the_key_is_allowed_by_tag_and_by_digest() {
    let mut f = fixture();
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let v = verify(&f, &format!("{REPO}:1.0.0"), &f.key_a());
    assert!(v.decision.allowed, "{v:?}");
    assert_eq!(v.digest.as_deref(), Some(digest.as_str()));
    assert_eq!(v.decision.passed, ["a"]);
    assert_eq!(v.decision.message, "signed by a");
    let v = verify(&f, &format!("{REPO}@{digest}"), &f.key_a());
    assert!(v.decision.allowed);
}

#[test]
fn the_negative_matrix_each_with_its_reason() {
    let mut f = fixture();
    let digest = f.image("1.0.0", "app v1");
    let other = f.image("2.0.0", "app v2");
    let image = format!("{REPO}:1.0.0");
    let refused = |f: &Fixture, expected: &str| {
        let v = verify(f, &image, &f.key_a());
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
    let payload = f.payload(&digest);
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
    let for_other = f.payload(&other);
    let sig_other = f.sign("a", &for_other);
    f.signatures(&digest, &[(for_other, sig_other)]);
    refused(&f, "digest-mismatch");
    // A validly signed payload for another repository.
    let elsewhere = cosign_fixture::payload("registry.example/team/web", &digest);
    let sig_elsewhere = f.sign("a", &elsewhere);
    f.signatures(&digest, &[(elsewhere, sig_elsewhere)]);
    refused(&f, "reference-mismatch");
    // Good again; then the tag re-pointed to a new image after signing: that one is unsigned.
    f.cosign_sign("a", &digest);
    assert!(verify(&f, &image, &f.key_a()).decision.allowed);
    let repointed = f.image("1.0.0", "app v1, rebuilt");
    let v = verify(&f, &image, &f.key_a());
    assert_eq!(v.digest.as_deref(), Some(repointed.as_str()));
    assert_eq!(reason(&v), "unsigned");
    // An image the layout does not have.
    let v = verify(&f, &format!("{REPO}:9.9.9"), &f.key_a());
    assert_eq!(reason(&v), "image-missing");
}

/// Every kind of key a key authority takes, made and used by openssl as cosign signs with it:
/// ECDSA P-384 over SHA-384, Ed25519 over the payload itself, RSA PKCS#1 v1.5 over SHA-256.
/// Each verifies with its own key, and is `signature-invalid` for another key of its kind and
/// for the P-256 key `a`.
#[test]
fn every_kind_of_key_verifies_its_own_signatures_only() {
    let mut f = fixture();
    let digest = f.image("1.0.0", "app v1");
    let payload = f.payload(&digest);
    std::fs::write(f.dir.0.join("payload.json"), &payload).unwrap();
    let folder = f.dir.0.clone();
    let generate = |name: &str, args: &[&str]| {
        let key = format!("{name}.key");
        let mut genpkey = vec!["genpkey"];
        genpkey.extend_from_slice(args);
        genpkey.extend_from_slice(&["-out", &key]);
        cosign_fixture::openssl(&genpkey, &folder);
        cosign_fixture::openssl(
            &[
                "pkey",
                "-in",
                &key,
                "-pubout",
                "-out",
                &format!("{name}.pub"),
            ],
            &folder,
        );
    };
    let kinds: [(&str, &[&str], &[&str]); 3] = [
        (
            "p384",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            &["dgst", "-sha384", "-sign"],
        ),
        (
            "ed25519",
            &["-algorithm", "ed25519"],
            &[
                "pkeyutl",
                "-sign",
                "-rawin",
                "-in",
                "payload.json",
                "-inkey",
            ],
        ),
        (
            "rsa",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            &["dgst", "-sha256", "-sign"],
        ),
    ];
    for (name, generation, signing) in kinds {
        generate(name, generation);
        generate(&format!("{name}-other"), generation);
        let mut args = signing.to_vec();
        let key = format!("{name}.key");
        args.push(&key);
        if signing[0] == "dgst" {
            args.push("payload.json");
        }
        let der = cosign_fixture::openssl(&args, &folder);
        let signature = base64_of(&der);
        f.signatures(&digest, &[(payload.clone(), signature)]);
        let policy = |pem: &str| f.policy(json!({"k": {"key": pem}}), &["k"], 1);
        let v = verify(
            &f,
            &format!("{REPO}:1.0.0"),
            &policy(&format!("{name}.pub")),
        );
        assert!(v.decision.allowed, "{name}: {v:?}");
        for wrong in [format!("{name}-other.pub"), "a.pub".to_string()] {
            let v = verify(&f, &format!("{REPO}:1.0.0"), &policy(&wrong));
            assert_eq!(
                reason(&v),
                "signature-invalid",
                "{name} with {wrong}: {v:?}"
            );
        }
    }
}

/// Older cosign signed with SHA-256 whatever the key: a P-384 signature over SHA-256 is
/// refused by default (P-384's own digest is SHA-384) and verifies when the authority names
/// `signatureDigestAlgorithm: sha256`, which in turn refuses a signature over SHA-384. An
/// Ed25519 key takes no digest (`invalid-key`), and a keyless authority cannot name one.
#[test]
fn a_key_authority_names_the_digest_its_signatures_are_made_over() {
    let mut f = fixture();
    let digest = f.image("1.0.0", "app v1");
    let payload = f.payload(&digest);
    let folder = f.dir.0.clone();
    std::fs::write(folder.join("payload.json"), &payload).unwrap();
    for (name, algorithm) in [("p384", "EC"), ("ed25519", "ed25519")] {
        let mut args = vec!["genpkey", "-algorithm", algorithm];
        if name == "p384" {
            args.extend_from_slice(&["-pkeyopt", "ec_paramgen_curve:P-384"]);
        }
        let key = format!("{name}.key");
        args.extend_from_slice(&["-out", &key]);
        cosign_fixture::openssl(&args, &folder);
        let public = format!("{name}.pub");
        cosign_fixture::openssl(&["pkey", "-in", &key, "-pubout", "-out", &public], &folder);
    }
    let signed_over = |f: &mut Fixture, dgst: &str| {
        let der = cosign_fixture::openssl(
            &["dgst", dgst, "-sign", "p384.key", "payload.json"],
            &folder,
        );
        f.signatures(&digest, &[(payload.clone(), base64_of(&der))]);
    };
    let image = format!("{REPO}:1.0.0");
    let policy = |f: &Fixture, key: &str, digest: Option<&str>| {
        let mut authority = json!({"key": key});
        if let Some(d) = digest {
            authority["signatureDigestAlgorithm"] = json!(d);
        }
        f.policy(json!({"k": authority}), &["k"], 1)
    };
    signed_over(&mut f, "-sha256");
    assert_eq!(
        reason(&verify(&f, &image, &policy(&f, "p384.pub", None))),
        "signature-invalid"
    );
    let v = verify(&f, &image, &policy(&f, "p384.pub", Some("sha256")));
    assert!(v.decision.allowed, "{v:?}");
    signed_over(&mut f, "-sha384");
    assert!(
        verify(&f, &image, &policy(&f, "p384.pub", None))
            .decision
            .allowed
    );
    assert!(
        verify(&f, &image, &policy(&f, "p384.pub", Some("sha384")))
            .decision
            .allowed
    );
    assert_eq!(
        reason(&verify(&f, &image, &policy(&f, "p384.pub", Some("sha256")))),
        "signature-invalid"
    );
    // A digest the key cannot sign over, and one for a key that takes none.
    assert_eq!(
        reason(&verify(&f, &image, &policy(&f, "p384.pub", Some("sha512")))),
        "invalid-key"
    );
    assert_eq!(
        reason(&verify(
            &f,
            &image,
            &policy(&f, "ed25519.pub", Some("sha256"))
        )),
        "invalid-key"
    );
    // A keyless authority names none; an unknown digest is not read.
    let config: ehdeploy::trust::TrustConfig = serde_json::from_value(json!({
        "authorities": {"k": {"keyless": {"issuer": "https://issuer.example", "subject": "ci@example"}, "signatureDigestAlgorithm": "sha256"}},
        "policies": [{"images": ["registry.example/**"], "authorities": ["k"]}]
    }))
    .unwrap();
    let (_, problems) = TrustPolicy::compile(&config, &f.dir.0, &[]);
    let at: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        at,
        ["/signatures/authorities/k/signatureDigestAlgorithm"],
        "{problems:?}"
    );
    assert!(
        serde_json::from_value::<ehdeploy::trust::TrustConfig>(json!({
            "authorities": {"k": {"key": "p384.pub", "signatureDigestAlgorithm": "md5"}}
        }))
        .is_err()
    );
}

/// Standard base64 of `bytes`, as cosign writes a signature.
fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_good_signature_among_bad_ones_verifies() {
    let mut f = fixture();
    let digest = f.image("1.0.0", "app v1");
    let payload = f.payload(&digest);
    let by_b = f.sign("b", &payload);
    let by_a = f.sign("a", &payload);
    f.signatures(&digest, &[(payload.clone(), by_b), (payload, by_a)]);
    assert!(
        verify(&f, &format!("{REPO}:1.0.0"), &f.key_a())
            .decision
            .allowed
    );
}

#[test]
fn thresholds_count_signers_and_one_key_listed_twice_counts_once() {
    let mut f = fixture();
    let digest = f.image("1.0.0", "app v1");
    let payload = f.payload(&digest);
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
    let v = verify(&f, &image, &two);
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
    let v = verify(&f, &image, &twice);
    assert_eq!(v.decision.reason, Some(TrustReason::ThresholdNotMet));
    assert_eq!(
        v.checks[1].message.as_deref(),
        Some("the same key as `a`: one signer counts once")
    );
    // Both signers: met.
    let by_b = f.sign("b", &payload);
    f.signatures(&digest, &[(payload.clone(), by_a), (payload, by_b)]);
    assert!(verify(&f, &image, &two).decision.allowed);
}

#[test]
fn a_huge_or_corrupt_layout_is_refused_without_reading_it_all() {
    let mut f = fixture();
    let digest = f.image("1.0.0", "app v1");
    let sig_digest = f.cosign_sign("a", &digest);
    // The signature manifest replaced by a 5 GB file (sparse: no disk used).
    let sig_ref = format!("{REPO}:{}.sig", digest.replacen(':', "-", 1));
    assert!(f
        .store
        .refs
        .iter()
        .any(|(r, d, _, _)| *r == sig_ref && *d == sig_digest));
    let path = f.store.blob_path(&sig_digest);
    std::fs::File::create(&path)
        .unwrap()
        .set_len(5 << 30)
        .unwrap();
    let started = std::time::Instant::now();
    let v = verify(&f, &format!("{REPO}:1.0.0"), &f.key_a());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(reason(&v), "too-large");
    assert!(v.checks[0]
        .message
        .as_deref()
        .unwrap()
        .contains("is larger than 4194304 bytes: not read"));
    // A blob whose content is not its digest.
    std::fs::write(&path, b"{\"schemaVersion\": 2}").unwrap();
    let v = verify(&f, &format!("{REPO}:1.0.0"), &f.key_a());
    assert_eq!(reason(&v), "content-mismatch");
    assert!(v.checks[0]
        .message
        .as_deref()
        .unwrap()
        .contains("not what was asked for"));
}
