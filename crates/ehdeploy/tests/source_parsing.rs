//! The located parser on real files and on hostile input.

#[path = "support/documents.rs"]
mod documents;

use std::path::{Path, PathBuf};

use ehdeploy::source::{parse_bytes, read_file, Limits, NodeKind, SourceMap};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/helmsman")
}

fn parse(
    name: &str,
    text: &str,
) -> (
    Option<ehdeploy::source::Node>,
    Vec<ehdeploy::Finding>,
    SourceMap,
) {
    let mut sources = SourceMap::new();
    let p = parse_bytes(
        &mut sources,
        Path::new(name),
        name.into(),
        text.as_bytes().to_vec(),
        &Limits::default(),
        None,
    );
    (p.root, p.findings, sources)
}

#[test]
fn every_fixture_file_parses() {
    let files: Vec<PathBuf> = documents::documents(&fixtures())
        .into_iter()
        .filter(|p| !p.ends_with("tests/invalid_example.toml"))
        .collect();
    assert!(
        files.len() > 50,
        "fixtures not found at {}",
        fixtures().display()
    );
    let mut sources = SourceMap::new();
    for f in files {
        let parsed = read_file(
            &mut sources,
            &f,
            f.display().to_string(),
            &Limits::default(),
            None,
        )
        .unwrap();
        let errors: Vec<_> = parsed
            .findings
            .iter()
            .filter(|x| x.rule.as_str() != "syntax/multiple-documents")
            .collect();
        assert!(errors.is_empty(), "{}: {:?}", f.display(), errors);
        assert!(parsed.root.is_some(), "{}", f.display());
    }
}

#[test]
fn merge_keys_and_spans() {
    let text = "base: &b\n  a: 1\n  b: 2\nx:\n  <<: *b\n  b: 3\ny:\n  <<: [{a: 9}, *b]\n";
    let (root, findings, sources) = parse("m.yaml", text);
    assert!(findings.is_empty(), "{findings:?}");
    let root = root.unwrap();
    assert_eq!(root.pointer("/x/a").unwrap().kind, NodeKind::Int(1));
    assert_eq!(root.pointer("/x/b").unwrap().kind, NodeKind::Int(3));
    assert_eq!(root.pointer("/y/a").unwrap().kind, NodeKind::Int(9));
    let loc = sources.location(root.span_at("/x/b", false), "/x/b");
    assert_eq!((loc.line, loc.column), (6, 6));
    let loc = sources.location(root.span_at("/x/b", true), "/x/b");
    assert_eq!((loc.line, loc.column), (6, 3));
}

#[test]
fn duplicate_keys_are_errors_with_both_places() {
    let (_, findings, _) = parse("d.yaml", "a:\n  k: 1\n  k: 2\n");
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.rule.as_str(), "syntax/duplicate-key");
    let l = f.location.as_ref().unwrap();
    assert_eq!((l.line, l.column, l.pointer.as_str()), (3, 3, "/a/k"));
    assert_eq!(f.related[0].line, 2);
}

#[test]
fn syntax_error_has_a_location() {
    let (root, findings, _) = parse("bad.yaml", "apps:\n  web:\n    chart: [a, b\n");
    assert!(root.is_none());
    assert_eq!(findings[0].rule.as_str(), "syntax/yaml");
    assert!(findings[0].location.as_ref().unwrap().line >= 3);
}

#[test]
fn alias_bomb_is_stopped() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
            p = i - 1
        ));
    }
    let (root, findings, _) = parse("bomb.yaml", &text);
    assert!(root.is_none());
    assert_eq!(findings[0].rule.as_str(), "syntax/alias-limit");
}

#[test]
fn deep_nesting_is_stopped() {
    let block: String = (0..1_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let (root, findings, _) = parse("deep.yaml", &block);
    assert!(root.is_none());
    assert_eq!(findings[0].rule.as_str(), "syntax/too-deep");
    let l = findings[0].location.as_ref().unwrap();
    assert_eq!(l.line, 129);

    let flow = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (root, findings, _) = parse("flow.yaml", &flow);
    assert!(root.is_none());
    assert!(
        matches!(findings[0].rule.as_str(), "syntax/too-deep" | "syntax/yaml"),
        "{findings:?}"
    );

    let toml: String = format!("a = {}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let (root, findings, _) = parse("deep.toml", &toml);
    assert!(root.is_none());
    assert!(
        matches!(findings[0].rule.as_str(), "syntax/too-deep" | "syntax/toml"),
        "{findings:?}"
    );
}

#[test]
fn invalid_utf8_and_huge_files() {
    let mut sources = SourceMap::new();
    let p = parse_bytes(
        &mut sources,
        Path::new("u.yaml"),
        "u.yaml".into(),
        b"a: 1\nb: \xff\n".to_vec(),
        &Limits::default(),
        None,
    );
    assert!(p.root.is_none());
    let l = p.findings[0].location.as_ref().unwrap();
    assert_eq!(
        (p.findings[0].rule.as_str(), l.line, l.column),
        ("syntax/encoding", 2, 4)
    );

    let big = vec![b'#'; 50 * 1024 * 1024];
    let p = parse_bytes(
        &mut sources,
        Path::new("big.yaml"),
        "big.yaml".into(),
        big,
        &Limits::default(),
        None,
    );
    assert!(p.root.is_none());
    assert_eq!(p.findings[0].rule.as_str(), "syntax/too-large");
}

#[test]
fn toml_values_and_spans() {
    let (root, findings, sources) = parse(
        "a.toml",
        "[apps.web]\nchart = \"r/web\"\nversion = \"1.0.0\"\npriority = -2\n",
    );
    assert!(findings.is_empty());
    let root = root.unwrap();
    assert_eq!(
        root.pointer("/apps/web/priority").unwrap().kind,
        NodeKind::Int(-2)
    );
    let l = sources.location(root.span_at("/apps/web/version", false), "");
    assert_eq!((l.line, l.column), (3, 11));
}

#[test]
fn locations_survive_substitution_in_non_ascii_text() {
    let mut sources = SourceMap::new();
    let vars = |name: &str| (name == "TAG").then(|| "1.2.3-långt".to_string());
    let text = "# Ünïcode\nimage: {tag: $TAG, name: café}\nport: [80, 80]\n";
    let p = parse_bytes(
        &mut sources,
        Path::new("u.yaml"),
        "u.yaml".into(),
        text.as_bytes().to_vec(),
        &Limits::default(),
        Some(&vars),
    );
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    let root = p.root.unwrap();
    assert_eq!(
        root.pointer("/image/tag").unwrap().as_str(),
        Some("1.2.3-långt")
    );
    // The substituted value points at its `$`, what follows at its place as written.
    let at = |ptr: &str| {
        let l = sources.location(root.span_at(ptr, false), ptr);
        (l.line, l.column)
    };
    assert_eq!(at("/image/tag"), (2, 14));
    assert_eq!(at("/image/name"), (2, 26));
    assert_eq!(at("/port/1"), (3, 12));
}
