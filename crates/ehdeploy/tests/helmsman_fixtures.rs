//! Every desired-state file under `../shared/fixtures/helmsman/` (real files written by others)
//! loads with its values files, and gives exactly the findings in its golden file
//! (`tests/golden/helmsman/*.txt`: one `rule severity file:line:column pointer` per line).
//! Helmsman's three intentionally invalid files give errors for the problems Helmsman reports.
//! `EHDEPLOY_BLESS=1 cargo test` rewrites the golden files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ehdeploy::api::{validate, ValidateRequest};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/helmsman")
}

/// Run validate from the fixtures folder (so paths in findings are short and stable).
fn findings(files: &[&str], vars: &[(&str, &str)]) -> String {
    let root = fixtures();
    let request = ValidateRequest {
        files: files.iter().map(|f| root.join(f)).collect(),
        process_env: false,
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..Default::default()
    };
    let checked = validate(&request).unwrap();
    let prefix = format!("{}/", ehdeploy::spec::normalize(&root).display());
    let mut out = String::new();
    for f in &checked.report.findings {
        let loc = f.location.as_ref().unwrap();
        out.push_str(&format!(
            "{} {} {}:{}:{} {}\n",
            f.rule,
            f.severity,
            loc.file.trim_start_matches(&prefix),
            loc.line,
            loc.column,
            if loc.pointer.is_empty() {
                "-"
            } else {
                &loc.pointer
            }
        ));
    }
    out
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/helmsman")
        .join(format!("{name}.txt"));
    if std::env::var_os("EHDEPLOY_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "findings of {name} differ from {}",
        path.display()
    );
}

macro_rules! fixture {
    ($name:ident, [$($file:literal),+], [$(($k:literal, $v:literal)),*]) => {
        #[test]
        fn $name() {
            golden(stringify!($name), &findings(&[$($file),+], &[$(($k, $v)),*]));
        }
    };
}

fixture!(
    bia_binder,
    ["BioImage-Archive__bia-binder/helmsman.yaml"],
    [
        ("SECRET_JUPYTERHUB_PROXY_TOKEN", "t"),
        ("SECRET_BINDERHUB_SERVICE", "s")
    ]
);
fixture!(
    hypha_k8s,
    ["amun-ai__hypha-k8s/helmsman.yaml"],
    [("JWT_SECRET", "j")]
);
fixture!(
    kyverno_demo,
    ["kamikazechaser__k8s-kyverno-demo/helmsman.yaml"],
    []
);
fixture!(ksci_toml, ["lbn__ksci/helmsman.toml"], []);
fixture!(
    hobby_kube,
    ["yatsu__hobby-kube-oidc-sso/helmsman.yaml"],
    [
        ("ACME_EMAIL", "a@example.com"),
        ("CLOUDFLARE_APIKEY", "k"),
        ("CLOUDFLARE_EMAIL", "c@example.com"),
        ("CLUSTER_NAME", "c"),
        ("DOMAIN", "example.com"),
        ("OIDC_PROVIDER", "https://id.example.com"),
        ("OIDC_CLIENT_ID", "id"),
        ("SESSION_SECRET", "s"),
        ("KUBECTL_CONTEXT", "k"),
        ("OIDC_DEBUG", "false")
    ]
);
fixture!(
    helmsman_example_yaml,
    ["mkubaczyk__helmsman/examples/example.yaml"],
    [("ORG_PATH", "org"), ("VALUE", "v")]
);
fixture!(
    helmsman_example_toml,
    ["mkubaczyk__helmsman/examples/example.toml"],
    [("ORG_PATH", "org"), ("VALUE", "v")]
);
fixture!(
    helmsman_example_spec,
    ["mkubaczyk__helmsman/examples/example-spec.yaml"],
    [("ORG_PATH", "org"), ("VALUE", "v")]
);
fixture!(
    helmsman_minimal_yaml,
    ["mkubaczyk__helmsman/examples/minimal-example.yaml"],
    []
);
fixture!(
    helmsman_minimal_toml,
    ["mkubaczyk__helmsman/examples/minimal-example.toml"],
    []
);
fixture!(
    helmsman_minimal_overwrite,
    [
        "mkubaczyk__helmsman/examples/minimal-example.yaml",
        "mkubaczyk__helmsman/examples/minimal-example-overwrite.yaml"
    ],
    []
);
fixture!(
    helmsman_composition,
    ["mkubaczyk__helmsman/examples/composition/spec.yaml"],
    []
);
fixture!(
    helmsman_apps_templates,
    ["mkubaczyk__helmsman/examples/appsTemplates/config/helmsman.yaml"],
    [("MY_SLACK_WEBHOOK", "https://hooks.example/x")]
);
fixture!(
    mosip_external,
    ["mosip__mosip-infra/deployment/v3/helmsman/dsf/external-dsf.yaml"],
    [("WORKDIR", "..")]
);
fixture!(
    mosip_mosip,
    ["mosip__mosip-infra/deployment/v3/helmsman/dsf/mosip-dsf.yaml"],
    [("WORKDIR", "..")]
);
fixture!(
    mosip_prereq,
    ["mosip__mosip-infra/deployment/v3/helmsman/dsf/prereq-dsf.yaml"],
    [("WORKDIR", "..")]
);
fixture!(
    mosip_testrigs,
    ["mosip__mosip-infra/deployment/v3/helmsman/dsf/testrigs-dsf.yaml"],
    [("WORKDIR", "..")]
);
fixture!(
    invalid_example_yaml,
    ["mkubaczyk__helmsman/tests/invalid_example.yaml"],
    []
);
fixture!(
    invalid_example_toml,
    ["mkubaczyk__helmsman/tests/invalid_example.toml"],
    []
);
fixture!(
    invalid_example_spec,
    ["mkubaczyk__helmsman/tests/Invalid_example_spec.yaml"],
    []
);

/// Helmsman's test expects example.yaml to fail while `ORG_PATH` or `VALUE` is unset; so do we,
/// naming both, with their lines.
#[test]
fn unset_variables_are_errors_with_their_lines() {
    let out = findings(&["mkubaczyk__helmsman/examples/example.yaml"], &[]);
    let unset: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("spec/unset-variable"))
        .collect();
    assert_eq!(
        unset,
        [
            "spec/unset-variable error mkubaczyk__helmsman/examples/example.yaml:10:21 /metadata/org",
            "spec/unset-variable error mkubaczyk__helmsman/examples/example.yaml:13:8 /metadata/key",
        ]
    );
}

/// Helmsman's merge test: minimal-example then its overwrite gives 2 apps, jenkins disabled.
#[test]
fn later_files_override_earlier_ones() {
    let root = fixtures();
    let mut sources = ehdeploy::source::SourceMap::new();
    let spec = ehdeploy::spec::load_spec(
        &mut sources,
        &[
            root.join("mkubaczyk__helmsman/examples/minimal-example.yaml"),
            root.join("mkubaczyk__helmsman/examples/minimal-example-overwrite.yaml"),
        ],
        &ehdeploy::spec::LoadOptions::default(),
    )
    .unwrap();
    let state = spec.state.unwrap();
    let apps = state.apps.unwrap();
    assert_eq!(apps.len(), 2);
    assert_eq!(apps["jenkins"].enabled, Some(false));
    assert_eq!(state.helm_repos.len(), 2);
}

/// Helmsman's composition test: the spec file's four DSFs merge to 5 apps and 3 repos.
#[test]
fn spec_file_composes_its_state_files() {
    let root = fixtures();
    let mut sources = ehdeploy::source::SourceMap::new();
    let spec = ehdeploy::spec::load_spec(
        &mut sources,
        &[root.join("mkubaczyk__helmsman/examples/composition/spec.yaml")],
        &ehdeploy::spec::LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(spec.files.len(), 4);
    let state = spec.state.unwrap();
    assert_eq!(state.apps.unwrap().len(), 5);
    assert_eq!(state.helm_repos.len(), 3);
}
