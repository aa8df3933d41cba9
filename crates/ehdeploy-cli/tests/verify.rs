//! `ehdeploy verify` end to end on the example platform, offline from its OCI layout: the
//! human output (golden), exit codes 0 / 1 / 2, and the report formats. Nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::process::Output;

fn ehdeploy(args: &[&str]) -> Output {
    support::command(args)
        .env_remove("NO_COLOR")
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap()
}

const OFFLINE: [&str; 5] = [
    "verify",
    "--platform",
    "examples/platform",
    "--layout",
    "examples/platform/images",
];

#[test]
fn inttest_verifies_with_the_unsigned_image_warned_and_exits_0() {
    let out = ehdeploy(&[&OFFLINE[..], &["--env", "inttest", "--color", "never"]].concat());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/verify-inttest.txt");
    if std::env::var_os("EHDEPLOY_BLESS").is_some() {
        std::fs::write(&golden, &stdout).unwrap();
    }
    assert_eq!(
        stdout,
        std::fs::read_to_string(&golden).unwrap_or_default(),
        "run with EHDEPLOY_BLESS=1 to record the output"
    );
}

#[test]
fn an_unsigned_image_where_the_policy_enforces_exits_1_in_every_format() {
    let image = "registry.ehealth.example/nordlab/lab-results:2.12.0-rc.1";
    let out = ehdeploy(
        &[
            &OFFLINE[..],
            &["--env", "exttest", "--color", "never", image],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with(&format!("refused exttest  -                {image}@sha256:d9d9d9e84f6d…\n        no authority's signature verified (nordlab-ci: unsigned)\n        nordlab-ci: no signature for ")), "{stdout}");
    assert!(stdout.contains("1 image(s): 0 allowed, 0 warned, 1 refused, 0 not verifiable\n"));

    let out = ehdeploy(
        &[
            &OFFLINE[..],
            &["--env", "exttest", "--format", "json", image],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer["images"][0]["verdict"]["decision"]["reason"],
        "unsigned"
    );
    assert_eq!(answer["report"]["findings"][0]["rule"], "signature/refused");

    let out = ehdeploy(
        &[
            &OFFLINE[..],
            &["--env", "exttest", "--format", "sarif", image],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "signature/refused"
    );
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "error");

    // Warnings fail too when asked.
    let out = ehdeploy(&[&OFFLINE[..], &["--env", "inttest", "--fail-on", "warning"]].concat());
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let out = ehdeploy(&[&OFFLINE[..], &["--write"]].concat());
    assert_eq!(out.status.code(), Some(2), "--write needs --pin");
    let out = ehdeploy(&[
        "verify",
        "--platform",
        "examples/platform",
        "--layout",
        "no/such/layout",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no/such/layout"), "{stderr}");
    let out = ehdeploy(&[&OFFLINE[..], &["--bundles", "no/such/bundles"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("the bundle files: no/such/bundles"),
        "{stderr}"
    );
    let out = ehdeploy(&[&OFFLINE[..], &["--env", "qa"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("environment `qa` is not in the platform file"));
}
