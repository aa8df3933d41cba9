//! The JSON Schemas in `schemas/` are the ones generated from the Rust types, and the rule
//! catalogue and `docs/rules.md` describe the same rules.
//! `EHDEPLOY_BLESS=1 cargo test` rewrites the schema files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use ehdeploy::schema::Document;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn schemas_in_the_repo_equal_the_generated_ones() {
    for doc in Document::ALL {
        let path = repo()
            .join("schemas")
            .join(format!("{}.schema.json", doc.name()));
        let generated = format!("{}\n", serde_json::to_string_pretty(doc.schema()).unwrap());
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
