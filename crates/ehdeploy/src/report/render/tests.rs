//! Golden tests of the renderers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

use super::{human, junit, render, sarif, Format};
use crate::report::{Finding, Location, Report, Severity};
use crate::rules::{self, RuleId};
use crate::source::SourceMap;

const PROD_YAML: &str = "\
namespaces:
  prod:
    labels:
      istio-injection: enabled
apps:
  web:
    namespace: prod
    chart: platform/web
    version: 1.2.0
    enabled: true
    set:
      imageTag: latest
";

fn loc(file: &str, line: u32, column: u32, pointer: &str) -> Location {
    Location {
        file: file.to_string(),
        line,
        column,
        pointer: pointer.to_string(),
    }
}

fn sources() -> SourceMap {
    let mut map = SourceMap::new();
    map.add(
        "/repo/envs/prod.yaml".into(),
        "envs/prod.yaml".into(),
        PROD_YAML.into(),
    );
    map
}

/// Four findings, given in promotion order (inttest, then prod): an info in inttest whose
/// file is not in the source map, an error with a snippet (line 12), a warning with a related
/// location (line 9), and a file-level warning about no environment or app.
fn report() -> Report {
    let findings = vec![
        Finding::new(
            rules::MEMORY_MISSING,
            Severity::Info,
            "memory limit is not set".into(),
        )
        .at(loc("values/api.yaml", 3, 9, "/resources"))
        .help("Set resources.limits.memory.")
        .app("api")
        .environment("inttest"),
        Finding::new(
            rules::IMAGE_TAG_LATEST,
            Severity::Error,
            "image tag `latest` is not allowed".into(),
        )
        .at(loc("envs/prod.yaml", 12, 17, "/apps/web/set/imageTag"))
        .help("Use an immutable version tag.")
        .app("web")
        .environment("prod"),
        Finding::new(
            rules::CHART_VERSION_NOT_NEWEST,
            Severity::Warning,
            "chart platform/web 1.2.0 is not the newest allowed (1.3.0)".into(),
        )
        .at(loc("envs/prod.yaml", 9, 14, "/apps/web/version"))
        .related(loc("envs/base.yaml", 3, 5, "/apps/web"))
        .help("Move to 1.3.0.")
        .app("web")
        .environment("prod"),
        Finding::new(
            rules::SYNTAX_MULTIPLE_DOCUMENTS,
            Severity::Warning,
            "the file holds 2 documents".into(),
        )
        .at(loc("envs/extra.yaml", 0, 0, ""))
        .help("Keep one document."),
    ];
    Report::new(findings, 3, 2, 2)
}

// ---------------------------------------------------------------- human

const HUMAN: &str = "\
warning[syntax/multiple-documents]: the file holds 2 documents
 --> envs/extra.yaml
  = help: Keep one document.

info[memory/missing]: memory limit is not set
 --> values/api.yaml:3:9  (/resources)
  = environment: inttest, app: api
  = help: Set resources.limits.memory.

warning[chart/version-not-newest]: chart platform/web 1.2.0 is not the newest allowed (1.3.0)
 --> envs/prod.yaml:9:14  (/apps/web/version)
  |
9 |     version: 1.2.0
  |              ^^^^^
  = environment: prod, app: web
  = note: also at envs/base.yaml:3:5
  = help: Move to 1.3.0.

error[image/tag-latest]: image tag `latest` is not allowed
  --> envs/prod.yaml:12:17  (/apps/web/set/imageTag)
   |
12 |       imageTag: latest
   |                 ^^^^^^
   = environment: prod, app: web
   = help: Use an immutable version tag.

1 error, 2 warnings, 1 info in 3 files (2 apps, 2 environments)
";

#[test]
fn human_golden() {
    let map = sources();
    let out = render(&report(), Some(&map), Format::Human { color: false });
    assert_eq!(out, HUMAN);
    assert!(!out.contains('\x1b'));
}

#[test]
fn human_without_sources_shows_only_the_arrow() {
    let out = render(&report(), None, Format::Human { color: false });
    let expected = "\
error[image/tag-latest]: image tag `latest` is not allowed
  --> envs/prod.yaml:12:17  (/apps/web/set/imageTag)
   = environment: prod, app: web
   = help: Use an immutable version tag.
";
    assert!(out.contains(expected), "{out}");
    assert!(!out.contains(" | "), "{out}");
}

#[test]
fn human_line_beyond_the_file_shows_no_snippet() {
    let map = sources();
    let report = Report::new(
        vec![
            Finding::new(rules::IMAGE_TAG_LATEST, Severity::Error, "m".into())
                .at(loc("envs/prod.yaml", 40, 1, ""))
                .help("h"),
        ],
        1,
        0,
        0,
    );
    let out = render(&report, Some(&map), Format::Human { color: false });
    assert_eq!(
        out,
        "error[image/tag-latest]: m\n  --> envs/prod.yaml:40:1\n   = help: h\n\n\
         1 error, 0 warnings, 0 infos in 1 file (0 apps, 0 environments)\n"
    );
}

#[test]
fn human_color_golden() {
    let map = sources();
    let report = Report::new(
        vec![Finding::new(
            rules::IMAGE_TAG_LATEST,
            Severity::Error,
            "image tag `latest` is not allowed".into(),
        )
        .at(loc("envs/prod.yaml", 12, 17, "/apps/web/set/imageTag"))
        .related(loc("envs/base.yaml", 1, 1, ""))
        .help("Pin it.")
        .app("web")],
        1,
        1,
        1,
    );
    let out = render(&report, Some(&map), Format::Human { color: true });
    let expected = "\
\x1b[1;31merror[image/tag-latest]\x1b[0m\x1b[1m: image tag `latest` is not allowed\x1b[0m
  \x1b[1;34m-->\x1b[0m envs/prod.yaml:12:17  (/apps/web/set/imageTag)
   \x1b[1;34m|\x1b[0m
\x1b[1;34m12\x1b[0m \x1b[1;34m|\x1b[0m       imageTag: latest
   \x1b[1;34m|\x1b[0m                 \x1b[1;31m^^^^^^\x1b[0m
   \x1b[1;34m=\x1b[0m app: web
   \x1b[1;34m=\x1b[0m \x1b[1mnote:\x1b[0m also at envs/base.yaml:1:1
   \x1b[1;34m=\x1b[0m \x1b[1mhelp:\x1b[0m Pin it.

\x1b[1m1 error, 0 warnings, 0 infos in 1 file (1 app, 1 environment)\x1b[0m
";
    assert_eq!(out, expected);
}

#[test]
fn human_severity_colours() {
    let report = Report::new(
        vec![
            Finding::new(rules::MEMORY_MISSING, Severity::Warning, "w".into()),
            Finding::new(rules::MEMORY_INVALID, Severity::Info, "i".into()),
        ],
        0,
        0,
        0,
    );
    let out = render(&report, None, Format::Human { color: true });
    assert!(
        out.contains("\x1b[1;33mwarning[memory/missing]\x1b[0m"),
        "{out}"
    );
    assert!(
        out.contains("\x1b[1;36minfo[memory/invalid]\x1b[0m"),
        "{out}"
    );
}

#[test]
fn human_empty_report() {
    let out = render(
        &Report::new(vec![], 1, 1, 1),
        None,
        Format::Human { color: false },
    );
    assert_eq!(out, "no findings in 1 file (1 app, 1 environment)\n");
}

#[test]
fn human_neutralises_control_characters() {
    let report = Report::new(
        vec![Finding::new(
            rules::MEMORY_MISSING,
            Severity::Error,
            "bad \x1b[31mred\u{202e}".into(),
        )],
        0,
        0,
        0,
    );
    let out = render(&report, None, Format::Human { color: false });
    assert!(
        out.starts_with("error[memory/missing]: bad \u{fffd}[31mred\u{fffd}\n"),
        "{out}"
    );
}

#[test]
fn underline_tokens() {
    let u = |text: &str, col: u32| {
        let (pad, n) = human::underline(text, col);
        format!("{pad}{}", "^".repeat(n))
    };
    assert_eq!(u("  tag: latest", 8), "       ^^^^^^");
    assert_eq!(u("tags: [a1, b2]", 8), "       ^^");
    assert_eq!(u("m: {k: v1}", 8), "       ^^");
    assert_eq!(u("k: v1 # comment", 4), "   ^^");
    // Quoted scalars and flow collections run to their closing character.
    assert_eq!(u(r#"k: "a, \"b\" c" x"#, 4), r#"   ^^^^^^^^^^^^"#);
    assert_eq!(u("k: 'it''s ok' x", 4), "   ^^^^^^^^^^");
    assert_eq!(u("k: [a, [b]] x", 4), "   ^^^^^^^^");
    assert_eq!(u("k: {a: '}'} x", 4), "   ^^^^^^^^");
    // Unclosed quote: the plain token rule.
    assert_eq!(u("k: \"abc def", 4), "   ^^^^");
    // At least one caret: on whitespace, at or past the end, on an empty line, column 0.
    assert_eq!(u("k:  v", 3), "  ^");
    assert_eq!(u("ab", 3), "  ^");
    assert_eq!(u("ab", 9), "  ^");
    assert_eq!(u("", 1), "^");
    assert_eq!(u("ab", 0), "^^");
    // Tabs stay tabs so the carets line up; columns count characters, not bytes.
    assert_eq!(u("\tk: v", 5), "\t   ^");
    assert_eq!(u("näme: wert", 7), "      ^^^^");
}

// ---------------------------------------------------------------- json

#[test]
fn json_is_the_serde_form() {
    let report = report();
    let out = render(&report, None, Format::Json);
    assert_eq!(out, serde_json::to_string_pretty(&report).unwrap() + "\n");
    let back: Report = serde_json::from_str(&out).unwrap();
    assert_eq!(back, report);
}

#[test]
fn json_golden_small() {
    let report = Report::new(
        vec![
            Finding::new(rules::IMAGE_TAG_LATEST, Severity::Error, "latest".into())
                .at(loc("a.yaml", 2, 3, "/x"))
                .help("h")
                .app("web"),
        ],
        1,
        1,
        0,
    );
    let expected = r#"{
  "findings": [
    {
      "rule": "image/tag-latest",
      "severity": "error",
      "message": "latest",
      "help": "h",
      "location": {
        "file": "a.yaml",
        "line": 2,
        "column": 3,
        "pointer": "/x"
      },
      "app": "web"
    }
  ],
  "summary": {
    "errors": 1,
    "warnings": 0,
    "infos": 0,
    "files": 1,
    "apps": 1,
    "environments": 0
  }
}
"#;
    assert_eq!(render(&report, None, Format::Json), expected);
}

// ---------------------------------------------------------------- sarif

fn summary(id: RuleId) -> String {
    serde_json::to_string(id.rule().unwrap().summary).unwrap()
}

fn help(id: RuleId) -> String {
    serde_json::to_string(id.rule().unwrap().help).unwrap()
}

#[test]
fn sarif_golden() {
    let out = render(&report(), None, Format::Sarif);
    let version = env!("CARGO_PKG_VERSION");
    let (chart, image, memory, syntax) = (
        rules::CHART_VERSION_NOT_NEWEST,
        rules::IMAGE_TAG_LATEST,
        rules::MEMORY_MISSING,
        rules::SYNTAX_MULTIPLE_DOCUMENTS,
    );
    let expected = format!(
        r##"{{
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "version": "2.1.0",
  "runs": [
    {{
      "tool": {{
        "driver": {{
          "name": "ehdeploy",
          "version": "{version}",
          "informationUri": "https://ehdeploy.invalid/docs/",
          "rules": [
            {{
              "id": "chart/version-not-newest",
              "shortDescription": {{
                "text": {}
              }},
              "help": {{
                "text": {}
              }},
              "helpUri": "https://ehdeploy.invalid/docs/rules.md#chartversion-not-newest",
              "defaultConfiguration": {{
                "level": "warning"
              }}
            }},
            {{
              "id": "image/tag-latest",
              "shortDescription": {{
                "text": {}
              }},
              "help": {{
                "text": {}
              }},
              "helpUri": "https://ehdeploy.invalid/docs/rules.md#imagetag-latest",
              "defaultConfiguration": {{
                "level": "error"
              }}
            }},
            {{
              "id": "memory/missing",
              "shortDescription": {{
                "text": {}
              }},
              "help": {{
                "text": {}
              }},
              "helpUri": "https://ehdeploy.invalid/docs/rules.md#memorymissing",
              "defaultConfiguration": {{
                "level": "error"
              }}
            }},
            {{
              "id": "syntax/multiple-documents",
              "shortDescription": {{
                "text": {}
              }},
              "help": {{
                "text": {}
              }},
              "helpUri": "https://ehdeploy.invalid/docs/rules.md#syntaxmultiple-documents",
              "defaultConfiguration": {{
                "level": "warning"
              }}
            }}
          ]
        }}
      }},
      "columnKind": "unicodeCodePoints",
      "results": [
        {{
          "ruleId": "syntax/multiple-documents",
          "ruleIndex": 3,
          "level": "warning",
          "message": {{
            "text": "the file holds 2 documents"
          }},
          "locations": [
            {{
              "physicalLocation": {{
                "artifactLocation": {{
                  "uri": "envs/extra.yaml"
                }}
              }}
            }}
          ]
        }},
        {{
          "ruleId": "memory/missing",
          "ruleIndex": 2,
          "level": "note",
          "message": {{
            "text": "memory limit is not set"
          }},
          "locations": [
            {{
              "physicalLocation": {{
                "artifactLocation": {{
                  "uri": "values/api.yaml"
                }},
                "region": {{
                  "startLine": 3,
                  "startColumn": 9
                }}
              }},
              "logicalLocations": [
                {{
                  "fullyQualifiedName": "/resources"
                }}
              ]
            }}
          ],
          "properties": {{
            "environment": "inttest",
            "app": "api"
          }}
        }},
        {{
          "ruleId": "chart/version-not-newest",
          "ruleIndex": 0,
          "level": "warning",
          "message": {{
            "text": "chart platform/web 1.2.0 is not the newest allowed (1.3.0)"
          }},
          "locations": [
            {{
              "physicalLocation": {{
                "artifactLocation": {{
                  "uri": "envs/prod.yaml"
                }},
                "region": {{
                  "startLine": 9,
                  "startColumn": 14
                }}
              }},
              "logicalLocations": [
                {{
                  "fullyQualifiedName": "/apps/web/version"
                }}
              ]
            }}
          ],
          "relatedLocations": [
            {{
              "id": 0,
              "physicalLocation": {{
                "artifactLocation": {{
                  "uri": "envs/base.yaml"
                }},
                "region": {{
                  "startLine": 3,
                  "startColumn": 5
                }}
              }},
              "logicalLocations": [
                {{
                  "fullyQualifiedName": "/apps/web"
                }}
              ]
            }}
          ],
          "properties": {{
            "environment": "prod",
            "app": "web"
          }}
        }},
        {{
          "ruleId": "image/tag-latest",
          "ruleIndex": 1,
          "level": "error",
          "message": {{
            "text": "image tag `latest` is not allowed"
          }},
          "locations": [
            {{
              "physicalLocation": {{
                "artifactLocation": {{
                  "uri": "envs/prod.yaml"
                }},
                "region": {{
                  "startLine": 12,
                  "startColumn": 17
                }}
              }},
              "logicalLocations": [
                {{
                  "fullyQualifiedName": "/apps/web/set/imageTag"
                }}
              ]
            }}
          ],
          "properties": {{
            "environment": "prod",
            "app": "web"
          }}
        }}
      ]
    }}
  ]
}}
"##,
        summary(chart),
        help(chart),
        summary(image),
        help(image),
        summary(memory),
        help(memory),
        summary(syntax),
        help(syntax),
    );
    assert_eq!(out, expected);
}

#[test]
fn sarif_structure() {
    let report = report();
    let out = render(&report, None, Format::Sarif);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(
        v["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "ehdeploy");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));

    // The rules are the distinct ones used, and every result's ruleIndex points at its rule.
    let rules = driver["rules"].as_array().unwrap();
    let mut used: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    used.sort_unstable();
    used.dedup();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, used);
    for r in rules {
        let id = RuleId::parse(r["id"].as_str().unwrap()).unwrap();
        let entry = id.rule().unwrap();
        assert_eq!(r["shortDescription"]["text"], entry.summary);
        assert_eq!(r["help"]["text"], entry.help);
        assert_eq!(
            r["helpUri"],
            format!("https://ehdeploy.invalid/docs/rules.md#{}", id.doc_anchor())
        );
        assert!(["error", "warning", "note"]
            .contains(&r["defaultConfiguration"]["level"].as_str().unwrap()));
    }

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    for (res, f) in results.iter().zip(&report.findings) {
        assert_eq!(res["ruleId"], f.rule.as_str());
        let i = usize::try_from(res["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[i]["id"], f.rule.as_str());
        assert_eq!(res["message"]["text"], f.message.as_str());
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        assert_eq!(res["level"], level);
        let l = f.location.as_ref().unwrap();
        let phys = &res["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], l.file.as_str());
        if l.line == 0 {
            assert!(phys.get("region").is_none());
        } else {
            assert_eq!(phys["region"]["startLine"], l.line);
            assert_eq!(phys["region"]["startColumn"], l.column);
        }
        let logical = res["locations"][0].get("logicalLocations");
        if l.pointer.is_empty() {
            assert!(logical.is_none());
        } else {
            assert_eq!(
                logical.unwrap()[0]["fullyQualifiedName"],
                l.pointer.as_str()
            );
        }
        assert_eq!(
            res.get("properties").and_then(|p| p.get("environment")),
            f.environment
                .as_ref()
                .map(|e| Value::from(e.as_str()))
                .as_ref()
        );
        assert_eq!(
            res.get("properties").and_then(|p| p.get("app")),
            f.app.as_ref().map(|e| Value::from(e.as_str())).as_ref()
        );
        assert_eq!(
            res.get("relatedLocations")
                .map_or(0, |r| r.as_array().unwrap().len()),
            f.related.len()
        );
    }
}

#[test]
fn sarif_empty_report_has_one_run_without_rules() {
    let out = render(&Report::default(), None, Format::Sarif);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["runs"][0]["tool"]["driver"]["rules"],
        serde_json::json!([])
    );
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn sarif_uris() {
    assert_eq!(sarif::uri("envs/prod.yaml"), "envs/prod.yaml");
    assert_eq!(sarif::uri("envs\\prod.yaml"), "envs/prod.yaml");
    assert_eq!(sarif::uri("/abs/a b.yaml"), "/abs/a%20b.yaml");
    assert_eq!(sarif::uri("../x/100%.yaml"), "../x/100%25.yaml");
    assert_eq!(sarif::uri("a:b/c#d?.yaml"), "a%3Ab/c%23d%3F.yaml");
    assert_eq!(
        sarif::uri("C:\\repo\\envs\\ä.yaml"),
        "file:///C:/repo/envs/%C3%A4.yaml"
    );
}

// ---------------------------------------------------------------- junit

const JUNIT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ehdeploy" tests="4" failures="3" errors="0">
  <testsuite name="spec" tests="1" failures="1" errors="0" skipped="0">
    <testcase classname="spec.envs/extra.yaml" name="syntax/multiple-documents">
      <failure type="warning" message="the file holds 2 documents">warning: the file holds 2 documents
  at envs/extra.yaml
  help: Keep one document.
</failure>
    </testcase>
  </testsuite>
  <testsuite name="inttest" tests="1" failures="0" errors="0" skipped="0">
    <testcase classname="inttest.api" name="memory/missing">
      <system-out>info: memory limit is not set
  at values/api.yaml:3:9 (/resources)
  help: Set resources.limits.memory.
</system-out>
    </testcase>
  </testsuite>
  <testsuite name="prod" tests="2" failures="2" errors="0" skipped="0">
    <testcase classname="prod.web" name="chart/version-not-newest">
      <failure type="warning" message="chart platform/web 1.2.0 is not the newest allowed (1.3.0)">warning: chart platform/web 1.2.0 is not the newest allowed (1.3.0)
  at envs/prod.yaml:9:14 (/apps/web/version)
  also at envs/base.yaml:3:5 (/apps/web)
  help: Move to 1.3.0.
</failure>
    </testcase>
    <testcase classname="prod.web" name="image/tag-latest">
      <failure type="error" message="image tag `latest` is not allowed">error: image tag `latest` is not allowed
  at envs/prod.yaml:12:17 (/apps/web/set/imageTag)
  help: Use an immutable version tag.
</failure>
    </testcase>
  </testsuite>
</testsuites>
"#;

#[test]
fn junit_golden() {
    assert_eq!(render(&report(), None, Format::Junit), JUNIT);
}

#[test]
fn junit_groups_findings_of_one_rule_and_app() {
    let f = |sev, msg: &str, line| {
        Finding::new(rules::DNS_INVALID, sev, msg.into())
            .at(loc("e.yaml", line, 3, ""))
            .help("fix <it>")
            .app("web")
            .environment("exttest")
    };
    let report = Report::new(
        vec![
            f(Severity::Warning, "host \"a\" & b", 1),
            f(Severity::Error, "host <c>", 2),
            f(Severity::Info, "host d", 3),
        ],
        1,
        1,
        1,
    );
    let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ehdeploy" tests="1" failures="1" errors="0">
  <testsuite name="exttest" tests="1" failures="1" errors="0" skipped="0">
    <testcase classname="exttest.web" name="dns/invalid">
      <failure type="error" message="host &quot;a&quot; &amp; b; host &lt;c&gt;">warning: host &quot;a&quot; &amp; b
  at e.yaml:1:3
  help: fix &lt;it&gt;
error: host &lt;c&gt;
  at e.yaml:2:3
  help: fix &lt;it&gt;
info: host d
  at e.yaml:3:3
  help: fix &lt;it&gt;
</failure>
    </testcase>
  </testsuite>
</testsuites>
"#;
    assert_eq!(render(&report, None, Format::Junit), expected);
}

#[test]
fn junit_empty_report_has_one_passing_case() {
    let out = render(&Report::new(vec![], 2, 1, 1), None, Format::Junit);
    let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ehdeploy" tests="1" failures="0" errors="0">
  <testsuite name="ehdeploy" tests="1" failures="0" errors="0" skipped="0">
    <testcase classname="ehdeploy" name="ehdeploy">
      <system-out>no findings in 2 files (1 app, 1 environment)</system-out>
    </testcase>
  </testsuite>
</testsuites>
"#;
    assert_eq!(out, expected);
}

#[test]
fn junit_escaping() {
    assert_eq!(
        junit::escape("a&b<c>d\"e'f", false),
        "a&amp;b&lt;c&gt;d&quot;e&apos;f"
    );
    // Characters XML 1.0 forbids are dropped; tab and line feed survive, in attributes as
    // references; carriage return is always a reference.
    assert_eq!(
        junit::escape("x\u{0}\u{1b}\u{8}\u{fffe}\u{ffff}y\t\n\r", false),
        "xy\t\n&#13;"
    );
    assert_eq!(junit::escape("x\t\n\ry", true), "x&#9;&#10;&#13;y");
    assert_eq!(junit::escape("ä😀]]>", false), "ä😀]]&gt;");
}

#[test]
fn junit_attributes_are_escaped() {
    let report = Report::new(
        vec![
            Finding::new(rules::MEMORY_MISSING, Severity::Error, "m\u{1}\n2".into())
                .app("a\"<&>'")
                .environment("e&v"),
        ],
        0,
        1,
        1,
    );
    let out = render(&report, None, Format::Junit);
    assert!(
        out.contains(r#"<testsuite name="e&amp;v" tests="1""#),
        "{out}"
    );
    assert!(
        out.contains(
            r#"<testcase classname="e&amp;v.a&quot;&lt;&amp;&gt;&apos;" name="memory/missing">"#
        ),
        "{out}"
    );
    assert!(out.contains(r#"message="m&#10;2">"#), "{out}");
}

#[test]
fn human_masks_the_value_a_secret_rule_points_at() {
    let mut map = SourceMap::new();
    map.add(
        "/repo/values/api.yaml".into(),
        "values/api.yaml".into(),
        "db:\n  password: hunter2 # old\n".into(),
    );
    let report = Report::new(
        vec![Finding::new(
            rules::SECRETS_PLAINTEXT,
            Severity::Error,
            "`password` holds a plaintext value that looks like a secret (value hidden)".into(),
        )
        .at(loc("values/api.yaml", 2, 13, "/db/password"))
        .help("Move it to a secrets file.")],
        1,
        1,
        0,
    );
    let text = render(&report, Some(&map), Format::Human { color: false });
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        text.contains("2 |   password: ******* # old\n  |             ^^^^^^^"),
        "{text}"
    );
}
