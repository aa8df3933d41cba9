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
