//! What stops rendering a query or reading a duration.

/// An error of the canary module: a bad duration, a query that cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanaryError {
    /// A duration is not `<integer><unit>…` with units `h`, `m`, `s` in that order.
    #[error("`{text}` is not a duration (`30s`, `1m`, `1m30s`, `2h`): {why}")]
    Duration {
        /// The text as written.
        text: String,
        /// What is wrong with it.
        why: String,
    },
    /// A metric is neither built in nor has a `query`.
    #[error("`{name}` is not a built-in metric (`request-success-rate`, `request-duration`) and has no `query`")]
    UnknownMetric {
        /// The metric's name.
        name: String,
    },
    /// A query template uses variables other than `namespace`, `target` and `interval`.
    #[error("unknown template variable{}: {}; the variables are `namespace`, `target` and `interval`", if .names.len() == 1 { "" } else { "s" }, .names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))]
    UnknownVariables {
        /// The unknown names, in order of first use, each once.
        names: Vec<String>,
    },
    /// A query template opens `{{` and never closes it.
    #[error("a `{{{{` at byte {at} of the query template is never closed by `}}}}`")]
    Unclosed {
        /// The byte offset of the `{{`.
        at: usize,
    },
    /// A value to substitute would not be a Kubernetes name, and could break the query.
    #[error("the {what} `{value}` is not a Kubernetes name (lowercase letters, digits, `-`, `.`)")]
    BadName {
        /// `namespace`, `target`, `app` or `metric template`.
        what: &'static str,
        /// The value given.
        value: String,
    },
    /// A custom metric needs a `MetricTemplate`, and the platform names no Prometheus for it.
    #[error("the custom metric `{metric}` needs a Flagger MetricTemplate, which needs the platform's Prometheus: set `canary.prometheus` in platform.yaml")]
    NoPrometheus {
        /// The metric's name.
        metric: String,
    },
}
