//! The PromQL of each check: the built-in templates, and rendering a template with the
//! canary's namespace, target and interval.

use super::{parse_duration, CanaryError, Metric};

/// The built-in success rate: the percentage (0–100) of the target's requests, as its
/// Istio sidecar reports them, answered without a 5xx status.
pub const REQUEST_SUCCESS_RATE: &str = "request-success-rate";

/// The built-in duration: the 99th percentile, in milliseconds, of the target's request
/// durations as its Istio sidecar reports them.
pub const REQUEST_DURATION: &str = "request-duration";

/// The template of [`REQUEST_SUCCESS_RATE`], as Flagger's Istio built-in writes it. Without
/// traffic it divides zero by zero, and Prometheus answers with no data (or `NaN`).
const SUCCESS_RATE_QUERY: &str = concat!(
    "100 * sum(rate(istio_requests_total{reporter=\"destination\",",
    "destination_workload_namespace=\"{{ namespace }}\",",
    "destination_workload=~\"{{ target }}\",response_code!~\"5.*\"}[{{ interval }}]))",
    " / sum(rate(istio_requests_total{reporter=\"destination\",",
    "destination_workload_namespace=\"{{ namespace }}\",",
    "destination_workload=~\"{{ target }}\"}[{{ interval }}]))",
);

/// The template of [`REQUEST_DURATION`], as Flagger's Istio built-in writes it.
const DURATION_QUERY: &str = concat!(
    "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{",
    "reporter=\"destination\",destination_workload_namespace=\"{{ namespace }}\",",
    "destination_workload=~\"{{ target }}\"}[{{ interval }}])) by (le))",
);

/// The variables a template may use.
const VARIABLES: [&str; 3] = ["namespace", "target", "interval"];

/// The PromQL template of a built-in metric, by name; `None` for any other name.
pub fn builtin_query(name: &str) -> Option<&'static str> {
    match name {
        REQUEST_SUCCESS_RATE => Some(SUCCESS_RATE_QUERY),
        REQUEST_DURATION => Some(DURATION_QUERY),
        _ => None,
    }
}

/// The metric's PromQL template: its own `query`, or else its built-in one.
pub fn query_template(metric: &Metric) -> Result<&str, CanaryError> {
    match &metric.query {
        Some(query) => Ok(query),
        None => builtin_query(&metric.name).ok_or_else(|| CanaryError::UnknownMetric {
            name: metric.name.clone(),
        }),
    }
}

/// The PromQL to run for `metric` of the canary `target` in `namespace`: its template
/// (its own `query`, or the built-in one) with `{{ namespace }}`, `{{ target }}` and
/// `{{ interval }}` replaced (spaces inside the braces are optional). `interval` is the range
/// of the query, usually [`Metric::window`].
///
/// Refuses a template with any other variable (naming every one), an unclosed `{{`, a
/// metric neither built in nor with a `query`, an interval that is not a duration, and a
/// namespace or target that is not a Kubernetes name (so that no value can break out of
/// the query's quotes).
///
/// ```
/// use ehdeploy::canary::{render_query, Metric};
/// let metric = Metric {
///     name: "errors".into(),
///     query: Some("sum(rate(errors{ns=\"{{namespace}}\",app=\"{{ target }}\"}[{{ interval }}]))".into()),
///     ..Default::default()
/// };
/// assert_eq!(
///     render_query(&metric, "shop", "cart", "1m").unwrap(),
///     "sum(rate(errors{ns=\"shop\",app=\"cart\"}[1m]))",
/// );
/// ```
pub fn render_query(
    metric: &Metric,
    namespace: &str,
    target: &str,
    interval: &str,
) -> Result<String, CanaryError> {
    let template = query_template(metric)?;
    kubernetes_name("namespace", namespace)?;
    kubernetes_name("target", target)?;
    parse_duration(interval)?;
    substitute(template, |name| match name {
        "namespace" => Some(namespace),
        "target" => Some(target),
        "interval" => Some(interval),
        _ => None,
    })
}

/// Checks a template without rendering it: its variables are known and its braces closed.
pub(super) fn check_template(template: &str) -> Result<(), CanaryError> {
    substitute(template, |name| VARIABLES.contains(&name).then_some("")).map(|_| ())
}

/// Replaces every `{{ name }}` in `template` by `value(name)`; every name without a value is
/// an error.
fn substitute<'a>(
    template: &str,
    value: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, CanaryError> {
    let mut out = String::with_capacity(template.len());
    let mut unknown: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            return Err(CanaryError::Unclosed {
                at: template.len() - rest.len() + open,
            });
        };
        out.push_str(&rest[..open]);
        let name = rest[open + 2..open + 2 + close].trim();
        match value(name) {
            Some(v) => out.push_str(v),
            None => {
                if !unknown.iter().any(|u| u == name) {
                    unknown.push(name.to_string());
                }
            }
        }
        rest = &rest[open + 2 + close + 2..];
    }
    out.push_str(rest);
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(CanaryError::UnknownVariables { names: unknown })
    }
}

/// A Kubernetes object name (DNS-1123 subdomain): 1–253 of lowercase letters, digits, `-`
/// and `.`, starting and ending with a letter or digit.
pub(super) fn kubernetes_name(what: &'static str, value: &str) -> Result<(), CanaryError> {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = !value.is_empty()
        && value.len() <= 253
        && value.chars().all(|c| alnum(c) || c == '-' || c == '.')
        && value.starts_with(alnum)
        && value.ends_with(alnum);
    if ok {
        Ok(())
    } else {
        Err(CanaryError::BadName {
            what,
            value: value.to_string(),
        })
    }
}
