//! Whatever the bytes, reading and checking them never panics: random YAML-ish text, and real
//! Helmsman files with bytes flipped, cut or duplicated, through the whole `validate` path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ehdeploy::api::{validate, ValidateRequest};
use ehdeploy::source::{parse_bytes, Limits, SourceMap};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/helmsman")
        .join(name);
    std::fs::read(path).unwrap()
}

/// Parse as YAML and as TOML, in memory.
fn parse_both(bytes: &[u8]) {
    for name in ["x.yaml", "x.toml"] {
        let mut sources = SourceMap::new();
        let vars = |n: &str| n.len().is_multiple_of(2).then(|| "v$".to_string());
        let parsed = parse_bytes(
            &mut sources,
            Path::new(name),
            name.into(),
            bytes.to_vec(),
            &Limits::default(),
            Some(&vars),
        );
        // Every finding is located in the file.
        for f in &parsed.findings {
            let loc = f.location.as_ref().unwrap();
            assert_eq!(loc.file, name);
        }
    }
}

/// The whole validate path on a file written to a temporary folder, with a platform.
fn validate_file(bytes: &[u8], case: u64) -> usize {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hostile-{}-{case}", std::process::id()));
    // The example platform's values and secrets files, beside the mutated DSF, so that its
    // references resolve and every rule runs.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/platform");
    std::fs::create_dir_all(dir.join("envs")).unwrap();
    for linked in ["values", "secrets"] {
        let link = dir.join(linked);
        if !link.exists() {
            std::os::unix::fs::symlink(example.join(linked), link).unwrap();
        }
    }
    let dsf = dir.join("envs/prod.yaml");
    std::fs::write(&dsf, bytes).unwrap();
    let platform = example.join("platform.yaml");
    let checked = validate(&ValidateRequest {
        files: vec![dsf],
        platform: Some(platform),
        environment: Some("prod".into()),
        process_env: false,
        ..Default::default()
    })
    .unwrap();
    let _ = ehdeploy::report::render(
        &checked.report,
        Some(&checked.sources),
        ehdeploy::report::ReportFormat::Human { color: true },
    );
    std::fs::remove_dir_all(&dir).unwrap();
    checked.report.summary.apps
}

const ALPHABET: &[&str] = &[
    "a",
    "b",
    ":",
    " ",
    "  ",
    "\n",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&x ",
    "*x",
    "<<: ",
    "!!str ",
    "!!merge ",
    "\"",
    "'",
    "#",
    "|",
    ">",
    "$",
    "${A}",
    "$$",
    "~",
    "null",
    "1",
    "-1",
    "0x1F",
    "apps",
    "namespace",
    "chart",
    "set",
    "valuesFiles",
    "hooks",
    "?",
    "ä",
    "\t",
    "---\n",
    "...\n",
    "=",
    "[[",
    "]]",
    "\"\\u00e9\"",
    "\r\n",
    "\u{feff}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_yamlish_text_never_panics(parts in proptest::collection::vec(0..ALPHABET.len(), 0..120)) {
        let text: String = parts.iter().map(|&i| ALPHABET[i]).collect();
        parse_both(text.as_bytes());
    }

    #[test]
    fn mutated_real_files_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let name = [
            "mkubaczyk__helmsman/examples/example.yaml",
            "mkubaczyk__helmsman/examples/appsTemplates/config/helmsman.yaml",
            "lbn__ksci/helmsman.toml",
            "amun-ai__hypha-k8s/helmsman.yaml",
        ][which];
        let mut bytes = fixture(name);
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                _ => {
                    let tail = bytes[i..].to_vec();
                    bytes.extend_from_slice(&tail[..tail.len().min(64)]);
                }
            }
        }
        parse_both(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn mutated_dsfs_through_validate_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        case in any::<u64>(),
    ) {
        let mut bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/platform/envs/prod.yaml"),
        )
        .unwrap();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        validate_file(&bytes, case);
    }
}

/// The harness itself sees the example's apps (so the mutations above exercise the rules).
#[test]
fn the_unmutated_example_is_checked_whole() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/platform/envs/prod.yaml"),
    )
    .unwrap();
    assert_eq!(validate_file(&bytes, u64::MAX), 8);
}
