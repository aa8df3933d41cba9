//! Secrets only by reference.

use super::{AppView, Emitter};
use crate::platform::{Platform, SecretsConfig};
use crate::rules;
use crate::source::{pointer_of, Node, NodeKind, Step};
use crate::workload::{Field, Workload};

/// A literal that is no secret: empty, or a placeholder for one supplied elsewhere.
fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || t.starts_with("${")
        || t.starts_with("ref+")
        || t.starts_with("vault:")
        || t.starts_with("ENC[")
        || t.starts_with("{{")
}

/// Plaintext values under secret-looking keys anywhere in the effective values.
pub(crate) fn check_plaintext(out: &mut Emitter<'_>, view: &AppView<'_>, platform: &Platform) {
    let config = &platform.file.secrets;
    let mut path = Vec::new();
    let mut hits = Vec::new();
    walk(&view.values.values, &mut path, config, &mut hits);
    for (key, pointer, node) in hits {
        let field = Field {
            node,
            pointer: pointer.into(),
        };
        out.at_value(
            rules::SECRETS_PLAINTEXT,
            view.label,
            &view.values,
            &field,
            format!("`{key}` holds a plaintext value that looks like a secret (value hidden)"),
        );
    }
}

/// Collect (key, pointer, value) of every plaintext value under a secret-looking key. The depth
/// is bounded by the parser's nesting limit.
fn walk<'a>(
    node: &'a Node,
    path: &mut Vec<Step<'a>>,
    config: &SecretsConfig,
    hits: &mut Vec<(&'a str, String, &'a Node)>,
) {
    match &node.kind {
        NodeKind::Map(m) => {
            // Nothing under a reference key is a secret; the key is asked about only for
            // a string or a subtree (most values are neither secrets nor references).
            for (k, e) in m.iter() {
                match &e.value.kind {
                    NodeKind::Str(s) if config.is_secret_key(k) && !is_placeholder(s) => {
                        path.push(Step::Key(k));
                        hits.push((k, pointer_of(path), &e.value));
                        path.pop();
                    }
                    NodeKind::Map(_) | NodeKind::Seq(_) if !config.is_reference_key(k) => {
                        path.push(Step::Key(k));
                        walk(&e.value, path, config, hits);
                        path.pop();
                    }
                    _ => {}
                }
            }
        }
        NodeKind::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(n, path, config, hits);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A connection string with credentials in it (`scheme://user:pass@host`).
fn has_credentials(value: &str) -> bool {
    value
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .is_some_and(|auth| {
            auth.contains('@') && auth.split('@').next().is_some_and(|u| u.contains(':'))
        })
}

/// Database and queue secrets come by reference: not as plain environment variables, and
/// the secrets section holds references only.
pub(crate) fn check(
    out: &mut Emitter<'_>,
    view: &AppView<'_>,
    w: &Workload<'_>,
    platform: &Platform,
) {
    let config = &platform.file.secrets;
    for var in &w.env {
        let Some(value) = var.field.node.as_str() else {
            continue;
        };
        // The name first: most variables are no database or queue, and their values are
        // not read at all.
        if !config.names_database_or_queue(var.name) || is_placeholder(value) {
            continue;
        }
        if config.names_secret(var.name) || has_credentials(value) {
            out.at_value(
                rules::SECRETS_REFERENCE,
                view.label,
                &view.values,
                &var.field,
                format!(
                    "database or queue secret `{}` is a plain environment variable (value hidden); reference a secret instead",
                    var.name
                ),
            );
        }
    }
    for secret in &w.secrets {
        let is_reference = match &secret.field.node.kind {
            NodeKind::Map(m) => m.keys().any(|k| config.is_reference_key(k) || k == "key"),
            NodeKind::Null => true,
            _ => false,
        };
        if !is_reference {
            out.at_value(
                rules::SECRETS_REFERENCE,
                view.label,
                &view.values,
                &secret.field,
                format!(
                    "secret `{}` must be a reference (`secretName` and `key`), not a value (value hidden)",
                    secret.name
                ),
            );
        }
    }
}
