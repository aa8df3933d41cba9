//! End-to-end: `ehdeploy canary analyze` against a real Prometheus, `ehdeploy canary
//! resources` on the example platform, and `ehdeploy rollback` on a real git repository, with
//! their outputs and exit codes (0 fine, 1 rolled back, 2 error).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../ehdeploy/tests/support/prometheus.rs"]
mod prometheus_server;
mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use support::ehdeploy;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(what: &str) -> Dir {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ehdeploy-cli-{what}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.0.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One environment `test` with the app `app` in the harness's namespace, canary on, judged
/// every minute up to weight 20, rolled back after 2 failed checks.
fn canary_platform(app: &str) -> Dir {
    let dir = Dir::new("canary");
    dir.write(
        "platform.yaml",
        "name: t\nenvironments:\n  - name: test\n    dsf: [test.yaml]\nregistries: [registry.example]\ncharts:\n  - name: ehealth-service\n    repository: https://charts.example/stable\n    profile: ehealth-service\ncanary:\n  analysis:\n    threshold: 2\n    stepWeight: 10\n    maxWeight: 20\n    metrics:\n      - name: request-success-rate\n        thresholdRange: { min: 99 }\n",
    );
    dir.write(
        "test.yaml",
        &format!(
            "namespaces:\n  {ns}: {{}}\nhelmRepos:\n  ehealth: https://charts.example/stable\napps:\n  {app}:\n    namespace: {ns}\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.0.0\n    valuesFile: values.yaml\n",
            ns = prometheus_server::NAMESPACE
        ),
    );
    dir.write(
        "values.yaml",
        "image: registry.example/t/app\nimageTag: 1.0.0\ncontainerPort: 8080\ncanary:\n  enabled: true\n",
    );
    dir
}

fn analyze(platform: &Dir, app: &str, prometheus: &str, format: &str) -> Output {
    ehdeploy(&[
        "canary",
        "analyze",
        "--platform",
        platform.path(),
        "--env",
        "test",
        "--app",
        app,
        "--prometheus",
        prometheus,
        "--since",
        "2026-11-20T10:05:00Z",
        "--at",
        "2026-11-20T10:25:00Z",
        "--timeout",
        "5",
        "--retries",
        "0",
        "--format",
        format,
    ])
}

#[test]
fn canary_analyze_promotes_a_healthy_canary_and_rolls_back_a_failing_one() {
    let server = prometheus_server::shared();
    let healthy = canary_platform(prometheus_server::HEALTHY);
    let out = analyze(&healthy, prometheus_server::HEALTHY, &server.url, "human");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "healthy in test (namespace canary-test), analysis from platform.yaml at /canary/analysis, metrics from {}",
            server.url
        )
    );
    assert_eq!(
        lines[1],
        "canary healthy: 3 check(s) from 2026-11-20T10:05:00Z to 2026-11-20T10:25:00Z"
    );
    assert!(
        lines[2].starts_with(
            "  2026-11-20T10:06:00Z  continue     weight  10%  request-success-rate 99.9"
        ),
        "{stdout}"
    );
    assert!(
        lines[4].starts_with("  2026-11-20T10:08:00Z  promote      weight  20%"),
        "{stdout}"
    );
    assert!(lines[5].starts_with("decision: promote: "), "{stdout}");

    let erroring = canary_platform(prometheus_server::ERRORING);
    let out = analyze(&erroring, prometheus_server::ERRORING, &server.url, "json");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["run"]["action"], "roll-back");
    assert_eq!(answer["run"]["checks"].as_array().unwrap().len(), 2);
}

#[test]
fn canary_analyze_with_prometheus_down_is_an_error_not_a_verdict() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let platform = canary_platform(prometheus_server::HEALTHY);
    let out = analyze(
        &platform,
        prometheus_server::HEALTHY,
        &format!("http://127.0.0.1:{port}"),
        "human",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("[prometheus/unreachable]"), "{stderr}");
    assert!(stderr.contains("help: nothing was decided"), "{stderr}");
}

#[test]
fn canary_resources_lists_the_flagger_objects_of_the_example_platform() {
    let out = ehdeploy(&[
        "canary",
        "resources",
        "--platform",
        "examples/platform",
        "--env",
        "prod",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap(),
                i["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("Canary", "patient-api"), ("Canary", "patient-portal")]
    );
    // patient-portal's own, stricter analysis in prod.
    assert_eq!(
        list["items"][1]["spec"]["analysis"]["stepWeights"],
        serde_json::json!([5, 10, 25, 50])
    );
    let out = ehdeploy(&[
        "canary",
        "resources",
        "--platform",
        "examples/platform",
        "--env",
        "prod",
        "--app",
        "lab-results",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error[usage]: canary is off for `lab-results` in prod\n  help: switch it on in the app's values (`canary.enabled: true` for `ehealth-service`)\n"
    );
}

fn git(dir: &Dir, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(&dir.0)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn rollback_plans_then_commits_with_write() {
    let dir = Dir::new("rollback");
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "user.name", "RM"]);
    git(&dir, &["config", "user.email", "rm@example"]);
    dir.write(
        "platform.yaml",
        "name: t\nenvironments:\n  - name: prod\n    dsf: [prod.yaml]\ncharts:\n  - name: ehealth-service\n    repository: https://charts.example/stable\n    profile: ehealth-service\n",
    );
    dir.write(
        "prod.yaml",
        "namespaces:\n  team: {}\nhelmRepos:\n  ehealth: https://charts.example/stable\napps:\n  api:\n    namespace: team\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.0.0\n    valuesFile: api.yaml\n",
    );
    for (tag, message) in [("1.0.0", "api 1.0.0"), ("1.1.0", "api 1.1.0")] {
        dir.write(
            "api.yaml",
            &format!("image: registry.example/team/api\nimageTag: {tag}\n"),
        );
        git(&dir, &["add", "-A"]);
        git(&dir, &["commit", "-q", "-m", message]);
    }
    let rollback = |more: &[&str]| {
        let mut args = vec![
            "rollback",
            "--repo",
            dir.path(),
            "--env",
            "prod",
            "--app",
            "api",
        ];
        args.extend_from_slice(more);
        ehdeploy(&args)
    };
    // No audit log: nothing is healthy by record, so the revision is named.
    let out = rollback(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("healthy by record"),
        "{}",
        text(&out.stderr)
    );
    let out = rollback(&["--to", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains(", NOT healthy by record\n"), "{stdout}");
    assert!(
        stdout.contains("-imageTag: 1.1.0\n+imageTag: 1.0.0\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("not written: run again with --write to commit it\n"),
        "{stdout}"
    );
    let out = rollback(&["--to", "HEAD~1", "--write", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        answer["commit"]["id"].as_str().unwrap(),
        git(&dir, &["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(
        git(&dir, &["log", "--format=%s"]),
        format!(
            "Roll back `api` in prod to {}\napi 1.1.0\napi 1.0.0\n",
            &answer["target"]["id"].as_str().unwrap()[..7]
        )
    );
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");
}
