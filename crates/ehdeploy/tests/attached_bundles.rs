//! Sigstore bundles that sign an image, as cosign v3 makes them (`support/bundle.rs`, by the
//! tests' private Sigstore instance), counted by the trust policy: attached as OCI referrers of
//! the image in a layout (the referrers tag schema's index, or listed unnamed in `index.json`
//! as oras stores them) and as bundle files beside the spec; each way a bundle can be wrong,
//! with its exact reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/bundle.rs"]
mod bundle;
#[path = "support/cosign.rs"]
mod cosign_fixture;
#[allow(unused_imports)]
#[path = "support/keyless.rs"]
mod keyless;

use bundle::{key_pem, BundleOptions};
use cosign_fixture::{
    bundle_referrer, dir, image, referrer, referrers_index, Artifact, Dir, LayoutWriter,
    BUNDLE_V0_3,
};
use ehdeploy::signing::{
    referrers_tag, verify_image, BundleFiles, ImageVerdict, Layout, SignatureReason, MAX_BUNDLES,
};
use ehdeploy::trust::{Outcome, TrustConfig, TrustPolicy, TrustReason};
use ehdeploy::workload::image::ImageRef;
use keyless::{Instance, Key, Options, Sct, ISSUER, LIFETIME, SUBJECT, T};
use serde_json::json;

const REPO: &str = "registry.example/team/api";

/// A layout with one image (`REPO:1.0.0`), a private Sigstore instance (its trusted root in
/// `trusted_root.json`) and a managed key (`release.pub`), beside the layout.
struct Fixture {
    dir: Dir,
    layout: LayoutWriter,
    sigstore: Instance,
    key: Key,
    image: Artifact,
    digest: String,
    /// The referrers attached by the tag schema so far.
    attached: Vec<Artifact>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = dir("bundles");
        let mut layout = LayoutWriter::new(dir.0.join("layout"), REPO);
        let image = image("app v1");
        let digest = layout.put_reference(&format!("{REPO}:1.0.0"), &image);
        let sigstore = Instance::new();
        std::fs::write(
            dir.0.join("trusted_root.json"),
            sigstore.trusted_root(false),
        )
        .unwrap();
        let key = Key::new();
        std::fs::write(dir.0.join("release.pub"), key_pem(&key)).unwrap();
        Fixture {
            dir,
            layout,
            sigstore,
            key,
            image,
            digest,
            attached: Vec::new(),
        }
    }

    /// A keyless bundle for the image, as `options` say.
    fn keyless(&self, options: &BundleOptions) -> String {
        self.sigstore.image_bundle_keyless(&self.digest, options)
    }

    /// A bundle for the image signed with the managed key.
    fn with_key(&self, options: &BundleOptions) -> String {
        self.sigstore
            .image_bundle_with_key(&self.key, &self.digest, options)
    }

    /// Attaches `artifact` (a referrer) by the referrers tag schema: its blobs and manifest
    /// stored, and the index tagged `sha256-<hex>` listing every referrer attached so far.
    fn attach_artifact(&mut self, artifact: Artifact) {
        for blob in artifact.blobs.iter().chain([&artifact.manifest]) {
            self.layout.blob(blob);
        }
        self.attached.push(artifact);
        let listed: Vec<&Artifact> = self.attached.iter().collect();
        let tag = format!("{REPO}:{}", referrers_tag(&self.digest));
        self.layout.put_reference(&tag, &referrers_index(&listed));
    }

    /// Attaches `bundle` as cosign v3 does, by the referrers tag schema.
    fn attach(&mut self, bundle: &str) {
        self.attach_artifact(bundle_referrer(&self.image, bundle));
    }

    /// The policy: authorities `ci` (keyless: [`SUBJECT`] from [`ISSUER`]) and `release` (the
    /// managed key), both with the instance's trusted root and `extra` fields; `listed`, and
    /// the threshold.
    fn policy(&self, extra: serde_json::Value, listed: &[&str], threshold: u32) -> TrustPolicy {
        let mut authorities = json!({
            "ci": {"keyless": {"issuer": ISSUER, "subject": SUBJECT, "trustedRoot": "trusted_root.json"}},
            "ci-again": {"keyless": {"issuer": ISSUER, "subjectRegExp": "^https://", "trustedRoot": "trusted_root.json"}},
            "release": {"key": "release.pub", "trustedRoot": "trusted_root.json"}
        });
        for (name, fields) in extra.as_object().into_iter().flatten() {
            for (k, v) in fields.as_object().unwrap() {
                authorities[name][k] = v.clone();
            }
        }
        let config: TrustConfig = serde_json::from_value(json!({
            "authorities": authorities,
            "policies": [{"images": ["registry.example/**"], "authorities": listed, "threshold": threshold}]
        }))
        .unwrap();
        let (policy, problems) = TrustPolicy::compile(&config, &self.dir.0, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        policy
    }

    fn ci(&self) -> TrustPolicy {
        self.policy(json!({}), &["ci"], 1)
    }

    fn release(&self) -> TrustPolicy {
        self.policy(json!({}), &["release"], 1)
    }

    fn verify(&self, policy: &TrustPolicy) -> ImageVerdict {
        let layout = Layout::open(&self.dir.0.join("layout")).unwrap();
        verify_image(&layout, &self.reference(), policy, None)
    }

    /// Verified with the bundle files of `folder` beside the layout.
    fn verify_with_files(&self, policy: &TrustPolicy, folder: &str) -> ImageVerdict {
        let layout = Layout::open(&self.dir.0.join("layout")).unwrap();
        let files = BundleFiles::open(&[self.dir.0.join(folder)]).unwrap();
        verify_image(&files.over(&layout), &self.reference(), policy, None)
    }

    fn reference(&self) -> ImageRef {
        format!("{REPO}:1.0.0").parse().unwrap()
    }
}

fn reason(v: &ImageVerdict, check: usize) -> String {
    v.checks[check].reason.clone().unwrap_or_default()
}

fn allowed(v: &ImageVerdict) {
    assert!(v.decision.allowed, "{v:#?}");
    assert_eq!(v.outcome, Outcome::Allowed);
    assert!(v.checks.iter().all(|c| c.verified), "{v:#?}");
}

/// Refused by the first check, for `expected`; its message.
fn refused(v: &ImageVerdict, expected: &str) -> String {
    assert!(!v.decision.allowed, "{expected}: {v:#?}");
    assert_eq!(v.decision.reason, Some(TrustReason::Unsigned), "{v:#?}");
    assert_eq!(reason(v, 0), expected, "{v:#?}");
    v.checks[0].message.clone().unwrap_or_default()
}

#[test]
fn a_keyless_bundle_attached_by_the_referrers_tag_schema_signs_the_image() {
    let mut f = Fixture::new();
    refused(&f.verify(&f.ci()), "unsigned");
    let good = f.keyless(&BundleOptions::default());
    f.attach(&good);
    let v = f.verify(&f.ci());
    allowed(&v);
    assert_eq!(v.decision.passed, vec!["ci"]);
    assert_eq!(v.digest.as_deref(), Some(f.digest.as_str()));
}

#[test]
fn a_referrer_the_layout_lists_unnamed_counts_as_oras_stores_it() {
    let mut f = Fixture::new();
    let good = f.keyless(&BundleOptions::default());
    f.layout
        .put_unnamed(&bundle_referrer(&f.image, &good), BUNDLE_V0_3);
    allowed(&f.verify(&f.ci()));
}

#[test]
fn a_managed_key_bundle_counts_for_its_key_authority() {
    let mut f = Fixture::new();
    let good = f.with_key(&BundleOptions::default());
    f.attach(&good);
    allowed(&f.verify(&f.release()));
    // A key bundle says nothing to a keyless authority, a keyless one nothing to a key.
    refused(&f.verify(&f.ci()), "no-certificate");
    let mut g = Fixture::new();
    let keyless = g.keyless(&BundleOptions::default());
    g.attach(&keyless);
    let message = refused(&g.verify(&g.release()), "signature-invalid");
    assert!(message.contains("signed with a certificate"), "{message}");
}

#[test]
fn a_key_bundle_logged_elsewhere_than_the_authoritys_trusted_root_is_refused() {
    let mut f = Fixture::new();
    let other = Instance::new();
    let logged_elsewhere =
        other.image_bundle_with_key(&f.key, &f.digest, &BundleOptions::default());
    f.attach(&logged_elsewhere);
    refused(&f.verify(&f.release()), "tlog-invalid");
}

#[test]
fn bundle_files_beside_the_spec_sign_the_images_they_name() {
    let f = Fixture::new();
    let folder = f.dir.0.join("signatures");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("api-1.0.0.sigstore.json"),
        f.keyless(&BundleOptions::default()),
    )
    .unwrap();
    // A bundle for another image, and a file that is not a bundle's, are not read as this one.
    let other = f.sigstore.image_bundle_keyless(
        &format!("sha256:{}", "ab".repeat(32)),
        &BundleOptions::default(),
    );
    std::fs::write(folder.join("other.json"), other).unwrap();
    std::fs::write(folder.join("README.md"), "bundles of the release").unwrap();
    let v = f.verify_with_files(&f.ci(), "signatures");
    allowed(&v);
    refused(&f.verify(&f.ci()), "unsigned");
    let files = BundleFiles::open(&[folder]).unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files.signing(&f.digest).len(), 1);
}

#[test]
fn a_bundle_folder_that_cannot_be_read_is_an_error_naming_the_file() {
    let f = Fixture::new();
    let missing = BundleFiles::open(&[f.dir.0.join("nowhere")]).unwrap_err();
    assert_eq!(missing.reason, SignatureReason::Layout);
    assert!(missing.message.contains("nowhere"), "{missing}");
    let folder = f.dir.0.join("signatures");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("broken.json"), r#"{"mediaType": "nonsense"}"#).unwrap();
    let broken = BundleFiles::open(&[folder]).unwrap_err();
    assert_eq!(broken.reason, SignatureReason::Layout);
    assert!(broken.message.contains("broken.json"), "{broken}");
    assert!(broken.message.contains("not a Sigstore bundle"), "{broken}");
}

#[test]
fn an_attestation_is_not_a_signature() {
    let mut f = Fixture::new();
    let provenance = f.keyless(&BundleOptions {
        predicate_type: "https://slsa.dev/provenance/v1".into(),
        ..Default::default()
    });
    f.attach(&provenance);
    let message = refused(&f.verify(&f.ci()), "not-a-signature");
    assert!(
        message.contains("https://slsa.dev/provenance/v1"),
        "{message}"
    );
    // Beside a signature it changes nothing.
    let good = f.keyless(&BundleOptions::default());
    f.attach(&good);
    allowed(&f.verify(&f.ci()));
}

#[test]
fn a_bundle_for_another_image_does_not_count_here() {
    let mut f = Fixture::new();
    let another = format!("sha256:{}", "cd".repeat(32));
    let moved = f.keyless(&BundleOptions {
        subject_digest: Some(another.clone()),
        ..Default::default()
    });
    f.attach(&moved);
    let message = refused(&f.verify(&f.ci()), "digest-mismatch");
    assert!(message.contains(&another), "{message}");
}

#[test]
fn a_listed_referrer_of_another_image_is_left_out() {
    let mut f = Fixture::new();
    // A good bundle, but its referrer manifest names another image as its subject: the
    // (unsigned) referrers index does not make it this image's.
    let good = f.keyless(&BundleOptions::default());
    let elsewhere = referrer(&image("another app"), BUNDLE_V0_3, good.as_bytes());
    f.attach_artifact(elsewhere);
    refused(&f.verify(&f.ci()), "unsigned");
    // Nor does a referrer of another type (an SBOM) sign anything.
    let sbom = referrer(&f.image, "application/spdx+json", b"{}");
    f.attach_artifact(sbom);
    refused(&f.verify(&f.ci()), "unsigned");
}

#[test]
fn each_broken_bundle_has_its_reason() {
    let cases: Vec<(&str, BundleOptions, &str)> = vec![
        (
            "forged checkpoint",
            BundleOptions {
                forge_checkpoint: true,
                ..Default::default()
            },
            "tlog-invalid",
        ),
        (
            "forged SET",
            BundleOptions {
                forge_set: true,
                ..Default::default()
            },
            "tlog-invalid",
        ),
        (
            "no inclusion proof",
            BundleOptions {
                omit_inclusion_proof: true,
                ..Default::default()
            },
            "tlog-invalid",
        ),
        (
            "tampered payload",
            BundleOptions {
                tamper_payload: true,
                ..Default::default()
            },
            "signature-invalid",
        ),
        (
            "no SCT",
            BundleOptions {
                keyless: Options {
                    sct: Sct::Missing,
                    ..Default::default()
                },
                ..Default::default()
            },
            "sct-invalid",
        ),
        (
            "forged SCT",
            BundleOptions {
                keyless: Options {
                    sct: Sct::Forged,
                    ..Default::default()
                },
                ..Default::default()
            },
            "sct-invalid",
        ),
        (
            "logged after the certificate expired",
            BundleOptions {
                keyless: Options {
                    integrated_time: T + LIFETIME + 60,
                    ..Default::default()
                },
                ..Default::default()
            },
            "certificate-invalid",
        ),
        (
            "another subject",
            BundleOptions {
                keyless: Options {
                    san: keyless::San::Uri("https://ci.ehdeploy.test/mallory".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
            "identity-mismatch",
        ),
        (
            "another issuer",
            BundleOptions {
                keyless: Options {
                    issuer: "https://issuer.mallory.test".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            "issuer-mismatch",
        ),
    ];
    for (what, options, expected) in cases {
        let mut f = Fixture::new();
        let bad = f.keyless(&options);
        f.attach(&bad);
        let v = f.verify(&f.ci());
        assert!(!v.decision.allowed, "{what}: {v:#?}");
        assert_eq!(reason(&v, 0), expected, "{what}: {v:#?}");
        assert!(
            v.checks[0]
                .message
                .as_deref()
                .unwrap_or("")
                .contains("referrer sha256:"),
            "{what}: the message says which bundle: {v:#?}"
        );
    }
}

#[test]
fn a_chain_to_another_fulcio_is_untrusted() {
    let mut f = Fixture::new();
    // The instance's logs, but a CA the trusted root does not name.
    let trusted = std::mem::replace(
        &mut f.sigstore.fulcio,
        keyless::Fulcio::new("mallory's fulcio"),
    );
    let bad = f.keyless(&BundleOptions::default());
    f.sigstore.fulcio = trusted;
    f.attach(&bad);
    refused(&f.verify(&f.ci()), "untrusted-chain");
}

#[test]
fn required_annotations_are_the_image_subjects() {
    let mut f = Fixture::new();
    let prod = json!({"ci": {"annotations": {"env": "prod"}}});
    let plain = f.keyless(&BundleOptions::default());
    f.attach(&plain);
    let message = refused(
        &f.verify(&f.policy(prod.clone(), &["ci"], 1)),
        "annotation-missing",
    );
    assert!(message.contains("env"), "{message}");
    let annotated = f.keyless(&BundleOptions {
        annotations: vec![("env".into(), "prod".into())],
        ..Default::default()
    });
    f.attach(&annotated);
    allowed(&f.verify(&f.policy(prod, &["ci"], 1)));
}

#[test]
fn distinct_authorities_count_once_whether_they_sign_by_bundle_or_classically() {
    let mut f = Fixture::new();
    let keyless = f.keyless(&BundleOptions::default());
    let keyed = f.with_key(&BundleOptions::default());
    f.attach(&keyless);
    f.attach(&keyed);
    let v = f.verify(&f.policy(json!({}), &["ci", "release"], 2));
    allowed(&v);
    assert_eq!(v.decision.passed, vec!["ci", "release"]);
    // One certificate identity listed under two names counts once.
    let v = f.verify(&f.policy(json!({}), &["ci", "ci-again"], 2));
    assert_eq!(
        v.decision.reason,
        Some(TrustReason::ThresholdNotMet),
        "{v:#?}"
    );
    assert_eq!(reason(&v, 1), "same-identity");
}

#[test]
fn a_referrers_index_listing_too_many_bundles_is_not_read_to_its_end() {
    let mut f = Fixture::new();
    let provenance = f.keyless(&BundleOptions {
        predicate_type: "https://slsa.dev/provenance/v1".into(),
        ..Default::default()
    });
    for i in 0..=MAX_BUNDLES {
        // Distinct referrers (their manifests differ by an annotation-free content byte).
        let content = format!("{provenance}{}", " ".repeat(i));
        f.attach_artifact(referrer(&f.image, BUNDLE_V0_3, content.as_bytes()));
    }
    let v = f.verify(&f.ci());
    assert_eq!(v.outcome, Outcome::Unverifiable, "{v:#?}");
    assert_eq!(reason(&v, 0), "too-large");
}
