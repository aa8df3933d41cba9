//! The v0.3 Sigstore bundles of `support/bundle.rs` (an image signed as cosign v3 does with
//! its new bundle format, by the private Sigstore instance of `support/keyless.rs`) verified
//! by `signing::verify_bundle`: the good ones, keyless and with a managed key, verify; each
//! way they are made wrong is rejected with its exact reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/bundle.rs"]
mod bundle;
#[path = "support/cosign.rs"]
mod cosign_fixture;
// Its re-export of cosign's payload is for the keyless tests.
#[allow(unused_imports)]
#[path = "support/keyless.rs"]
mod keyless;

use base64::Engine;
use bundle::{
    key_hint, key_pem, BundleOptions, BUNDLE_V0_3, COSIGN_SIGN_PREDICATE, IN_TOTO, LOG_INDEX,
    ORIGIN, TREE_SIZE,
};
use ehdeploy::signing::{
    verify_bundle, BundleError, BundleReason, BundleVerdict, Expected, Subject,
};
use keyless::{pem, sha256, Instance, Key, Options, Sct, ISSUER, SUBJECT, T};
use serde_json::{json, Value};

const DIGEST: &str = "sha256:4f6b1a0c2e9d8b7a65f4e3d2c1b0a99887766554433221100ffeeddccbbaa998";
const OTHER: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn identity() -> Expected {
    Expected::Identity {
        identity: SUBJECT.into(),
        issuer: ISSUER.into(),
    }
}

fn decode(b64: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_str().unwrap())
        .unwrap()
}

struct Fixture {
    sigstore: Instance,
    root: String,
    key: Key,
}

impl Fixture {
    fn new() -> Fixture {
        let sigstore = Instance::new();
        let root = sigstore.trusted_root(false);
        Fixture {
            sigstore,
            root,
            key: Key::new(),
        }
    }

    fn keyless(&self, o: &BundleOptions) -> String {
        self.sigstore.image_bundle_keyless(DIGEST, o)
    }

    fn with_key(&self, o: &BundleOptions) -> String {
        self.sigstore.image_bundle_with_key(&self.key, DIGEST, o)
    }

    fn verify(&self, bundle: &str, expected: &Expected) -> Result<BundleVerdict, BundleReason> {
        verify_bundle(bundle, Subject::Digest(DIGEST), expected, &self.root).map_err(|e| e.reason)
    }

    /// The reason `bundle` is rejected for `expected`.
    fn reason(&self, bundle: &str, expected: &Expected) -> BundleReason {
        self.rejection(bundle, expected).reason
    }

    fn rejection(&self, bundle: &str, expected: &Expected) -> BundleError {
        verify_bundle(bundle, Subject::Digest(DIGEST), expected, &self.root).unwrap_err()
    }

    fn key(&self) -> Expected {
        Expected::Key(key_pem(&self.key))
    }
}

#[test]
fn a_keyless_image_bundle_verifies() {
    let f = Fixture::new();
    let bundle = f.keyless(&BundleOptions::default());
    let verdict = f.verify(&bundle, &identity()).unwrap();
    assert_eq!(verdict.identity.as_deref(), Some(SUBJECT));
    assert_eq!(verdict.issuer.as_deref(), Some(ISSUER));
    assert!(verdict.transparency_log && verdict.sct, "{verdict:?}");
    assert_eq!(verdict.integrated_time.map(|t| t.as_second()), Some(T));
    // The bare hex names the same digest.
    let hex = DIGEST.strip_prefix("sha256:").unwrap();
    verify_bundle(&bundle, Subject::Digest(hex), &identity(), &f.root).unwrap();
}

#[test]
fn a_managed_key_image_bundle_verifies_with_the_key() {
    let f = Fixture::new();
    let verdict = f
        .verify(&f.with_key(&BundleOptions::default()), &f.key())
        .unwrap();
    assert!(verdict.transparency_log, "{verdict:?}");
    assert!(!verdict.sct);
    assert_eq!(verdict.identity, None);
    assert_eq!(verdict.issuer, None);
    assert_eq!(verdict.integrated_time.map(|t| t.as_second()), Some(T));
}

#[test]
fn the_bundle_is_cosign_v3s_for_an_image() {
    let f = Fixture::new();
    let o = BundleOptions {
        annotations: vec![
            ("env".into(), "prod".into()),
            ("release".into(), "2025.1 \"q1\"".into()),
        ],
        ..BundleOptions::default()
    };
    let b: Value = serde_json::from_str(&f.keyless(&o)).unwrap();
    assert_eq!(b["mediaType"], BUNDLE_V0_3);
    let envelope = &b["dsseEnvelope"];
    assert_eq!(envelope["payloadType"], IN_TOTO);
    assert_eq!(envelope["signatures"].as_array().unwrap().len(), 1);
    let payload = decode(&envelope["payload"]);
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        statement,
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{
                "digest": {"sha256": DIGEST.strip_prefix("sha256:").unwrap()},
                "annotations": {"env": "prod", "release": "2025.1 \"q1\""}
            }],
            "predicateType": COSIGN_SIGN_PREDICATE,
            "predicate": {}
        })
    );
    assert!(std::str::from_utf8(&payload)
        .unwrap()
        .starts_with(r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":"#));

    // One certificate, the leaf, and no chain.
    let material = &b["verificationMaterial"];
    let leaf = decode(&material["certificate"]["rawBytes"]);
    assert!(material.get("x509CertificateChain").is_none());

    let entries = material["tlogEntries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(
        entry["kindVersion"],
        json!({"kind": "dsse", "version": "0.0.1"})
    );
    assert_eq!(entry["logIndex"], LOG_INDEX.to_string());
    assert_eq!(entry["integratedTime"], T.to_string());
    assert_eq!(
        decode(&entry["logId"]["keyId"]),
        f.sigstore.rekor.id().to_vec()
    );
    assert!(entry["inclusionPromise"]["signedEntryTimestamp"].is_string());

    let body: Value = serde_json::from_slice(&decode(&entry["canonicalizedBody"])).unwrap();
    assert_eq!(body["apiVersion"], "0.0.1");
    assert_eq!(body["kind"], "dsse");
    let spec = &body["spec"];
    assert_eq!(
        spec["payloadHash"],
        json!({"algorithm": "sha256", "value": keyless::hex(&sha256(&payload))})
    );
    assert_eq!(spec["envelopeHash"]["algorithm"], "sha256");
    assert_eq!(
        spec["signatures"],
        json!([{
            "signature": envelope["signatures"][0]["sig"],
            "verifier": keyless::base64(pem("CERTIFICATE", &leaf).as_bytes())
        }])
    );

    let proof = &entry["inclusionProof"];
    assert_eq!(proof["logIndex"], LOG_INDEX.to_string());
    assert_eq!(proof["treeSize"], TREE_SIZE.to_string());
    // Leaf 4242 of 4250: siblings at 7 levels (3 in its subtree of 8, then 4 subtrees).
    assert_eq!(proof["hashes"].as_array().unwrap().len(), 7);
    let note = proof["checkpoint"]["envelope"].as_str().unwrap();
    let root = proof["rootHash"].as_str().unwrap();
    assert!(
        note.starts_with(&format!("{ORIGIN}\n{TREE_SIZE}\n{root}\n\n\u{2014} ")),
        "{note}"
    );
}

#[test]
fn the_managed_key_bundle_names_the_key_by_its_hint() {
    let f = Fixture::new();
    let b: Value = serde_json::from_str(&f.with_key(&BundleOptions::default())).unwrap();
    let material = &b["verificationMaterial"];
    assert_eq!(material["publicKey"], json!({"hint": key_hint(&f.key)}));
    assert!(material.get("certificate").is_none());
    let entry = &material["tlogEntries"][0];
    let body: Value = serde_json::from_slice(&decode(&entry["canonicalizedBody"])).unwrap();
    assert_eq!(
        decode(&body["spec"]["signatures"][0]["verifier"]),
        key_pem(&f.key).into_bytes()
    );
}

#[test]
fn the_predicate_type_and_no_annotations_are_as_asked() {
    let f = Fixture::new();
    let o = BundleOptions {
        predicate_type: "https://example.com/predicate/v1".into(),
        ..BundleOptions::default()
    };
    let b: Value = serde_json::from_str(&f.keyless(&o)).unwrap();
    let statement: Value = serde_json::from_slice(&decode(&b["dsseEnvelope"]["payload"])).unwrap();
    assert_eq!(
        statement["predicateType"],
        "https://example.com/predicate/v1"
    );
    assert!(statement["subject"][0].get("annotations").is_none());
}

/// Each way a bundle is made wrong, keyless and with a managed key: its reason, and what
/// the verifier says (which check failed, within the reason).
#[test]
fn each_bad_bundle_is_rejected_with_its_reason() {
    let f = Fixture::new();
    let cases: Vec<(BundleOptions, BundleReason, &str)> = vec![
        (
            BundleOptions {
                forge_checkpoint: true,
                ..BundleOptions::default()
            },
            BundleReason::TransparencyLog,
            "invalid checkpoint: No valid Rekor signature found on checkpoint",
        ),
        (
            BundleOptions {
                forge_set: true,
                ..BundleOptions::default()
            },
            BundleReason::TransparencyLog,
            "invalid inclusion promise: SET verification failed",
        ),
        (
            BundleOptions {
                tamper_payload: true,
                ..BundleOptions::default()
            },
            BundleReason::SignatureInvalid,
            "DSSE signature verification failed",
        ),
        (
            BundleOptions {
                subject_digest: Some(OTHER.into()),
                ..BundleOptions::default()
            },
            BundleReason::ArtifactMismatch,
            "artifact hash does not match any subject in attestation",
        ),
        (
            BundleOptions {
                omit_inclusion_proof: true,
                ..BundleOptions::default()
            },
            BundleReason::InvalidBundle,
            "bundle must have an inclusion proof",
        ),
    ];
    for (o, reason, message) in cases {
        for (kind, e) in [
            ("keyless", f.rejection(&f.keyless(&o), &identity())),
            ("key", f.rejection(&f.with_key(&o), &f.key())),
        ] {
            assert_eq!(e.reason, reason, "{kind}: {o:?}: {e}");
            assert!(e.message.contains(message), "{kind}: {o:?}: {e}");
        }
    }
}

#[test]
fn a_good_bundle_for_another_digest_is_rejected() {
    let f = Fixture::new();
    let other = Subject::Digest(OTHER);
    let keyless = f.keyless(&BundleOptions::default());
    let e = verify_bundle(&keyless, other, &identity(), &f.root).unwrap_err();
    assert_eq!(e.reason, BundleReason::ArtifactMismatch, "{e}");
    let with_key = f.with_key(&BundleOptions::default());
    let e = verify_bundle(&with_key, other, &f.key(), &f.root).unwrap_err();
    assert_eq!(e.reason, BundleReason::ArtifactMismatch, "{e}");
}

#[test]
fn another_key_or_identity_is_rejected() {
    let f = Fixture::new();
    let keyless = f.keyless(&BundleOptions::default());
    let with_key = f.with_key(&BundleOptions::default());
    let another_key = Expected::Key(key_pem(&Key::new()));
    // The signature does not verify with another key.
    assert_eq!(
        f.reason(&with_key, &another_key),
        BundleReason::SignatureInvalid
    );
    assert_eq!(
        f.reason(
            &keyless,
            &Expected::Identity {
                identity: "https://ci.ehdeploy.test/someone/else".into(),
                issuer: ISSUER.into(),
            }
        ),
        BundleReason::IdentityMismatch
    );
    assert_eq!(
        f.reason(
            &keyless,
            &Expected::Identity {
                identity: SUBJECT.into(),
                issuer: "https://accounts.google.com".into(),
            }
        ),
        BundleReason::IssuerMismatch
    );
    // A certificate where a key is expected, and the other way round.
    assert_eq!(
        f.reason(&keyless, &another_key),
        BundleReason::UnsupportedBundle
    );
    assert_eq!(
        f.reason(&with_key, &identity()),
        BundleReason::InvalidBundle
    );
}

#[test]
fn a_bad_leaf_is_a_certificate_problem() {
    let f = Fixture::new();
    let leaf = |keyless: Options| {
        f.reason(
            &f.keyless(&BundleOptions {
                keyless,
                ..BundleOptions::default()
            }),
            &identity(),
        )
    };
    assert_eq!(
        leaf(Options {
            sct: Sct::Missing,
            ..Options::default()
        }),
        BundleReason::Certificate
    );
    assert_eq!(
        leaf(Options {
            sct: Sct::Forged,
            ..Options::default()
        }),
        BundleReason::Certificate
    );
    // Logged after the leaf expired.
    assert_eq!(
        leaf(Options {
            integrated_time: T + keyless::LIFETIME + 60,
            ..Options::default()
        }),
        BundleReason::Certificate
    );
    // v0.3 carries no intermediate: a root naming only the root CA does not chain it.
    let bundle = f.keyless(&BundleOptions::default());
    let e = verify_bundle(
        &bundle,
        Subject::Digest(DIGEST),
        &identity(),
        &f.sigstore.trusted_root(true),
    )
    .unwrap_err();
    assert_eq!(e.reason, BundleReason::Certificate, "{e}");
}

#[test]
fn another_instances_logs_are_not_trusted() {
    let f = Fixture::new();
    let other = Instance::new().trusted_root(false);
    let keyless = f.keyless(&BundleOptions::default());
    let e = verify_bundle(&keyless, Subject::Digest(DIGEST), &identity(), &other).unwrap_err();
    // The SET is checked first (it gives the signing time): its log is unknown.
    assert_eq!(e.reason, BundleReason::TransparencyLog, "{e}");
    let with_key = f.with_key(&BundleOptions::default());
    let e = verify_bundle(&with_key, Subject::Digest(DIGEST), &f.key(), &other).unwrap_err();
    assert_eq!(e.reason, BundleReason::TransparencyLog, "{e}");
}
