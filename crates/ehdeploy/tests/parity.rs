//! The parity questions (`tests/parity/questions.json`) asked through the Rust API. Their
//! answers, in `tests/parity/answers/`, are what every binding must give byte for byte:
//! `bindings/parity.py` asks the CLI, Python, C and Groovy the same questions and compares.
//! `EHDEPLOY_BLESS=1 cargo test -p ehdeploy --features prometheus,git,signatures,registry --test
//! parity` rewrites the answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .canonicalize()
        .unwrap()
}

#[test]
fn the_rust_api_gives_the_recorded_answers() {
    // Requests name files relative to the repo's root, as every binding's driver runs there.
    std::env::set_current_dir(repo()).unwrap();
    let questions: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string("tests/parity/questions.json").unwrap())
            .unwrap();
    assert!(questions.len() >= 10);
    let bless = std::env::var_os("EHDEPLOY_BLESS").is_some();
    let mut names = Vec::new();
    for q in &questions {
        let name = q["name"].as_str().unwrap();
        names.push(format!("{name}.json"));
        let op = q["op"].as_str().unwrap();
        // The request is JSON text, sent as it is by every binding.
        let request = q["request"].as_str().unwrap();
        let answer = format!("{}\n", ehdeploy::api::call_json(op, request));
        let path = PathBuf::from("tests/parity/answers").join(format!("{name}.json"));
        if bless {
            std::fs::create_dir_all("tests/parity/answers").unwrap();
            std::fs::write(&path, &answer).unwrap();
        } else {
            let recorded = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                recorded == answer,
                "{name}: the answer changed; review it and run with EHDEPLOY_BLESS=1\n{answer}"
            );
        }
        // An error answer is exactly the error's JSON; any other answer has no `error` key.
        let value: serde_json::Value = serde_json::from_str(&answer).unwrap();
        let is_error = name.starts_with("error-") || name.contains("refused");
        assert_eq!(value.get("error").is_some(), is_error, "{name}");
    }
    let mut on_disk: Vec<String> = std::fs::read_dir("tests/parity/answers")
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    names.sort();
    assert_eq!(on_disk, names, "an answer without its question");
}
