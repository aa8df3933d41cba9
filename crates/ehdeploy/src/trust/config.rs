//! The trust policy as the platform file writes it (`signatures:`).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Which images must be signed by whom (`signatures:` in `platform.yaml`).
///
/// ```yaml
/// signatures:
///   authorities:
///     supplier-ci:
///       keyless: { issuer: https://token.actions.githubusercontent.com, subjectRegExp: "^https://github.com/medilink/" }
///     platform-release:
///       key: keys/platform-release.pub
///   policies:                      # the first whose images match decides
///     - images: ["registry.ehealth.example/**"]
///       authorities: [supplier-ci, platform-release]
///       threshold: 1
///       environments:
///         prod: { require: [platform-release], threshold: 2 }
///         inttest: { mode: warn }
///   unmatched: deny                # an image no policy names (default: deny)
///   layout: images                 # an offline copy of the images, for `ehdeploy check`
///   bundles: [signatures]          # Sigstore bundle files beside the specs
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrustConfig {
    /// The signers, by name.
    #[serde(default)]
    pub authorities: IndexMap<String, AuthorityConfig>,
    /// The policies, in order: the first whose `images` match an image decides for it.
    #[serde(default)]
    pub policies: Vec<PolicyConfig>,
    /// What an image that no policy names gets (default `deny`).
    #[serde(default)]
    pub unmatched: Unmatched,
    /// `enforce` (default): a refused image is an error; `warn`: a warning.
    #[serde(default)]
    pub mode: Mode,
    /// An OCI image layout, relative to the platform file, that holds the platform's images
    /// and their signatures offline: `ehdeploy check` verifies every image from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    /// Folders of Sigstore bundle files beside the specs (`cosign sign --bundle`), relative to
    /// the platform file: each bundle counts for the images it signs, as one attached to the
    /// image would (`verify` and `check` read them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bundles: Vec<String>,
}

/// One signer: a key, or a keyless identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthorityConfig {
    /// A public key file (PEM: ECDSA P-256/P-384, Ed25519, RSA), relative to the platform file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A keyless signer: the certificate's OIDC issuer and subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyless: Option<KeylessConfig>,
    /// For a `key` authority: the trusted root (JSON), relative to the platform file, whose
    /// transparency logs and timestamp authorities verify its Sigstore bundles; default:
    /// Sigstore's public-good production root. (A keyless authority names its own under
    /// `keyless`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root: Option<String>,
    /// For a `key` authority: the digest its cosign signatures are made over, as cosign's
    /// `--signature-digest-algorithm` names it; default: the key's own (SHA-256 for P-256 and
    /// RSA, SHA-384 for P-384). Older cosign signed with SHA-256 whatever the key, so a P-384
    /// key used with it needs `sha256`. Not for Ed25519, which signs the payload itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_digest_algorithm: Option<DigestAlgorithm>,
    /// Annotations every signature of this authority must carry (`key: value`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
}

/// The digest a key's signature is made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// A keyless (Fulcio certificate) signer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeylessConfig {
    /// The OIDC issuer, exactly (or `issuerRegExp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The OIDC issuer as a regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_reg_exp: Option<String>,
    /// The certificate's subject (SAN), exactly (or `subjectRegExp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The subject as a regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_reg_exp: Option<String>,
    /// The trusted root (JSON: Fulcio CAs, Rekor and CT log keys, TSAs), relative to the
    /// platform file; default: Sigstore's public-good production root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_root: Option<String>,
}

/// One policy: images, the authorities that may sign them, and how many must.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyConfig {
    /// Image globs (`registry.example/team/*`, `registry.example/**`), on the image's
    /// normalised name (registry and repository, no tag or digest).
    pub images: Vec<String>,
    /// The authorities that count, by name.
    pub authorities: Vec<String>,
    /// How many distinct authorities must have signed (default 1). Two signatures of one
    /// authority count once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// Per environment: more required authorities, another threshold, another mode.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environments: IndexMap<String, EnvironmentPolicy>,
}

/// What an environment adds to a policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentPolicy {
    /// Authorities that must have signed here, whatever the threshold (they count towards
    /// it; they need not be in the policy's `authorities`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<String>,
    /// The threshold here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// The mode here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
}

/// What an image that no policy names gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Unmatched {
    /// Refused: nothing unsigned runs.
    #[default]
    Deny,
    /// Allowed without a signature.
    Allow,
}

/// Whether a refusal stops the spec.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A refused image is an error.
    #[default]
    Enforce,
    /// A refused image is a warning.
    Warn,
}
