//! The trust policy compiled, and the decision for one image from what each authority's
//! verification found.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::config::{EnvironmentPolicy, Mode, TrustConfig, Unmatched};

/// A text the policy compares: exactly, or by a regular expression.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Equal to this.
    Exact(String),
    /// Matched by this.
    Pattern(regex::Regex),
}

impl Matcher {
    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            Matcher::Exact(e) => e == text,
            Matcher::Pattern(r) => r.is_match(text),
        }
    }
}

/// How an authority signs.
#[derive(Debug, Clone)]
pub enum Authority {
    /// With this public key.
    Key {
        /// The PEM file.
        path: PathBuf,
        /// Its text, read once when the policy is compiled (none: it could not be read).
        pem: Option<String>,
        /// The trusted root whose logs and timestamp authorities verify its Sigstore bundles
        /// (none: the built-in production root).
        trusted_root: Option<PathBuf>,
        /// The trusted root's JSON, read once when the policy is compiled.
        trusted_root_json: Option<String>,
        /// The key in `pem`, parsed once when the policy is compiled (none: it could not be
        /// read; an error: it is not a public key).
        #[cfg(feature = "signatures")]
        key: Option<crate::signing::ParsedKey>,
        /// The annotations each of its signatures must carry (`key: value`).
        annotations: IndexMap<String, String>,
    },
    /// Keylessly, with a Fulcio certificate for this issuer and subject.
    Keyless {
        /// The OIDC issuer.
        issuer: Matcher,
        /// The certificate's subject.
        subject: Matcher,
        /// The trusted root's path (none: the built-in production root).
        trusted_root: Option<PathBuf>,
        /// The trusted root's JSON, read once when the policy is compiled (none: it could not
        /// be read, or the built-in root is meant).
        trusted_root_json: Option<String>,
        /// The annotations each of its signatures must carry (`key: value`).
        annotations: IndexMap<String, String>,
    },
}

impl Authority {
    /// The annotations each signature of this authority must carry in its payload's
    /// `optional` map, with these values.
    pub fn annotations(&self) -> &IndexMap<String, String> {
        match self {
            Authority::Key { annotations, .. } | Authority::Keyless { annotations, .. } => {
                annotations
            }
        }
    }

    /// The trusted root it names (its path, and its JSON when it could be read); none: the
    /// built-in production root.
    pub fn trusted_root(&self) -> (Option<&Path>, Option<&String>) {
        match self {
            Authority::Key {
                trusted_root,
                trusted_root_json,
                ..
            }
            | Authority::Keyless {
                trusted_root,
                trusted_root_json,
                ..
            } => (trusted_root.as_deref(), trusted_root_json.as_ref()),
        }
    }
}

#[derive(Debug, Clone)]
struct Policy {
    images: Vec<regex::Regex>,
    authorities: Vec<String>,
    threshold: u32,
    environments: IndexMap<String, EnvironmentPolicy>,
}

/// The trust policy, compiled: authorities, policies in order, what an unnamed image gets.
#[derive(Debug, Clone, Default)]
pub struct TrustPolicy {
    authorities: IndexMap<String, Authority>,
    policies: Vec<Policy>,
    unmatched: Unmatched,
    mode: Mode,
}

/// What one image needs in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Requirement<'p> {
    /// The index of the policy that decides (none: no policy names the image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<usize>,
    /// The authorities that count towards the threshold (the policy's own list where the
    /// environment adds none).
    pub authorities: Cow<'p, [String]>,
    /// Those of them that must have signed, whatever the threshold.
    pub required: Cow<'p, [String]>,
    /// How many distinct authorities must have signed.
    pub threshold: u32,
    /// Whether a refusal is an error or a warning.
    pub mode: Mode,
}

/// What verifying one image's signatures against one authority found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthorityCheck {
    /// The authority.
    pub authority: String,
    /// Whether a signature of it verified.
    pub verified: bool,
    /// Why not: a stable reason (`signature-invalid`, `unsigned`, `identity-mismatch`, …;
    /// docs/signing.md lists them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why not, for people: what exactly failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// What happens to an image, in one word: what the CLI's lines and a pipeline's gate read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// It may run.
    Allowed,
    /// It is refused where the policy only warns (`mode: warn`).
    Warned,
    /// It is refused, and that stops the spec.
    Refused,
    /// Its signatures could not be read (the store failed): refused, in every mode.
    Unverifiable,
}

/// Why an image is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TrustReason {
    /// No policy names the image, and unnamed images are denied.
    NoPolicy,
    /// No authority's signature verified.
    Unsigned,
    /// Fewer distinct authorities verified than the threshold.
    ThresholdNotMet,
    /// An authority the environment requires did not verify.
    RequiredMissing,
    /// The image's signatures could not be read: nothing is known of them.
    Unverifiable,
}

/// The decision for one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageDecision {
    /// Whether the image may run.
    pub allowed: bool,
    /// With `allowed: false`, whether that stops the spec (`enforce`) or warns.
    pub mode: Mode,
    /// Why it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<TrustReason>,
    /// The distinct authorities that verified and count, in name order.
    pub passed: Vec<String>,
    /// The threshold.
    pub threshold: u32,
    /// The required authorities that did not verify.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// One line for people.
    pub message: String,
}

/// `*` (within a path segment), `**` (across segments) and `?` as a regular expression over
/// the whole name.
fn glob(pattern: &str) -> Option<regex::Regex> {
    if pattern.trim().is_empty() {
        return None;
    }
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                re.push_str(".*");
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).ok()
}

fn token(s: &str) -> String {
    crate::source::escape_pointer_token(s)
}

impl TrustPolicy {
    /// The policy of `config`, key and root paths resolved against `root`; with every problem
    /// as (JSON pointer under `/signatures`, message). `environments` are the platform's.
    pub fn compile(
        config: &TrustConfig,
        root: &Path,
        environments: &[String],
    ) -> (TrustPolicy, Vec<(String, String)>) {
        let mut problems = Vec::new();
        let mut bad = |pointer: String, message: String| {
            problems.push((format!("/signatures{pointer}"), message));
        };
        let mut authorities = IndexMap::new();
        for (name, a) in &config.authorities {
            let at = format!("/authorities/{}", token(name));
            let matcher = |exact: &Option<String>,
                           pattern: &Option<String>,
                           what: &str,
                           bad: &mut dyn FnMut(String, String)| {
                match (exact, pattern) {
                    (Some(e), None) => Some(Matcher::Exact(e.clone())),
                    (None, Some(p)) => match regex::Regex::new(p) {
                        Ok(r) => Some(Matcher::Pattern(r)),
                        Err(e) => {
                            bad(
                                format!("{at}/keyless/{what}RegExp"),
                                format!("not a regular expression: {e}"),
                            );
                            None
                        }
                    },
                    _ => {
                        bad(
                            format!("{at}/keyless"),
                            format!("give `{what}` or `{what}RegExp`, one of them"),
                        );
                        None
                    }
                }
            };
            let read_root = |path: &Path, at: String, bad: &mut dyn FnMut(String, String)| {
                std::fs::read_to_string(path)
                    .map_err(|e| bad(at, format!("no trusted root file {}: {e}", path.display())))
                    .ok()
            };
            if a.key.is_none() && a.signature_digest_algorithm.is_some() {
                bad(
                    format!("{at}/signatureDigestAlgorithm"),
                    "only a key authority's signatures are made over a digest it names".into(),
                );
            }
            let authority = match (&a.key, &a.keyless) {
                (None, Some(_)) if a.trusted_root.is_some() => {
                    bad(
                        format!("{at}/trustedRoot"),
                        "a keyless authority names its trusted root under `keyless`".into(),
                    );
                    None
                }
                (Some(key), None) => {
                    let path = root.join(key);
                    let pem = std::fs::read_to_string(&path)
                        .map_err(|e| {
                            bad(
                                format!("{at}/key"),
                                format!("no key file {}: {e}", path.display()),
                            )
                        })
                        .ok();
                    let trusted_root = a.trusted_root.as_ref().map(|r| root.join(r));
                    let trusted_root_json = trusted_root
                        .as_ref()
                        .and_then(|r| read_root(r, format!("{at}/trustedRoot"), &mut bad));
                    Some(Authority::Key {
                        path,
                        #[cfg(feature = "signatures")]
                        key: pem.as_deref().map(|pem| {
                            crate::signing::ParsedKey::parse(pem, a.signature_digest_algorithm)
                        }),
                        pem,
                        trusted_root,
                        trusted_root_json,
                        annotations: a.annotations.clone(),
                    })
                }
                (None, Some(k)) => {
                    let issuer = matcher(&k.issuer, &k.issuer_reg_exp, "issuer", &mut bad);
                    let subject = matcher(&k.subject, &k.subject_reg_exp, "subject", &mut bad);
                    let trusted_root = k.trusted_root.as_ref().map(|r| root.join(r));
                    let trusted_root_json = trusted_root
                        .as_ref()
                        .and_then(|r| read_root(r, format!("{at}/keyless/trustedRoot"), &mut bad));
                    issuer
                        .zip(subject)
                        .map(|(issuer, subject)| Authority::Keyless {
                            issuer,
                            subject,
                            trusted_root,
                            trusted_root_json,
                            annotations: a.annotations.clone(),
                        })
                }
                _ => {
                    bad(
                        at.clone(),
                        "an authority has a `key` or is `keyless`, one of them".into(),
                    );
                    None
                }
            };
            if let Some(authority) = authority {
                authorities.insert(name.clone(), authority);
            }
        }
        let known = |names: &[String], at: &str, bad: &mut dyn FnMut(String, String)| {
            for (i, n) in names.iter().enumerate() {
                if !config.authorities.contains_key(n) {
                    let hint = crate::suggest::did_you_mean(
                        n,
                        config.authorities.keys().map(String::as_str),
                    )
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                    bad(format!("{at}/{i}"), format!("no authority `{n}`{hint}"));
                }
            }
        };
        let mut policies = Vec::new();
        for (i, p) in config.policies.iter().enumerate() {
            let at = format!("/policies/{i}");
            if p.images.is_empty() {
                bad(
                    format!("{at}/images"),
                    "a policy names at least one image glob".into(),
                );
            }
            let mut images = Vec::new();
            for (j, g) in p.images.iter().enumerate() {
                match glob(g) {
                    Some(r) => images.push(r),
                    None => bad(
                        format!("{at}/images/{j}"),
                        format!("`{g}` is not an image glob"),
                    ),
                }
            }
            known(&p.authorities, &format!("{at}/authorities"), &mut bad);
            let threshold = p.threshold.unwrap_or(1);
            let distinct: BTreeSet<&String> = p.authorities.iter().collect();
            if threshold == 0 {
                bad(format!("{at}/threshold"), "a threshold of 0 lets unsigned images run: use `unmatched: allow` for images that need no signature".into());
            } else if threshold as usize > distinct.len() {
                bad(format!("{at}/threshold"), format!("threshold {threshold} is more than the {} distinct authorities listed: no image can meet it", distinct.len()));
            }
            let mut envs = IndexMap::new();
            for (env, e) in &p.environments {
                let env_at = format!("{at}/environments/{}", token(env));
                if !environments.contains(env) {
                    bad(
                        env_at.clone(),
                        format!("`{env}` is not an environment of the platform"),
                    );
                }
                known(&e.require, &format!("{env_at}/require"), &mut bad);
                let counted: BTreeSet<&String> = p.authorities.iter().chain(&e.require).collect();
                if let Some(t) = e.threshold {
                    if t == 0 || t as usize > counted.len() {
                        bad(format!("{env_at}/threshold"), format!("threshold {t} is not between 1 and the {} distinct authorities that count here", counted.len()));
                    }
                }
                envs.insert(env.clone(), e.clone());
            }
            policies.push(Policy {
                images,
                authorities: p.authorities.clone(),
                threshold,
                environments: envs,
            });
        }
        let policy = TrustPolicy {
            authorities,
            policies,
            unmatched: config.unmatched,
            mode: config.mode,
        };
        (policy, problems)
    }

    /// The authority of a name.
    pub fn authority(&self, name: &str) -> Option<&Authority> {
        self.authorities.get(name)
    }

    /// What the image `name` (registry and repository, normalised) needs in `environment`:
    /// the first policy whose globs match decides.
    pub fn requirement(&self, name: &str, environment: Option<&str>) -> Requirement<'_> {
        let Some((index, policy)) = self
            .policies
            .iter()
            .enumerate()
            .find(|(_, p)| p.images.iter().any(|g| g.is_match(name)))
        else {
            return Requirement {
                policy: None,
                authorities: Cow::Borrowed(&[]),
                required: Cow::Borrowed(&[]),
                threshold: u32::from(self.unmatched == Unmatched::Deny),
                mode: self.mode,
            };
        };
        let env = environment.and_then(|e| policy.environments.get(e));
        let required: &[String] = env.map_or(&[], |e| &e.require);
        let listed = &policy.authorities;
        let authorities = if required.iter().all(|r| listed.contains(r))
            && listed.windows(2).all(|w| w[0] != w[1])
        {
            Cow::Borrowed(listed.as_slice())
        } else {
            let mut authorities = listed.clone();
            for r in required {
                if !authorities.contains(r) {
                    authorities.push(r.clone());
                }
            }
            authorities.dedup();
            Cow::Owned(authorities)
        };
        Requirement {
            policy: Some(index),
            authorities,
            required: Cow::Borrowed(required),
            threshold: env.and_then(|e| e.threshold).unwrap_or(policy.threshold),
            mode: env.and_then(|e| e.mode).unwrap_or(self.mode),
        }
    }
}

/// Decides one image from what each authority's verification found. Authorities are
/// counted once however many of their signatures verified, and only those of the
/// requirement count.
pub fn decide(requirement: &Requirement<'_>, checks: &[AuthorityCheck]) -> ImageDecision {
    let mut passed: Vec<&str> = checks
        .iter()
        .filter(|c| c.verified && requirement.authorities.contains(&c.authority))
        .map(|c| c.authority.as_str())
        .collect();
    passed.sort_unstable();
    passed.dedup();
    let missing: Vec<String> = requirement
        .required
        .iter()
        .filter(|r| !passed.contains(&r.as_str()))
        .cloned()
        .collect();
    let count = u32::try_from(passed.len()).unwrap_or(u32::MAX);
    let (reason, message) = if requirement.policy.is_none() {
        if requirement.threshold == 0 {
            (
                None,
                "no policy names the image, and unnamed images are allowed".to_string(),
            )
        } else {
            (
                Some(TrustReason::NoPolicy),
                "no policy names the image, and unnamed images are denied".to_string(),
            )
        }
    } else if passed.is_empty() {
        let why: Vec<String> = checks
            .iter()
            .filter(|c| requirement.authorities.contains(&c.authority))
            .map(|c| {
                format!(
                    "{}: {}",
                    c.authority,
                    c.reason.as_deref().unwrap_or("unsigned")
                )
            })
            .collect();
        let why = if why.is_empty() {
            "no signature".to_string()
        } else {
            why.join("; ")
        };
        (
            Some(TrustReason::Unsigned),
            format!("no authority's signature verified ({why})"),
        )
    } else if !missing.is_empty() {
        (
            Some(TrustReason::RequiredMissing),
            format!("not signed by the required {}", missing.join(", ")),
        )
    } else if count < requirement.threshold {
        (
            Some(TrustReason::ThresholdNotMet),
            format!(
                "{count} of {} distinct authorities verified ({})",
                requirement.threshold,
                passed.join(", ")
            ),
        )
    } else {
        (None, listed("signed by ", &passed))
    };
    ImageDecision {
        allowed: reason.is_none(),
        mode: requirement.mode,
        reason,
        passed: passed.into_iter().map(str::to_string).collect(),
        threshold: requirement.threshold,
        missing,
        message,
    }
}

/// `prefix`, then `items` separated by commas, in one allocation.
fn listed(prefix: &str, items: &[&str]) -> String {
    const SEPARATOR: &str = ", ";
    let len = items
        .iter()
        .map(|i| i.len() + SEPARATOR.len())
        .sum::<usize>();
    let mut text = String::with_capacity(prefix.len() + len);
    text.push_str(prefix);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push_str(SEPARATOR);
        }
        text.push_str(item);
    }
    text
}
