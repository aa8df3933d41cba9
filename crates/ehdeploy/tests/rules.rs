//! Every rule of the catalogue, proved on one input that breaks it and one that does not.
//!
//! Each test writes a tiny platform repo into a fresh folder (a `platform.yaml`, a DSF
//! `dsf.yaml`, a clean baseline values file `base.yaml` and a per-test override `values.yaml`),
//! runs `ehdeploy::api::validate` on it and compares the WHOLE list of findings, as
//! (rule, severity, file, line, column, JSON pointer), with what the rule must report. The
//! "good" input of every test yields no finding at all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ehdeploy::api::{check, validate, CheckRequest, ValidateRequest};
use ehdeploy::Finding;

// ---------------------------------------------------------------------------------------------
// The baseline: a platform with two environments and a DSF with one clean app.
// ---------------------------------------------------------------------------------------------

/// Line numbers are referred to in the tests: keep the layout.
const PLATFORM: &str = "\
name: test-platform
environments:
  - name: test
    dsf: [dsf.yaml]
    domain: test.example
    minReplicas: 1
    maxMemory: 1Gi
    requireDigest: false
    requireNewestChart: false
  - name: prod
    dsf: [dsf.yaml]
    domain: prod.example
    minReplicas: 2
    maxMemory: 2Gi
    requireDigest: true
    requireNewestChart: true
    rules: {}
registries: [registry.example]
charts:
  - name: ehealth-service
    repository: https://charts.example/stable
    versions: \">=2.0.0, <3.0.0\"
    available: [2.0.0, 2.1.0, 3.0.0]
    profile: ehealth-service
mesh:
  label: istio-injection
  value: enabled
";

/// Lines: 1 settings, 2 kubeContext, 3 namespaces, 4 team, 5 labels, 6 istio-injection,
/// 7 helmRepos, 8 ehealth, 9 apps, 10 api, 11 namespace, 12 enabled, 13 chart, 14 version,
/// 15 valuesFiles.
const DSF: &str = "\
settings:
  kubeContext: prod
namespaces:
  team:
    labels:
      istio-injection: enabled
helmRepos:
  ehealth: https://charts.example/stable
apps:
  api:
    namespace: team
    enabled: true
    chart: ehealth/ehealth-service
    version: 2.1.0
    valuesFiles: [base.yaml, values.yaml]
";

/// Lines: 1 image, 2 imageTag, 3 imageDigest, 4 replicaCount, 5 containerPort, 6 resources,
/// 7 requests, 8 memory, 9 limits, 10 memory, 11 livenessProbe, 12 httpPath,
/// 13 readinessProbe, 14 httpPath.
const BASE: &str = "\
image: registry.example/team/api
imageTag: 1.0.0
imageDigest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
replicaCount: 2
containerPort: 8080
resources:
  requests:
    memory: 256Mi
  limits:
    memory: 512Mi
livenessProbe:
  httpPath: /live
readinessProbe:
  httpPath: /ready
";

/// `text` with `from` replaced by `to` (exactly once).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur once in:\n{text}"
    );
    text.replacen(from, to, 1)
}

// ---------------------------------------------------------------------------------------------
// The harness.
// ---------------------------------------------------------------------------------------------

/// A folder under the target's temp folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("rules-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One finding as the tests compare it, as text: `rule severity file:line:column pointer`, the
/// file relative to the repo folder (`image/tag-latest error values.yaml:1:11 /imageTag`; no
/// pointer when it is `""`, the whole document).
type Row = String;

/// One validation to run.
#[derive(Clone)]
struct Case {
    files: BTreeMap<String, Vec<u8>>,
    validate: Vec<String>,
    platform: bool,
    environment: Option<String>,
    vars: BTreeMap<String, String>,
    max_file_bytes: Option<u64>,
    /// Check the whole repo (`api::check`, every environment of the platform file) instead.
    whole_repo: bool,
}

/// The baseline repo, validated for `prod`: clean.
fn case() -> Case {
    let mut files = BTreeMap::new();
    for (name, text) in [
        ("platform.yaml", PLATFORM),
        ("dsf.yaml", DSF),
        ("base.yaml", BASE),
        ("values.yaml", "{}\n"),
    ] {
        files.insert(name.to_string(), text.as_bytes().to_vec());
    }
    Case {
        files,
        validate: vec!["dsf.yaml".into()],
        platform: true,
        environment: Some("prod".into()),
        vars: BTreeMap::new(),
        max_file_bytes: None,
        whole_repo: false,
    }
}

/// The baseline with `values.yaml` (the override over `base.yaml`) set to `text`.
fn values(text: &str) -> Case {
    case().file("values.yaml", text)
}

/// The baseline with the DSF edited.
fn dsf(from: &str, to: &str) -> Case {
    case().file("dsf.yaml", &edit(DSF, from, to))
}

/// The baseline with the platform file edited.
fn platform(from: &str, to: &str) -> Case {
    case().file("platform.yaml", &edit(PLATFORM, from, to))
}

impl Case {
    fn file(self, name: &str, text: &str) -> Case {
        self.bytes(name, text.as_bytes())
    }

    fn bytes(mut self, name: &str, bytes: &[u8]) -> Case {
        self.files.insert(name.to_string(), bytes.to_vec());
        self
    }

    fn env(mut self, environment: &str) -> Case {
        self.environment = Some(environment.into());
        self
    }

    /// Only syntax, spec, schema and Helmsman rules (no platform file given).
    fn without_platform(mut self) -> Case {
        self.platform = false;
        self.environment = None;
        self
    }

    fn validate(mut self, file: &str) -> Case {
        self.validate = vec![file.into()];
        self
    }

    fn var(mut self, name: &str, value: &str) -> Case {
        self.vars.insert(name.into(), value.into());
        self
    }

    fn whole_repo(mut self) -> Case {
        self.whole_repo = true;
        self
    }

    fn max_file_bytes(mut self, max: u64) -> Case {
        self.max_file_bytes = Some(max);
        self
    }

    /// Write the repo, validate, and give the findings in report order.
    fn findings(&self) -> (Vec<Finding>, PathBuf, TempDir) {
        let dir = TempDir::new();
        for (name, bytes) in &self.files {
            let path = dir.0.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(&path, bytes).unwrap();
        }
        let request = ValidateRequest {
            files: self.validate.iter().map(|f| dir.0.join(f)).collect(),
            platform: self.platform.then(|| dir.0.join("platform.yaml")),
            environment: self.environment.clone(),
            vars: self.vars.clone(),
            process_env: false,
            max_file_bytes: self.max_file_bytes,
            ..Default::default()
        };
        let checked = if self.whole_repo {
            check(&CheckRequest {
                platform_dir: dir.0.clone(),
                vars: self.vars.clone(),
                process_env: false,
                max_file_bytes: self.max_file_bytes,
                at: Some("2026-11-24T12:00:00Z".into()),
            })
            .expect("check runs")
        } else {
            validate(&request).expect("validate runs")
        };
        let root = dir.0.clone();
        (checked.report.findings, root, dir)
    }

    fn rows(&self) -> (Vec<Row>, String) {
        let (findings, root, _dir) = self.findings();
        let prefix = format!("{}/", root.display());
        let rows = findings
            .iter()
            .map(|f| {
                let (file, line, column, pointer) = match &f.location {
                    Some(l) => (
                        l.file.strip_prefix(&prefix).unwrap_or(&l.file).to_string(),
                        l.line,
                        l.column,
                        l.pointer.clone(),
                    ),
                    None => (String::new(), 0, 0, String::new()),
                };
                format!("{} {} {file}:{line}:{column} {pointer}", f.rule, f.severity)
                    .trim_end()
                    .to_string()
            })
            .collect();
        let shown = findings
            .iter()
            .map(|f| format!("  {:?} {:?}: {}", f.rule.as_str(), f.location, f.message))
            .collect::<Vec<_>>()
            .join("\n");
        (rows, shown)
    }
}

/// The case yields exactly `expected`, in report order.
#[track_caller]
fn assert_findings<S: AsRef<str>>(case: &Case, expected: &[S]) {
    let (rows, shown) = case.rows();
    let expected: Vec<&str> = expected.iter().map(AsRef::as_ref).collect();
    assert_eq!(rows, expected, "findings:\n{shown}");
}

/// The case yields no finding at all.
#[track_caller]
fn assert_clean(case: &Case) {
    assert_findings::<&str>(case, &[]);
}

// ---------------------------------------------------------------------------------------------
// The baseline itself.
// ---------------------------------------------------------------------------------------------

#[test]
fn baseline_is_clean_in_every_environment_and_without_platform() {
    assert_clean(&case());
    assert_clean(&case().env("test"));
    assert_clean(&case().without_platform());
}

// ---------------------------------------------------------------------------------------------
// syntax/*
// ---------------------------------------------------------------------------------------------

#[test]
fn syntax_yaml() {
    assert_clean(&dsf("kubeContext: prod", "kubeContext: 'prod: x'"));
    assert_findings(
        // The pointer is of the innermost value complete when the scanner stopped.
        &dsf("kubeContext: prod", "kubeContext: prod: x"),
        &["syntax/yaml error dsf.yaml:2:20 /settings"],
    );
}

const DSF_TOML: &str = "\
[namespaces.team.labels]
istio-injection = \"enabled\"

[helmRepos]
ehealth = \"https://charts.example/stable\"

[apps.api]
namespace = \"team\"
enabled = true
chart = \"ehealth/ehealth-service\"
version = \"2.1.0\"
valuesFiles = [\"base.yaml\", \"values.yaml\"]
";

#[test]
fn syntax_toml() {
    assert_clean(&case().file("dsf.toml", DSF_TOML).validate("dsf.toml"));
    let broken = edit(DSF_TOML, "[apps.api]", "[apps.api");
    assert_findings(
        &case().file("dsf.toml", &broken).validate("dsf.toml"),
        &["syntax/toml error dsf.toml:7:10"],
    );
}

#[test]
fn syntax_encoding() {
    let text = edit(DSF, "kubeContext: prod", "kubeContext: café");
    assert_clean(&case().file("dsf.yaml", &text));
    // "café" in Latin-1: the é is the single byte 0xE9, at line 2, column 19.
    let latin1: Vec<u8> = text
        .replace('é', "\u{0}")
        .bytes()
        .map(|b| if b == 0 { 0xE9 } else { b })
        .collect();
    assert_findings(
        &case().bytes("dsf.yaml", &latin1),
        &["syntax/encoding error dsf.yaml:2:19"],
    );
}

#[test]
fn syntax_too_large() {
    // Without the platform file, which would be over the limit too.
    let size = DSF.len() as u64;
    assert_clean(&case().without_platform().max_file_bytes(size));
    assert_findings(
        &case().without_platform().max_file_bytes(size - 1),
        &["syntax/too-large error dsf.yaml:1:1"],
    );
}

#[test]
fn syntax_too_deep() {
    // The default limit is 128 nested mappings and sequences; the document's own mapping is one.
    let nested = |n: usize| format!("deep: {}{}\n", "[".repeat(n), "]".repeat(n));
    assert_clean(&values(&nested(127)));
    // The 128th `[`, after "deep: " and 127 others, in the 127th list's first item.
    let expected = format!(
        "syntax/too-deep error values.yaml:1:{} /deep{}",
        6 + 128,
        "/0".repeat(127)
    );
    assert_findings(&values(&nested(128)), &[expected]);
}

#[test]
fn syntax_alias_limit() {
    // a: 11 nodes, b: 111, c: 1111, d: 11111; the aliases written before `e` add 12330 nodes,
    // each `*d` 11111 more: seven stay under the limit of 100000, the eighth goes over.
    let bomb = |n: usize| {
        format!(
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n\
             b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
             c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
             d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
             e: [{}]\n",
            vec!["*d"; n].join(", ")
        )
    };
    assert_clean(&values(&bomb(7)));
    // The eighth `*d` of line 5: "e: [" then seven "*d, ".
    assert_findings(
        &values(&bomb(8)),
        &[format!(
            "syntax/alias-limit error values.yaml:5:{} /e/7",
            5 + 7 * 4
        )],
    );
}

#[test]
fn syntax_duplicate_key() {
    assert_clean(&dsf(
        "    enabled: true\n",
        "    enabled: true\n    wait: true\n",
    ));
    assert_findings(
        &dsf(
            "    enabled: true\n",
            "    enabled: true\n    enabled: true\n",
        ),
        &["syntax/duplicate-key error dsf.yaml:13:5 /apps/api/enabled"],
    );
}

#[test]
fn syntax_multiple_documents() {
    assert_clean(&case().file("dsf.yaml", &format!("---\n{DSF}...\n")));
    assert_findings(
        &case().file("dsf.yaml", &format!("{DSF}---\nsettings: {{}}\n")),
        &["syntax/multiple-documents warning dsf.yaml:16:1"],
    );
}

// ---------------------------------------------------------------------------------------------
// spec/*, schema/*, platform/*
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_unset_variable() {
    let with_var = dsf("kubeContext: prod", "kubeContext: ${KUBE_CONTEXT}");
    assert_clean(&with_var.clone().var("KUBE_CONTEXT", "prod"));
    assert_clean(&dsf("kubeContext: prod", "kubeContext: prod$$"));
    assert_findings(
        &with_var,
        &["spec/unset-variable error dsf.yaml:2:16 /settings/kubeContext"],
    );
}

#[test]
fn schema_invalid() {
    assert_clean(&dsf(
        "    version: 2.1.0\n",
        "    version: 2.1.0\n    timeout: 300\n",
    ));
    assert_findings(
        &dsf(
            "    version: 2.1.0\n",
            "    version: 2.1.0\n    timeout: soon\n",
        ),
        &["schema/invalid error dsf.yaml:15:14 /apps/api/timeout"],
    );
}

#[test]
fn schema_unknown_key() {
    assert_clean(&dsf("kubeContext: prod", "kubeContext: prod-cluster"));
    assert_findings(
        &dsf("kubeContext: prod", "kubeContxt: prod"),
        &["schema/unknown-key warning dsf.yaml:2:3 /settings/kubeContxt"],
    );
}

#[test]
fn platform_invalid() {
    // In `test`, which does not ask for the newest chart (without a range, 3.0.0 would be it).
    assert_clean(&platform(">=2.0.0, <3.0.0", ">=2.0.0, <3.0.0-0").env("test"));
    assert_findings(
        &platform(">=2.0.0, <3.0.0", ">=2.0.0, <<3.0.0").env("test"),
        &["platform/invalid error platform.yaml:22:15 /charts/0/versions"],
    );
    // A custom chart profile with a values path that cannot be read.
    let profile = |path: &str| {
        platform(
            "mesh:\n",
            &format!("profiles:\n  custom:\n    image: {path}\nmesh:\n"),
        )
        .env("test")
    };
    assert_clean(&profile("image.repository"));
    assert_findings(
        &profile("image..repository"),
        &["platform/invalid error platform.yaml:27:12 /profiles/custom/image"],
    );
    // A trust policy naming an authority it does not define.
    let trust = |name: &str| {
        platform(
            "mesh:\n",
            &format!("signatures:\n  authorities:\n    ci:\n      keyless: {{ issuer: https://issuer.example, subject: ci@example }}\n  policies:\n    - images: [\"registry.example/**\"]\n      authorities: [{name}]\nmesh:\n"),
        )
        .env("test")
    };
    assert_clean(&trust("ci"));
    assert_findings(
        &trust("cj"),
        &["platform/invalid error platform.yaml:31:21 /signatures/policies/0/authorities/0"],
    );
}

#[test]
fn spec_file_missing() {
    assert_clean(
        &dsf("[base.yaml, values.yaml]", "[base.yaml, other.yaml]").file("other.yaml", "{}\n"),
    );
    assert_findings(
        &dsf("[base.yaml, values.yaml]", "[base.yaml, missing.yaml]"),
        &["spec/file-missing error dsf.yaml:15:30 /apps/api/valuesFiles/1"],
    );
    // A DSF that a Helmsman spec file lists.
    let spec = |second: &str| {
        case()
            .file(
                "spec.yaml",
                &format!("stateFiles:\n  - path: dsf.yaml\n  - path: {second}\n"),
            )
            .file("more.yaml", "{}\n")
            .validate("spec.yaml")
    };
    assert_clean(&spec("more.yaml"));
    assert_findings(
        &spec("gone.yaml"),
        &["spec/file-missing error spec.yaml:3:11 /stateFiles/1/path"],
    );
    // A DSF that the platform file lists, when the whole repo is checked.
    assert_clean(&case().whole_repo());
    assert_findings(
        &platform(
            "  - name: prod\n    dsf: [dsf.yaml]",
            "  - name: prod\n    dsf: [prod.yaml]",
        )
        .whole_repo(),
        &["spec/file-missing error platform.yaml:11:11 /environments/1/dsf/0"],
    );
}

/// A release log of three entries (created, deployed in `test`, a refused promotion), as
/// `ehdeploy release` writes it.
fn release_log() -> String {
    use ehdeploy::promotion::{entry_line, Actor, Decision, Event, Reason, ReasonCode, GENESIS};
    let alice = Actor {
        name: "alice".into(),
        roles: vec![],
    };
    let at = |h: u32| format!("2026-11-24T{h:02}:00:00Z").parse().unwrap();
    let events = [
        (
            Event::CandidateCreated {
                candidate: "rc-1".into(),
                revision: "abc".into(),
                artifacts: Default::default(),
            },
            Decision::Accepted,
        ),
        (
            Event::Deployed {
                environment: "test".into(),
                artifacts: Default::default(),
            },
            Decision::Accepted,
        ),
        (
            Event::Promoted {
                to: "prod".into(),
                artifacts: Default::default(),
            },
            Decision::Refused {
                reasons: vec![Reason::new(ReasonCode::NotRequested, Some("prod"), "no")],
            },
        ),
    ];
    let mut prev = GENESIS.to_string();
    let mut text = String::new();
    for (seq, (event, decision)) in events.iter().enumerate() {
        let (line, hash) = entry_line(
            seq as u64,
            at(9 + seq as u32),
            &alice,
            event,
            decision,
            &prev,
        );
        text.push_str(&line);
        text.push('\n');
        prev = hash;
    }
    text
}

#[test]
fn promotion_audit_log() {
    let log = release_log();
    assert_clean(&case().file("promotions/rc-1.jsonl", &log).whole_repo());
    // The deployment's environment edited: the entry no longer matches its hash.
    let edited = log.replacen("\"environment\":\"test\"", "\"environment\":\"prod\"", 1);
    assert_findings(
        &case().file("promotions/rc-1.jsonl", &edited).whole_repo(),
        &["promotion/audit-log error promotions/rc-1.jsonl:2:1"],
    );
    // Cut in the middle of the last line.
    assert_findings(
        &case()
            .file("promotions/rc-1.jsonl", &log[..log.len() - 20])
            .whole_repo(),
        &["promotion/audit-log error promotions/rc-1.jsonl:3:1"],
    );
    // Two entries swapped.
    let lines: Vec<&str> = log.lines().collect();
    let swapped = format!("{}\n{}\n{}\n", lines[0], lines[2], lines[1]);
    assert_findings(
        &case().file("promotions/rc-1.jsonl", &swapped).whole_repo(),
        &["promotion/audit-log error promotions/rc-1.jsonl:2:1"],
    );
}

// ---------------------------------------------------------------------------------------------
// helmsman/*: Helmsman's own checks, without a platform file.
// ---------------------------------------------------------------------------------------------

/// The DSF edited, validated without a platform.
fn helmsman(from: &str, to: &str) -> Case {
    dsf(from, to).without_platform()
}

const SECOND_APP: &str = "
  api2:
    name: NAME
    namespace: team
    enabled: true
    chart: ehealth/ehealth-service
    version: 2.1.0
    valuesFiles: [base.yaml, values.yaml]
";

#[test]
fn helmsman_duplicate_release() {
    let with = |name: &str| {
        case().without_platform().file(
            "dsf.yaml",
            &format!("{DSF}{}", SECOND_APP.replace("NAME", name)),
        )
    };
    assert_clean(&with("api-two"));
    // `api2` is released as `api`, in the namespace of app `api`.
    assert_findings(
        &with("api"),
        &["helmsman/duplicate-release error dsf.yaml:18:5 /apps/api2"],
    );
}

#[test]
fn helmsman_namespace_missing() {
    assert_clean(&helmsman(
        "    namespace: team\n",
        "    namespace: team\n    name: api-release\n",
    ));
    assert_findings(
        &helmsman("    namespace: team\n", ""),
        &["helmsman/namespace-missing error dsf.yaml:11:5 /apps/api"],
    );
    assert_findings(
        &helmsman("    namespace: team\n", "    namespace: ''\n"),
        &["helmsman/namespace-missing error dsf.yaml:11:5 /apps/api"],
    );
}

#[test]
fn helmsman_namespace_undefined() {
    assert_clean(&helmsman("namespace: team", "namespace: kube-system"));
    assert_findings(
        &helmsman("namespace: team", "namespace: other"),
        &["helmsman/namespace-undefined error dsf.yaml:11:16 /apps/api/namespace"],
    );
}

#[test]
fn helmsman_chart_invalid() {
    assert_clean(
        &helmsman(
            "chart: ehealth/ehealth-service",
            "chart: ./charts/ehealth-service",
        )
        .file(
            "charts/ehealth-service/Chart.yaml",
            "name: ehealth-service\n",
        ),
    );
    assert_findings(
        &helmsman("chart: ehealth/ehealth-service", "chart: ehealth-service"),
        &["helmsman/chart-invalid error dsf.yaml:13:12 /apps/api/chart"],
    );
    assert_findings(
        &helmsman("    chart: ehealth/ehealth-service\n", ""),
        &["helmsman/chart-invalid error dsf.yaml:11:5 /apps/api"],
    );
}

#[test]
fn helmsman_repo_undefined() {
    assert_clean(&helmsman(
        "chart: ehealth/ehealth-service",
        "chart: oci://registry.example/charts/ehealth-service",
    ));
    assert_findings(
        &helmsman(
            "chart: ehealth/ehealth-service",
            "chart: ehealht/ehealth-service",
        ),
        &["helmsman/repo-undefined error dsf.yaml:13:12 /apps/api/chart"],
    );
}

#[test]
fn helmsman_version_missing() {
    assert_clean(&helmsman("version: 2.1.0", "version: 2.0.0"));
    assert_findings(
        &helmsman("    version: 2.1.0\n", ""),
        &["helmsman/version-missing error dsf.yaml:11:5 /apps/api"],
    );
}

#[test]
fn helmsman_priority_positive() {
    let priority = |p: &str| {
        helmsman(
            "    version: 2.1.0\n",
            &format!("    version: 2.1.0\n    priority: {p}\n"),
        )
    };
    assert_clean(&priority("0"));
    assert_clean(&priority("-3"));
    assert_findings(
        &priority("1"),
        &["helmsman/priority-positive error dsf.yaml:15:15 /apps/api/priority"],
    );
}

#[test]
fn helmsman_exclusive_files() {
    assert_clean(&helmsman(
        "    valuesFiles: [base.yaml, values.yaml]\n",
        "    valuesFile: base.yaml\n",
    ));
    assert_findings(
        &helmsman(
            "    valuesFiles: [base.yaml, values.yaml]\n",
            "    valuesFile: base.yaml\n    valuesFiles: [values.yaml]\n",
        ),
        &["helmsman/exclusive-files error dsf.yaml:15:17 /apps/api/valuesFile"],
    );
}

#[test]
fn helmsman_file_extension() {
    assert_clean(
        &helmsman("[base.yaml, values.yaml]", "[base.yaml, extra.yml]").file("extra.yml", "{}\n"),
    );
    assert_findings(
        &helmsman("[base.yaml, values.yaml]", "[base.yaml, extra.txt]").file("extra.txt", "{}\n"),
        &["helmsman/file-extension error dsf.yaml:15:30 /apps/api/valuesFiles/1"],
    );
}

#[test]
fn helmsman_repo_url_invalid() {
    assert_clean(&helmsman(
        "ehealth: https://charts.example/stable",
        "ehealth: https://user:pass@charts.example/stable",
    ));
    assert_findings(
        &helmsman(
            "ehealth: https://charts.example/stable",
            "ehealth: charts.example/stable",
        ),
        &["helmsman/repo-url-invalid error dsf.yaml:8:12 /helmRepos/ehealth"],
    );
}

#[test]
fn helmsman_hook_invalid() {
    let hooks = |timeout: &str| {
        helmsman(
            "    version: 2.1.0\n",
            &format!("    version: 2.1.0\n    hooks:\n      successTimeout: {timeout}\n"),
        )
    };
    assert_clean(&hooks("90s"));
    assert_findings(
        &hooks("soon"),
        &["helmsman/hook-invalid error dsf.yaml:16:23 /apps/api/hooks/successTimeout"],
    );
}

#[test]
fn helmsman_settings_invalid() {
    let settings = |extra: &str| {
        helmsman(
            "  kubeContext: prod\n",
            &format!("  kubeContext: prod\n{extra}"),
        )
    };
    assert_clean(&settings("  slackWebhook: https://hooks.example/ehealth\n"));
    assert_findings(
        &settings("  slackWebhook: hooks.example/ehealth\n"),
        &["helmsman/settings-invalid error dsf.yaml:3:17 /settings/slackWebhook"],
    );
    // Only one of the two eyaml keys: the finding is about the settings as a whole.
    assert_clean(&settings(
        "  eyamlPrivateKeyPath: keys/private.pem\n  eyamlPublicKeyPath: keys/public.pem\n",
    ));
    assert_findings(
        &settings("  eyamlPrivateKeyPath: keys/private.pem\n"),
        &["helmsman/settings-invalid error dsf.yaml:2:3 /settings"],
    );
}

// ---------------------------------------------------------------------------------------------
// image/*
// ---------------------------------------------------------------------------------------------

#[test]
fn image_official_registry() {
    assert_clean(&values("image: registry.example/other-team/api\n"));
    assert_findings(
        &values("image: docker.io/team/api\n"),
        &["image/official-registry error values.yaml:1:8 /image"],
    );
}

#[test]
fn image_tag_missing() {
    // In `test`, where no digest is required; a digest alone would pin the image.
    assert_clean(&values("imageTag: null\n"));
    assert_clean(&values("imageDigest: null\n").env("test"));
    // No tag field left: the finding points at the image.
    assert_findings(
        &values("imageTag: null\nimageDigest: null\n").env("test"),
        &["image/tag-missing error base.yaml:1:8 /image"],
    );
}

#[test]
fn image_tag_latest() {
    assert_clean(&values("imageTag: 1.0.1\n"));
    assert_findings(
        &values("imageTag: latest\n"),
        &["image/tag-latest error values.yaml:1:11 /imageTag"],
    );
}

#[test]
fn image_digest_required() {
    assert_clean(&values("imageDigest: null\n").env("test"));
    // No digest field left: the finding points at the tag.
    assert_findings(
        &values("imageDigest: null\n"),
        &["image/digest-required error base.yaml:2:11 /imageTag"],
    );
}

#[test]
fn image_digest_invalid() {
    assert_clean(&values(
        "imageDigest: sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\n",
    ));
    assert_findings(
        &values("imageDigest: sha256:abc\n"),
        &["image/digest-invalid error values.yaml:1:14 /imageDigest"],
    );
}

// ---------------------------------------------------------------------------------------------
// chart/*
// ---------------------------------------------------------------------------------------------

#[test]
fn chart_not_predefined() {
    assert_clean(&dsf(
        "chart: ehealth/ehealth-service",
        "chart: oci://registry.example/charts/ehealth-service",
    ));
    assert_findings(
        &dsf(
            "chart: ehealth/ehealth-service",
            "chart: ehealth/other-service",
        ),
        &["chart/not-predefined error dsf.yaml:13:12 /apps/api/chart"],
    );
}

#[test]
fn chart_wrong_repository() {
    // The same URL, written differently.
    assert_clean(&dsf(
        "ehealth: https://charts.example/stable",
        "ehealth: https://Charts.example/stable/",
    ));
    assert_findings(
        &dsf(
            "ehealth: https://charts.example/stable",
            "ehealth: https://charts.other.example/stable",
        ),
        &["chart/wrong-repository error dsf.yaml:13:12 /apps/api/chart"],
    );
}

#[test]
fn chart_version_range() {
    assert_clean(&dsf("version: 2.1.0", "version: 2.0.0").env("test"));
    assert_findings(
        &dsf("version: 2.1.0", "version: 3.0.0"),
        &["chart/version-range error dsf.yaml:14:14 /apps/api/version"],
    );
    assert_findings(
        &dsf("version: 2.1.0", "version: latest"),
        &["chart/version-range error dsf.yaml:14:14 /apps/api/version"],
    );
}

#[test]
fn chart_version_not_newest() {
    // `test` does not ask for the newest chart; prod does, and 3.0.0 is outside the range.
    assert_clean(&dsf("version: 2.1.0", "version: 2.0.0").env("test"));
    assert_findings(
        &dsf("version: 2.1.0", "version: 2.0.0"),
        &["chart/version-not-newest warning dsf.yaml:14:14 /apps/api/version"],
    );
}

// ---------------------------------------------------------------------------------------------
// replicas/*, memory/*, probes/*, ports/*
// ---------------------------------------------------------------------------------------------

#[test]
fn replicas_minimum() {
    assert_clean(&values("replicaCount: 1\n").env("test"));
    assert_findings(
        &values("replicaCount: 1\n"),
        &["replicas/minimum error values.yaml:1:15 /replicaCount"],
    );
}

#[test]
fn memory_missing() {
    assert_clean(&values("resources:\n  limits:\n    memory: 1Gi\n"));
    assert_findings(
        &values("resources:\n  limits:\n    memory: null\n"),
        &["memory/missing error dsf.yaml:11:5 /apps/api"],
    );
}

#[test]
fn memory_request_above_limit() {
    let memory = |request: &str| {
        values(&format!(
            "resources:\n  requests:\n    memory: {request}\n  limits:\n    memory: 512Mi\n"
        ))
    };
    assert_clean(&memory("512Mi"));
    assert_findings(
        &memory("1Gi"),
        &["memory/request-above-limit error values.yaml:5:13 /resources/limits/memory"],
    );
}

#[test]
fn memory_limit_maximum() {
    let limit = |limit: &str| values(&format!("resources:\n  limits:\n    memory: {limit}\n"));
    assert_clean(&limit("2Gi"));
    assert_findings(
        &limit("2Gi").env("test"),
        &["memory/limit-maximum error values.yaml:3:13 /resources/limits/memory"],
    );
    assert_findings(
        &limit("3Gi"),
        &["memory/limit-maximum error values.yaml:3:13 /resources/limits/memory"],
    );
}

#[test]
fn memory_invalid() {
    let limit = |limit: &str| values(&format!("resources:\n  limits:\n    memory: {limit}\n"));
    assert_clean(&limit("500M"));
    assert_findings(
        &limit("lots"),
        &["memory/invalid error values.yaml:3:13 /resources/limits/memory"],
    );
}

#[test]
fn probes_liveness() {
    assert_clean(&values("livenessProbe:\n  httpPath: /healthz\n"));
    assert_findings(
        &values("livenessProbe: null\n"),
        &["probes/liveness error dsf.yaml:11:5 /apps/api"],
    );
}

#[test]
fn probes_readiness() {
    assert_clean(&values("readinessProbe:\n  httpPath: /healthz\n"));
    assert_findings(
        &values("readinessProbe:\n  httpPath: ''\n"),
        &["probes/readiness error dsf.yaml:11:5 /apps/api"],
    );
}

/// An analysis as the app's values or the platform file write it, indented by `indent`.
fn analysis(indent: &str, min: &str) -> String {
    [
        "interval: 1m",
        "threshold: 3",
        "stepWeight: 10",
        "maxWeight: 50",
        "metrics:",
        "  - name: request-success-rate",
        &format!("    thresholdRange: {{ min: {min} }}"),
    ]
    .iter()
    .map(|l| format!("{indent}{l}\n"))
    .collect()
}

#[test]
fn canary_no_analysis() {
    // Off: nothing to judge.
    assert_clean(&values("canary:\n  enabled: false\n"));
    // On, with the app's own analysis, or the platform's for this app, or its default.
    assert_clean(&values(&format!(
        "canary:\n  enabled: true\n  analysis:\n{}",
        analysis("    ", "99")
    )));
    for section in [
        format!("canary:\n  analysis:\n{}", analysis("    ", "99")),
        format!("canary:\n  apps:\n    api:\n{}", analysis("      ", "99")),
    ] {
        assert_clean(
            &values("canary:\n  enabled: true\n")
                .file("platform.yaml", &format!("{PLATFORM}{section}")),
        );
    }
    // Another app's analysis is not this one's.
    let other = format!("canary:\n  apps:\n    web:\n{}", analysis("      ", "99"));
    assert_findings(
        &values("canary:\n  enabled: true\n").file("platform.yaml", &format!("{PLATFORM}{other}")),
        &["canary/no-analysis error values.yaml:2:12 /canary/enabled"],
    );
    assert_findings(
        &values("canary:\n  enabled: true\n"),
        &["canary/no-analysis error values.yaml:2:12 /canary/enabled"],
    );
}

#[test]
fn canary_invalid_analysis() {
    // In the values: each problem where it is.
    assert_findings(
        &values(&format!(
            "canary:\n  enabled: true\n  analysis:\n{}",
            analysis("    ", "0.99")
        )),
        &["canary/invalid-analysis error values.yaml:10:32 /canary/analysis/metrics/0/thresholdRange/min"],
    );
    // Not an analysis at all: an unknown key.
    assert_findings(
        &values("canary:\n  enabled: true\n  analysis:\n    iterations: 10\n"),
        &["canary/invalid-analysis error values.yaml:4:5 /canary/analysis"],
    );
    // In the platform file, when the platform is loaded.
    let bad = format!("canary:\n  analysis:\n{}", analysis("    ", "101"));
    assert_findings(
        &values("canary:\n  enabled: false\n").file("platform.yaml", &format!("{PLATFORM}{bad}")),
        &["platform/invalid error platform.yaml:36:32 /canary/analysis/metrics/0/thresholdRange/min"],
    );
}

#[test]
fn ports_invalid() {
    assert_clean(&values("containerPort: 65535\n"));
    assert_findings(
        &values("containerPort: 65536\n"),
        &["ports/invalid error values.yaml:1:16 /containerPort"],
    );
    assert_findings(
        &values("containerPort: 0\n"),
        &["ports/invalid error values.yaml:1:16 /containerPort"],
    );
}

#[test]
fn ports_duplicate() {
    assert_clean(&values("containerPort: [8080, 8081]\n"));
    assert_findings(
        &values("containerPort: [8080, 8080]\n"),
        &["ports/duplicate error values.yaml:1:23 /containerPort/1"],
    );
}

// ---------------------------------------------------------------------------------------------
// secrets/*
// ---------------------------------------------------------------------------------------------

#[test]
fn secrets_plaintext() {
    assert_clean(&values(
        "database:\n  existingSecret: db-credentials\n  password: ''\n",
    ));
    assert_clean(&values("database:\n  password: vault:secret/db#password\n"));
    assert_findings(
        &values("database:\n  password: hunter2\n"),
        &["secrets/plaintext error values.yaml:2:13 /database/password"],
    );
}

#[test]
fn secrets_reference() {
    assert_clean(&values(
        "env:\n  DATABASE_URL: postgres://db:5432/app\nsecrets:\n  DB_PASSWORD:\n    secretName: db\n    key: password\n",
    ));
    assert_findings(
        &values("env:\n  DATABASE_URL: postgres://app:hunter2@db:5432/app\n"),
        &["secrets/reference error values.yaml:2:17 /env/DATABASE_URL"],
    );
    assert_findings(
        &values("secrets:\n  DB_HOST: db.internal\n"),
        &["secrets/reference error values.yaml:2:12 /secrets/DB_HOST"],
    );
    // Environment variables as a list of `{name, value}`.
    assert_findings(
        &values("env:\n  - name: DATABASE_URL\n    value: postgres://app:hunter2@db/app\n"),
        &["secrets/reference error values.yaml:3:12 /env/0/value"],
    );
}

// ---------------------------------------------------------------------------------------------
// dns/*, mesh/*
// ---------------------------------------------------------------------------------------------

fn host(name: &str) -> String {
    format!("ingress:\n  hostname: {name}\n")
}

#[test]
fn dns_invalid() {
    assert_clean(&values(&host("api-1.prod.example")));
    assert_findings(
        &values(&host("api_1.prod.example")),
        &["dns/invalid error values.yaml:2:13 /ingress/hostname"],
    );
}

#[test]
fn dns_duplicate() {
    let second = "
  web:
    namespace: team
    enabled: true
    chart: ehealth/ehealth-service
    version: 2.1.0
    valuesFiles: [base.yaml, web.yaml]
";
    let two = |web_host: &str| {
        values(&host("api.prod.example"))
            .file("dsf.yaml", &format!("{DSF}{second}"))
            .file("web.yaml", &host(web_host))
    };
    assert_clean(&two("web.prod.example"));
    assert_findings(
        &two("api.prod.example"),
        &["dns/duplicate error web.yaml:2:13 /ingress/hostname"],
    );
}

#[test]
fn dns_domain() {
    assert_clean(&values(&host("api.test.example")).env("test"));
    assert_findings(
        &values(&host("api.test.example")),
        &["dns/domain error values.yaml:2:13 /ingress/hostname"],
    );
}

#[test]
fn mesh_injection() {
    assert_clean(&dsf(
        "      istio-injection: enabled\n",
        "      team: api\n      istio-injection: enabled\n",
    ));
    assert_findings(
        &dsf("istio-injection: enabled", "istio-injection: disabled"),
        &["mesh/injection error dsf.yaml:5:5 /namespaces/team"],
    );
    // Without a platform there is no mesh to ask for.
    assert_clean(&dsf("istio-injection: enabled", "istio-injection: disabled").without_platform());
}

// ---------------------------------------------------------------------------------------------
// Severities from the platform file; locations of `set:` values.
// ---------------------------------------------------------------------------------------------

#[test]
fn platform_file_sets_severities_per_environment() {
    let latest =
        |from: &str, to: &str| platform(from, to).file("values.yaml", "imageTag: latest\n");
    let at = |severity: &str| {
        [format!(
            "image/tag-latest {severity} values.yaml:1:11 /imageTag"
        )]
    };
    // The catalogue's default.
    assert_findings(&values("imageTag: latest\n"), &at("error"));
    // prod's own setting.
    assert_findings(
        &latest("rules: {}", "rules: {image/tag-latest: warning}"),
        &at("warning"),
    );
    assert_clean(&latest("rules: {}", "rules: {image/tag-latest: 'off'}"));
    // ...only in prod.
    assert_findings(
        &latest("rules: {}", "rules: {image/tag-latest: 'off'}").env("test"),
        &at("error"),
    );
    // The platform's setting, and an environment's over it.
    let platform_wide = |env_rules: &str| {
        let text = edit(PLATFORM, "rules: {}", env_rules);
        case()
            .file(
                "platform.yaml",
                &format!("{text}rules:\n  image/tag-latest: info\n"),
            )
            .file("values.yaml", "imageTag: latest\n")
    };
    assert_findings(&platform_wide("rules: {}"), &at("info"));
    assert_findings(&platform_wide("rules: {}").env("test"), &at("info"));
    assert_findings(
        &platform_wide("rules: {image/tag-latest: error}"),
        &at("error"),
    );
    assert_clean(&platform_wide("rules: {image/tag-latest: 'off'}"));
}

/// `docs/platform.md` documents `off` as a rule level, unquoted like `error` and `warning`.
#[test]
fn platform_file_turns_a_rule_off_with_a_plain_off() {
    let latest = platform("rules: {}", "rules:\n      image/tag-latest: off\n")
        .file("values.yaml", "imageTag: latest\n");
    assert_clean(&latest);
}

#[test]
fn set_values_point_at_the_dsf_and_file_values_at_their_file() {
    let set = |key: &str, value: &str| {
        dsf(
            "    version: 2.1.0\n",
            &format!("    version: 2.1.0\n    {key}:\n      imageTag: {value}\n"),
        )
    };
    assert_clean(&set("set", "1.0.1"));
    assert_findings(
        &set("set", "latest"),
        &["image/tag-latest error dsf.yaml:16:17 /apps/api/set/imageTag"],
    );
    assert_findings(
        &set("setString", "latest"),
        &["image/tag-latest error dsf.yaml:16:17 /apps/api/setString/imageTag"],
    );
    // `set` wins over the values files.
    assert_findings(
        &set("set", "latest").file("values.yaml", "imageTag: 1.0.1\n"),
        &["image/tag-latest error dsf.yaml:16:17 /apps/api/set/imageTag"],
    );
    assert_clean(&set("set", "1.0.1").file("values.yaml", "imageTag: latest\n"));
    assert_findings(
        &values("imageTag: latest\n"),
        &["image/tag-latest error values.yaml:1:11 /imageTag"],
    );
    // Dotted keys create nested values, which point at the DSF entry too.
    let nested = |key: &str, value: &str| {
        dsf(
            "    version: 2.1.0\n",
            &format!("    version: 2.1.0\n    set:\n      {key}: {value}\n"),
        )
    };
    assert_findings(
        &nested("resources.limits.memory", "4Gi"),
        &["memory/limit-maximum error dsf.yaml:16:32 /apps/api/set/resources.limits.memory"],
    );
    assert_findings(
        &nested("database.password", "hunter2"),
        &["secrets/plaintext error dsf.yaml:16:26 /apps/api/set/database.password"],
    );
    // The finding knows its app and environment.
    let (findings, _, _dir) = set("set", "latest").findings();
    assert_eq!(findings[0].app.as_deref(), Some("api"));
    assert_eq!(findings[0].environment.as_deref(), Some("prod"));
}

// ---------------------------------------------------------------------------------------------
// Every rule of the catalogue has a test here.
// ---------------------------------------------------------------------------------------------

/// The rule ids the tests above prove, one test (at least) each.
const COVERED: &[&str] = &[
    // In tests/plan.rs (a promotion's findings).
    "promotion/manual",
    "promotion/audit-log",
    "syntax/yaml",
    "syntax/toml",
    "syntax/encoding",
    "syntax/too-large",
    "syntax/too-deep",
    "syntax/alias-limit",
    "syntax/duplicate-key",
    "syntax/multiple-documents",
    "spec/unset-variable",
    "schema/invalid",
    "schema/unknown-key",
    "platform/invalid",
    "spec/file-missing",
    "helmsman/duplicate-release",
    "helmsman/namespace-missing",
    "helmsman/namespace-undefined",
    "helmsman/chart-invalid",
    "helmsman/repo-undefined",
    "helmsman/version-missing",
    "helmsman/priority-positive",
    "helmsman/exclusive-files",
    "helmsman/file-extension",
    "helmsman/repo-url-invalid",
    "helmsman/hook-invalid",
    "helmsman/settings-invalid",
    "image/official-registry",
    "image/tag-missing",
    "image/tag-latest",
    "image/digest-required",
    "image/digest-invalid",
    "chart/not-predefined",
    "chart/wrong-repository",
    "chart/version-range",
    "chart/version-not-newest",
    "replicas/minimum",
    "memory/missing",
    "memory/request-above-limit",
    "memory/limit-maximum",
    "memory/invalid",
    "probes/liveness",
    "probes/readiness",
    "secrets/plaintext",
    "secrets/reference",
    "dns/invalid",
    "dns/duplicate",
    "dns/domain",
    "ports/invalid",
    "ports/duplicate",
    "mesh/injection",
    "canary/no-analysis",
    "canary/invalid-analysis",
    // In tests/verify.rs (verifying the example platform's images from its layout).
    "signature/refused",
    "signature/unverifiable",
];

#[test]
fn every_rule_of_the_catalogue_has_a_test() {
    let catalogue: Vec<&str> = ehdeploy::rules::catalogue()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    let untested: Vec<&&str> = catalogue
        .iter()
        .filter(|id| !COVERED.contains(id))
        .collect();
    assert!(untested.is_empty(), "rules without a test: {untested:?}");
    let unknown: Vec<&&str> = COVERED
        .iter()
        .filter(|id| !catalogue.contains(id))
        .collect();
    assert!(
        unknown.is_empty(),
        "ids in COVERED that the catalogue does not have: {unknown:?}"
    );
}

/// Checking every environment of a platform at once (app by app across the environments, as
/// `check` does) gives each environment the findings and values checking it alone gives.
#[test]
fn environments_checked_together_are_checked_as_each_alone() {
    use ehdeploy::platform::load_platform;
    use ehdeploy::policy::{check_spec_keeping_values, check_specs_keeping_values};
    use ehdeploy::source::{Limits, SourceMap};
    use ehdeploy::spec::{load_spec, LoadOptions, ValuesCache};

    // One replica: too few in prod only.
    let case = values("replicaCount: 1\nextra:\n  apiToken: hunter2\n");
    let dir = TempDir::new();
    for (name, bytes) in &case.files {
        std::fs::write(dir.0.join(name), bytes).unwrap();
    }
    let options = LoadOptions {
        limits: Limits::default(),
        vars: None,
        substitute_values: false,
    };
    let run = |together: bool| {
        let mut sources = SourceMap::new();
        let platform = load_platform(
            &mut sources,
            &dir.0.join("platform.yaml"),
            "platform.yaml".into(),
            &Limits::default(),
        )
        .unwrap()
        .0
        .unwrap();
        let environments = &platform.file.environments;
        let specs: Vec<_> = environments
            .iter()
            .map(|e| {
                let files: Vec<_> = e.dsf.iter().map(|d| platform.resolve(d)).collect();
                load_spec(&mut sources, &files, &options).unwrap()
            })
            .collect();
        let envs: Vec<_> = specs
            .iter()
            .zip(environments)
            .map(|(spec, e)| (spec, Some(e.name.as_str())))
            .collect();
        let mut cache = ValuesCache::new();
        let outcome = if together {
            check_specs_keeping_values(&mut sources, &envs, Some(&platform), &mut cache, &options)
        } else {
            envs.iter()
                .map(|&(spec, name)| {
                    check_spec_keeping_values(
                        &mut sources,
                        spec,
                        Some(&platform),
                        name,
                        &mut cache,
                        &options,
                    )
                })
                .collect()
        };
        outcome
            .into_iter()
            .map(|(findings, values)| {
                let rules: Vec<String> = findings
                    .iter()
                    .map(|f| format!("{} {:?}", f.rule, f.environment))
                    .collect();
                let values: Vec<(String, serde_json::Value)> = values
                    .into_iter()
                    .map(|(app, v)| (app, v.values.to_json()))
                    .collect();
                (rules, findings, values)
            })
            .collect::<Vec<_>>()
    };
    let (together, alone) = (run(true), run(false));
    assert_eq!(together, alone);
    let rules: Vec<&[String]> = together.iter().map(|(r, _, _)| r.as_slice()).collect();
    assert_eq!(
        rules,
        [
            &["secrets/plaintext Some(\"test\")".to_string()][..],
            &[
                "replicas/minimum Some(\"prod\")".to_string(),
                "secrets/plaintext Some(\"prod\")".to_string()
            ][..],
        ]
    );
    assert!(together.iter().all(|(_, _, values)| values.len() == 1));
}
