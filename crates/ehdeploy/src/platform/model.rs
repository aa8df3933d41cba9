//! The platform file as written.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::profile::ChartProfile;
use crate::rules::RuleId;

/// `platform.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "ehdeploy platform file")]
pub struct PlatformFile {
    /// The platform's name.
    pub name: String,
    /// The environments, in promotion order.
    pub environments: Vec<EnvironmentConfig>,
    /// Official registries: a host (`registry.example`) or a host and path prefix.
    #[serde(default)]
    pub registries: Vec<String>,
    /// The predefined charts apps may use.
    #[serde(default)]
    pub charts: Vec<ChartConfig>,
    /// Chart profiles beyond the built-in `ehealth-service` and `generic` (same name replaces).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub profiles: IndexMap<String, ChartProfile>,
    /// The service mesh's namespace injection label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh: Option<Mesh>,
    /// How secrets are recognised.
    #[serde(default)]
    pub secrets: SecretsConfig,
    /// What a promotion carries from one environment to the next.
    #[serde(default)]
    pub promotion: PromotionConfig,
    /// The release pipeline: each environment's way in and gates, and the hotfix lane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<crate::promotion::PipelineConfig>,
    /// Canary releases: the analysis each app with canary on is judged by, and where its
    /// metrics are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryConfig>,
    /// The trust policy: which images must be signed by whom (docs/signing.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatures: Option<crate::trust::TrustConfig>,
    /// Severity of rules on the whole platform: `error`, `warning`, `info` or `off`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub rules: IndexMap<RuleId, RuleLevel>,
}

/// Canary releases on the platform (the platform runs Flagger). An app's analysis is, first
/// found: its own values (the chart profile's `canaryAnalysis` path, `canary.analysis` in the
/// built-in profiles), then `apps.<name>`, then `analysis`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CanaryConfig {
    /// The analysis of every app with canary on that has none of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<crate::canary::Analysis>,
    /// Analyses by app name, over `analysis`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub apps: IndexMap<String, crate::canary::Analysis>,
    /// The Prometheus the platform's Flagger reads (`http://prometheus.istio-system:9090`):
    /// the address of the generated metric templates, and the default of `canary analyze`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<String>,
}

/// What a promotion carries from the source environment into the target. The chart, its
/// version and the image (repository, tag, digest, as the chart profile reads them) always go;
/// every other value stays as the target has it (DNS, replicas, memory, secret references, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PromotionConfig {
    /// More values paths that are the artifact's, not the environment's (dotted, `[*]`), e.g.
    /// `featureFlags`, `env.APP_VERSION`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub portable: Vec<String>,
}

/// One environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentConfig {
    /// Its name (`inttest`, `exttest`, `preprod`, `prod`).
    pub name: String,
    /// Its desired-state files, merged in order; relative to the platform file.
    pub dsf: Vec<String>,
    /// The DNS domain every host name of the environment is under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The fewest replicas an app may run with (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<u32>,
    /// The largest memory limit an app may set (a Kubernetes quantity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memory: Option<String>,
    /// Whether images must be pinned by digest (default: in `preprod` and `prod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_digest: Option<bool>,
    /// Whether charts must be at the newest allowed version (default: in `prod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_newest_chart: Option<bool>,
    /// Severity of rules in this environment, over the platform's.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub rules: IndexMap<RuleId, RuleLevel>,
}

impl EnvironmentConfig {
    /// Whether images must be pinned by digest here.
    pub fn requires_digest(&self) -> bool {
        self.require_digest
            .unwrap_or(matches!(self.name.as_str(), "preprod" | "prod"))
    }

    /// Whether charts must be at the newest allowed version here.
    pub fn requires_newest_chart(&self) -> bool {
        self.require_newest_chart.unwrap_or(self.name == "prod")
    }

    /// The fewest replicas.
    pub fn min_replicas(&self) -> u32 {
        self.min_replicas.unwrap_or(1)
    }
}

/// A predefined chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChartConfig {
    /// The chart's name.
    pub name: String,
    /// The URL of its chart repository.
    pub repository: String,
    /// The allowed versions, a semver requirement such as `>=2.0.0, <3.0.0` (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
    /// The published versions, to know the newest allowed one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub available: Vec<String>,
    /// The chart profile that reads its values (default `generic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// The service mesh's injection label, required on every namespace that holds an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Mesh {
    /// The label key, e.g. `istio-injection`.
    pub label: String,
    /// The label value, e.g. `enabled`.
    pub value: String,
}

/// How secrets are recognised in values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretsConfig {
    /// A key whose lowercase name contains one of these holds a secret.
    #[serde(default = "default_key_patterns")]
    pub key_patterns: Vec<String>,
    /// Keys that name a secret rather than hold one (a reference), compared case-insensitively;
    /// a key ending in one of them is a reference too.
    #[serde(default = "default_reference_keys")]
    pub reference_keys: Vec<String>,
    /// Environment variable names (uppercase substrings) of database and queue connections.
    #[serde(default = "default_db_queue_names")]
    pub database_and_queue_names: Vec<String>,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig {
            key_patterns: default_key_patterns(),
            reference_keys: default_reference_keys(),
            database_and_queue_names: default_db_queue_names(),
        }
    }
}

impl SecretsConfig {
    /// Whether a key's name contains one of the secret patterns.
    pub fn names_secret(&self, key: &str) -> bool {
        contains_any_ci(key, &self.key_patterns)
    }

    /// Whether an environment variable's name contains one of the database and queue names,
    /// ignoring ASCII case (without allocating).
    ///
    /// ```
    /// use ehdeploy::platform::SecretsConfig;
    /// let c = SecretsConfig::default();
    /// assert!(c.names_database_or_queue("orders_db_password"));
    /// assert!(!c.names_database_or_queue("LOG_LEVEL"));
    /// ```
    pub fn names_database_or_queue(&self, name: &str) -> bool {
        contains_any_ci(name, &self.database_and_queue_names)
    }

    /// Whether a key names a reference to a secret rather than holding one (`existingSecret`,
    /// `secretName`, `passwordRef`, `tokenFile`, …).
    pub fn is_reference_key(&self, key: &str) -> bool {
        self.reference_keys.iter().any(|r| ends_with_ci(key, r))
            || ["name", "ref", "file", "path", "enabled"]
                .iter()
                .any(|s| ends_with_ci(key, s))
    }

    /// Whether a key holds a secret: its name looks secret and it is no reference.
    ///
    /// ```
    /// use ehdeploy::platform::SecretsConfig;
    /// let c = SecretsConfig::default();
    /// assert!(c.is_secret_key("dbPassword"));
    /// assert!(!c.is_secret_key("passwordSecretName"));
    /// assert!(!c.is_secret_key("replicaCount"));
    /// ```
    pub fn is_secret_key(&self, key: &str) -> bool {
        self.names_secret(key) && !self.is_reference_key(key)
    }
}

/// Whether `hay` contains one of `needles`, ignoring ASCII case, without allocating.
fn contains_any_ci(hay: &str, needles: &[String]) -> bool {
    // The hay in lowercase once (on the stack, for a key of usual length), so that each
    // needle's first byte is found by a plain comparison.
    let mut buf = [0u8; 64];
    let long;
    let h: &[u8] = match buf.get_mut(..hay.len()) {
        Some(b) => {
            b.copy_from_slice(hay.as_bytes());
            b.make_ascii_lowercase();
            b
        }
        None => {
            long = hay.to_ascii_lowercase();
            long.as_bytes()
        }
    };
    needles.iter().any(|n| {
        let Some((first, rest)) = n.as_bytes().split_first() else {
            return true;
        };
        let first = first.to_ascii_lowercase();
        // Only where the first byte matches are the others compared.
        h.windows(rest.len() + 1)
            .any(|w| w[0] == first && w[1..].eq_ignore_ascii_case(rest))
    })
}

/// Whether `hay` ends with `suffix`, ignoring ASCII case.
fn ends_with_ci(hay: &str, suffix: &str) -> bool {
    let (h, s) = (hay.as_bytes(), suffix.as_bytes());
    h.len() >= s.len() && h[h.len() - s.len()..].eq_ignore_ascii_case(s)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn default_key_patterns() -> Vec<String> {
    strings(&[
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "privatekey",
        "private_key",
        "private-key",
        "credential",
        "accesskey",
        "access_key",
    ])
}

fn default_reference_keys() -> Vec<String> {
    strings(&[
        "existingsecret",
        "secretname",
        "secretkeyref",
        "secretref",
        "valuefrom",
        "secretkey",
        "passwordkey",
        "tokenkey",
        "secretsfile",
        "keyref",
    ])
}

fn default_db_queue_names() -> Vec<String> {
    strings(&[
        "DB_", "DATABASE", "POSTGRES", "MYSQL", "MARIADB", "MONGO", "JDBC", "RABBITMQ", "AMQP",
        "KAFKA", "QUEUE", "MQ_", "REDIS",
    ])
}

/// A rule's severity as configured: `error`, `warning`, `info` or `off` (YAML's plain `off`,
/// which YAML 1.1 reads as `false`, means `off` too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLevel {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Report as info.
    Info,
    /// Do not report.
    Off,
}

impl RuleLevel {
    /// The level's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleLevel::Error => "error",
            RuleLevel::Warning => "warning",
            RuleLevel::Info => "info",
            RuleLevel::Off => "off",
        }
    }
}

impl Serialize for RuleLevel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleLevel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Flag(bool),
        }
        match Raw::deserialize(d)? {
            Raw::Flag(false) => Ok(RuleLevel::Off),
            Raw::Text(t) => match t.as_str() {
                "error" => Ok(RuleLevel::Error),
                "warning" => Ok(RuleLevel::Warning),
                "info" => Ok(RuleLevel::Info),
                "off" => Ok(RuleLevel::Off),
                other => Err(serde::de::Error::custom(format!(
                    "`{other}` is not a rule level (error, warning, info, off)"
                ))),
            },
            Raw::Flag(true) => Err(serde::de::Error::custom(
                "a rule level is error, warning, info or off, not `true`",
            )),
        }
    }
}

impl JsonSchema for RuleLevel {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleLevel".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A rule's severity: error, warning, info or off (`false`, as YAML 1.1 reads a plain `off`, is off too).",
            "anyOf": [
                { "type": "string", "enum": ["error", "warning", "info", "off"] },
                { "const": false }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_any_ignores_ascii_case_on_both_sides_and_any_length() {
        let needles = strings(&["password", "API_Key"]);
        assert!(contains_any_ci("dbPassword", &needles));
        assert!(contains_any_ci("PASSWORD", &needles));
        assert!(contains_any_ci("my_api_key", &needles));
        assert!(contains_any_ci("MY_API_KEY", &needles));
        assert!(!contains_any_ci("passwor", &needles));
        assert!(!contains_any_ci("", &needles));
        let long = format!("{}Password", "x".repeat(80));
        assert!(contains_any_ci(&long, &needles));
        assert!(!contains_any_ci(&"x".repeat(80), &needles));
        assert!(contains_any_ci("näme_pässword_Password", &needles));
        // An empty needle is in every text.
        assert!(contains_any_ci("anything", &strings(&[""])));
        assert!(!contains_any_ci("anything", &[]));
    }
}
