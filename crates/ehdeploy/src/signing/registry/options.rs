//! How a [`super::Registry`] reaches registries: the options, the credentials of a docker
//! `config.json`, and the TLS roots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::signing::cosign::{SignatureError, SignatureReason};
use crate::signing::store::{read_bounded, MAX_DOCUMENT_BYTES};

/// How registries are reached: which hosts speak plain HTTP, whose credentials to send,
/// which CAs to trust besides Mozilla's, and how long and how often to try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegistryOptions {
    /// Hosts (`host` or `host:port`, as in the image names) reached over plain HTTP, and token
    /// servers that may be asked over plain HTTP; every other host is reached over HTTPS only
    /// (default: none).
    #[serde(default)]
    pub insecure: Vec<String>,
    /// A docker `config.json` whose `auths` give the credentials of each registry host
    /// (`auth`, the base64 of `user:password`; or `username` and `password`; or
    /// `identitytoken`). Credential helpers (`credsStore`, `credHelpers`) are not run. Default:
    /// none, anonymous access; the caller decides (the CLI passes `$DOCKER_CONFIG/config.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_config: Option<PathBuf>,
    /// PEM files of CA certificates trusted for HTTPS besides Mozilla's root certificates, such
    /// as a private registry's CA (default: none).
    #[serde(default)]
    pub ca_certificates: Vec<PathBuf>,
    /// The longest time one request may take, from connecting to reading the whole answer, in
    /// seconds (default 30; 0 is taken as 1).
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
    /// How many times a request is tried again after a connection error, a timeout or a 5xx
    /// status, with a backoff of 100 ms doubling up to 2 s (default 2: three attempts at most).
    #[serde(default = "default_retries")]
    pub retries: u32,
}

fn default_timeout_seconds() -> u64 {
    30
}

fn default_retries() -> u32 {
    2
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions {
            insecure: Vec::new(),
            docker_config: None,
            ca_certificates: Vec::new(),
            timeout_seconds: default_timeout_seconds(),
            retries: default_retries(),
        }
    }
}

/// A secret: shown as `<hidden>`, never as itself.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Secret(String);

impl Secret {
    /// A secret.
    pub(super) fn new(secret: String) -> Secret {
        Secret(secret)
    }

    /// The secret itself, to send.
    pub(super) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

/// The credentials of one registry host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Credential {
    /// A user name and password: HTTP basic credentials, for the registry or its token server.
    pub(super) basic: Option<(String, Secret)>,
    /// An OAuth2 refresh token for the token server (`identitytoken`).
    pub(super) identity_token: Option<Secret>,
}

impl Credential {
    /// The `Authorization` header of the basic credentials, if any.
    pub(super) fn basic_header(&self) -> Option<String> {
        self.basic.as_ref().map(|(user, password)| {
            let pair = format!("{user}:{}", password.expose());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        })
    }
}

/// The credentials of a docker `config.json`, by registry host.
#[derive(Debug, Clone, Default)]
pub(super) struct Credentials {
    /// Where they were read from, for messages.
    pub(super) source: Option<PathBuf>,
    by_host: BTreeMap<String, Credential>,
}

/// One entry of `auths`.
#[derive(Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// A docker `config.json` (what is read of it).
#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

impl Credentials {
    /// The credentials of the docker `config.json` at `path`.
    pub(super) fn read(path: &Path) -> Result<Credentials, SignatureError> {
        let shown = path.display().to_string();
        let invalid = |why: String| {
            SignatureError::new(
                SignatureReason::RegistryStatus,
                format!("the docker config {shown} cannot be used: {why}"),
            )
        };
        let file = std::fs::File::open(path).map_err(|e| invalid(e.to_string()))?;
        let bytes = read_bounded(
            file,
            MAX_DOCUMENT_BYTES,
            &shown,
            SignatureReason::RegistryStatus,
        )?;
        let mut credentials = Credentials::parse(&bytes).map_err(invalid)?;
        credentials.source = Some(path.to_path_buf());
        Ok(credentials)
    }

    /// The credentials of a `config.json`'s bytes; why not (never quoting a secret).
    pub(super) fn parse(bytes: &[u8]) -> Result<Credentials, String> {
        let config: DockerConfig = serde_json::from_slice(bytes).map_err(|e| {
            // serde's message may quote a value: give its position only.
            format!(
                "not a docker config.json (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let mut by_host = BTreeMap::new();
        for (key, entry) in config.auths {
            let host = config_host(&key);
            let basic = match (&entry.auth, &entry.username, &entry.password) {
                (Some(auth), _, _) if !auth.is_empty() => {
                    Some(decode_auth(auth).ok_or_else(|| {
                        format!("`auths.{key}.auth` is not the base64 of `user:password`")
                    })?)
                }
                (_, Some(user), Some(password)) if !user.is_empty() => {
                    Some((user.clone(), Secret(password.clone())))
                }
                _ => None,
            };
            let identity_token = entry.identitytoken.filter(|t| !t.is_empty()).map(Secret);
            if basic.is_none() && identity_token.is_none() {
                continue;
            }
            by_host.insert(
                host,
                Credential {
                    basic,
                    identity_token,
                },
            );
        }
        Ok(Credentials {
            source: None,
            by_host,
        })
    }

    /// The credentials of `host` (as in image names: `docker.io`, `registry.example:5000`).
    pub(super) fn get(&self, host: &str) -> Option<&Credential> {
        self.by_host.get(&host.to_ascii_lowercase())
    }

    /// The hosts that have credentials.
    pub(super) fn hosts(&self) -> impl Iterator<Item = &str> {
        self.by_host.keys().map(String::as_str)
    }
}

/// The registry host a key of `auths` names: `registry.example`, `https://registry.example`,
/// `https://index.docker.io/v1/` (docker.io), lowercase.
fn config_host(key: &str) -> String {
    let rest = key.split_once("://").map_or(key, |(_, rest)| rest);
    let host = rest
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_string()
        }
        _ => host,
    }
}

/// `user` and `password` of a base64 `user:password`.
fn decode_auth(auth: &str) -> Option<(String, Secret)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    (!user.is_empty()).then(|| (user.to_string(), Secret(password.to_string())))
}

/// The TLS settings: Mozilla's roots and the CA certificates of `paths` (none: the default).
pub(super) fn tls_config(
    paths: &[PathBuf],
) -> Result<Option<ureq::tls::TlsConfig>, SignatureError> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut roots: Vec<ureq::tls::Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()))
        .collect();
    for path in paths {
        let shown = path.display().to_string();
        let invalid = |why: String| {
            SignatureError::new(
                SignatureReason::Unreachable,
                format!("the CA certificates {shown} cannot be used: {why}"),
            )
        };
        let file = std::fs::File::open(path).map_err(|e| invalid(e.to_string()))?;
        let pem = read_bounded(
            file,
            MAX_DOCUMENT_BYTES,
            &shown,
            SignatureReason::Unreachable,
        )?;
        let mut found = 0;
        for item in ureq::tls::parse_pem(&pem) {
            match item.map_err(|e| invalid(e.to_string()))? {
                ureq::tls::PemItem::Certificate(certificate) => {
                    roots.push(certificate);
                    found += 1;
                }
                _ => continue,
            }
        }
        if found == 0 {
            return Err(invalid("it holds no PEM certificate".into()));
        }
    }
    Ok(Some(
        ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
            .build(),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn options_have_defaults_and_refuse_unknown_keys() {
        let options: RegistryOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(options, RegistryOptions::default());
        assert_eq!(options.timeout_seconds, 30);
        assert_eq!(options.retries, 2);
        let options: RegistryOptions = serde_json::from_str(
            r#"{"insecure":["localhost:5000"],"dockerConfig":"/c.json","caCertificates":["ca.pem"],"timeoutSeconds":5,"retries":0}"#,
        )
        .unwrap();
        assert_eq!(options.insecure, ["localhost:5000"]);
        assert_eq!(options.docker_config, Some(PathBuf::from("/c.json")));
        assert!(serde_json::from_str::<RegistryOptions>(r#"{"insecureHosts":[]}"#).is_err());
    }

    #[test]
    fn docker_config_credentials_by_host() {
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:pa:ss");
        let json = format!(
            r#"{{"auths":{{
                "registry.example:5000":{{"auth":"{auth}"}},
                "https://index.docker.io/v1/":{{"username":"bob","password":"hunter2"}},
                "https://Quay.IO":{{"identitytoken":"refresh"}},
                "empty.example":{{}}
            }},"credsStore":"desktop"}}"#
        );
        let c = Credentials::parse(json.as_bytes()).unwrap();
        let hosts: Vec<_> = c.hosts().collect();
        assert_eq!(hosts, ["docker.io", "quay.io", "registry.example:5000"]);
        let (user, password) = c
            .get("registry.example:5000")
            .unwrap()
            .basic
            .clone()
            .unwrap();
        assert_eq!((user.as_str(), password.expose()), ("alice", "pa:ss"));
        assert_eq!(
            c.get("docker.io").unwrap().basic_header().unwrap(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("bob:hunter2")
            )
        );
        assert_eq!(
            c.get("quay.io").unwrap().identity_token,
            Some(Secret("refresh".into()))
        );
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("pa:ss") && !debug.contains("refresh"),
            "{debug}"
        );
    }

    #[test]
    fn bad_docker_configs_never_quote_secrets() {
        let why =
            Credentials::parse(br#"{"auths":{"h":{"auth":"bm90LWEtcGFpcg=="}}}"#).unwrap_err();
        assert!(why.contains("auths.h.auth"), "{why}");
        let why = Credentials::parse(br#"{"auths":{"h":{"password":7}}} secret"#).unwrap_err();
        assert!(why.contains("not a docker config.json"), "{why}");
        assert!(!why.contains("secret"), "{why}");
    }
}
