//! End-to-end: the `ehdeploy` binary on the example platform, on Helmsman's own invalid
//! files and on hostile input, with exit codes 0 / 1 / 2 and every output format.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::Output;

use support::example::{copy_dir, example};
use support::repo;

fn fixtures() -> PathBuf {
    repo().join("../shared/fixtures/helmsman")
}

fn ehdeploy(args: &[&str]) -> Output {
    support::command(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rules_of(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn check_on_the_example_platform_passes_with_only_its_deliberate_warnings() {
    let out = ehdeploy(&["check", "examples/platform", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = json(&out);
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["environments"], 4);
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["severity"], "warning", "{f}");
    }
    assert!(findings.iter().any(|f| f["rule"] == "schema/unknown-key"
        && f["location"]["pointer"]
            .as_str()
            .unwrap()
            .ends_with("/purge")));
    // with --fail-on warning the same report fails
    let out = ehdeploy(&[
        "check",
        "examples/platform",
        "--fail-on",
        "warning",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn helmsman_invalid_files_fail_with_located_errors() {
    let f = fixtures().join("mkubaczyk__helmsman/tests/invalid_example.yaml");
    let out = ehdeploy(&[
        "validate",
        "--format",
        "json",
        "--no-process-env",
        f.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        rules_of(&json(&out)),
        [
            ("schema/invalid".to_string(), "error".to_string(), 12),
            ("schema/invalid".to_string(), "error".to_string(), 13),
        ]
    );
    let f = fixtures().join("mkubaczyk__helmsman/tests/invalid_example.toml");
    let out = ehdeploy(&["validate", "--format", "json", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        rules_of(&json(&out)),
        [("syntax/toml".to_string(), "error".to_string(), 3)]
    );
}

#[test]
fn human_output_shows_the_line_and_a_caret() {
    let f = fixtures().join("mkubaczyk__helmsman/tests/invalid_example.yaml");
    let out = ehdeploy(&["validate", "--color", "never", f.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[schema/invalid]: `namespaces.staging` must be a mapping or null, but it is a string"), "{text}");
    assert!(
        text.contains("12 |   staging: \"staging\"\n   |            ^^^^^^^^^"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn sarif_and_junit_are_well_formed() {
    let f = fixtures().join("mkubaczyk__helmsman/tests/invalid_example.yaml");
    let out = ehdeploy(&["validate", "--format", "sarif", f.to_str().unwrap()]);
    let sarif = json(&out);
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        12
    );
    let out = ehdeploy(&["validate", "--format", "junit", f.to_str().unwrap()]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testcase") && xml.contains("<failure"),
        "{xml}"
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let out = ehdeploy(&["validate", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("error[io]: cannot read does/not/exist.yaml"));
    let out = ehdeploy(&["check", "does/not/exist"]);
    assert_eq!(out.status.code(), Some(2));
    let out = ehdeploy(&[
        "validate",
        "--platform",
        "examples/platform/platform.yaml",
        "--env",
        "staging",
        "examples/platform/envs/prod.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("environment `staging` is not in the platform file"));
    let out = ehdeploy(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn validate_with_the_platform_infers_the_environment() {
    let out = ehdeploy(&[
        "validate",
        "--format",
        "json",
        "--platform",
        "examples/platform/platform.yaml",
        "examples/platform/envs/prod.yaml",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(json(&out)["summary"]["environments"], 1);
}

#[test]
fn hostile_input_gives_located_errors_not_panics() {
    let dir = std::env::temp_dir().join(format!("ehdeploy-cli-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "malformed.yaml",
            b"apps:\n  web: [1, 2\n".to_vec(),
            "syntax/yaml",
        ),
        ("malformed.toml", b"[apps\nx = 1\n".to_vec(), "syntax/toml"),
        (
            "types.yaml",
            b"namespaces: [a]\napps:\n  web:\n    priority: high\n".to_vec(),
            "schema/invalid",
        ),
        (
            "utf8.yaml",
            b"apps:\n  web: \xff\xfe\n".to_vec(),
            "syntax/encoding",
        ),
        (
            "bomb.yaml",
            {
                let mut t = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
                for i in 1..12 {
                    t.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
                }
                t.into_bytes()
            },
            "syntax/alias-limit",
        ),
        (
            "deep.yaml",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            "syntax/too-deep",
        ),
        ("big.yaml", vec![b'#'; 50 * 1024 * 1024], "syntax/too-large"),
    ];
    for (name, bytes, rule) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = ehdeploy(&["validate", "--format", "json", path.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = json(&out);
        let f = &report["findings"][0];
        assert!(
            f["rule"] == rule || (name == "deep.yaml" && f["rule"] == "syntax/yaml"),
            "{name}: {f}"
        );
        assert!(
            f["location"]["line"].as_u64().unwrap() >= 1 || name == "big.yaml",
            "{name}: {f}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn schema_prints_the_schemas_and_rules_lists_the_catalogue() {
    for name in ["dsf", "platform", "spec-file", "report", "plan"] {
        let out = ehdeploy(&["schema", name]);
        assert_eq!(out.status.code(), Some(0));
        let on_disk =
            std::fs::read_to_string(repo().join(format!("schemas/{name}.schema.json"))).unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), on_disk);
    }
    let out = ehdeploy(&["rules"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), ehdeploy_rule_count());
    assert!(text.contains("image/tag-latest"));
}

fn ehdeploy_rule_count() -> usize {
    let src = std::fs::read_to_string(repo().join("crates/ehdeploy/src/rules.rs")).unwrap();
    src.lines()
        .filter(|l| l.trim_start().starts_with("///") && l.contains(" = \""))
        .count()
        .max(
            src.lines()
                .filter(|l| l.contains(" = \"") && l.contains('/') && l.trim_end().ends_with(','))
                .count(),
        )
}

#[test]
fn plan_exit_codes_and_formats() {
    let dir = std::env::temp_dir().join(format!("ehdeploy-cli-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let old = dir.join("old.yaml");
    let new = dir.join("new.yaml");
    let spec = |version: &str| {
        format!(
            "namespaces:\n  web: {{}}\nhelmRepos:\n  r: https://charts.example\napps:\n  site:\n    namespace: web\n    enabled: true\n    chart: r/site\n    version: {version}\n    setString:\n      db.password: s3cr3t-{version}\n"
        )
    };
    std::fs::write(&old, spec("1.2.0")).unwrap();
    std::fs::write(&new, spec("2.0.0")).unwrap();
    let (o, n) = (old.to_str().unwrap(), new.to_str().unwrap());

    let same = ehdeploy(&[
        "plan",
        "--old",
        o,
        "--new",
        o,
        "--detailed-exit-code",
        "--no-process-env",
    ]);
    assert_eq!(same.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&same.stdout).contains("No changes."));

    let changed = ehdeploy(&[
        "plan",
        "--old",
        o,
        "--new",
        n,
        "--detailed-exit-code",
        "--format",
        "json",
    ]);
    assert_eq!(changed.status.code(), Some(2));
    let answer = json(&changed);
    assert_eq!(answer["report"]["summary"]["errors"], 0);
    let plan = &answer["plan"];
    assert_eq!(plan["summary"]["change"], 1);
    assert_eq!(plan["actions"][0]["risks"][0]["id"], "risk/chart-major");
    let text = String::from_utf8(changed.stdout).unwrap();
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(text.contains("\"***\""), "{text}");

    let md = ehdeploy(&["plan", "--old", o, "--new", n, "--format", "markdown"]);
    assert_eq!(md.status.code(), Some(0));
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("### Plan"), "{md}");
    assert!(!md.contains("s3cr3t"), "{md}");

    std::fs::write(&new, "apps: [\n").unwrap();
    let broken = ehdeploy(&["plan", "--old", o, "--new", n, "--detailed-exit-code"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("syntax/yaml"));
    let missing = ehdeploy(&[
        "plan",
        "--old",
        o,
        "--new",
        "nope.yaml",
        "--detailed-exit-code",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    let missing = ehdeploy(&["plan", "--old", o, "--new", "nope.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn promotion_plan_on_the_example_platform() {
    let out = ehdeploy(&[
        "plan",
        "--platform",
        "examples/platform",
        "--from",
        "exttest",
        "--to",
        "preprod",
        "--format",
        "json",
        "--detailed-exit-code",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let answer = json(&out);
    let plan = &answer["plan"];
    assert_eq!(plan["summary"]["change"], 1);
    let changed: Vec<&str> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["decision"] != "noop")
        .map(|a| a["app"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["patient-portal"]);
    let rules: Vec<&str> = answer["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["promotion/manual"]);
    assert!(out.stderr.is_empty(), "JSON carries the findings");
    let out = ehdeploy(&[
        "plan",
        "--platform",
        "examples/platform",
        "--from",
        "preprod",
        "--to",
        "prod",
        "--detailed-exit-code",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let out = ehdeploy(&[
        "plan",
        "--platform",
        "examples/platform",
        "--from",
        "preprod",
        "--to",
        "staging",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("environment `staging` is not in the platform file"));
    let out = ehdeploy(&["plan", "--from", "preprod", "--to", "prod"]);
    assert_eq!(out.status.code(), Some(2), "--from needs --platform");
}

#[test]
fn promote_spec_prints_a_diff_and_writes_nothing_without_write() {
    let before =
        std::fs::read_to_string(repo().join("examples/platform/envs/exttest.yaml")).unwrap();
    let out = ehdeploy(&[
        "promote-spec",
        "--platform",
        "examples/platform",
        "--from",
        "inttest",
        "--to",
        "exttest",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.starts_with("--- a/examples/platform/envs/exttest.yaml\n+++ b/examples/platform/envs/exttest.yaml\n"), "{diff}");
    assert!(
        diff.contains("-    version: 2.4.1\n+    version: 2.4.0\n"),
        "{diff}"
    );
    let after =
        std::fs::read_to_string(repo().join("examples/platform/envs/exttest.yaml")).unwrap();
    assert_eq!(before, after);
}

#[test]
fn release_commands_decide_record_and_exit_as_documented() {
    let dir = std::env::temp_dir().join(format!("ehdeploy-cli-release-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&example(), &dir);
    let platform = dir.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["release"];
        all.extend_from_slice(&args[..1]);
        all.extend_from_slice(&["--platform", platform, "--candidate", "rc-cli"]);
        all.extend_from_slice(&args[1..]);
        ehdeploy(&all)
    };
    let created = run(&[
        "new",
        "--revision",
        "abc",
        "--as",
        "alice",
        "--at",
        "2026-11-24T08:00:00Z",
    ]);
    assert_eq!(
        created.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout)
        .starts_with("accepted: candidate-created (entry 0)"));
    // Promoting before anything happened in inttest: refused, every reason printed, exit 1.
    let refused = run(&[
        "promote",
        "--to",
        "exttest",
        "--as",
        "bob",
        "--roles",
        "test-promoter",
        "--from-env",
        "inttest",
        "--at",
        "2026-11-24T09:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let answer = json(&refused);
    assert_eq!(answer["decision"]["outcome"], "refused");
    let codes: Vec<&str> = answer["decision"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "gate/not-deployed",
            "gate/missing-evidence",
            "gate/missing-evidence",
            "gate/missing-evidence",
            "gate/missing-evidence",
            "gate/not-requested",
            "gate/approvals"
        ]
    );
    // The refusal is in the log, which verifies.
    let verified = ehdeploy(&[
        "release",
        "verify-log",
        "--platform",
        platform,
        "--candidate",
        "rc-cli",
    ]);
    assert_eq!(verified.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("2 entries verified"));
    // A usage error: exit 2.
    let bad = run(&["request", "--to", "staging", "--as", "bob"]);
    assert_eq!(
        bad.status.code(),
        Some(1),
        "an unknown environment is a refusal"
    );
    let bad_time = run(&["status", "--at", "yesterday"]);
    assert_eq!(bad_time.status.code(), Some(2));
    // Tampered: verify-log exits 1 and names the line; nothing more is recorded.
    let log = dir.join("promotions/rc-cli.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("\"bob\"", "\"eve\"", 1)).unwrap();
    let broken = ehdeploy(&[
        "release",
        "verify-log",
        "--platform",
        platform,
        "--candidate",
        "rc-cli",
    ]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stdout).contains(":2: entry 1 does not match its hash"));
    let before = std::fs::read(&log).unwrap();
    let refused_append = run(&["request", "--to", "exttest", "--as", "bob"]);
    assert_eq!(refused_append.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused_append.stderr).contains("error[audit-log]"));
    assert_eq!(std::fs::read(&log).unwrap(), before);
    // check shows the example's release and flags the broken one.
    let check = ehdeploy(&[
        "check",
        platform,
        "--format",
        "json",
        "--at",
        "2026-11-25T10:00:00Z",
    ]);
    assert_eq!(check.status.code(), Some(1));
    let report = json(&check);
    assert_eq!(report["releases"][0]["status"]["candidate"], "2026.11.24-1");
    assert!(rules_of(&report)
        .iter()
        .any(|(rule, _, line)| rule == "promotion/audit-log" && *line == 2));
    std::fs::remove_dir_all(&dir).unwrap();
}
