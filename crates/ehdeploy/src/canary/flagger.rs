//! The Flagger resources an analysis means: a `Canary` per app and a `MetricTemplate` per
//! custom metric, so that the cluster and the pipeline judge a canary by the same rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::query::kubernetes_name;
use super::{builtin_query, CanaryError, Validated};

/// Flagger's API version of `Canary` and `MetricTemplate`.
pub const FLAGGER_API_VERSION: &str = "flagger.app/v1beta1";

/// A Kubernetes object's name, namespace, labels and annotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectMeta {
    /// The name.
    pub name: String,
    /// The namespace.
    pub namespace: String,
    /// Labels: `app.kubernetes.io/managed-by: ehdeploy`.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Annotations: where the analysis came from.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// One Flagger object: a `Canary` or a `MetricTemplate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum FlaggerObject {
    /// A canary: which deployment, its service, and its analysis.
    Canary {
        /// `flagger.app/v1beta1`.
        #[serde(rename = "apiVersion")]
        api_version: String,
        /// Name and namespace (the app's).
        metadata: ObjectMeta,
        /// The canary.
        spec: CanarySpec,
    },
    /// A custom metric's query, for the canaries of its namespace.
    MetricTemplate {
        /// `flagger.app/v1beta1`.
        #[serde(rename = "apiVersion")]
        api_version: String,
        /// `<app>-<metric>` in the app's namespace.
        metadata: ObjectMeta,
        /// The query and its Prometheus.
        spec: MetricTemplateSpec,
    },
}

/// A `Canary`'s spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CanarySpec {
    /// The mesh that shifts the traffic: `istio`.
    pub provider: String,
    /// The deployment the canary replaces.
    pub target_ref: TargetRef,
    /// The service Flagger creates in front of the primary and the canary.
    pub service: CanaryService,
    /// The analysis, as the platform wrote it.
    pub analysis: FlaggerAnalysis,
}

/// The deployment of a canary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetRef {
    /// `apps/v1`.
    pub api_version: String,
    /// `Deployment`.
    pub kind: String,
    /// The deployment's name: the app's (the Helm release's).
    pub name: String,
}

/// The port of a canary's service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CanaryService {
    /// The service port.
    pub port: u16,
    /// The container port behind it.
    pub target_port: u16,
}

/// Flagger's `analysis`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FlaggerAnalysis {
    /// The time between checks.
    pub interval: String,
    /// Failed checks before a rollback.
    pub threshold: u32,
    /// The highest weight.
    pub max_weight: u32,
    /// The weight added after each passed check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_weight: Option<u32>,
    /// The weights, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_weights: Vec<u32>,
    /// The checks.
    pub metrics: Vec<FlaggerMetric>,
}

/// One of Flagger's metric checks: a built-in by name, or a template by reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FlaggerMetric {
    /// The metric's name.
    pub name: String,
    /// The range of the query.
    pub interval: String,
    /// The values that pass.
    pub threshold_range: super::ThresholdRange,
    /// The `MetricTemplate` of a custom metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_ref: Option<TemplateRef>,
}

/// A reference to a `MetricTemplate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TemplateRef {
    /// Its name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
}

/// A `MetricTemplate`'s spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricTemplateSpec {
    /// The metrics server.
    pub provider: MetricProvider,
    /// The PromQL template, with Flagger's `{{ namespace }}`, `{{ target }}` and
    /// `{{ interval }}`: the same text the pipeline renders.
    pub query: String,
}

/// A metrics server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricProvider {
    /// `prometheus`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its address.
    pub address: String,
}

/// What one app's canary is made of.
#[derive(Debug, Clone, Copy)]
pub struct CanaryTarget<'a> {
    /// The app (and its deployment's name).
    pub app: &'a str,
    /// Its namespace.
    pub namespace: &'a str,
    /// Its container port.
    pub port: u16,
    /// Its analysis.
    pub analysis: &'a Validated,
    /// Where the analysis came from, for an annotation.
    pub source: &'a str,
    /// The Prometheus the custom metrics' templates name.
    pub prometheus: Option<&'a str>,
}

/// The `Canary` of `target`, then a `MetricTemplate` for each custom metric (named
/// `<app>-<metric>`). Built-in metrics keep their names: Flagger knows
/// `request-success-rate` and `request-duration` with the same meaning. A custom metric needs
/// the platform's Prometheus (`canary.prometheus`), and every name must be a Kubernetes name.
pub fn flagger_objects(target: &CanaryTarget<'_>) -> Result<Vec<FlaggerObject>, CanaryError> {
    kubernetes_name("namespace", target.namespace)?;
    kubernetes_name("app", target.app)?;
    let meta = |name: String| ObjectMeta {
        name,
        namespace: target.namespace.to_string(),
        labels: [("app.kubernetes.io/managed-by".into(), "ehdeploy".into())].into(),
        annotations: [(
            "ehdeploy.example/analysis-source".into(),
            target.source.to_string(),
        )]
        .into(),
    };
    let analysis = target.analysis.analysis();
    let mut templates = Vec::new();
    let mut metrics = Vec::new();
    for metric in &analysis.metrics {
        let builtin = metric.query.is_none() && builtin_query(&metric.name).is_some();
        let template_ref = if builtin {
            None
        } else {
            let name = format!("{}-{}", target.app, metric.name);
            kubernetes_name("metric template", &name)?;
            let address = target.prometheus.ok_or_else(|| CanaryError::NoPrometheus {
                metric: metric.name.clone(),
            })?;
            templates.push(FlaggerObject::MetricTemplate {
                api_version: FLAGGER_API_VERSION.into(),
                metadata: meta(name.clone()),
                spec: MetricTemplateSpec {
                    provider: MetricProvider {
                        kind: "prometheus".into(),
                        address: address.to_string(),
                    },
                    query: super::query_template(metric)?.to_string(),
                },
            });
            Some(TemplateRef {
                name,
                namespace: target.namespace.to_string(),
            })
        };
        metrics.push(FlaggerMetric {
            name: metric.name.clone(),
            interval: metric.window().to_string(),
            threshold_range: metric.threshold_range,
            template_ref,
        });
    }
    let canary = FlaggerObject::Canary {
        api_version: FLAGGER_API_VERSION.into(),
        metadata: meta(target.app.to_string()),
        spec: CanarySpec {
            provider: "istio".into(),
            target_ref: TargetRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                name: target.app.to_string(),
            },
            service: CanaryService {
                port: target.port,
                target_port: target.port,
            },
            analysis: FlaggerAnalysis {
                interval: analysis
                    .interval
                    .clone()
                    .unwrap_or_else(|| super::DEFAULT_INTERVAL.to_string()),
                threshold: analysis.threshold,
                max_weight: target.analysis.max_weight(),
                step_weight: analysis.step_weight,
                step_weights: analysis.step_weights.clone(),
                metrics,
            },
        },
    };
    Ok(std::iter::once(canary).chain(templates).collect())
}
