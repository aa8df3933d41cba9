//! The human format, shaped like rustc's diagnostics:
//!
//! ```text
//! error[image/tag-latest]: image tag `latest` is not allowed
//!   --> envs/prod.yaml:12:17  (/apps/web/set/imageTag)
//!    |
//! 12 |       imageTag: latest
//!    |                 ^^^^^^
//!    = environment: prod, app: web
//!    = help: Use an immutable version tag ...
//! ```

use std::fmt::Write as _;

use super::summary_line;
use crate::report::{Finding, Location, Report, Severity};
use crate::source::{SourceFile, SourceMap};
use crate::term::sgr::{BLUE, BOLD, CYAN, RED, YELLOW};
use crate::term::{clean, Style};

fn severity_sgr(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => RED,
        Severity::Warning => YELLOW,
        Severity::Info => CYAN,
    }
}

/// Every finding, a blank line after each, then the summary line.
pub(super) fn render(report: &Report, sources: Option<&SourceMap>, color: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    for finding in &report.findings {
        render_finding(&mut out, finding, sources, style);
        out.push('\n');
    }
    out.push_str(&style.paint(BOLD, &summary_line(report)));
    out.push('\n');
    out
}

fn render_finding(out: &mut String, f: &Finding, sources: Option<&SourceMap>, style: Style) {
    let sev = severity_sgr(f.severity);
    let head = format!("{}[{}]", f.severity, f.rule);
    let _ = writeln!(
        out,
        "{}{}",
        style.paint(sev, &head),
        style.paint(BOLD, &format!(": {}", clean(&f.message)))
    );

    let loc = f.location.as_ref();
    let line = loc.map_or(0, |l| l.line);
    let width = if line > 0 { line.to_string().len() } else { 1 };
    let pad = " ".repeat(width);
    let bar = style.paint(BLUE, "|");
    let eq = style.paint(BLUE, "=");

    if let Some(loc) = loc {
        let place = position(loc);
        let pointer = if loc.pointer.is_empty() {
            String::new()
        } else if place.is_empty() {
            format!("({})", clean(&loc.pointer))
        } else {
            format!("  ({})", clean(&loc.pointer))
        };
        if !place.is_empty() || !pointer.is_empty() {
            let _ = writeln!(out, "{pad}{} {place}{pointer}", style.paint(BLUE, "-->"));
        }
        if let Some(text) = source_line(sources, loc) {
            let text = clean(text);
            let (prefix, carets) = underline(&text, loc.column);
            // Never print a secret: the value a secret rule points at is masked.
            let text = if f.rule.points_at_secret() {
                let start = prefix.chars().count();
                text.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if i >= start && i < start + carets {
                            '*'
                        } else {
                            c
                        }
                    })
                    .collect()
            } else {
                text
            };
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {text}",
                style.paint(BLUE, &loc.line.to_string())
            );
            let _ = writeln!(
                out,
                "{pad} {bar} {prefix}{}",
                style.paint(sev, &"^".repeat(carets))
            );
        }
    }

    let context: Vec<String> = [("environment", &f.environment), ("app", &f.app)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {}", clean(v))))
        .collect();
    if !context.is_empty() {
        let _ = writeln!(out, "{pad} {eq} {}", context.join(", "));
    }
    for related in &f.related {
        let _ = writeln!(
            out,
            "{pad} {eq} {} also at {}",
            style.paint(BOLD, "note:"),
            position(related)
        );
    }
    if let Some(help) = &f.help {
        let _ = writeln!(
            out,
            "{pad} {eq} {} {}",
            style.paint(BOLD, "help:"),
            clean(help)
        );
    }
}

/// `file:line:column`, `file:line` or `file`, depending on what is known.
fn position(loc: &Location) -> String {
    let mut s = clean(&loc.file);
    if loc.line > 0 {
        let _ = write!(s, ":{}", loc.line);
        if loc.column > 0 {
            let _ = write!(s, ":{}", loc.column);
        }
    }
    s
}

/// The text of the line a location points at, when the file is in the map and has that line.
fn source_line<'a>(sources: Option<&'a SourceMap>, loc: &Location) -> Option<&'a str> {
    if loc.line == 0 {
        return None;
    }
    let file: &SourceFile = sources?
        .files()
        .map(|(_, f)| f)
        .find(|f| f.display() == loc.file)?;
    let lines = file.text().matches('\n').count() + 1;
    if loc.line as usize > lines {
        return None;
    }
    Some(file.line_text(loc.line))
}

/// The padding before the carets (a tab where the line has one, so they line up) and how many
/// carets: from `column` to the end of the token there, at least one.
///
/// A token runs to the next whitespace, `,`, `]`, `}` or the end of the line; a quoted scalar
/// runs to its closing quote and a flow collection to its closing bracket, when on this line.
pub(super) fn underline(text: &str, column: u32) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let start = (column.max(1) as usize - 1).min(chars.len());
    let prefix = chars[..start]
        .iter()
        .map(|&c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let rest = &chars[start..];
    let len = match rest.first() {
        Some('"') => closing_double_quote(rest),
        Some('\'') => closing_single_quote(rest),
        Some('[' | '{') => closing_bracket(rest),
        _ => None,
    }
    .unwrap_or_else(|| {
        rest.iter()
            .position(|&c| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
            .unwrap_or(rest.len())
    });
    (prefix, len.max(1))
}

/// Length up to and including the closing `"` (backslash escapes), if on this line.
fn closing_double_quote(rest: &[char]) -> Option<usize> {
    let mut i = 1;
    while let Some(&c) = rest.get(i) {
        match c {
            '\\' => i += 2,
            '"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Length up to and including the closing `'` (`''` is an escaped quote), if on this line.
fn closing_single_quote(rest: &[char]) -> Option<usize> {
    let mut i = 1;
    while let Some(&c) = rest.get(i) {
        if c == '\'' {
            if rest.get(i + 1) == Some(&'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// Length up to and including the bracket closing the one `rest` starts with, if on this line.
fn closing_bracket(rest: &[char]) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut i = 0;
    while let Some(&c) = rest.get(i) {
        match quote {
            Some('"') if c == '\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}
