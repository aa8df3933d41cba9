//! The catalogue of rules: every finding ehdeploy can report has a stable id here, a default
//! severity, a one-line summary and a help text. `docs/rules.md` documents each one under a
//! heading named after its id; a test keeps the two in step.

use serde::{Deserialize, Serialize};

use crate::report::Severity;

/// The stable id of a rule, e.g. `image/tag-latest`. Only ids of the catalogue exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(&'static str);

/// A rule of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Rule {
    /// Its id.
    pub id: RuleId,
    /// Severity unless the platform file says otherwise.
    pub severity: Severity,
    /// What it checks, in one line.
    pub summary: &'static str,
    /// How to fix what it finds.
    pub help: &'static str,
}

impl RuleId {
    /// The id as text.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The rule of a known id.
    ///
    /// ```
    /// use ehdeploy::rules::RuleId;
    /// assert!(RuleId::parse("image/tag-latest").is_some());
    /// assert!(RuleId::parse("image/tag-lates").is_none());
    /// ```
    pub fn parse(id: &str) -> Option<RuleId> {
        CATALOGUE.iter().find(|r| r.id.0 == id).map(|r| r.id)
    }

    /// The catalogue entry.
    pub fn rule(self) -> Option<&'static Rule> {
        CATALOGUE.iter().find(|r| r.id == self)
    }

    /// The help text.
    pub fn help(self) -> Option<&'static str> {
        self.rule().map(|r| r.help)
    }

    /// The default severity.
    pub fn default_severity(self) -> Severity {
        self.rule().map_or(Severity::Error, |r| r.severity)
    }

    /// Whether this rule's findings point at a secret value: renderers that show source lines
    /// mask the value they point at.
    pub fn points_at_secret(self) -> bool {
        matches!(self, SECRETS_PLAINTEXT | SECRETS_REFERENCE)
    }

    /// The anchor of the rule's section in `docs/rules.md`.
    pub fn doc_anchor(self) -> String {
        self.0.replace('/', "")
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RuleId::parse(&s).ok_or_else(|| {
            let hint = crate::suggest::did_you_mean(&s, CATALOGUE.iter().map(|r| r.id.0))
                .map(|m| format!(" (did you mean `{m}`?)"))
                .unwrap_or_default();
            serde::de::Error::custom(format!("unknown rule `{s}`{hint}"))
        })
    }
}

impl schemars::JsonSchema for RuleId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids: Vec<&str> = CATALOGUE.iter().map(|r| r.id.0).collect();
        schemars::json_schema!({
            "description": "The stable id of a rule (see docs/rules.md).",
            "type": "string",
            "enum": ids,
        })
    }
}

/// Every rule.
pub fn catalogue() -> &'static [Rule] {
    CATALOGUE
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $name:ident = $id:literal, $sev:ident, $summary:literal, $help:literal; )*) => {
        $( $(#[$doc])* pub const $name: RuleId = RuleId($id); )*
        static CATALOGUE: &[Rule] = &[
            $( Rule { id: $name, severity: Severity::$sev, summary: $summary, help: $help }, )*
        ];
    };
}

rules! {
    /// The file is not valid YAML.
    SYNTAX_YAML = "syntax/yaml", Error, "the file is valid YAML",
        "Fix the YAML syntax at the position shown; `yamllint` shows the same position.";
    /// The file is not valid TOML.
    SYNTAX_TOML = "syntax/toml", Error, "the file is valid TOML",
        "Fix the TOML syntax at the position shown.";
    /// The file is not UTF-8.
    SYNTAX_ENCODING = "syntax/encoding", Error, "the file is UTF-8 text",
        "Save the file as UTF-8; the position shows the first byte that is not.";
    /// The file is larger than the limit.
    SYNTAX_TOO_LARGE = "syntax/too-large", Error, "the file is no larger than the limit",
        "Split the file, or raise the limit (`--max-file-size`) if it really must be this large.";
    /// Nesting deeper than the limit.
    SYNTAX_TOO_DEEP = "syntax/too-deep", Error, "mappings and sequences nest no deeper than the limit",
        "No desired-state or values file needs this depth; check the file was not generated wrongly.";
    /// Aliases expand to too many nodes.
    SYNTAX_ALIAS_LIMIT = "syntax/alias-limit", Error, "YAML aliases expand to a bounded number of nodes",
        "Aliases that refer to aliases multiply; write the values out or use fewer levels of aliases.";
    /// A mapping sets the same key twice.
    SYNTAX_DUPLICATE_KEY = "syntax/duplicate-key", Error, "no mapping sets the same key twice",
        "Remove one of the two keys: Helm and Helmsman silently keep only the last one.";
    /// More than one YAML document in a file.
    SYNTAX_MULTIPLE_DOCUMENTS = "syntax/multiple-documents", Warning, "a file holds one YAML document",
        "Helm and Helmsman read only the first document; move the others to files of their own.";
    /// An environment variable is referenced but not set.
    SPEC_UNSET_VARIABLE = "spec/unset-variable", Error, "every `$VAR` the file names is set",
        "Set the variable (or pass `--var NAME=VALUE`); write `$$` for a literal `$`. Helmsman would substitute an empty string.";
    /// A value has the wrong type or shape for the schema.
    SCHEMA_INVALID = "schema/invalid", Error, "the document matches its JSON Schema",
        "See `ehdeploy schema dsf` (or `platform`) for the expected shape of this value.";
    /// A key the format does not know.
    SCHEMA_UNKNOWN_KEY = "schema/unknown-key", Warning, "every key is one the format knows",
        "Helmsman silently ignores keys it does not know; remove the key or fix its spelling.";
    /// The platform file is inconsistent.
    PLATFORM_INVALID = "platform/invalid", Error, "the platform file is consistent",
        "Fix the platform file: semver ranges, versions, profiles, quantities and environment names must be valid.";
    /// A referenced file is missing.
    SPEC_FILE_MISSING = "spec/file-missing", Error, "every file the spec references exists",
        "Fix the path; relative paths resolve against the folder of the file that names them.";
    /// Two apps share a name and namespace.
    HELMSMAN_DUPLICATE_RELEASE = "helmsman/duplicate-release", Error, "app names are unique within a namespace",
        "Rename one of the apps; Helm release names are unique per namespace.";
    /// An app has no namespace.
    HELMSMAN_NAMESPACE_MISSING = "helmsman/namespace-missing", Error, "every app names its namespace",
        "Add `namespace:` to the app.";
    /// An app's namespace is not defined.
    HELMSMAN_NAMESPACE_UNDEFINED = "helmsman/namespace-undefined", Error, "every app's namespace is defined in `namespaces`",
        "Define the namespace under `namespaces:`, or fix the app's `namespace`.";
    /// The chart is not `repo/name` nor an existing local path.
    HELMSMAN_CHART_INVALID = "helmsman/chart-invalid", Error, "every chart is `repo/name` or a local chart folder",
        "Write the chart as `<repo>/<chart>` with the repo in `helmRepos`, or as a path to a chart folder.";
    /// The chart's repository is not defined.
    HELMSMAN_REPO_UNDEFINED = "helmsman/repo-undefined", Error, "every chart's repository is in `helmRepos` or `preconfiguredHelmRepos`",
        "Add the repository to `helmRepos:`.";
    /// A chart version is missing.
    HELMSMAN_VERSION_MISSING = "helmsman/version-missing", Error, "every app sets its chart version",
        "Set `version:` to the exact chart version to deploy.";
    /// A positive priority.
    HELMSMAN_PRIORITY_POSITIVE = "helmsman/priority-positive", Error, "priorities are zero or negative",
        "Helmsman orders by priority from the most negative up to 0; use a value ≤ 0.";
    /// Both singular and plural file keys.
    HELMSMAN_EXCLUSIVE_FILES = "helmsman/exclusive-files", Error, "`valuesFile`/`valuesFiles` and `secretsFile`/`secretsFiles` are not used together",
        "Keep only the plural form and list every file in it.";
    /// A values file with the wrong extension.
    HELMSMAN_FILE_EXTENSION = "helmsman/file-extension", Error, "values and secrets files are .yaml, .yml or .json",
        "Helmsman accepts only .yaml, .yml and .json values files.";
    /// A helm repository URL that is not valid.
    HELMSMAN_REPO_URL_INVALID = "helmsman/repo-url-invalid", Error, "every helm repository URL is valid",
        "Use an absolute URL with a scheme Helm knows: https, http, s3, gs, az, oci or file.";
    /// A lifecycle hook that is not valid.
    HELMSMAN_HOOK_INVALID = "helmsman/hook-invalid", Error, "lifecycle hooks name existing manifests or commands and valid conditions",
        "Hooks take a manifest path or URL (or a command in `hooks.*Command`), `successCondition` one of Initialized, Ready, Complete, and `successTimeout` a duration.";
    /// Settings or certificates that cannot connect to a cluster.
    HELMSMAN_SETTINGS_INVALID = "helmsman/settings-invalid", Error, "cluster settings and certificates are complete and valid",
        "Helmsman stops on these before deploying anything: give the cluster URL with its credentials and certificates, valid webhook URLs, and both eyaml keys.";
    /// A promotion meets something a person must do.
    PROMOTION_MANUAL = "promotion/manual", Warning, "a promotion needs no manual step",
        "The promotion cannot do this by itself: do what the message says in the target environment's files (a new app gets that environment's own DNS, replicas, memory and secret references), then plan the promotion again.";
    /// A release's audit log does not verify.
    PROMOTION_AUDIT_LOG = "promotion/audit-log", Error, "every release's audit log verifies",
        "The log was edited, cut or reordered: restore it from version control (the platform repo's history), then run `ehdeploy release verify-log`. Never edit a log by hand: record a new event instead.";
    /// Image not from an official registry.
    IMAGE_OFFICIAL_REGISTRY = "image/official-registry", Error, "images come from the platform's official registries",
        "Publish the image to the platform's registry (signed) and reference it from there.";
    /// Image tag missing.
    IMAGE_TAG_MISSING = "image/tag-missing", Error, "every image has a tag",
        "Set the image tag to the exact version to deploy.";
    /// Image tag `latest`.
    IMAGE_TAG_LATEST = "image/tag-latest", Error, "no image uses the `latest` tag",
        "Use an immutable version tag (and a digest where the environment requires one).";
    /// Image digest missing where required.
    IMAGE_DIGEST_REQUIRED = "image/digest-required", Error, "images are pinned by digest where the environment requires it",
        "Set the image digest (`sha256:…`) that was verified in the earlier environments.";
    /// Image digest malformed or inconsistent with the tag.
    IMAGE_DIGEST_INVALID = "image/digest-invalid", Error, "image digests are well formed and agree with the tag",
        "A digest is `sha256:` and 64 lowercase hex digits; if the tag carries `@sha256:…` too, both must be the same.";
    /// Image not signed as the trust policy requires.
    SIGNATURE_REFUSED = "signature/refused", Error, "every image is signed as the platform's trust policy requires",
        "Sign the image as docs/signing.md shows (with the key or identity the policy names for it, and the platform's release key where the environment requires it), then verify again: `ehdeploy verify`.";
    /// An image's signatures could not be read.
    SIGNATURE_UNVERIFIABLE = "signature/unverifiable", Error, "every image's signatures can be read",
        "Nothing is known of this image's signatures, and it is refused until they are: fix what the message names (the registry unreachable, its credentials, a corrupt layout), then verify again.";
    /// Chart not predefined.
    CHART_NOT_PREDEFINED = "chart/not-predefined", Error, "apps use the platform's predefined charts",
        "Use one of the charts listed in platform.yaml under `charts`.";
    /// Chart from a different repository.
    CHART_WRONG_REPOSITORY = "chart/wrong-repository", Error, "predefined charts come from their own chart repository",
        "Point the app's helm repository at the chart's official repository URL.";
    /// Chart version outside the allowed range.
    CHART_VERSION_RANGE = "chart/version-range", Error, "chart versions are inside the allowed range",
        "Use a version inside the range the platform allows for this chart.";
    /// Chart version not the newest allowed.
    CHART_VERSION_NOT_NEWEST = "chart/version-not-newest", Warning, "apps use the newest allowed chart version where required",
        "Move to the newest allowed version of the chart.";
    /// Replicas below the environment's minimum.
    REPLICAS_MINIMUM = "replicas/minimum", Error, "replicas are at least the environment's minimum",
        "Raise the replica count to the environment's minimum.";
    /// Memory request or limit missing.
    MEMORY_MISSING = "memory/missing", Error, "memory request and limit are set",
        "Set both the memory request and the memory limit.";
    /// Memory request above limit.
    MEMORY_REQUEST_ABOVE_LIMIT = "memory/request-above-limit", Error, "the memory request is at most the limit",
        "Lower the request or raise the limit.";
    /// Memory limit above the environment's maximum.
    MEMORY_LIMIT_MAXIMUM = "memory/limit-maximum", Error, "the memory limit is at most the environment's maximum",
        "Lower the limit, or ask the platform team to raise the environment's maximum.";
    /// A quantity that is not valid.
    MEMORY_INVALID = "memory/invalid", Error, "memory values are Kubernetes quantities",
        "Write memory as a Kubernetes quantity such as `512Mi` or `1G`.";
    /// Liveness probe missing.
    PROBES_LIVENESS = "probes/liveness", Error, "a liveness probe is declared",
        "Declare the liveness probe; without it a hung pod is never restarted.";
    /// Readiness probe missing.
    PROBES_READINESS = "probes/readiness", Error, "a readiness probe is declared",
        "Declare the readiness probe; without it new pods get traffic before they are ready, and a bad release is never held back.";
    /// A plaintext secret.
    SECRETS_PLAINTEXT = "secrets/plaintext", Error, "no plaintext value under a secret-looking key",
        "Move the value to a secrets file (`secretsFile(s)`) or reference a Kubernetes secret.";
    /// A database or queue secret that is not a reference.
    SECRETS_REFERENCE = "secrets/reference", Error, "database and queue secrets are references",
        "Reference the secret (`secretName`/`key`) or move it to a secrets file.";
    /// A DNS host name that is not valid.
    DNS_INVALID = "dns/invalid", Error, "DNS host names are valid",
        "A host name is dot-separated labels of letters, digits and hyphens, at most 253 characters.";
    /// A DNS host name used twice.
    DNS_DUPLICATE = "dns/duplicate", Error, "DNS host names are unique in an environment",
        "Give each app its own host name.";
    /// A DNS host name outside the environment's domain.
    DNS_DOMAIN = "dns/domain", Error, "DNS host names are under the environment's domain",
        "Use a host name ending in the environment's domain suffix.";
    /// A container port that is not valid.
    PORTS_INVALID = "ports/invalid", Error, "container ports are between 1 and 65535",
        "Use a port number from 1 to 65535.";
    /// A container port used twice.
    PORTS_DUPLICATE = "ports/duplicate", Error, "container ports are unique within an app",
        "Remove the duplicate port.";
    /// Canary on, and no analysis to judge it by.
    CANARY_NO_ANALYSIS = "canary/no-analysis", Error, "an app with canary on has a canary analysis",
        "Give the app a `canary.analysis`, or the platform file a `canary.analysis` for every canary app.";
    /// A canary analysis that is not valid.
    CANARY_INVALID_ANALYSIS = "canary/invalid-analysis", Error, "canary analyses are valid",
        "Fix the analysis as the message says: interval, threshold, weights and metrics as Flagger means them.";
    /// A namespace without the mesh injection label.
    MESH_INJECTION = "mesh/injection", Error, "every app's namespace has the service-mesh injection label",
        "Add the platform's mesh label to the namespace's `labels`.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for r in catalogue() {
            assert!(seen.insert(r.id.0), "duplicate {}", r.id);
            let (group, name) = r.id.0.split_once('/').unwrap();
            assert!(!group.is_empty() && !name.is_empty());
            assert!(r
                .id
                .0
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'/' || b == b'-'));
        }
    }
}
