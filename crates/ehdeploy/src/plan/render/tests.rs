//! Golden tests of the plan renderers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};

use super::{render, PlanFormat};
use crate::plan::{Action, Change, Decision, Plan, PlanSummary, Risk, RiskId};
use crate::report::Location;

const HUMAN: PlanFormat = PlanFormat::Human { color: false };
const COLOR: PlanFormat = PlanFormat::Human { color: true };

fn action(
    app: &str,
    namespace: Option<&str>,
    decision: Decision,
    priority: i64,
    reason: &str,
) -> Action {
    Action {
        app: app.to_string(),
        release: app.to_string(),
        namespace: namespace.map(str::to_string),
        decision,
        priority,
        reason: reason.to_string(),
        changes: Vec::new(),
        risks: Vec::new(),
        location: None,
    }
}

fn change(path: &str, field: Option<&str>, from: Option<Value>, to: Option<Value>) -> Change {
    Change {
        path: path.to_string(),
        field: field.map(str::to_string),
        from,
        to,
        secret: false,
        location: None,
    }
}

fn risk(id: RiskId, message: &str) -> Risk {
    Risk {
        id,
        message: message.to_string(),
    }
}

/// One action of each decision, in the order `diff` gives them, with a secret change and risks.
fn plan() -> Plan {
    let mut db = action(
        "db",
        Some("medilink"),
        Decision::Create,
        -10,
        "new in the spec: install",
    );
    db.changes = vec![
        change("chart", None, None, Some(json!("platform/postgres"))),
        change("version", None, None, Some(json!("12.1.0"))),
        change(
            "values/resources",
            None,
            None,
            Some(json!({"cpu": "500m", "memory": "1Gi"})),
        ),
    ];
    db.location = Some(Location {
        file: "envs/prod.yaml".into(),
        line: 20,
        column: 3,
        pointer: "/apps/db".into(),
    });

    let mut web = action(
        "web",
        Some("medilink"),
        Decision::Change,
        0,
        "5 field(s) change: upgrade",
    );
    web.changes = vec![
        change("version", None, Some(json!("1.9.0")), Some(json!("2.0.0"))),
        change(
            "values/imageTag",
            Some("image.tag"),
            Some(json!("3.14.2")),
            Some(json!("3.15.0")),
        ),
        change(
            "values/ingress/hostname",
            Some("hosts"),
            None,
            Some(json!("a.example")),
        ),
        change("values/x", None, Some(json!(1)), None),
        Change {
            secret: true,
            ..change(
                "values/env/DB_PASSWORD",
                Some("secrets.DB_PASSWORD"),
                Some(json!("***")),
                Some(json!("***")),
            )
        },
    ];
    web.risks = vec![risk(
        RiskId::ChartMajor,
        "chart of `web` goes up a major version: 1.9.0 → 2.0.0",
    )];

    let mut ledger = action(
        "ledger",
        Some("finance"),
        Decision::Protected,
        0,
        "protected: the changes are not applied",
    );
    ledger.changes = vec![change(
        "values/replicaCount",
        Some("replicas"),
        Some(json!(2)),
        Some(json!(0)),
    )];
    ledger.risks = vec![
        risk(RiskId::Protected, "`ledger` is protected (app or namespace): the new spec changes it, and Helmsman will not apply that"),
        risk(RiskId::ReplicasZero, "`ledger` goes from 2 replicas to 0"),
    ];

    let mut reports = action(
        "reports",
        Some("analytics"),
        Decision::MoveNamespace,
        0,
        "namespace changes: uninstall, then install",
    );
    reports.changes = vec![change(
        "namespace",
        None,
        Some(json!("medilink")),
        Some(json!("analytics")),
    )];
    reports.risks = vec![risk(RiskId::NamespaceMove, "`reports` moves from namespace `medilink` to `analytics`: Helmsman uninstalls and reinstalls it, and its persistent volumes are not moved")];

    let mut search = action(
        "search",
        None,
        Decision::ReplaceChart,
        5,
        "the chart changes name: uninstall, then install",
    );
    search.changes = vec![
        change(
            "chart",
            None,
            Some(json!("platform/elastic")),
            Some(json!("platform/opensearch")),
        ),
        change("values/query", None, Some(json!("a|b")), Some(json!("a`b"))),
    ];

    let portal = action("portal", Some("medilink"), Decision::Noop, 0, "no change");
    let cache = action("cache", Some("medilink"), Decision::Noop, 5, "no change");

    let mut legacy = action(
        "legacy",
        Some("medilink"),
        Decision::Remove,
        0,
        "no longer in the spec (untracked): uninstall",
    );
    legacy.risks = vec![risk(
        RiskId::DnsRemoved,
        "removing `legacy` stops serving `legacy.example`",
    )];

    let actions = vec![db, web, ledger, reports, portal, search, cache, legacy];
    Plan {
        summary: PlanSummary {
            create: 1,
            change: 1,
            remove: 1,
            noop: 2,
            protected: 1,
            move_namespace: 1,
            replace_chart: 1,
            risks: 5,
        },
        actions,
    }
}

// ---------------------------------------------------------------- human

const HUMAN_TEXT: &str = "\
priority -10
  + create          db (namespace medilink, release db)
    + chart: \"platform/postgres\"
    + version: \"12.1.0\"
    + values/resources: {\"cpu\":\"500m\",\"memory\":\"1Gi\"}
    new in the spec: install

priority 0
  ~ change          web (namespace medilink, release web)
    ~ version: \"1.9.0\" → \"2.0.0\"
    ~ image.tag (values/imageTag): \"3.14.2\" → \"3.15.0\"
    + hosts (values/ingress/hostname): \"a.example\"
    - values/x: 1
    ~ secrets.DB_PASSWORD (values/env/DB_PASSWORD): *** → ***
    ! risk/chart-major: chart of `web` goes up a major version: 1.9.0 → 2.0.0
    5 field(s) change: upgrade
  ! protected       ledger (namespace finance, release ledger)
    ~ replicas (values/replicaCount): 2 → 0
    ! risk/protected: `ledger` is protected (app or namespace): the new spec changes it, and Helmsman will not apply that
    ! risk/replicas-zero: `ledger` goes from 2 replicas to 0
    protected: the changes are not applied
  > move-namespace  reports (namespace analytics, release reports)
    ~ namespace: \"medilink\" → \"analytics\"
    ! risk/namespace-move: `reports` moves from namespace `medilink` to `analytics`: Helmsman uninstalls and reinstalls it, and its persistent volumes are not moved
    namespace changes: uninstall, then install

priority 5
  ± replace-chart   search (release search)
    ~ chart: \"platform/elastic\" → \"platform/opensearch\"
    ~ values/query: \"a|b\" → \"a`b\"
    the chart changes name: uninstall, then install

priority 0
  - remove          legacy (namespace medilink, release legacy)
    ! risk/dns-removed: removing `legacy` stops serving `legacy.example`
    no longer in the spec (untracked): uninstall

2 apps unchanged: portal, cache
Plan: 1 to create, 1 to change, 1 to remove, 1 namespace move, 1 chart replacement, 2 unchanged, 1 protected; 5 risk notes.
";

#[test]
fn human_groups_by_priority_in_plan_order() {
    assert_eq!(render(&plan(), HUMAN), HUMAN_TEXT);
}

/// The text without its ANSI SGR sequences.
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('m').unwrap();
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn human_in_colour_is_the_same_text_painted() {
    let out = render(&plan(), COLOR);
    assert_eq!(strip_ansi(&out), HUMAN_TEXT);
    let lines: Vec<&str> = out.lines().collect();
    for line in [
        "\x1b[1mpriority -10\x1b[0m",
        "  \x1b[1;32m+ create\x1b[0m          \x1b[1mdb\x1b[0m (namespace medilink, release db)",
        "    \x1b[1;32m+\x1b[0m chart: \"platform/postgres\"",
        "    \x1b[2mnew in the spec: install\x1b[0m",
        "  \x1b[1;33m~ change\x1b[0m          \x1b[1mweb\x1b[0m (namespace medilink, release web)",
        "    \x1b[1;33m~\x1b[0m image.tag (values/imageTag): \"3.14.2\" → \"3.15.0\"",
        "    \x1b[1;31m-\x1b[0m values/x: 1",
        "    \x1b[1;31m! risk/chart-major\x1b[0m: chart of `web` goes up a major version: 1.9.0 → 2.0.0",
        "  \x1b[1;35m! protected\x1b[0m       \x1b[1mledger\x1b[0m (namespace finance, release ledger)",
        "  \x1b[1;36m> move-namespace\x1b[0m  \x1b[1mreports\x1b[0m (namespace analytics, release reports)",
        "  \x1b[1;36m± replace-chart\x1b[0m   \x1b[1msearch\x1b[0m (release search)",
        "  \x1b[1;31m- remove\x1b[0m          \x1b[1mlegacy\x1b[0m (namespace medilink, release legacy)",
        "\x1b[2m2 apps unchanged: portal, cache\x1b[0m",
        "\x1b[1mPlan: 1 to create, 1 to change, 1 to remove, 1 namespace move, 1 chart replacement, 2 unchanged, 1 protected; 5 risk notes.\x1b[0m",
    ] {
        assert!(lines.contains(&line), "no line {line:?} in\n{out}");
    }
    assert!(!render(&plan(), HUMAN).contains('\x1b'));
}

#[test]
fn human_pads_decisions_to_the_widest_shown() {
    let mut web = action(
        "web",
        Some("medilink"),
        Decision::Change,
        0,
        "1 field(s) change: upgrade",
    );
    web.changes = vec![change(
        "version",
        None,
        Some(json!("2.4.0")),
        Some(json!("2.4.1")),
    )];
    let mut old = action(
        "old",
        None,
        Decision::Remove,
        0,
        "disabled in the new spec: uninstall",
    );
    old.release = "old-release".into();
    let plan = Plan {
        actions: vec![
            web,
            old,
            action("api", None, Decision::Noop, 0, "no change"),
        ],
        summary: PlanSummary::default(),
    };
    assert_eq!(
        render(&plan, HUMAN),
        "\
priority 0
  ~ change  web (namespace medilink, release web)
    ~ version: \"2.4.0\" → \"2.4.1\"
    1 field(s) change: upgrade
  - remove  old (release old-release)
    disabled in the new spec: uninstall

1 app unchanged: api
Plan: 0 to create, 1 to change, 1 to remove, 1 unchanged.
"
    );
}

#[test]
fn a_no_op_with_something_to_show_is_not_collapsed() {
    let mut api = action("api", None, Decision::Noop, 3, "no change");
    api.risks = vec![risk(
        RiskId::DnsRemoved,
        "`api` no longer serves `x.example`",
    )];
    let plan = Plan {
        actions: vec![api, action("b", None, Decision::Noop, 0, "no change")],
        summary: PlanSummary::default(),
    };
    assert_eq!(
        render(&plan, HUMAN),
        "\
priority 3
  = noop  api (release api)
    ! risk/dns-removed: `api` no longer serves `x.example`
    no change

1 app unchanged: b
No changes (1 risk note).
"
    );
}

#[test]
fn the_summary_line_says_no_changes_when_nothing_changes() {
    let empty = Plan::default();
    assert_eq!(render(&empty, HUMAN), "No changes.\n");
    assert_eq!(render(&empty, COLOR), "\x1b[1mNo changes.\x1b[0m\n");
    assert_eq!(
        render(&empty, PlanFormat::Markdown),
        "### Plan\n\nNo changes.\n"
    );

    let noops = Plan {
        actions: vec![
            action("a", None, Decision::Noop, 0, "no change"),
            action("b", None, Decision::Noop, 0, "no change"),
        ],
        summary: PlanSummary::default(),
    };
    assert_eq!(
        render(&noops, HUMAN),
        "2 apps unchanged: a, b\nNo changes.\n"
    );

    let mut guarded = action(
        "vault",
        None,
        Decision::Protected,
        0,
        "protected: the changes are not applied",
    );
    guarded.risks = vec![risk(RiskId::Protected, "`vault` is protected")];
    let protected = Plan {
        actions: vec![guarded],
        summary: PlanSummary::default(),
    };
    let out = render(&protected, HUMAN);
    assert!(
        out.ends_with("\nNo changes (1 protected; 1 risk note).\n"),
        "{out}"
    );
}

#[test]
fn text_from_the_specs_cannot_drive_the_terminal() {
    let mut a = action(
        "evil\x1b[2J",
        Some("ns\u{202e}x"),
        Decision::Create,
        0,
        "new\r\nline",
    );
    a.changes = vec![change("values/k\x07", None, None, Some(json!("\u{9b}31m")))];
    let out = render(
        &Plan {
            actions: vec![a],
            summary: PlanSummary::default(),
        },
        HUMAN,
    );
    assert!(
        !out.contains(['\x1b', '\u{202e}', '\r', '\x07', '\u{9b}']),
        "{out:?}"
    );
    assert!(
        out.contains("evil\u{fffd}[2J (namespace ns\u{fffd}x, release evil\u{fffd}[2J)"),
        "{out}"
    );
    assert!(out.contains("    new\u{fffd}\u{fffd}line\n"), "{out}");
}

// ---------------------------------------------------------------- JSON

#[test]
fn json_is_the_plan_and_reads_back_equal() {
    let plan = plan();
    let out = render(&plan, PlanFormat::Json);
    assert_eq!(
        out,
        format!("{}\n", serde_json::to_string_pretty(&plan).unwrap())
    );
    let back: Plan = serde_json::from_str(&out).unwrap();
    assert_eq!(back, plan);
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["actions"][1]["decision"], "change");
    assert_eq!(value["actions"][1]["changes"][4]["secret"], true);
    assert_eq!(value["actions"][3]["decision"], "move-namespace");
    assert_eq!(value["actions"][0]["location"]["line"], 20);
    assert_eq!(value["summary"]["moveNamespace"], 1);
}

#[test]
fn json_matches_the_plan_schema() {
    let schema = crate::schema::Document::Plan.schema();
    let validator = jsonschema::validator_for(schema).unwrap();
    let value: Value = serde_json::from_str(&render(&plan(), PlanFormat::Json)).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut extra = value.clone();
    extra["actions"][0]["changes"][0]["oops"] = json!(1);
    assert!(!validator.is_valid(&extra));
}

// ---------------------------------------------------------------- Markdown

const MARKDOWN: &str = "\
### Plan

Plan: 1 to create, 1 to change, 1 to remove, 1 namespace move, 1 chart replacement, 2 unchanged, 1 protected; 5 risk notes.

| | app | namespace | decision | priority | changes | risks |
|---|---|---|---|---:|---:|---|
| + | `db` | `medilink` | create | -10 | 3 |  |
| ~ | `web` | `medilink` | change | 0 | 5 | `risk/chart-major` |
| ! | `ledger` | `finance` | protected | 0 | 1 | `risk/protected`, `risk/replicas-zero` |
| > | `reports` | `analytics` | move-namespace | 0 | 1 | `risk/namespace-move` |
| ± | `search` |  | replace-chart | 5 | 2 |  |
| - | `legacy` | `medilink` | remove | 0 | 0 | `risk/dns-removed` |

<details><summary>db: create</summary>

| what | from | to |
|---|---|---|
| `chart` |  | `\"platform/postgres\"` |
| `version` |  | `\"12.1.0\"` |
| `values/resources` |  | `{\"cpu\":\"500m\",\"memory\":\"1Gi\"}` |

</details>

<details><summary>web: change</summary>

| what | from | to |
|---|---|---|
| `version` | `\"1.9.0\"` | `\"2.0.0\"` |
| `image.tag` (`values/imageTag`) | `\"3.14.2\"` | `\"3.15.0\"` |
| `hosts` (`values/ingress/hostname`) |  | `\"a.example\"` |
| `values/x` | `1` |  |
| `secrets.DB_PASSWORD` (`values/env/DB_PASSWORD`) | `***` | `***` |

</details>

<details><summary>ledger: protected</summary>

| what | from | to |
|---|---|---|
| `replicas` (`values/replicaCount`) | `2` | `0` |

</details>

<details><summary>reports: move-namespace</summary>

| what | from | to |
|---|---|---|
| `namespace` | `\"medilink\"` | `\"analytics\"` |

</details>

<details><summary>search: replace-chart</summary>

| what | from | to |
|---|---|---|
| `chart` | `\"platform/elastic\"` | `\"platform/opensearch\"` |
| `values/query` | `\"a\\|b\"` | ``\"a`b\"`` |

</details>

**Risks**

- `risk/chart-major` on `web`: chart of `web` goes up a major version: 1.9.0 → 2.0.0
- `risk/protected` on `ledger`: `ledger` is protected (app or namespace): the new spec changes it, and Helmsman will not apply that
- `risk/replicas-zero` on `ledger`: `ledger` goes from 2 replicas to 0
- `risk/namespace-move` on `reports`: `reports` moves from namespace `medilink` to `analytics`: Helmsman uninstalls and reinstalls it, and its persistent volumes are not moved
- `risk/dns-removed` on `legacy`: removing `legacy` stops serving `legacy.example`

2 apps unchanged: `portal`, `cache`
";

#[test]
fn markdown_for_a_pull_request() {
    assert_eq!(render(&plan(), PlanFormat::Markdown), MARKDOWN);
}

#[test]
fn markdown_code_spans_and_html_are_escaped() {
    use super::markdown::{cell, code, html};
    assert_eq!(code("a"), "`a`");
    assert_eq!(code(""), "");
    assert_eq!(code("a`b"), "``a`b``");
    assert_eq!(code("`a``"), "``` `a`` ```");
    assert_eq!(code(" a "), "`  a  `");
    assert_eq!(code("line\nbreak"), "`line\u{fffd}break`");
    assert_eq!(cell("`a|b`"), "`a\\|b`");
    assert_eq!(html("<b>&\"x\""), "&lt;b&gt;&amp;&quot;x&quot;");
    let mut a = action("<img src=x>", None, Decision::Create, 0, "new");
    a.changes = vec![change("values/a|b", Some("f|g"), None, Some(json!("|")))];
    let out = render(
        &Plan {
            actions: vec![a],
            summary: PlanSummary::default(),
        },
        PlanFormat::Markdown,
    );
    assert!(
        out.contains("<details><summary>&lt;img src=x&gt;: create</summary>"),
        "{out}"
    );
    assert!(
        out.contains("| `f\\|g` (`values/a\\|b`) |  | `\"\\|\"` |"),
        "{out}"
    );
    assert!(
        out.contains("| + | `<img src=x>` |  | create | 0 | 1 |  |"),
        "{out}"
    );
}

// ---------------------------------------------------------------- secrets

/// Every format shows `***` for a secret change, and never its value: not the masked `"***"`
/// string as the plan holds it, and not a value a plan built elsewhere failed to mask.
#[test]
fn secrets_never_show() {
    let original = "hunter2-original-secret";
    let mut web = action(
        "web",
        Some("medilink"),
        Decision::Change,
        0,
        "2 field(s) change: upgrade",
    );
    web.changes = vec![
        Change {
            secret: true,
            ..change(
                "values/env/DB_PASSWORD",
                Some("secrets.DB_PASSWORD"),
                Some(json!("***")),
                Some(json!("***")),
            )
        },
        Change {
            secret: true,
            ..change(
                "values/secrets/apiKey",
                None,
                Some(json!(original)),
                Some(json!({"nested": original})),
            )
        },
        Change {
            secret: true,
            ..change(
                "values/secrets/token",
                None,
                None,
                Some(json!([original, 42])),
            )
        },
    ];
    let plan = Plan {
        actions: vec![web],
        summary: PlanSummary::default(),
    };
    for format in [HUMAN, COLOR, PlanFormat::Json, PlanFormat::Markdown] {
        let out = render(&plan, format);
        assert!(out.contains("***"), "{format:?}: {out}");
        assert!(!out.contains(original), "{format:?} leaks: {out}");
        assert!(!out.contains("hunter2"), "{format:?} leaks: {out}");
        assert!(!out.contains("nested"), "{format:?} leaks: {out}");
        assert!(!out.contains("42"), "{format:?} leaks: {out}");
    }
    let human = render(&plan, HUMAN);
    assert!(
        human.contains("    ~ secrets.DB_PASSWORD (values/env/DB_PASSWORD): *** → ***\n"),
        "{human}"
    );
    assert!(
        human.contains("    ~ values/secrets/apiKey: *** → ***\n"),
        "{human}"
    );
    assert!(
        human.contains("    + values/secrets/token: ***\n"),
        "{human}"
    );
    let markdown = render(&plan, PlanFormat::Markdown);
    assert!(
        markdown.contains("| `values/secrets/apiKey` | `***` | `***` |"),
        "{markdown}"
    );
    let json: Plan = serde_json::from_str(&render(&plan, PlanFormat::Json)).unwrap();
    for c in &json.actions[0].changes {
        assert!(
            [&c.from, &c.to]
                .into_iter()
                .flatten()
                .all(|v| *v == json!("***")),
            "{c:?}"
        );
    }
    // A plan whose secrets are masked already comes out of the JSON renderer as it is.
    let mut masked = plan.clone();
    masked.actions[0].changes.truncate(1);
    let back: Plan = serde_json::from_str(&render(&masked, PlanFormat::Json)).unwrap();
    assert_eq!(back, masked);
}

// ---------------------------------------------------------------- docs

#[test]
fn docs_plan_md_names_every_risk_id_and_decision() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/plan.md");
    let text = std::fs::read_to_string(path).unwrap();
    for id in RiskId::ALL {
        assert!(
            text.contains(&format!("| `{id}` |")),
            "docs/plan.md lacks {id}"
        );
    }
    for d in [
        Decision::Create,
        Decision::Change,
        Decision::Remove,
        Decision::Noop,
        Decision::Protected,
        Decision::MoveNamespace,
        Decision::ReplaceChart,
    ] {
        let row = format!("| `{}` | `{}` |", super::sign(d), d.as_str());
        assert!(text.contains(&row), "docs/plan.md lacks {row}");
    }
}
