//! Chart profiles: which values path of a chart holds what the platform checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spec::values::ValuesPath;

/// Values paths of one chart (dotted, with `[*]` over lists). An unset path means the chart
/// does not have that setting, and rules about it do not apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChartProfile {
    /// Image repository (may carry the registry, and even a tag or digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Image digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Replica count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<String>,
    /// Memory request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_request: Option<String>,
    /// Memory limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    /// Container ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<String>,
    /// Environment variables (a mapping of name to value, or a list of `{name, value}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// Secret references (a mapping of name to `{secretName, key}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<String>,
    /// DNS host names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<String>,
    /// Liveness probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<String>,
    /// Readiness probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<String>,
    /// Whether canary releases are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<String>,
    /// The app's own canary analysis (Flagger's `analysis`: interval, threshold, weights,
    /// metrics), over the platform file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_analysis: Option<String>,
}

fn p(s: &str) -> Option<String> {
    Some(s.to_string())
}

impl ChartProfile {
    /// The platform's own chart `ehealth-service`, with the keys its documentation shows.
    pub fn ehealth_service() -> ChartProfile {
        ChartProfile {
            image: p("image"),
            tag: p("imageTag"),
            digest: p("imageDigest"),
            replicas: p("replicaCount"),
            memory_request: p("resources.requests.memory"),
            memory_limit: p("resources.limits.memory"),
            ports: p("containerPort"),
            env: p("env"),
            secrets: p("secrets"),
            hosts: p("ingress.hostname"),
            liveness_probe: p("livenessProbe.httpPath"),
            readiness_probe: p("readinessProbe.httpPath"),
            canary: p("canary.enabled"),
            canary_analysis: p("canary.analysis"),
        }
    }

    /// Charts that follow `helm create`'s default layout.
    pub fn generic() -> ChartProfile {
        ChartProfile {
            image: p("image.repository"),
            tag: p("image.tag"),
            digest: p("image.digest"),
            replicas: p("replicaCount"),
            memory_request: p("resources.requests.memory"),
            memory_limit: p("resources.limits.memory"),
            ports: p("ports[*].containerPort"),
            env: p("env"),
            secrets: p("secrets"),
            hosts: p("ingress.hosts[*].host"),
            liveness_probe: p("livenessProbe"),
            readiness_probe: p("readinessProbe"),
            canary: p("canary.enabled"),
            canary_analysis: p("canary.analysis"),
        }
    }

    /// The built-in profile of a name.
    pub fn builtin(name: &str) -> Option<ChartProfile> {
        match name {
            "ehealth-service" => Some(ChartProfile::ehealth_service()),
            "generic" => Some(ChartProfile::generic()),
            _ => None,
        }
    }
}

/// A chart profile with its paths parsed, ready to read many apps' values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompiledProfile {
    /// Image repository.
    pub image: Option<ValuesPath>,
    /// Image tag.
    pub tag: Option<ValuesPath>,
    /// Image digest.
    pub digest: Option<ValuesPath>,
    /// Replica count.
    pub replicas: Option<ValuesPath>,
    /// Memory request.
    pub memory_request: Option<ValuesPath>,
    /// Memory limit.
    pub memory_limit: Option<ValuesPath>,
    /// Container ports.
    pub ports: Option<ValuesPath>,
    /// Environment variables.
    pub env: Option<ValuesPath>,
    /// Secret references.
    pub secrets: Option<ValuesPath>,
    /// DNS host names.
    pub hosts: Option<ValuesPath>,
    /// Liveness probe.
    pub liveness_probe: Option<ValuesPath>,
    /// Readiness probe.
    pub readiness_probe: Option<ValuesPath>,
    /// Canary switch.
    pub canary: Option<ValuesPath>,
    /// The app's own canary analysis.
    pub canary_analysis: Option<ValuesPath>,
}

impl ChartProfile {
    /// Parse every path; the malformed ones are returned by their key (`image`, `ports`, …).
    pub fn compile(&self) -> (CompiledProfile, Vec<(&'static str, String)>) {
        let mut bad = Vec::new();
        let mut one = |key: &'static str, path: &Option<String>| {
            let text = path.as_deref()?;
            let parsed = ValuesPath::parse(text);
            if parsed.is_none() {
                bad.push((key, text.to_string()));
            }
            parsed
        };
        let compiled = CompiledProfile {
            image: one("image", &self.image),
            tag: one("tag", &self.tag),
            digest: one("digest", &self.digest),
            replicas: one("replicas", &self.replicas),
            memory_request: one("memoryRequest", &self.memory_request),
            memory_limit: one("memoryLimit", &self.memory_limit),
            ports: one("ports", &self.ports),
            env: one("env", &self.env),
            secrets: one("secrets", &self.secrets),
            hosts: one("hosts", &self.hosts),
            liveness_probe: one("livenessProbe", &self.liveness_probe),
            readiness_probe: one("readinessProbe", &self.readiness_probe),
            canary: one("canary", &self.canary),
            canary_analysis: one("canaryAnalysis", &self.canary_analysis),
        };
        (compiled, bad)
    }
}
