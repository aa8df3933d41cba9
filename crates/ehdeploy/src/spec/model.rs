//! The typed Helmsman desired-state model (every section and field Helmsman 4 knows).
//!
//! The model is lenient about unknown keys (they are reported as `schema/unknown-key` warnings
//! by the schema check, which runs first and is strict); everything else about shape is checked
//! by the schema, so typed parsing of a schema-valid document does not fail. The loader first
//! tries the other way round: a document the model reads strictly, straight from its tree
//! ([`crate::source::from_node_strict`]: no unknown key, no wrong type), is one the schema
//! accepts, and needs no schema check.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole desired-state file, or several merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "Helmsman desired-state file")]
pub struct DesiredState {
    /// Free-form key/value pairs for human readers.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub metadata: IndexMap<String, Scalar>,
    /// Certificates for connecting to the cluster (`caCrt`, `caKey`, `caClient`): paths or bucket URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificates: Option<IndexMap<String, String>>,
    /// Cluster connection and Helmsman behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    /// The context that labels the releases this file manages (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Helm chart repositories: name → URL.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub helm_repos: IndexMap<String, String>,
    /// Names of repositories already added to helm outside this file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preconfigured_helm_repos: Vec<String>,
    /// Namespaces the apps are deployed into.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub namespaces: IndexMap<String, Option<Namespace>>,
    /// The apps (Helm releases), by label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apps: Option<IndexMap<String, App>>,
    /// Templates for apps, used through YAML anchors; not deployed themselves.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub apps_templates: IndexMap<String, App>,
}

/// A metadata value: Helmsman reads it as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Scalar {
    /// Text.
    String(String),
    /// A number.
    Number(serde_json::Number),
    /// A boolean.
    Bool(bool),
}

/// `settings`: how Helmsman connects to the cluster and behaves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// The kube context to use (or to create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_context: Option<String>,
    /// User name for a context Helmsman creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Password for a context Helmsman creates (normally `$VAR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The cluster API URL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "clusterURI"
    )]
    pub cluster_uri: Option<String>,
    /// Legacy (Helm 2) service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Helm storage backend (`secret`, `configmap`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_backend: Option<String>,
    /// Slack webhook URL for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_webhook: Option<String>,
    /// Microsoft Teams webhook URL for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms_teams_webhook: Option<String>,
    /// Delete in reverse priority order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_delete: Option<bool>,
    /// Authenticate with a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<bool>,
    /// Path of the bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer_token_path: Option<String>,
    /// Remove namespace labels that the file does not list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_labels_authoritative: Option<bool>,
    /// Read secrets from Vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_enabled: Option<bool>,
    /// Vault path delimiter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_deliminator: Option<String>,
    /// Vault path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_path: Option<String>,
    /// Vault mount point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_mount_point: Option<String>,
    /// Vault template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_template: Option<String>,
    /// Vault KV engine version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_kv_version: Option<String>,
    /// Vault environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_environment: Option<String>,
    /// Decrypt secrets files with hiera-eyaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyaml_enabled: Option<bool>,
    /// eyaml private key path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyaml_private_key_path: Option<String>,
    /// eyaml public key path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyaml_public_key_path: Option<String>,
    /// Use Google Cloud KMS with eyaml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyaml_gkms: Option<bool>,
    /// GCP project of the KMS key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyaml_gkms_project: Option<String>,
    /// GCP location of the KMS key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyaml_gkms_location: Option<String>,
    /// GCP key ring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyaml_gkms_keyring: Option<String>,
    /// GCP crypto key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eyaml_gkms_crypto_key: Option<String>,
    /// Hooks applied to every app that does not set its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_hooks: Option<Hooks>,
    /// Default `maxHistory` of every app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_max_history: Option<i64>,
    /// Do not print ignored apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_ignored_apps: Option<bool>,
    /// Skip apps in a pending state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_pending_apps: Option<bool>,
}

/// Lifecycle hooks: `preInstall`, `postInstall`, `preUpgrade`, `postUpgrade`, `preDelete`,
/// `postDelete` (a manifest path or URL, or a command), and `successCondition`,
/// `successTimeout`, `deleteOnSuccess`.
pub type Hooks = IndexMap<String, serde_json::Value>;

/// A namespace and what Helmsman sets on it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Namespace {
    /// Releases in it are never changed or deleted once installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
    /// Labels (the service-mesh injection label among them).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
    /// A LimitRange's `spec.limits`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<Limit>,
    /// A ResourceQuota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quotas: Option<Quotas>,
}

/// One item of a LimitRange.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Limit {
    /// `Container`, `Pod` or `PersistentVolumeClaim`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Resources>,
    /// Minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Resources>,
    /// Default limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Resources>,
    /// Default request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_request: Option<Resources>,
    /// Maximum limit/request ratio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_limit_request_ratio: Option<Resources>,
}

/// CPU and memory quantities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Resources {
    /// CPU, e.g. `200m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Scalar>,
    /// Memory, e.g. `256Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Scalar>,
}

/// A ResourceQuota's hard limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Quotas {
    /// Pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<Scalar>,
    /// `limits.cpu`.
    #[serde(
        default,
        rename = "limits.cpu",
        skip_serializing_if = "Option::is_none"
    )]
    pub limits_cpu: Option<Scalar>,
    /// `limits.memory`.
    #[serde(
        default,
        rename = "limits.memory",
        skip_serializing_if = "Option::is_none"
    )]
    pub limits_memory: Option<Scalar>,
    /// `requests.cpu`.
    #[serde(
        default,
        rename = "requests.cpu",
        skip_serializing_if = "Option::is_none"
    )]
    pub requests_cpu: Option<Scalar>,
    /// `requests.memory`.
    #[serde(
        default,
        rename = "requests.memory",
        skip_serializing_if = "Option::is_none"
    )]
    pub requests_memory: Option<Scalar>,
    /// Other quota items.
    #[serde(
        default,
        rename = "customQuotas",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub custom_quotas: Vec<CustomQuota>,
}

/// A quota item by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CustomQuota {
    /// The resource name, e.g. `requests.nvidia.com/gpu`.
    pub name: String,
    /// The amount.
    pub value: Scalar,
}

/// An app: one Helm release.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct App {
    /// The release name (default: the app's label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The namespace it is deployed into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Installed when true; deleted (or never installed) when false or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// A group name for `--group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `repo/chart`, a local chart folder, a URL or `oci://…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// The chart version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// One values file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_file: Option<String>,
    /// Values files, merged in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values_files: Vec<String>,
    /// One encrypted secrets file (a reference; never read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_file: Option<String>,
    /// Encrypted secrets files (references; never read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets_files: Vec<String>,
    /// A post-renderer executable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_renderer: Option<String>,
    /// Run `helm test` after install or upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<bool>,
    /// Never change or delete the release once installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
    /// Wait for the release's resources to be ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<bool>,
    /// Helm timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// Skip Helm hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_hooks: Option<bool>,
    /// Order: from the most negative up to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// Releases kept in history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_history: Option<i64>,
    /// `--set` values by dotted key.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub set: IndexMap<String, Scalar>,
    /// `--set-string` values by dotted key.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub set_string: IndexMap<String, Scalar>,
    /// `--set-file` paths by dotted key.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub set_file: IndexMap<String, String>,
    /// Extra flags for install and upgrade.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub helm_flags: Vec<String>,
    /// Extra flags for `helm diff`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub helm_diff_flags: Vec<String>,
    /// Lifecycle hooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Hooks>,
}

impl App {
    /// The release name: `name`, or the app's label.
    pub fn release_name<'a>(&'a self, label: &'a str) -> &'a str {
        self.name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(label)
    }

    /// The values files, whichever key lists them.
    pub fn all_values_files(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        if let Some(f) = &self.values_file {
            out.push(("valuesFile".to_string(), f.as_str()));
        }
        for (i, f) in self.values_files.iter().enumerate() {
            out.push((format!("valuesFiles/{i}"), f.as_str()));
        }
        out
    }

    /// The secrets files, whichever key lists them.
    pub fn all_secrets_files(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        if let Some(f) = &self.secrets_file {
            out.push(("secretsFile".to_string(), f.as_str()));
        }
        for (i, f) in self.secrets_files.iter().enumerate() {
            out.push((format!("secretsFiles/{i}"), f.as_str()));
        }
        out
    }
}

impl Scalar {
    /// The value as Helmsman reads it, as text.
    pub fn as_text(&self) -> String {
        match self {
            Scalar::String(s) => s.clone(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// A Helmsman `--spec` file: the DSFs to merge, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "Helmsman spec file")]
pub struct SpecFile {
    /// The files.
    pub state_files: Vec<StatePath>,
}

/// One entry of a spec file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StatePath {
    /// Path of a DSF.
    pub path: String,
}
