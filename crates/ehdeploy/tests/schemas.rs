//! The JSON Schemas in `schemas/` are the ones generated from the Rust types, and the rule
//! catalogue and `docs/rules.md` describe the same rules.
//! `EHDEPLOY_BLESS=1 cargo test` rewrites the schema files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/documents.rs"]
mod documents;

use std::path::Path;

use ehdeploy::schema::Document;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn schemas_in_the_repo_equal_the_generated_ones() {
    let names = ehdeploy::api::schema_names();
    // The operations behind a feature this build has not, or has only in part, are checked by
    // the builds that have it whole, as the workspace's tests are (`verify` takes registry
    // options with `registry`). The fault-injection operation is for the bindings' tests only
    // and has no schema in the repo.
    let mut gated: Vec<&str> = vec!["api/debug_panic."];
    if cfg!(not(feature = "prometheus")) {
        gated.push("api/canary_analyze.");
    }
    if cfg!(not(feature = "git")) {
        gated.push("api/rollback.");
    }
    if cfg!(not(feature = "registry")) {
        gated.push("api/verify.");
    }
    let is_gated = |name: &str| gated.iter().any(|g| name.starts_with(g));
    for name in names.iter().filter(|n| !is_gated(n)) {
        let path = repo().join("schemas").join(format!("{name}.schema.json"));
        let schema = ehdeploy::api::schema_named(name).unwrap();
        let generated = format!("{}\n", serde_json::to_string_pretty(&schema).unwrap());
        if std::env::var_os("EHDEPLOY_BLESS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "{} is out of date: run `EHDEPLOY_BLESS=1 cargo test -p ehdeploy --test schemas`",
            path.display()
        );
    }
    // No schema file without its type.
    for (dir, prefix) in [("schemas", ""), ("schemas/api", "api/")] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let file = entry.unwrap().file_name().into_string().unwrap();
            if let Some(stem) = file.strip_suffix(".schema.json") {
                let name = format!("{prefix}{stem}");
                if is_gated(&name) {
                    continue;
                }
                assert!(names.contains(&name), "{dir}/{file} has no type: remove it");
            }
        }
    }
}

#[test]
fn api_schemas_are_strict_draft_2020_12_and_describe_real_answers() {
    for name in ehdeploy::api::schema_names() {
        let schema = ehdeploy::api::schema_named(&name).unwrap();
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let answer = |op: &str, request: &str| -> serde_json::Value {
        serde_json::from_str(&ehdeploy::api::call_json(op, request)).unwrap()
    };
    let valid = |name: &str, instance: &serde_json::Value| {
        let schema = ehdeploy::api::schema_named(name).unwrap();
        let v = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = v.iter_errors(instance).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    };
    let platform = repo().join("examples/platform");
    let check = serde_json::json!({"platformDir": platform, "processEnv": false}).to_string();
    valid("api/check.response", &answer("check", &check));
    valid("api/version.response", &answer("version", "{}"));
    valid("api/rules.response", &answer("rules", "{}"));
    let promotion = serde_json::json!({"platform": platform, "from": "preprod", "to": "prod", "processEnv": false}).to_string();
    valid(
        "api/promotion_plan.response",
        &answer("promotion_plan", &promotion),
    );
    let spec = serde_json::json!({"promotion": {"platform": platform, "from": "preprod", "to": "prod", "processEnv": false}}).to_string();
    valid("api/promote_spec.response", &answer("promote_spec", &spec));
    valid("api/error", &answer("nope", "{}"));
    valid("api/error", &answer("validate", "{\"files\": 1}"));
    valid("api/check.request", &serde_json::from_str(&check).unwrap());
}

#[test]
fn schemas_are_strict_draft_2020_12() {
    for doc in Document::ALL {
        let s = doc.schema();
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert!(
            jsonschema::validator_for(s).is_ok(),
            "{} does not compile",
            doc.name()
        );
    }
    let dsf = Document::Dsf.schema();
    assert_eq!(dsf["additionalProperties"], false);
    assert_eq!(dsf["$defs"]["App"]["additionalProperties"], false);
}

#[test]
fn every_rule_has_its_section_in_docs_rules_md_and_no_other() {
    let text = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap();
    let headings: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .map(str::trim)
        .collect();
    let ids: Vec<&str> = ehdeploy::rules::catalogue()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(headings, ids);
}

#[test]
fn the_example_platform_and_its_files_match_their_schemas() {
    let mut sources = ehdeploy::source::SourceMap::new();
    let path = repo().join("examples/platform/platform.yaml");
    let (platform, findings) = ehdeploy::platform::load_platform(
        &mut sources,
        &path,
        "platform.yaml".into(),
        &Default::default(),
    )
    .unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(platform.unwrap().file.environments.len(), 4);
}

/// A DSF the typed model reads straight from its tree (`from_node_strict`, the loader's fast
/// path) is one the schema check accepts, read into the same model as through its JSON. Any
/// file it refuses goes through the schema check; the files below have both kinds.
#[test]
fn what_the_strict_read_accepts_the_schema_accepts_into_the_same_model() {
    use ehdeploy::schema::{check_json, dsf_json};
    use ehdeploy::source::{from_node_strict, parse_bytes, Limits, SourceMap};
    use ehdeploy::spec::DesiredState;

    let (mut strict, mut refused_unknown, mut refused_other) = (0, 0, 0);
    let fixtures = documents::documents(&repo().join("../shared/fixtures/helmsman"));
    let example = documents::documents(&repo().join("examples/platform"));
    for path in fixtures.into_iter().chain(example) {
        let mut sources = SourceMap::new();
        let bytes = std::fs::read(&path).unwrap();
        let parsed = parse_bytes(
            &mut sources,
            &path,
            path.display().to_string(),
            bytes,
            &Limits::default(),
            None,
        );
        let Some(tree) = parsed.root else { continue };
        let json = dsf_json(&tree);
        let checked = check_json(Document::Dsf, &json, &tree, &sources);
        let typed = serde_json::from_value::<DesiredState>(json);
        match from_node_strict::<DesiredState>(&tree) {
            Ok(state) => {
                strict += 1;
                assert!(
                    checked.findings.is_empty(),
                    "{}: read strictly, yet the schema says {:?}",
                    path.display(),
                    checked.findings
                );
                assert_eq!(
                    typed.as_ref().ok(),
                    Some(&state),
                    "{}: two models",
                    path.display()
                );
            }
            Err(e) if e.to_string().contains("has no field") => refused_unknown += 1,
            Err(_) => refused_other += 1,
        }
    }
    // 17 DSFs are read strictly; values files, spec files and DSFs with keys Helmsman 4 does
    // not know (`helmDefaults`, `installTiller`, the example's `purge`) are refused for a key
    // (84), and Helmsman's invalid example and three empty files for a type (4).
    assert_eq!(
        (strict, refused_unknown, refused_other),
        (17, 84, 4),
        "read strictly, refused for a key, refused for a type"
    );
}
