//! The ABI called as C would: NULLs, bad UTF-8, errors, threads; and the header kept current.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use std::path::PathBuf;
use std::ptr;

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Call through the ABI; the status and the answer (freed here).
fn c_call(op: Option<&CStr>, request: Option<&CStr>) -> (ehd_status, String) {
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: valid or NULL strings, and a valid out-pointer.
    let status = unsafe {
        ehd_call(
            op.map_or(ptr::null(), CStr::as_ptr),
            request.map_or(ptr::null(), CStr::as_ptr),
            &mut out,
        )
    };
    assert!(!out.is_null(), "the answer is always written");
    // SAFETY: a string returned by ehd_call.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
    // SAFETY: returned by ehd_call, freed once.
    unsafe { ehd_string_free(out) };
    (status, text)
}

fn code(answer: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(answer).unwrap();
    v["error"]["code"].as_str().unwrap().to_string()
}

#[test]
fn version_is_the_crate_version() {
    // SAFETY: a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(ehd_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    let (status, answer) = c_call(Some(c"version"), Some(c"{}"));
    assert_eq!(status, ehd_status::EHD_OK);
    assert_eq!(answer, api::call_json("version", "{}"));
}

#[test]
fn each_error_has_its_status_and_json() {
    let cases: [(Option<&CStr>, Option<&CStr>, ehd_status, &str); 6] = [
        (
            Some(c"nope"),
            Some(c"{}"),
            ehd_status::EHD_UNKNOWN_OPERATION,
            "unknown-operation",
        ),
        (
            Some(c"validate"),
            Some(c"{not json"),
            ehd_status::EHD_INVALID_REQUEST,
            "invalid-request",
        ),
        (
            Some(c"validate"),
            Some(c"{\"files\": 1}"),
            ehd_status::EHD_INVALID_REQUEST,
            "invalid-request",
        ),
        (
            Some(c"validate"),
            Some(c"{\"files\": [\"/nonexistent/x.yaml\"]}"),
            ehd_status::EHD_IO,
            "io",
        ),
        (
            None,
            Some(c"{}"),
            ehd_status::EHD_NULL_ARGUMENT,
            "invalid-argument",
        ),
        (
            Some(c"version"),
            None,
            ehd_status::EHD_NULL_ARGUMENT,
            "invalid-argument",
        ),
    ];
    for (op, request, status, expected) in cases {
        let (got, answer) = c_call(op, request);
        assert_eq!(got, status, "{answer}");
        assert_eq!(code(&answer), expected, "{answer}");
    }
    let bad = [0x76u8, 0xff, 0x00];
    let (got, answer) = c_call(Some(CStr::from_bytes_with_nul(&bad).unwrap()), Some(c"{}"));
    assert_eq!(got, ehd_status::EHD_INVALID_UTF8);
    assert_eq!(code(&answer), "invalid-argument");
}

#[test]
fn a_null_out_pointer_is_refused_and_nothing_is_written() {
    // SAFETY: NULL out-pointer is part of the contract.
    let status = unsafe { ehd_call(c"version".as_ptr(), c"{}".as_ptr(), ptr::null_mut()) };
    assert_eq!(status, ehd_status::EHD_NULL_ARGUMENT);
    // SAFETY: freeing NULL is a no-op.
    unsafe { ehd_string_free(ptr::null_mut()) };
}

#[test]
fn status_names_are_stable() {
    for (value, name) in [
        (0, "EHD_OK"),
        (5, "EHD_PANIC"),
        (7, "EHD_INVALID_UTF8"),
        (42, "EHD_UNKNOWN_STATUS"),
    ] {
        // SAFETY: static strings.
        let got = unsafe { CStr::from_ptr(ehd_status_name(value)) };
        assert_eq!(got.to_str().unwrap(), name);
    }
}

#[test]
fn check_is_the_call_with_the_platform_dir() {
    let dir = CString::new(repo().join("examples/platform").to_str().unwrap()).unwrap();
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: valid strings and out-pointer.
    let status = unsafe { ehd_check(dir.as_ptr(), &mut out) };
    assert_eq!(status, ehd_status::EHD_OK);
    // SAFETY: returned by ehd_check.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
    // SAFETY: freed once.
    unsafe { ehd_string_free(out) };
    let request = format!(
        "{{\"platformDir\": {:?}}}",
        repo().join("examples/platform").to_str().unwrap()
    );
    assert_eq!(text, api::call_json("check", &request));
    assert!(text.contains("\"errors\": 0"));
}

/// `verify` of the example platform's inttest, offline from its OCI layout (absolute paths: the
/// tests share the process's working directory).
fn verify_inttest_request() -> String {
    let platform = repo().join("examples/platform");
    serde_json::json!({
        "platform": platform,
        "environment": "inttest",
        "layout": platform.join("images"),
        "processEnv": false,
    })
    .to_string()
}

#[test]
fn verify_is_the_api_answer_with_one_verdict_per_image() {
    let request = verify_inttest_request();
    let c_request = CString::new(request.clone()).unwrap();
    let (status, answer) = c_call(Some(c"verify"), Some(&c_request));
    assert_eq!(status, ehd_status::EHD_OK, "{answer}");
    assert_eq!(answer, api::call_json("verify", &request));
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let images = v["images"].as_array().unwrap();
    assert_eq!(images.len(), 8);
    let allowed = |i: &&serde_json::Value| i["verdict"]["decision"]["allowed"] == true;
    assert_eq!(images.iter().filter(allowed).count(), 7);
    // Every image is signed but lab-results, which inttest's policy only warns about.
    let refused: Vec<_> = images.iter().filter(|i| !allowed(i)).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["app"], "lab-results");
    assert_eq!(
        refused[0]["reference"],
        "registry.ehealth.example/nordlab/lab-results:2.12.0-rc.1"
    );
    let verdict = &refused[0]["verdict"];
    assert_eq!(verdict["outcome"], "warned");
    let decision = &verdict["decision"];
    assert_eq!(
        (&decision["mode"], &decision["reason"]),
        (&"warn".into(), &"unsigned".into())
    );
    // The check's reason is the stable code alone; its message says what failed.
    let check = &verdict["checks"][0];
    assert_eq!(
        (&check["authority"], &check["verified"], &check["reason"]),
        (&"nordlab-ci".into(), &false.into(), &"unsigned".into())
    );
    assert!(check["message"]
        .as_str()
        .unwrap()
        .starts_with("no signature for registry.ehealth.example/nordlab/lab-results@sha256:"));
    let outcomes: Vec<_> = images.iter().map(|i| &i["verdict"]["outcome"]).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "allowed").count(), 7);
    let findings = v["report"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (&findings[0]["rule"], &findings[0]["severity"]),
        (&"signature/refused".into(), &"warning".into())
    );
    assert_eq!(v["report"]["summary"]["errors"], 0);
    assert_eq!(v["written"], false);
    // `files` is always there (empty without `pin`); `recorded` only with a candidate.
    assert_eq!(v["files"], serde_json::json!([]));
    assert!(v.get("recorded").is_none());
}

#[test]
fn malformed_and_impossible_verify_requests_are_the_error_json() {
    let platform = repo().join("examples/platform");
    let cases = [
        (
            serde_json::json!({"platform": platform, "layuot": "images"}),
            ehd_status::EHD_INVALID_REQUEST,
            "invalid-request",
        ),
        (
            serde_json::json!({"platform": platform, "images": "not-a-list"}),
            ehd_status::EHD_INVALID_REQUEST,
            "invalid-request",
        ),
        (
            serde_json::json!({"environment": "inttest"}),
            ehd_status::EHD_INVALID_REQUEST,
            "invalid-request",
        ),
        (
            serde_json::json!({"platform": platform, "layout": platform.join("images"), "write": true}),
            ehd_status::EHD_USAGE,
            "usage",
        ),
        (
            serde_json::json!({"platform": repo().join("tests/parity/planted")}),
            ehd_status::EHD_USAGE,
            "usage",
        ),
        (
            serde_json::json!({"platform": platform, "layout": platform.join("no-such-layout")}),
            ehd_status::EHD_IO,
            "io",
        ),
    ];
    for (request, expected, error) in cases {
        let request = request.to_string();
        let (status, answer) = c_call(
            Some(c"verify"),
            Some(&CString::new(request.clone()).unwrap()),
        );
        assert_eq!(status, expected, "{request}: {answer}");
        assert_eq!(code(&answer), error, "{answer}");
        // Exactly the error's JSON: nothing but `error`.
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 1, "{answer}");
        assert_eq!(answer, api::call_json("verify", &request));
    }
}

#[test]
fn the_checked_in_header_is_the_generated_one() {
    let crate_dir = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(repo().join("bindings/c/cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .unwrap()
        .write(&mut generated);
    let path = repo().join("bindings/c/include/ehdeploy.h");
    if std::env::var_os("EHDEPLOY_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let on_disk = std::fs::read(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "bindings/c/include/ehdeploy.h is out of date: run `EHDEPLOY_BLESS=1 cargo test -p ehdeploy-capi`"
    );
}
