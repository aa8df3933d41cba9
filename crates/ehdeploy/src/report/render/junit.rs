//! JUnit XML as Jenkins reads it: one `<testsuite>` per environment, one `<testcase>` per rule
//! and app (or file, for findings about no app). A test case fails when any of its findings is
//! an error or a warning; info-only test cases pass and carry their findings in `<system-out>`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::summary_line;
use crate::report::{Finding, Report, Severity};

/// The suite name of findings about no environment.
const NO_ENVIRONMENT: &str = "spec";

/// One test case: the findings of one rule about one app (or file) in one environment.
struct Case<'a> {
    classname: String,
    name: &'a str,
    findings: Vec<&'a Finding>,
}

impl Case<'_> {
    /// The highest severity of the case's findings.
    fn severity(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info)
    }

    fn fails(&self) -> bool {
        self.severity() >= Severity::Warning
    }
}

/// The JUnit XML document, with a trailing newline.
pub(super) fn render(report: &Report) -> String {
    // environment → (subject, rule) → findings, all ordered, so the output is stable.
    type Cases<'a> = BTreeMap<(&'a str, &'static str), Vec<&'a Finding>>;
    let mut suites: BTreeMap<Option<&str>, Cases<'_>> = BTreeMap::new();
    for f in &report.findings {
        suites
            .entry(f.environment.as_deref())
            .or_default()
            .entry((subject(f), f.rule.as_str()))
            .or_default()
            .push(f);
    }
    let suites: Vec<(&str, Vec<Case<'_>>)> = suites
        .into_iter()
        .map(|(env, cases)| {
            let env = env.unwrap_or(NO_ENVIRONMENT);
            let cases = cases
                .into_iter()
                .map(|((subject, rule), findings)| Case {
                    classname: format!("{env}.{subject}"),
                    name: rule,
                    findings,
                })
                .collect();
            (env, cases)
        })
        .collect();

    let tests: usize = suites.iter().map(|(_, c)| c.len()).sum();
    let failures: usize = suites
        .iter()
        .map(|(_, c)| c.iter().filter(|c| c.fails()).count())
        .sum();

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if suites.is_empty() {
        // A suite without test cases reads as "no tests ran"; say that everything passed.
        let _ = write!(
            out,
            "<testsuites name=\"ehdeploy\" tests=\"1\" failures=\"0\" errors=\"0\">\n  \
             <testsuite name=\"ehdeploy\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n    \
             <testcase classname=\"ehdeploy\" name=\"ehdeploy\">\n      \
             <system-out>{}</system-out>\n    </testcase>\n  </testsuite>\n</testsuites>\n",
            escape(&summary_line(report), false)
        );
        return out;
    }
    let _ = writeln!(
        out,
        "<testsuites name=\"ehdeploy\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    for (env, cases) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            escape(env, true),
            cases.len(),
            cases.iter().filter(|c| c.fails()).count()
        );
        for case in cases {
            render_case(&mut out, case);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn render_case(out: &mut String, case: &Case<'_>) {
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\">",
        escape(&case.classname, true),
        escape(case.name, true)
    );
    let body: String = case.findings.iter().map(|f| describe(f)).collect();
    if case.fails() {
        let message: Vec<&str> = case
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .map(|f| f.message.as_str())
            .collect();
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            case.severity(),
            escape(&message.join("; "), true),
            escape(&body, false)
        );
    } else {
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            escape(&body, false)
        );
    }
    out.push_str("    </testcase>\n");
}

/// What a test case is about: the app, else the file, else the whole spec.
fn subject(f: &Finding) -> &str {
    match (&f.app, &f.location) {
        (Some(app), _) => app,
        (None, Some(loc)) if !loc.file.is_empty() => &loc.file,
        _ => NO_ENVIRONMENT,
    }
}

/// A finding as plain text: severity and message, where, and how to fix it.
fn describe(f: &Finding) -> String {
    let mut s = format!("{}: {}\n", f.severity, f.message);
    let place = |l: &crate::report::Location| {
        let mut p = l.file.clone();
        if l.line > 0 {
            let _ = write!(p, ":{}:{}", l.line, l.column);
        }
        if !l.pointer.is_empty() {
            let _ = write!(p, " ({})", l.pointer);
        }
        p
    };
    if let Some(loc) = &f.location {
        let _ = writeln!(s, "  at {}", place(loc));
    }
    for r in &f.related {
        let _ = writeln!(s, "  also at {}", place(r));
    }
    if let Some(help) = &f.help {
        let _ = writeln!(s, "  help: {help}");
    }
    s
}

/// Text escaped for XML 1.0: the five special characters become entities, characters XML 1.0
/// does not allow are dropped, and in attributes tab and line breaks become character references
/// so that attribute-value normalisation keeps them. A carriage return is always a reference.
pub(super) fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            _ => out.push(c),
        }
    }
    out
}
