//! Sigstore's conformance suite for bundle verification: the 70 cases of
//! `../shared/fixtures/sigstore-conformance/` (see its SOURCES.md), each asked of
//! `ehdeploy verify-bundle` with the suite's command-line contract, twice: with the artifact's
//! path and with its `sha256:` digest. Every `_fail` case must be rejected (exit 1, with a
//! reason), every other verified (exit 0).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/sigstore-conformance")
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The arguments for one case, the artifact given as `subject`.
fn args(case: &Path, subject: String) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "verify-bundle".into(),
        "--bundle".into(),
        case.join("bundle.sigstore.json").display().to_string(),
    ];
    if case.join("key.pub").is_file() {
        args.extend(["--key".into(), case.join("key.pub").display().to_string()]);
    } else {
        let identity = read_trimmed(&case.join("identity")).unwrap_or_else(|| IDENTITY.into());
        let issuer = read_trimmed(&case.join("issuer")).unwrap_or_else(|| ISSUER.into());
        args.extend([
            "--certificate-identity".into(),
            identity,
            "--certificate-oidc-issuer".into(),
            issuer,
        ]);
    }
    let root = if case.join("trusted_root.json").is_file() {
        case.join("trusted_root.json")
    } else {
        suite().join("production-trusted-root.json")
    };
    args.extend(["--trusted-root".into(), root.display().to_string(), subject]);
    args
}

#[test]
fn every_conformance_case_is_verified_or_rejected_as_the_suite_says() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite().join("bundle-verify"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("bundle.sigstore.json").is_file())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 70, "the suite has 70 cases");
    let (mut passed, mut failed) = (0, Vec::new());
    let mut reasons = String::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let must_fail = name.ends_with("_fail");
        let artifact = if case.join("artifact").is_file() {
            case.join("artifact")
        } else {
            suite().join("a.txt")
        };
        let hex: String = Sha256::digest(std::fs::read(&artifact).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let digest = format!("sha256:{hex}");
        for (how, subject) in [("path", artifact.display().to_string()), ("digest", digest)] {
            let out = Command::new(env!("CARGO_BIN_EXE_ehdeploy"))
                .args(args(case, subject))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let ok = match (must_fail, out.status.code()) {
                (false, Some(0)) => true,
                // Rejected, with a stable reason: never a crash or a usage error.
                (true, Some(1)) => {
                    stderr.starts_with("rejected: ") && stderr.contains("[signature/")
                }
                _ => false,
            };
            if must_fail && how == "path" {
                let reason = stderr
                    .rsplit_once("[signature/")
                    .and_then(|(_, r)| r.split_once(']'))
                    .map_or("none", |(r, _)| r);
                reasons.push_str(&format!("{name}: {reason}\n"));
            }
            if ok {
                passed += 1;
            } else {
                failed.push(format!(
                    "{name} ({how}): exit {:?}: {stderr}",
                    out.status.code()
                ));
            }
        }
    }
    println!("{passed} passed, {} failed", failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert_eq!(passed, 140);
    // Each must-fail case's stable reason, as a reviewer can read them.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/conformance-reasons.txt");
    if std::env::var_os("EHDEPLOY_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &reasons).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&golden).unwrap_or_default(),
        reasons,
        "run with EHDEPLOY_BLESS=1 to record the reasons"
    );
}
