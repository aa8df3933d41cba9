//! `verify` on a copy of the example platform, offline from its OCI layout (images signed by
//! openssl following cosign's specification, scripts/example-images.py): the exact verdicts
//! and findings, prod's release key, pinning (shown and written), recording as evidence, a
//! corrupt layout (never a pass), `check`'s signature findings, and the usage errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ehdeploy::api::{self, ErrorCode, VerifyRequest, VerifyResponse};
use ehdeploy::trust::{Mode, Outcome, TrustReason};

#[path = "support/example.rs"]
mod example;
use example::{copy_dir, example};

const LAB_RC: &str = "registry.ehealth.example/nordlab/lab-results:2.12.0-rc.1";
const PATIENT_API_DIGEST: &str =
    "sha256:4cbffa617b45ce6682f35dfb537995393e539e1795c61e424eaea028cd38cbd9";

/// A copy of the example platform, removed at the end.
struct Copy(PathBuf);

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Copy {
    fn new(name: &str) -> Copy {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("verify-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&example(), &dir);
        Copy(dir)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn request(&self, environment: Option<&str>) -> VerifyRequest {
        VerifyRequest {
            platform: self.0.clone(),
            environment: environment.map(str::to_string),
            layout: Some(self.path("images")),
            process_env: false,
            ..Default::default()
        }
    }

    /// Replaces `from` (exactly once) by `to` in a file.
    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.path(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(from).count(), 1, "`{from}` in {file}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
}

fn verify(request: &VerifyRequest) -> VerifyResponse {
    api::verify(request).unwrap().response
}

/// Each finding as `severity rule file:line:col app`.
fn findings(answer: &VerifyResponse) -> Vec<String> {
    answer
        .report
        .findings
        .iter()
        .map(|f| {
            let at = f.location.as_ref().map_or("-".to_string(), |l| {
                let file = Path::new(&l.file)
                    .components()
                    .rev()
                    .take(3)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<PathBuf>();
                format!("{}:{}:{}", file.display(), l.line, l.column)
            });
            format!(
                "{} {} {at} {}",
                f.severity.as_str(),
                f.rule,
                f.app.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

#[test]
fn the_example_platform_verifies_offline_with_one_unsigned_image_warned_in_inttest() {
    let copy = Copy::new("all");
    let answer = verify(&copy.request(None));
    assert_eq!(answer.images.len(), 32, "8 apps in 4 environments");
    let not_allowed: Vec<(String, String)> = answer
        .images
        .iter()
        .filter(|i| !i.verdict.decision.allowed)
        .map(|i| (i.environment.clone().unwrap(), i.reference.clone()))
        .collect();
    assert_eq!(not_allowed, [("inttest".to_string(), LAB_RC.to_string())]);
    let rc = answer
        .images
        .iter()
        .find(|i| i.reference == LAB_RC)
        .unwrap();
    assert_eq!(rc.app.as_deref(), Some("lab-results"));
    assert!(!rc.pinned);
    assert_eq!(rc.verdict.decision.mode, Mode::Warn);
    assert_eq!(rc.verdict.decision.reason, Some(TrustReason::Unsigned));
    assert_eq!(rc.verdict.checks.len(), 1);
    assert_eq!(rc.verdict.checks[0].authority, "nordlab-ci");
    assert_eq!(rc.verdict.checks[0].reason.as_deref(), Some("unsigned"));
    assert_eq!(rc.verdict.outcome, Outcome::Warned);
    assert_eq!(
        rc.verdict.digest.as_deref(),
        Some("sha256:d9d9d9e84f6dab5c0344976b0c55c2e434474de59b8d26d052d3aeb42b5985e4")
    );
    // Every image of preprod and prod is pinned, and signed by its supplier and the platform.
    for image in answer
        .images
        .iter()
        .filter(|i| matches!(i.environment.as_deref(), Some("preprod" | "prod")))
    {
        assert!(image.pinned, "{}", image.reference);
        let supplier = image.reference.split('/').nth(1).unwrap();
        assert_eq!(
            image.verdict.decision.passed,
            [format!("{supplier}-ci"), "platform-release".to_string()],
            "{}",
            image.reference
        );
    }
    assert_eq!(
        findings(&answer),
        ["warning signature/refused values/lab-results/inttest.yaml:5:11 lab-results"]
    );
    assert_eq!(answer.report.summary.errors, 0);
    assert!(!answer.written && answer.files.is_empty() && answer.recorded.is_none());
}

#[test]
fn an_image_named_is_refused_where_the_policy_enforces_and_prod_needs_the_release_key() {
    let copy = Copy::new("named");
    let mut request = copy.request(Some("exttest"));
    request.images = vec![
        LAB_RC.into(),
        "registry.ehealth.example/nordlab/lab-results:2.11.4".into(),
    ];
    let answer = verify(&request);
    let allowed: Vec<bool> = answer
        .images
        .iter()
        .map(|i| i.verdict.decision.allowed)
        .collect();
    assert_eq!(allowed, [false, true]);
    assert_eq!(answer.images[0].verdict.decision.mode, Mode::Enforce);
    assert_eq!(findings(&answer), ["error signature/refused - -"]);
    assert_eq!(
        answer.report.findings[0].message,
        format!("`{LAB_RC}` (sha256:d9d9d9e84f6dab5c0344976b0c55c2e434474de59b8d26d052d3aeb42b5985e4) is refused in exttest: no authority's signature verified (nordlab-ci: unsigned)")
    );

    // patient-portal 2.9.0 is signed by Medilink's CI only: not enough for prod.
    let mut request = copy.request(Some("prod"));
    request.images = vec!["registry.ehealth.example/medilink/patient-portal:2.9.0".into()];
    let answer = verify(&request);
    let decision = &answer.images[0].verdict.decision;
    assert!(!decision.allowed);
    assert_eq!(decision.reason, Some(TrustReason::RequiredMissing));
    assert_eq!(decision.passed, ["medilink-ci"]);
    assert_eq!(decision.missing, ["platform-release"]);

    // An image no policy names is denied.
    request.images = vec!["docker.io/library/nginx:1.27".into()];
    let answer = verify(&request);
    assert_eq!(
        answer.images[0].verdict.decision.reason,
        Some(TrustReason::NoPolicy)
    );
    assert_eq!(answer.images[0].reference, "docker.io/library/nginx:1.27");
}

#[test]
fn pin_shows_then_writes_the_verified_digest_into_the_apps_own_values_file() {
    let copy = Copy::new("pin");
    let file = "values/patient-api/preprod.yaml";
    copy.edit(
        file,
        &format!(
            "# Digest of registry.ehealth.example/medilink/patient-api:3.14.2, the same in preprod and prod.\nimageDigest: {PATIENT_API_DIGEST}\n"
        ),
        "",
    );
    let before = std::fs::read_to_string(copy.path(file)).unwrap();

    let mut request = copy.request(Some("preprod"));
    let answer = verify(&request);
    assert_eq!(
        findings(&answer),
        ["error image/digest-required values/patient-api/common.yaml:7:11 patient-api"]
    );
    assert!(answer.report.findings[0]
        .message
        .contains(&format!("it is {PATIENT_API_DIGEST}")));

    request.pin = true;
    let answer = verify(&request);
    assert_eq!(answer.files.len(), 1);
    assert!(answer.files[0].path.ends_with(file));
    assert_eq!(answer.files[0].before, before);
    assert_eq!(
        answer.files[0].after,
        format!("{before}imageDigest: {PATIENT_API_DIGEST}\n")
    );
    assert!(!answer.written);
    assert_eq!(std::fs::read_to_string(copy.path(file)).unwrap(), before);

    request.write = true;
    let answer = verify(&request);
    assert!(answer.written);
    assert_eq!(findings(&answer), Vec::<String>::new());
    assert_eq!(
        std::fs::read_to_string(copy.path(file)).unwrap(),
        format!("{before}imageDigest: {PATIENT_API_DIGEST}\n")
    );
    // Verified again, the spec pins it: nothing left to write.
    let answer = verify(&request);
    assert!(answer.files.is_empty() && !answer.written);
    let api_image = answer
        .images
        .iter()
        .find(|i| i.app.as_deref() == Some("patient-api"))
        .unwrap();
    assert!(api_image.pinned);
}

#[test]
fn a_corrupt_layout_is_unverifiable_in_every_mode_never_a_pass() {
    let copy = Copy::new("corrupt");
    // The signature manifest of patient-api 3.14.2, replaced by other bytes.
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(copy.path("images/index.json")).unwrap())
            .unwrap();
    let sig_ref = format!(
        "registry.ehealth.example/medilink/patient-api:{}.sig",
        PATIENT_API_DIGEST.replace(':', "-")
    );
    let digest = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == sig_ref.as_str())
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(
        copy.path("images/blobs/sha256").join(&digest[7..]),
        b"{\"schemaVersion\":2}",
    )
    .unwrap();
    let answer = verify(&copy.request(Some("inttest")));
    let image = answer
        .images
        .iter()
        .find(|i| i.app.as_deref() == Some("patient-api"))
        .unwrap();
    assert!(!image.verdict.decision.allowed);
    assert!(image
        .verdict
        .unverifiable
        .as_deref()
        .unwrap()
        .ends_with("[signature/content-mismatch]"));
    assert_eq!(image.verdict.outcome, Outcome::Unverifiable);
    assert_eq!(
        image.verdict.decision.reason,
        Some(TrustReason::Unverifiable)
    );
    assert_eq!(
        image.verdict.checks[0].reason.as_deref(),
        Some("content-mismatch")
    );
    // inttest only warns about unsigned images; an unreadable one is an error there too.
    assert_eq!(
        findings(&answer),
        [
            "warning signature/refused values/lab-results/inttest.yaml:5:11 lab-results",
            "error signature/unverifiable values/patient-api/common.yaml:7:11 patient-api",
        ]
    );
}

#[test]
fn the_result_is_recorded_as_signatures_verified_evidence() {
    let copy = Copy::new("record");
    let mut request = copy.request(Some("inttest"));
    request.candidate = Some("2026.11.24-1".into());
    request.actor = Some(ehdeploy::promotion::Actor {
        name: "jenkins-test".into(),
        roles: vec!["deployer".into()],
    });
    let answer = verify(&request);
    let recorded = answer.recorded.unwrap();
    let log = std::fs::read_to_string(copy.path("promotions/2026.11.24-1.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"]["type"], "evidence");
    assert_eq!(last["event"]["kind"], "signatures-verified");
    assert_eq!(last["event"]["environment"], "inttest");
    // lab-results is only warned about in inttest: that is not verified.
    assert_eq!(last["event"]["ok"], false);
    assert!(last["event"]["note"]
        .as_str()
        .unwrap()
        .starts_with("refused: lab-results: no authority's signature verified"));
    assert_eq!(
        serde_json::to_value(&recorded.entry).unwrap(),
        last,
        "the answer names the entry appended"
    );
    // The log still verifies, with the entry.
    let verified = api::verify_log(&api::VerifyLogRequest {
        platform: copy.0.clone(),
        candidate: "2026.11.24-1".into(),
        head: None,
    })
    .unwrap();
    assert!(verified.ok, "{verified:?}");
}

#[test]
fn check_verifies_every_image_from_the_platforms_layout() {
    let copy = Copy::new("check");
    let request = api::CheckRequest {
        platform_dir: copy.0.clone(),
        process_env: false,
        ..Default::default()
    };
    let signature = |report: &ehdeploy::report::Report| -> Vec<String> {
        report
            .findings
            .iter()
            .filter(|f| f.rule.as_str().starts_with("signature/"))
            .map(|f| {
                let l = f.location.as_ref().unwrap();
                let file = Path::new(&l.file).file_name().unwrap().to_string_lossy();
                format!("{} {} {file}:{}", f.severity.as_str(), f.rule, l.line)
            })
            .collect()
    };
    let checked = api::check(&request).unwrap();
    assert_eq!(
        signature(&checked.report),
        ["warning signature/refused inttest.yaml:5"]
    );
    assert_eq!(checked.report.summary.errors, 0);
    // A bundle folder the platform names: an empty one changes nothing, one that is not there
    // is an error at the setting.
    copy.edit(
        "platform.yaml",
        "  layout: images\n",
        "  layout: images\n  bundles: [signatures]\n",
    );
    std::fs::create_dir(copy.path("signatures")).unwrap();
    let checked = api::check(&request).unwrap();
    assert_eq!(
        signature(&checked.report),
        ["warning signature/refused inttest.yaml:5"]
    );
    std::fs::remove_dir(copy.path("signatures")).unwrap();
    let checked = api::check(&request).unwrap();
    assert_eq!(
        signature(&checked.report),
        ["error signature/unverifiable platform.yaml:93"]
    );
    let message = &checked
        .report
        .findings
        .iter()
        .find(|f| f.rule.as_str() == "signature/unverifiable")
        .unwrap()
        .message;
    assert!(
        message.starts_with("the platform's bundle files cannot be read: "),
        "{message}"
    );
    copy.edit("platform.yaml", "  bundles: [signatures]\n", "");
    // Without its layout, check says so at the setting, and fails.
    std::fs::remove_dir_all(copy.path("images")).unwrap();
    let checked = api::check(&request).unwrap();
    assert_eq!(
        signature(&checked.report),
        ["error signature/unverifiable platform.yaml:92"]
    );
}

#[test]
fn usage_errors_say_what_is_missing() {
    let copy = Copy::new("usage");
    let code = |request: &VerifyRequest| api::verify(request).unwrap_err().code;
    let mut request = copy.request(Some("inttest"));
    request.write = true;
    assert_eq!(code(&request), ErrorCode::Usage, "write without pin");

    let mut request = copy.request(None);
    request.candidate = Some("2026.11.24-1".into());
    request.actor = Some(ehdeploy::promotion::Actor {
        name: "a".into(),
        roles: vec![],
    });
    assert_eq!(
        code(&request),
        ErrorCode::Usage,
        "evidence without environment"
    );

    let mut request = copy.request(Some("qa"));
    assert_eq!(code(&request), ErrorCode::Usage, "unknown environment");

    request.environment = None;
    request.layout = Some(copy.path("no-such-layout"));
    let e = api::verify(&request).unwrap_err();
    assert_eq!(e.code, ErrorCode::Io);
    assert!(e.message.contains("no-such-layout"), "{}", e.message);

    request.layout = Some(copy.path("images"));
    request.images = vec!["Registry.example/UPPER:1".into()];
    assert_eq!(code(&request), ErrorCode::Usage, "not an image reference");

    // A platform without a trust policy.
    let text = std::fs::read_to_string(copy.path("platform.yaml")).unwrap();
    let start = text.find("\nsignatures:").unwrap();
    let end = text[start + 1..].find("\n\n").unwrap() + start + 1;
    std::fs::write(
        copy.path("platform.yaml"),
        format!("{}{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let e = api::verify(&copy.request(None)).unwrap_err();
    assert_eq!(e.code, ErrorCode::Usage);
    assert!(e.message.contains("no trust policy"), "{}", e.message);
}
