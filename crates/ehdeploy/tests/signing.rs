//! `signing::verify_bundle` on the conformance suite's happy path, with each way the caller's
//! side can be wrong, and the exact reason of each rejection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ehdeploy::signing::{verify_bundle, BundleReason, Expected, Subject};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/sigstore-conformance")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(suite().join(path)).unwrap()
}

fn expected(identity: &str, issuer: &str) -> Expected {
    Expected::Identity {
        identity: identity.into(),
        issuer: issuer.into(),
    }
}

fn reason(bundle: &str, subject: Subject<'_>, who: &Expected, root: &str) -> BundleReason {
    verify_bundle(bundle, subject, who, root)
        .unwrap_err()
        .reason
}

#[test]
fn the_happy_path_verifies_and_says_who_signed_when() {
    let artifact = std::fs::read(suite().join("a.txt")).unwrap();
    let verdict = verify_bundle(
        &read("bundle-verify/happy-path-v0.3/bundle.sigstore.json"),
        Subject::Bytes(&artifact),
        &expected(IDENTITY, ISSUER),
        &read("production-trusted-root.json"),
    )
    .unwrap();
    assert_eq!(verdict.identity.as_deref(), Some(IDENTITY));
    assert_eq!(verdict.issuer.as_deref(), Some(ISSUER));
    assert!(verdict.transparency_log && verdict.sct);
    assert!(verdict.integrated_time.is_some());
}

#[test]
fn each_wrong_input_has_its_reason() {
    let bundle = read("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    let root = read("production-trusted-root.json");
    let artifact = std::fs::read(suite().join("a.txt")).unwrap();
    let bytes = Subject::Bytes(&artifact);
    let right = expected(IDENTITY, ISSUER);
    assert_eq!(
        reason(
            &bundle,
            bytes,
            &expected("https://github.com/someone/else", ISSUER),
            &root
        ),
        BundleReason::IdentityMismatch
    );
    assert_eq!(
        reason(
            &bundle,
            bytes,
            &expected(IDENTITY, "https://accounts.google.com"),
            &root
        ),
        BundleReason::IssuerMismatch
    );
    assert_eq!(
        reason(&bundle, Subject::Bytes(b"another artifact"), &right, &root),
        BundleReason::ArtifactMismatch
    );
    for digest in ["sha256:zz", "sha256:", "md5:abc"] {
        assert_eq!(
            reason(&bundle, Subject::Digest(digest), &right, &root),
            BundleReason::InvalidDigest,
            "{digest}"
        );
    }
    assert_eq!(
        reason(&bundle, bytes, &right, "{\"not\": \"a root\"}"),
        BundleReason::InvalidTrustedRoot
    );
    assert_eq!(
        reason("{", bytes, &right, &root),
        BundleReason::MalformedBundle
    );
    assert_eq!(
        reason(&bundle, bytes, &Expected::Key("not a key".into()), &root),
        BundleReason::InvalidKey
    );
    // The message names the stable reason.
    let e = verify_bundle(&bundle, Subject::Digest("sha256:zz"), &right, &root).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`sha256:zz` is not a SHA-256 digest (sha256:<64 hex digits>) [signature/invalid-digest]"
    );
}
