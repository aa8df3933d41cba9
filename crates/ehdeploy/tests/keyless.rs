//! cosign's classic keyless signatures from an OCI layout, made by a private Sigstore instance
//! of the tests (`support/keyless.rs`: a Fulcio CA, a CT log and Rekor, keys of aws-lc-rs and
//! certificates written by hand): the happy path (exact and regular-expression subjects and
//! issuers, URI and email SANs, both issuer extensions), and each way it can be wrong, with
//! its exact reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cosign.rs"]
mod cosign_fixture;
#[path = "support/keyless.rs"]
mod keyless;

use ehdeploy::signing::{
    keyless_bundle, verify_bundle, verify_image, CosignSignature, Expected, ImageVerdict, Layout,
    Subject,
};
use ehdeploy::trust::{TrustConfig, TrustPolicy, TrustReason};
use ehdeploy::workload::image::ImageRef;
use keyless::{
    base64, payload, pem, Fulcio, Instance, IssuerExtension, Key, Options, San, Sct,
    SignatureLayer, Signed, Store, ISSUER, LIFETIME, SUBJECT, T,
};
use serde_json::json;

const REPO: &str = "registry.example/team/api";

/// A layout with one image (`REPO:1.0.0`), a private Sigstore instance and its trusted root
/// in `trusted_root.json` beside the layout.
struct Fixture {
    store: Store,
    sigstore: Instance,
    digest: String,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_root(false)
    }

    fn with_root(root_only: bool) -> Fixture {
        let mut store = Store::new();
        let sigstore = Instance::new();
        std::fs::write(
            store.path().join("trusted_root.json"),
            sigstore.trusted_root(root_only),
        )
        .unwrap();
        let digest = store.image(REPO, "1.0.0", "app v1");
        Fixture {
            store,
            sigstore,
            digest,
        }
    }

    /// cosign's payload for this image.
    fn payload(&self) -> Vec<u8> {
        payload(REPO, &self.digest, serde_json::Value::Null)
    }

    /// Signs the image's payload keylessly as `options` say; the one layer of its artifact.
    fn sign(&mut self, options: &Options) -> Signed {
        let payload = self.payload();
        let signed = self.sigstore.sign(&payload, options);
        self.store
            .signatures(REPO, &self.digest, &[(payload, signed.annotations())]);
        signed
    }

    /// The policy: these authorities (their `trustedRoot` is the instance's), `listed`, and
    /// the threshold.
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
        let (policy, problems) = TrustPolicy::compile(&config, self.store.path(), &[]);
        assert!(problems.is_empty(), "{problems:?}");
        policy
    }

    /// One keyless authority `ci` with this `keyless` configuration (and the trusted root).
    fn keyless(&self, mut keyless: serde_json::Value) -> TrustPolicy {
        keyless["trustedRoot"] = json!("trusted_root.json");
        self.policy(json!({"ci": {"keyless": keyless}}), &["ci"], 1)
    }

    /// `ci`: exactly [`SUBJECT`] from [`ISSUER`].
    fn exact(&self) -> TrustPolicy {
        self.keyless(json!({"issuer": ISSUER, "subject": SUBJECT}))
    }

    fn verify(&self, policy: &TrustPolicy) -> ImageVerdict {
        let layout = Layout::open(&self.store.path().join("layout")).unwrap();
        let image = format!("{REPO}:1.0.0").parse::<ImageRef>().unwrap();
        verify_image(&layout, &image, policy, None)
    }
}

/// The first check's reason code.
fn reason(v: &ImageVerdict) -> String {
    reason_of(v, 0)
}

fn reason_of(v: &ImageVerdict, check: usize) -> String {
    v.checks[check].reason.clone().unwrap_or_default()
}

/// Refused by the first check, for `expected`.
fn refused(v: &ImageVerdict, expected: &str) {
    assert!(!v.decision.allowed, "{expected}: {v:?}");
    assert_eq!(v.decision.reason, Some(TrustReason::Unsigned), "{v:?}");
    assert_eq!(reason(v), expected, "{v:?}");
}

fn allowed(v: &ImageVerdict) {
    assert!(v.decision.allowed, "{v:?}");
    assert_eq!(v.decision.passed, ["ci"]);
}

#[test]
fn the_bundle_made_of_the_annotations_verifies_as_a_sigstore_bundle() {
    let mut f = Fixture::new();
    let signed = f.sign(&Options::default());
    let signature = CosignSignature {
        payload: f.payload(),
        signature: signed.signature,
        certificate: Some(signed.certificate),
        chain: Some(signed.chain),
        bundle: Some(signed.bundle),
    };
    let bundle = keyless_bundle(&signature).unwrap();
    let v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    assert_eq!(
        v["mediaType"],
        "application/vnd.dev.sigstore.bundle+json;version=0.1"
    );
    let entry = &v["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(
        entry["kindVersion"],
        json!({"kind": "hashedrekord", "version": "0.0.1"})
    );
    assert_eq!(entry["integratedTime"], T.to_string());
    assert_eq!(entry["logId"]["keyId"], base64(&f.sigstore.rekor.id()));
    // The leaf and the intermediate; the root comes from the trusted root.
    let chain = &v["verificationMaterial"]["x509CertificateChain"]["certificates"];
    assert_eq!(chain.as_array().unwrap().len(), 2);
    let verdict = verify_bundle(
        &bundle,
        Subject::Bytes(&f.payload()),
        &Expected::Identity {
            identity: SUBJECT.into(),
            issuer: ISSUER.into(),
        },
        &f.sigstore.trusted_root(false),
    )
    .unwrap();
    assert!(verdict.sct && verdict.transparency_log, "{verdict:?}");
    assert_eq!(verdict.integrated_time.map(|t| t.as_second()), Some(T));
}

#[test]
fn an_exact_subject_and_issuer_verify() {
    let mut f = Fixture::new();
    f.sign(&Options::default());
    let v = f.verify(&f.exact());
    allowed(&v);
    assert_eq!(v.digest.as_deref(), Some(f.digest.as_str()));
    assert_eq!(v.decision.message, "signed by ci");
}

#[test]
fn a_subject_regexp_and_an_issuer_regexp_verify() {
    let mut f = Fixture::new();
    f.sign(&Options::default());
    allowed(&f.verify(&f.keyless(json!({
        "issuer": ISSUER,
        "subjectRegExp": "^https://ci\\.ehdeploy\\.test/medilink/.*@refs/heads/main$"
    }))));
    allowed(&f.verify(&f.keyless(json!({
        "issuerRegExp": "^https://token\\.ci\\.ehdeploy\\.test$",
        "subjectRegExp": "^https://ci\\.ehdeploy\\.test/medilink/"
    }))));
}

#[test]
fn an_email_subject_and_the_legacy_issuer_extension_verify() {
    let mut f = Fixture::new();
    f.sign(&Options {
        san: San::Email("release@medilink.example".into()),
        issuer_extension: IssuerExtension::V1,
        ..Options::default()
    });
    allowed(&f.verify(&f.keyless(json!({
        "issuer": ISSUER, "subject": "release@medilink.example"
    }))));
    // Only the current extension: the same.
    f.sign(&Options {
        san: San::Email("release@medilink.example".into()),
        issuer_extension: IssuerExtension::V2,
        ..Options::default()
    });
    allowed(&f.verify(&f.keyless(json!({
        "issuer": ISSUER, "subjectRegExp": "@medilink\\.example$"
    }))));
}

#[test]
fn another_subject_is_an_identity_mismatch() {
    let mut f = Fixture::new();
    f.sign(&Options {
        san: San::Uri("https://ci.ehdeploy.test/someone-else/api/.github/workflows/release.yml@refs/heads/main".into()),
        ..Options::default()
    });
    let v = f.verify(&f.exact());
    refused(&v, "identity-mismatch");
    assert!(v.checks[0]
        .message
        .as_deref()
        .unwrap()
        .contains("someone-else"));
    refused(
        &f.verify(&f.keyless(json!({
            "issuer": ISSUER, "subjectRegExp": "^https://ci\\.ehdeploy\\.test/medilink/"
        }))),
        "identity-mismatch",
    );
}

#[test]
fn another_issuer_is_an_issuer_mismatch() {
    let mut f = Fixture::new();
    f.sign(&Options {
        issuer: "https://accounts.example".into(),
        ..Options::default()
    });
    refused(&f.verify(&f.exact()), "issuer-mismatch");
    refused(
        &f.verify(&f.keyless(json!({
            "issuerRegExp": "^https://token\\.", "subject": SUBJECT
        }))),
        "issuer-mismatch",
    );
}

#[test]
fn a_certificate_expired_at_the_integrated_time_is_invalid() {
    let mut f = Fixture::new();
    // Rekor took the signature an hour after the ten-minute certificate expired.
    f.sign(&Options {
        integrated_time: T + LIFETIME + 3600,
        ..Options::default()
    });
    refused(&f.verify(&f.exact()), "certificate-invalid");
    // And before it was valid.
    f.sign(&Options {
        integrated_time: T - LIFETIME - 60,
        ..Options::default()
    });
    refused(&f.verify(&f.exact()), "certificate-invalid");
}

#[test]
fn a_chain_to_an_untrusted_ca_is_refused() {
    let mut f = Fixture::new();
    // Another CA, not in the trusted root; the SCT and the SET are the trusted logs'.
    let other = Fulcio::new("not trusted");
    let payload = f.payload();
    let signed = f.sigstore.sign_with(&other, &payload, &Options::default());
    f.store
        .signatures(REPO, &f.digest, &[(payload, signed.annotations())]);
    refused(&f.verify(&f.exact()), "untrusted-chain");
}

#[test]
fn the_intermediate_comes_from_the_chain_annotation_when_the_root_names_only_the_root() {
    let mut f = Fixture::with_root(true);
    let signed = f.sign(&Options::default());
    allowed(&f.verify(&f.exact()));
    // Without the chain, the leaf's issuer is unknown.
    let mut annotations = signed.annotations();
    annotations.retain(|(k, _)| k != "dev.sigstore.cosign/chain");
    let payload = f.payload();
    f.store
        .signatures(REPO, &f.digest, &[(payload, annotations)]);
    refused(&f.verify(&f.exact()), "untrusted-chain");
}

#[test]
fn a_certificate_without_an_sct_is_refused() {
    let mut f = Fixture::new();
    f.sign(&Options {
        sct: Sct::Missing,
        ..Options::default()
    });
    refused(&f.verify(&f.exact()), "sct-invalid");
}

#[test]
fn a_forged_sct_is_refused() {
    let mut f = Fixture::new();
    f.sign(&Options {
        sct: Sct::Forged,
        ..Options::default()
    });
    refused(&f.verify(&f.exact()), "sct-invalid");
}

#[test]
fn a_forged_set_is_refused() {
    let mut f = Fixture::new();
    f.sign(&Options {
        forge_set: true,
        ..Options::default()
    });
    refused(&f.verify(&f.exact()), "tlog-invalid");
}

#[test]
fn the_log_entry_of_another_signature_is_refused() {
    let mut f = Fixture::new();
    // A real entry with a valid SET, for another payload signed with the same certificate.
    f.sign(&Options {
        entry_of_another_signature: true,
        ..Options::default()
    });
    refused(&f.verify(&f.exact()), "tlog-invalid");
}

#[test]
fn a_keyless_signature_without_its_rekor_bundle_is_refused() {
    let mut f = Fixture::new();
    let mut annotations = f.sign(&Options::default()).annotations();
    annotations.retain(|(k, _)| k != "dev.sigstore.cosign/bundle");
    let payload = f.payload();
    f.store
        .signatures(REPO, &f.digest, &[(payload, annotations)]);
    let v = f.verify(&f.exact());
    refused(&v, "tlog-invalid");
    assert!(v.checks[0]
        .message
        .as_deref()
        .unwrap()
        .contains("no Rekor bundle"));
}

/// A layer signed with a key, as `cosign sign --key` makes it: no certificate.
fn key_signed(key: &Key, payload: &[u8]) -> SignatureLayer {
    (
        payload.to_vec(),
        vec![(
            "dev.cosignproject.cosign/signature".into(),
            base64(&key.sign(payload)),
        )],
    )
}

#[test]
fn a_keyless_authority_facing_a_key_signature_finds_no_certificate() {
    let mut f = Fixture::new();
    let key = Key::new();
    let layer = key_signed(&key, &f.payload());
    f.store
        .signatures(REPO, &f.digest, std::slice::from_ref(&layer));
    refused(&f.verify(&f.exact()), "no-certificate");
    // Beside a keyless signature whose subject is another's, that one's reason is given.
    let signed = f.sigstore.sign(
        &f.payload(),
        &Options {
            san: San::Uri("https://ci.ehdeploy.test/other".into()),
            ..Options::default()
        },
    );
    f.store.signatures(
        REPO,
        &f.digest,
        &[layer.clone(), (f.payload(), signed.annotations())],
    );
    refused(&f.verify(&f.exact()), "identity-mismatch");
    // And a good one among them verifies.
    let good = f.sigstore.sign(&f.payload(), &Options::default());
    f.store
        .signatures(REPO, &f.digest, &[layer, (f.payload(), good.annotations())]);
    allowed(&f.verify(&f.exact()));
}

#[test]
fn a_valid_keyless_signature_of_another_digest_is_a_digest_mismatch() {
    let mut f = Fixture::new();
    let other = f.store.image(REPO, "2.0.0", "app v2");
    // Signed for 2.0.0, moved under 1.0.0's signature tag.
    let for_other = payload(REPO, &other, serde_json::Value::Null);
    let signed = f.sigstore.sign(&for_other, &Options::default());
    f.store
        .signatures(REPO, &f.digest, &[(for_other, signed.annotations())]);
    refused(&f.verify(&f.exact()), "digest-mismatch");
}

#[test]
fn a_required_annotation_missing_is_refused_and_present_verifies() {
    let mut f = Fixture::new();
    let policy = f.policy(
        json!({"ci": {
            "keyless": {"issuer": ISSUER, "subject": SUBJECT, "trustedRoot": "trusted_root.json"},
            "annotations": {"env": "prod", "team": "medilink"}
        }}),
        &["ci"],
        1,
    );
    // None at all (`optional: null`).
    f.sign(&Options::default());
    let v = f.verify(&policy);
    refused(&v, "annotation-missing");
    assert!(v.checks[0]
        .message
        .as_deref()
        .unwrap()
        .contains("no annotation `env`"));
    // One of them, and the other with another value.
    let sign = |f: &mut Fixture, optional: serde_json::Value| {
        let payload = payload(REPO, &f.digest, optional);
        let signed = f.sigstore.sign(&payload, &Options::default());
        f.store
            .signatures(REPO, &f.digest, &[(payload, signed.annotations())]);
    };
    sign(&mut f, json!({"env": "prod"}));
    refused(&f.verify(&policy), "annotation-missing");
    sign(&mut f, json!({"env": "test", "team": "medilink"}));
    refused(&f.verify(&policy), "annotation-missing");
    // Both, and more.
    sign(
        &mut f,
        json!({"env": "prod", "team": "medilink", "commit": "abc123"}),
    );
    allowed(&f.verify(&policy));
}

#[test]
fn required_annotations_bind_key_authorities_too() {
    let mut f = Fixture::new();
    let key = Key::new();
    std::fs::write(
        f.store.path().join("ci.pub"),
        pem("PUBLIC KEY", &key.spki()),
    )
    .unwrap();
    let policy = f.policy(
        json!({"ci": {"key": "ci.pub", "annotations": {"env": "prod"}}}),
        &["ci"],
        1,
    );
    let layer = key_signed(&key, &f.payload());
    f.store.signatures(REPO, &f.digest, &[layer]);
    refused(&f.verify(&policy), "annotation-missing");
    let annotated = payload(REPO, &f.digest, json!({"env": "prod"}));
    let layer = key_signed(&key, &annotated);
    f.store.signatures(REPO, &f.digest, &[layer]);
    allowed(&f.verify(&policy));
}

#[test]
fn one_certificate_identity_listed_twice_counts_once() {
    let mut f = Fixture::new();
    f.sign(&Options::default());
    let root = "trusted_root.json";
    let policy = f.policy(
        json!({
            "ci": {"keyless": {"issuer": ISSUER, "subject": SUBJECT, "trustedRoot": root}},
            "ci-again": {"keyless": {"issuer": ISSUER, "subjectRegExp": "^https://ci\\.ehdeploy\\.test/", "trustedRoot": root}}
        }),
        &["ci", "ci-again"],
        2,
    );
    let v = f.verify(&policy);
    assert_eq!(
        v.decision.reason,
        Some(TrustReason::ThresholdNotMet),
        "{v:?}"
    );
    assert_eq!(reason_of(&v, 1), "same-identity");
    assert_eq!(
        v.checks[1].message.as_deref(),
        Some(format!("the same certificate identity as `ci` ({SUBJECT} from {ISSUER}): one signer counts once").as_str())
    );
    // Two signers (two identities): met.
    let payload = f.payload();
    let first = f.sigstore.sign(&payload, &Options::default());
    let second = f.sigstore.sign(
        &payload,
        &Options {
            san: San::Uri("https://ci.ehdeploy.test/platform/release".into()),
            ..Options::default()
        },
    );
    f.store.signatures(
        REPO,
        &f.digest,
        &[
            (payload.clone(), first.annotations()),
            (payload, second.annotations()),
        ],
    );
    let policy = f.policy(
        json!({
            "ci": {"keyless": {"issuer": ISSUER, "subject": SUBJECT, "trustedRoot": root}},
            "release": {"keyless": {"issuer": ISSUER, "subject": "https://ci.ehdeploy.test/platform/release", "trustedRoot": root}}
        }),
        &["ci", "release"],
        2,
    );
    assert!(f.verify(&policy).decision.allowed);
}

#[test]
fn an_unusable_trusted_root_is_its_own_reason() {
    let mut f = Fixture::new();
    f.sign(&Options::default());
    // The root is read when the policy is compiled, as keys are.
    std::fs::write(
        f.store.path().join("trusted_root.json"),
        "{\"not\": \"a root\"}",
    )
    .unwrap();
    let policy = f.exact();
    refused(&f.verify(&policy), "invalid-trusted-root");
}
