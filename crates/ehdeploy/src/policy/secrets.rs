//! Secrets only by reference.

use super::{AppView, Emitter};
use crate::platform::{Platform, SecretsConfig};
use crate::rules;
use crate::source::{pointer_join, Node, NodeKind};
use crate::workload::{Field, Workload};

fn is_secret_key(key: &str, config: &SecretsConfig) -> bool {
    let lower = key.to_ascii_lowercase();
    config
        .key_patterns
        .iter()
        .any(|p| lower.contains(p.as_str()))
        && !is_reference_key(&lower, config)
}

fn is_reference_key(lower: &str, config: &SecretsConfig) -> bool {
    config
        .reference_keys
        .iter()
        .any(|r| lower == r.as_str() || lower.ends_with(r.as_str()))
        || lower.ends_with("name")
        || lower.ends_with("ref")
        || lower.ends_with("file")
        || lower.ends_with("path")
        || lower.ends_with("enabled")
}

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
    let mut todo: Vec<(String, &Node)> = vec![(String::new(), &view.values.values)];
    while let Some((pointer, node)) = todo.pop() {
        let NodeKind::Map(m) = &node.kind else {
            if let NodeKind::Seq(items) = &node.kind {
                for (i, n) in items.iter().enumerate() {
                    todo.push((pointer_join(&pointer, &i.to_string()), n));
                }
            }
            continue;
        };
        for (k, e) in m.iter() {
            let child = pointer_join(&pointer, k);
            let lower = k.to_ascii_lowercase();
            if is_reference_key(&lower, config) {
                continue;
            }
            match &e.value.kind {
                NodeKind::Str(s) if is_secret_key(k, config) && !is_placeholder(s) => {
                    let field = Field {
                        node: &e.value,
                        pointer: child,
                    };
                    out.at_value(
                        rules::SECRETS_PLAINTEXT,
                        view.label,
                        &view.values,
                        &field,
                        format!(
                            "`{k}` holds a plaintext value that looks like a secret (value hidden)"
                        ),
                    );
                }
                NodeKind::Map(_) | NodeKind::Seq(_) => todo.push((child, &e.value)),
                _ => {}
            }
        }
    }
}

fn is_db_or_queue(name: &str, config: &SecretsConfig) -> bool {
    let upper = name.to_ascii_uppercase();
    config
        .database_and_queue_names
        .iter()
        .any(|n| upper.contains(&n.to_ascii_uppercase()))
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
        if is_placeholder(value) || !is_db_or_queue(&var.name, config) {
            continue;
        }
        let secret_name = config
            .key_patterns
            .iter()
            .any(|p| var.name.to_ascii_lowercase().contains(p.as_str()));
        if secret_name || has_credentials(value) {
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
            NodeKind::Map(m) => m
                .keys()
                .any(|k| is_reference_key(&k.to_ascii_lowercase(), config) || k == "key"),
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
