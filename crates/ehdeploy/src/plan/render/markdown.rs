//! The Markdown format, for a pull-request description (GitHub-flavoured: tables and
//! `<details>`): a heading, the summary line, a table of the actions, the changes of each action
//! folded away, the risk notes, and the unchanged apps.
//!
//! Text from the specs (names, values) is shown in code spans, which Markdown does not
//! interpret; in table cells `|` is escaped, in HTML `<`, `>`, `&` and `"`.

use std::fmt::Write as _;

use super::{sign, summary_line, unchanged_line, value_text, Decision, Plan};
use crate::term::clean;

pub(super) fn render(plan: &Plan) -> String {
    let mut out = String::from("### Plan\n\n");
    let _ = writeln!(out, "{}", summary_line(plan));
    let acted: Vec<_> = plan
        .actions
        .iter()
        .filter(|a| a.decision != Decision::Noop)
        .collect();
    if !acted.is_empty() {
        out.push_str("\n| | app | namespace | decision | priority | changes | risks |\n");
        out.push_str("|---|---|---|---|---:|---:|---|\n");
        for a in &acted {
            let risks: Vec<String> = a.risks.iter().map(|r| code(r.id.as_str())).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                sign(a.decision),
                cell(&code(&a.app)),
                cell(&a.namespace.as_deref().map(code).unwrap_or_default()),
                a.decision.as_str(),
                a.priority,
                a.changes.len(),
                risks.join(", ")
            );
        }
    }
    for a in acted.iter().filter(|a| !a.changes.is_empty()) {
        let _ = writeln!(
            out,
            "\n<details><summary>{}: {}</summary>\n\n| what | from | to |\n|---|---|---|",
            html(&a.app),
            a.decision.as_str()
        );
        for c in &a.changes {
            let what = match &c.field {
                Some(field) => format!("{} ({})", code(field), code(&c.path)),
                None => code(&c.path),
            };
            let side = |v| value_text(c, v).map(|t| code(&t)).unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&what),
                cell(&side(c.from.as_ref())),
                cell(&side(c.to.as_ref()))
            );
        }
        out.push_str("\n</details>\n");
    }
    let risky: Vec<_> = plan
        .actions
        .iter()
        .filter(|a| !a.risks.is_empty())
        .collect();
    if !risky.is_empty() {
        out.push_str("\n**Risks**\n\n");
        for a in risky {
            for r in &a.risks {
                let _ = writeln!(
                    out,
                    "- {} on {}: {}",
                    code(r.id.as_str()),
                    code(&a.app),
                    clean(&r.message)
                );
            }
        }
    }
    if let Some(line) = unchanged_line(plan, code) {
        let _ = writeln!(out, "\n{line}");
    }
    out
}

/// `text` as a code span: fenced by more backticks than it has in a row, padded with a space
/// where it starts or ends with a backtick (or with spaces on both sides, which Markdown strips).
pub(super) fn code(text: &str) -> String {
    let text = clean(text);
    if text.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text for a table cell: `|` escaped (also inside code spans, as GitHub reads tables).
pub(super) fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Text for HTML.
pub(super) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}
