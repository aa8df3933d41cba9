//! An OCI registry as an [`ImageStore`] (feature `registry`): tags, manifests and blobs over
//! the distribution API v2, with bounded reads checked against their digests.
//!
//! - HTTPS only (rustls, Mozilla's roots and the CAs given), except for the hosts listed as
//!   insecure, reached over plain HTTP. `docker.io` is `registry-1.docker.io`.
//! - Anonymous first; a `401` with a `Bearer` challenge gets a token from the registry's token
//!   server (with the docker config's credentials of the host, when it has some) and the
//!   request is sent again; tokens are kept per host and repository until they expire. A
//!   `Basic` challenge gets the credentials. Credentials never appear in messages or `Debug`.
//! - A connection error, a timeout or a 5xx status is tried again, with backoff; other statuses
//!   are not. A registry that fails is an error (`unreachable`, `registry-status`,
//!   `bad-response`, `too-large`, `content-mismatch`), never "not there": only a `404` (or a
//!   `MANIFEST_UNKNOWN` / `NAME_UNKNOWN` error) is.
//! - Referrers (Sigstore bundles attached to an image) come from the referrers API; a registry
//!   without it (`404`, as Distribution 2.x answers) is asked for the referrers tag schema's
//!   index instead. Only the API's first page is read.

mod auth;
mod options;

pub use options::RegistryOptions;

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use sha2::{Digest, Sha256, Sha512};

use self::auth::{challenges, parse_token, Challenge, Preset, Remembered};
use self::options::{tls_config, Credential, Credentials};
use super::cosign::{SignatureError, SignatureReason};
use super::referrers::{referrers_by_tag, Descriptor, ReferrersIndex};
use super::store::{check_digest, sha256_hex, ImageStore, MAX_DOCUMENT_BYTES};
use crate::http::{
    agent_config, error_body, quote, read_body, transport, with_retries, Failure, Transport,
    ERROR_BODY_LIMIT,
};
use crate::promotion::hex;

/// The manifest media types asked for (`Accept`) and taken: OCI image manifest and index,
/// docker v2 manifest and manifest list.
pub const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// The host that serves `docker.io`'s API.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// The most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// The registry error codes that mean "not there".
const NOT_THERE: [&str; 2] = ["MANIFEST_UNKNOWN", "NAME_UNKNOWN"];

/// An OCI distribution (v2) registry client: an [`ImageStore`] over any registry host the
/// images name. `Send` and `Sync`: one client serves threads verifying images in parallel, and
/// reuses its connections and tokens.
///
/// ```no_run
/// use ehdeploy::signing::{ImageStore, Registry, RegistryOptions};
/// let registry = Registry::new(&RegistryOptions {
///     insecure: vec!["localhost:5000".into()],
///     ..Default::default()
/// })?;
/// let digest = registry.resolve("localhost:5000/team/api", "1.0.0")?;
/// # Ok::<(), ehdeploy::signing::SignatureError>(())
/// ```
pub struct Registry {
    agent: ureq::Agent,
    insecure: BTreeSet<String>,
    credentials: Credentials,
    ca_certificates: usize,
    timeout: Duration,
    retries: u32,
    remembered: Mutex<Remembered>,
}

impl std::fmt::Debug for Registry {
    /// The client's settings: hosts, counts and paths, never a credential or a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let with_credentials: Vec<&str> = self.credentials.hosts().collect();
        f.debug_struct("Registry")
            .field("insecure", &self.insecure)
            .field("docker_config", &self.credentials.source)
            .field("hosts_with_credentials", &with_credentials)
            .field("ca_certificates", &self.ca_certificates)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("tokens", &self.remembered().tokens())
            .finish()
    }
}

/// One repository of one registry, as a request reaches it.
struct Target<'a> {
    /// The host as image names give it, lowercase (`docker.io`, `registry.example:5000`).
    host: String,
    /// The repository (`library/nginx`, `team/api`).
    repository: &'a str,
    /// `<scheme>://<api host>/v2/<repository>`.
    base: String,
}

/// An answer: its status, the headers used here, and its body (bounded).
struct Answer {
    status: u16,
    /// The URL asked, for messages (without credentials: none are ever in URLs).
    url: String,
    content_type: Option<String>,
    digest: Option<String>,
    location: Option<String>,
    challenges: Vec<String>,
    body: Vec<u8>,
}

/// Why an attempt failed.
enum Problem {
    Transport(Transport),
    /// A 5xx status, and the start of its body.
    Status(u16, Vec<u8>),
}

/// A registry's error document: `{"errors": [{"code": …, "message": …}]}`.
#[derive(Deserialize)]
struct ErrorDocument {
    errors: Vec<RegistryError>,
}

#[derive(Deserialize)]
struct RegistryError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// What every manifest has.
#[derive(Deserialize)]
struct Versioned {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
}

impl Registry {
    /// A client with `options`: reads the docker config and the CA certificates given.
    /// Nothing is sent yet. A docker config or a CA file that cannot be read or parsed is an
    /// error (`registry-status` and `unreachable`), never silently anonymous or untrusted.
    pub fn new(options: &RegistryOptions) -> Result<Registry, SignatureError> {
        let credentials = match &options.docker_config {
            Some(path) => Credentials::read(path)?,
            None => Credentials::default(),
        };
        let timeout = Duration::from_secs(options.timeout_seconds.max(1));
        // Redirects are followed here, not by ureq: its "same host" keeps credentials for
        // another port of the host; here they go to the same origin only.
        let mut config = agent_config(timeout).max_redirects(0);
        if let Some(tls) = tls_config(&options.ca_certificates)? {
            config = config.tls_config(tls);
        }
        Ok(Registry {
            agent: config.build().new_agent(),
            insecure: options
                .insecure
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            credentials,
            ca_certificates: options.ca_certificates.len(),
            timeout,
            retries: options.retries,
            remembered: Mutex::new(Remembered::default()),
        })
    }

    fn remembered(&self) -> MutexGuard<'_, Remembered> {
        self.remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The registry and repository of a normalised image name.
    fn target<'a>(&self, name: &'a str) -> Result<Target<'a>, SignatureError> {
        let not_a_name = || {
            SignatureError::new(
                SignatureReason::ImageMissing,
                format!(
                    "`{name}` is not an image name a registry can hold (registry.host/repository)"
                ),
            )
        };
        let (host, repository) = name.split_once('/').ok_or_else(not_a_name)?;
        let host_ok = !host.is_empty()
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        let repository_ok = repository.split('/').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        });
        if !host_ok || !repository_ok {
            return Err(not_a_name());
        }
        let host = host.to_ascii_lowercase();
        let scheme = if self.insecure.contains(&host) {
            "http"
        } else {
            "https"
        };
        let api_host = if host == "docker.io" {
            DOCKER_HUB_API
        } else {
            host.as_str()
        };
        Ok(Target {
            base: format!("{scheme}://{api_host}/v2/{repository}"),
            host,
            repository,
        })
    }

    /// `GET <target>/<path>`, authenticated as the registry asks: anonymous (or with what is
    /// remembered for the host), then once more after a `401`'s challenge.
    fn get(
        &self,
        target: &Target<'_>,
        path: &str,
        accept: Option<&str>,
        limit: u64,
    ) -> Result<Answer, SignatureError> {
        let url = format!("{}/{path}", target.base);
        let credential = self.credentials.get(&target.host);
        let preset = self.remembered().authorization(
            &target.host,
            target.repository,
            credential.and_then(Credential::basic_header),
            Instant::now(),
        );
        let answer = self.fetch(
            target,
            &url,
            accept,
            preset.as_ref().map(Preset::header),
            limit,
        )?;
        if answer.status != 401 {
            return Ok(answer);
        }
        let (authorization, how) = self.authenticate(target, &answer, preset.as_ref())?;
        let answer = self.fetch(target, &url, accept, Some(&authorization), limit)?;
        if answer.status == 401 {
            self.remembered().forget(&target.host, target.repository);
            return Err(SignatureError::new(
                SignatureReason::RegistryStatus,
                format!(
                    "{} answered HTTP 401 again with {how}: {}; check the credentials of {} and their access to {}",
                    answer.url,
                    self.errors(target, &answer.body),
                    target.host,
                    target.repository
                ),
            ));
        }
        Ok(answer)
    }

    /// The `Authorization` a `401`'s challenges ask for, and how it was made (for messages).
    fn authenticate(
        &self,
        target: &Target<'_>,
        answer: &Answer,
        preset: Option<&Preset>,
    ) -> Result<(String, String), SignatureError> {
        let found = challenges(answer.challenges.iter().map(String::as_str));
        let credential = self.credentials.get(&target.host);
        let bearer = found.iter().find_map(|c| match c {
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => Some((realm, service, scope)),
            _ => None,
        });
        if let Some((realm, service, scope)) = bearer {
            let scope = scope
                .clone()
                .unwrap_or_else(|| format!("repository:{}:pull", target.repository));
            let token = self.token(target, realm, service.as_deref(), &scope)?;
            let header = format!("Bearer {}", token.value.expose());
            self.remembered()
                .keep_token(&target.host, target.repository, token);
            return Ok((header, format!("a token from {realm}")));
        }
        if found.contains(&Challenge::Basic) {
            let how = format!(
                "the basic credentials of {}",
                self.credentials_source(&target.host)
            );
            if matches!(preset, Some(Preset::Basic(_))) {
                return Err(SignatureError::new(
                    SignatureReason::RegistryStatus,
                    format!(
                        "{} answered HTTP 401 with {how}: {}; check them",
                        answer.url,
                        self.errors(target, &answer.body)
                    ),
                ));
            }
            return match credential.and_then(Credential::basic_header) {
                Some(header) => {
                    self.remembered().keep_basic(&target.host);
                    Ok((header, how))
                }
                None => Err(SignatureError::new(
                    SignatureReason::RegistryStatus,
                    format!(
                        "{} answered HTTP 401: it asks for basic credentials and {}",
                        answer.url,
                        self.no_credentials(&target.host)
                    ),
                )),
            };
        }
        Err(SignatureError::new(
            SignatureReason::RegistryStatus,
            format!(
                "{} answered HTTP 401 without a challenge that can be answered (WWW-Authenticate: {:?})",
                answer.url,
                quote(answer.challenges.join(", ").as_bytes())
            ),
        ))
    }

    /// A token for `scope` from the token server `realm`: with the host's identity token
    /// (OAuth2 refresh token, `POST`) or basic credentials (`GET`), or anonymous.
    fn token(
        &self,
        target: &Target<'_>,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<auth::Token, SignatureError> {
        let refuse = |why: String| SignatureError::new(SignatureReason::RegistryStatus, why);
        let scheme = realm.split_once("://").map_or("", |(s, _)| s);
        let realm_host = host_of(realm);
        match scheme.to_ascii_lowercase().as_str() {
            "https" if !realm_host.is_empty() => {}
            "http" if self.insecure.contains(&realm_host) => {}
            "http" => {
                return Err(refuse(format!(
                    "the token server of {} is {realm}, over plain HTTP: list {realm_host} in insecure to use it",
                    target.host
                )))
            }
            _ => {
                return Err(refuse(format!(
                    "the token server of {} is `{}`, not an http(s) URL",
                    target.host,
                    quote(realm.as_bytes())
                )))
            }
        }
        let credential = self.credentials.get(&target.host);
        let answer = match credential.and_then(|c| c.identity_token.as_ref()) {
            Some(refresh) => self.exchange(target, realm, MAX_DOCUMENT_BYTES, || {
                let mut form = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.expose()),
                    ("client_id", "ehdeploy"),
                    ("scope", scope),
                ];
                if let Some(service) = service {
                    form.push(("service", service));
                }
                self.agent.post(realm).send_form(form)
            })?,
            None => {
                let basic = credential.and_then(Credential::basic_header);
                self.exchange(target, realm, MAX_DOCUMENT_BYTES, || {
                    let mut request = self.agent.get(realm).query("scope", scope);
                    if let Some(service) = service {
                        request = request.query("service", service);
                    }
                    if let Some(basic) = &basic {
                        request = request.header("Authorization", basic);
                    }
                    request.call()
                })?
            }
        };
        match answer.status {
            200 => parse_token(&answer.body, Instant::now()).map_err(|why| {
                SignatureError::new(
                    SignatureReason::BadResponse,
                    format!("the token server {realm} answered {why}"),
                )
            }),
            401 | 403 => Err(refuse(format!(
                "the token server {realm} refused {} for {scope}: HTTP {}: {}",
                match credential {
                    Some(_) => format!(
                        "the credentials of {}",
                        self.credentials_source(&target.host)
                    ),
                    None => format!("an anonymous token ({})", self.no_credentials(&target.host)),
                },
                answer.status,
                self.errors(target, &answer.body)
            ))),
            status => Err(refuse(format!(
                "the token server {realm} answered HTTP {status}: {}",
                self.errors(target, &answer.body)
            ))),
        }
    }

    /// `GET url`, retried as the options say, following redirects: `authorization` goes to
    /// `url`'s origin (scheme, host and port) only, and plain HTTP to insecure hosts only.
    fn fetch(
        &self,
        target: &Target<'_>,
        url: &str,
        accept: Option<&str>,
        authorization: Option<&str>,
        limit: u64,
    ) -> Result<Answer, SignatureError> {
        let first = origin(url);
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let authorization = authorization.filter(|_| origin(&url) == first);
            let answer = self.exchange(target, &url, limit, || {
                let mut request = self.agent.get(&url);
                if let Some(accept) = accept {
                    request = request.header("Accept", accept);
                }
                if let Some(authorization) = authorization {
                    request = request.header("Authorization", authorization);
                }
                request.call()
            })?;
            let location = match (&answer.location, answer.status) {
                (Some(location), 301 | 302 | 303 | 307 | 308) => location,
                _ => return Ok(answer),
            };
            let next = join(&url, location);
            let scheme = next.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
            let host = host_of(&next);
            match scheme.as_deref() {
                Some("https") if !host.is_empty() => {}
                Some("http") if self.insecure.contains(&host) => {}
                _ => {
                    return Err(SignatureError::new(
                        SignatureReason::BadResponse,
                        format!(
                            "{url} redirects to `{}`: not HTTPS, nor plain HTTP to a host listed in insecure",
                            quote(next.as_bytes())
                        ),
                    ))
                }
            }
            url = next;
        }
        Err(SignatureError::new(
            SignatureReason::BadResponse,
            format!("{url}: more than {MAX_REDIRECTS} redirects"),
        ))
    }

    /// One request (`send`), retried after a connection error, a timeout or a 5xx status;
    /// the answer, its body read up to `limit` bytes when it is a 2xx.
    fn exchange(
        &self,
        target: &Target<'_>,
        url: &str,
        limit: u64,
        send: impl Fn() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer, SignatureError> {
        let attempt = || -> Result<Answer, Failure<Problem>> {
            let failed = |t: Transport| Failure {
                retry: t.retry(),
                error: Problem::Transport(t),
            };
            let mut response = send().map_err(|e| failed(transport(e)))?;
            let status = response.status().as_u16();
            let headers = response.headers();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let content_type = header("content-type");
            let digest = header("docker-content-digest");
            let location = header("location");
            let challenges = headers
                .get_all("www-authenticate")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_string)
                .collect();
            let body = if (200..300).contains(&status) {
                read_body(&mut response, limit).map_err(failed)?
            } else {
                error_body(&mut response, ERROR_BODY_LIMIT)
            };
            if status >= 500 {
                return Err(Failure {
                    error: Problem::Status(status, body),
                    retry: true,
                });
            }
            Ok(Answer {
                status,
                url: url.to_string(),
                content_type,
                digest,
                location,
                challenges,
                body,
            })
        };
        with_retries(self.retries, attempt)
            .map_err(|(problem, attempts)| self.problem(target, problem, url, attempts, limit))
    }

    /// The error of a request that failed after `attempts`.
    fn problem(
        &self,
        target: &Target<'_>,
        problem: Problem,
        url: &str,
        attempts: u32,
        limit: u64,
    ) -> SignatureError {
        let (reason, message) = match problem {
            Problem::Transport(Transport::Timeout) => (
                SignatureReason::Unreachable,
                format!(
                    "{url} did not answer within {} s, {attempts} attempt(s); check that the registry is up and not overloaded, or give it more time (timeoutSeconds)",
                    self.timeout.as_secs()
                ),
            ),
            Problem::Transport(Transport::Unreachable {
                why, tls: true, ..
            }) if url.starts_with("https://") => (
                SignatureReason::Unreachable,
                format!(
                    "{url} cannot be reached over HTTPS: {why}; a registry whose certificate is from a private CA needs that CA in caCertificates, and one that speaks plain HTTP must be listed in insecure"
                ),
            ),
            Problem::Transport(Transport::Unreachable { why, .. }) => (
                SignatureReason::Unreachable,
                format!(
                    "the registry {} is unreachable after {attempts} attempt(s) ({url}): {why}; check the host and port, and that the registry runs and is reachable from here",
                    target.host
                ),
            ),
            Problem::Transport(Transport::TooLarge) => (
                SignatureReason::TooLarge,
                format!("the answer of {url} is larger than {limit} bytes: not read"),
            ),
            Problem::Transport(Transport::Protocol(why)) => (
                SignatureReason::BadResponse,
                format!("{url} did not answer as an HTTP server does: {why}"),
            ),
            Problem::Status(status, body) => (
                SignatureReason::RegistryStatus,
                format!(
                    "{url} answered HTTP {status} after {attempts} attempt(s): {}",
                    self.errors(target, &body)
                ),
            ),
        };
        SignatureError::new(reason, message)
    }

    /// The registry errors of an error body (`CODE: message; …`), or its first characters;
    /// any credential of the host it echoes hidden.
    fn errors(&self, target: &Target<'_>, body: &[u8]) -> String {
        let text = match serde_json::from_slice::<ErrorDocument>(body) {
            Ok(document) if !document.errors.is_empty() => document
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            _ if body.is_empty() => "no body".to_string(),
            _ => format!("{:?}", quote(body)),
        };
        let Some(credential) = self.credentials.get(&target.host) else {
            return text;
        };
        let mut secrets: Vec<String> = Vec::new();
        if let Some((_, password)) = &credential.basic {
            secrets.push(password.expose().to_string());
        }
        if let Some(header) = credential.basic_header() {
            secrets.extend(header.strip_prefix("Basic ").map(str::to_string));
        }
        if let Some(token) = &credential.identity_token {
            secrets.push(token.expose().to_string());
        }
        secrets
            .iter()
            .filter(|s| !s.is_empty())
            .fold(text, |text, secret| {
                text.replace(secret.as_str(), "<hidden>")
            })
    }

    /// Where the credentials of `host` come from, for messages.
    fn credentials_source(&self, host: &str) -> String {
        match &self.credentials.source {
            Some(path) => format!("{host} from {}", path.display()),
            None => host.to_string(),
        }
    }

    /// Why there are no credentials for `host`, for messages.
    fn no_credentials(&self, host: &str) -> String {
        match &self.credentials.source {
            Some(path) => format!("{} has none for {host}", path.display()),
            None => "no docker config is given (dockerConfig)".to_string(),
        }
    }

    /// The manifest of `reference` (a tag or a digest), checked to be a manifest; none when
    /// the registry does not have it.
    fn manifest_answer(
        &self,
        target: &Target<'_>,
        reference: &str,
    ) -> Result<Option<Answer>, SignatureError> {
        let accept = MANIFEST_MEDIA_TYPES.join(", ");
        let answer = self.get(
            target,
            &format!("manifests/{reference}"),
            Some(&accept),
            MAX_DOCUMENT_BYTES,
        )?;
        if answer.status == 404 || self.not_there(&answer) {
            return Ok(None);
        }
        if answer.status != 200 {
            return Err(self.status_error(target, &answer));
        }
        let media_type = answer
            .content_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .map(str::trim)
            .unwrap_or_default();
        if !MANIFEST_MEDIA_TYPES
            .iter()
            .any(|t| t.eq_ignore_ascii_case(media_type))
        {
            return Err(SignatureError::new(
                SignatureReason::BadResponse,
                format!(
                    "{} answered a `{}`, not a manifest ({})",
                    answer.url,
                    quote(media_type.as_bytes()),
                    MANIFEST_MEDIA_TYPES.join(", ")
                ),
            ));
        }
        match serde_json::from_slice::<Versioned>(&answer.body) {
            Ok(v) if v.schema_version == 2 => Ok(Some(answer)),
            Ok(v) => Err(SignatureError::new(
                SignatureReason::BadResponse,
                format!(
                    "{} answered a manifest of schema version {}, not 2",
                    answer.url, v.schema_version
                ),
            )),
            Err(e) if e.is_data() => Err(SignatureError::new(
                SignatureReason::BadResponse,
                format!("{} answered JSON that is not a manifest ({e})", answer.url),
            )),
            Err(e) => Err(SignatureError::new(
                SignatureReason::BadResponse,
                format!(
                    "{} answered a body that is not JSON ({e}), starting {:?}",
                    answer.url,
                    quote(&answer.body)
                ),
            )),
        }
    }

    /// Whether an error answer says "no such manifest or repository".
    fn not_there(&self, answer: &Answer) -> bool {
        (400..500).contains(&answer.status)
            && serde_json::from_slice::<ErrorDocument>(&answer.body).is_ok_and(|d| {
                !d.errors.is_empty()
                    && d.errors
                        .iter()
                        .all(|e| NOT_THERE.contains(&e.code.as_str()))
            })
    }

    /// The error of an answer whose status is not the one expected.
    fn status_error(&self, target: &Target<'_>, answer: &Answer) -> SignatureError {
        SignatureError::new(
            SignatureReason::RegistryStatus,
            format!(
                "{} answered HTTP {}: {}",
                answer.url,
                answer.status,
                self.errors(target, &answer.body)
            ),
        )
    }
}

/// Checks that a `Docker-Content-Digest` header is the digest of `body`.
fn check_header_digest(header: &str, body: &[u8], url: &str) -> Result<(), SignatureError> {
    let header = header.trim();
    let actual = match header.split_once(':') {
        Some(("sha256", _)) => format!("sha256:{}", hex(&Sha256::digest(body))),
        Some(("sha512", _)) => format!("sha512:{}", hex(&Sha512::digest(body))),
        _ => String::new(),
    };
    if actual != header {
        return Err(SignatureError::new(
            SignatureReason::BadResponse,
            format!(
                "{url} says its manifest is {} (Docker-Content-Digest) but its bytes are sha256:{}",
                quote(header.as_bytes()),
                hex(&Sha256::digest(body))
            ),
        ));
    }
    Ok(())
}

/// `scheme://host:port` of a URL, lowercase.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

/// The `host[:port]` of a URL, lowercase.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// `location` (absolute, scheme-relative, absolute path or relative path) from `base`.
fn join(base: &str, location: &str) -> String {
    let location = location.trim();
    if location.contains("://") {
        return location.to_string();
    }
    let scheme = base.split_once("://").map_or("https", |(s, _)| s);
    if let Some(rest) = location.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    if location.starts_with('/') {
        return format!("{}{location}", origin(base));
    }
    let path = base.split(['?', '#']).next().unwrap_or(base);
    match path.rfind('/') {
        Some(i) if i > origin(base).len() => format!("{}/{location}", &path[..i]),
        _ => format!("{}/{location}", origin(base)),
    }
}

/// `error`, saying which URL answered.
fn from(url: &str, error: SignatureError) -> SignatureError {
    SignatureError::new(error.reason, format!("{url}: {}", error.message))
}

/// Whether `tag` is a tag as the distribution spec writes them.
fn is_tag(tag: &str) -> bool {
    tag.len() <= 128
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl ImageStore for Registry {
    fn resolve(&self, name: &str, tag: &str) -> Result<Option<String>, SignatureError> {
        let target = self.target(name)?;
        if !is_tag(tag) {
            return Err(SignatureError::new(
                SignatureReason::ImageMissing,
                format!("`{}` is not a tag", quote(tag.as_bytes())),
            ));
        }
        let Some(answer) = self.manifest_answer(&target, tag)? else {
            return Ok(None);
        };
        if let Some(header) = &answer.digest {
            check_header_digest(header, &answer.body, &answer.url)?;
        }
        Ok(Some(format!(
            "sha256:{}",
            hex(&Sha256::digest(&answer.body))
        )))
    }

    fn manifest(&self, name: &str, digest: &str) -> Result<Option<Vec<u8>>, SignatureError> {
        // As a layout: a manifest is named by its sha256 digest, or is not there.
        if sha256_hex(digest).is_none() {
            return Ok(None);
        }
        let target = self.target(name)?;
        let Some(answer) = self.manifest_answer(&target, digest)? else {
            return Ok(None);
        };
        check_digest(digest, &answer.body).map_err(|e| from(&answer.url, e))?;
        if let Some(header) = &answer.digest {
            check_header_digest(header, &answer.body, &answer.url)?;
        }
        Ok(Some(answer.body))
    }

    fn referrers(&self, name: &str, digest: &str) -> Result<Vec<Descriptor>, SignatureError> {
        if sha256_hex(digest).is_none() {
            return Ok(Vec::new());
        }
        let target = self.target(name)?;
        let answer = self.get(
            &target,
            &format!("referrers/{digest}"),
            Some(MANIFEST_MEDIA_TYPES[1]),
            MAX_DOCUMENT_BYTES,
        )?;
        match answer.status {
            // No referrers API: the tag schema's index, if the image has one.
            404 | 405 => referrers_by_tag(self, name, digest),
            200 => serde_json::from_slice::<ReferrersIndex>(&answer.body)
                .map(|index| index.manifests)
                .map_err(|e| {
                    SignatureError::new(
                        SignatureReason::BadResponse,
                        format!(
                            "{} answered a body that is not a referrers index ({e}), starting {:?}",
                            answer.url,
                            quote(&answer.body)
                        ),
                    )
                }),
            _ => Err(self.status_error(&target, &answer)),
        }
    }

    fn blob(&self, name: &str, digest: &str, limit: u64) -> Result<Vec<u8>, SignatureError> {
        if sha256_hex(digest).is_none() {
            return Err(SignatureError::new(
                SignatureReason::BadResponse,
                format!("`{}` is not a sha256 digest", quote(digest.as_bytes())),
            ));
        }
        let target = self.target(name)?;
        let answer = self.get(&target, &format!("blobs/{digest}"), None, limit)?;
        if answer.status != 200 {
            return Err(self.status_error(&target, &answer));
        }
        check_digest(digest, &answer.body).map_err(|e| from(&answer.url, e))?;
        Ok(answer.body)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn registry(insecure: &[&str]) -> Registry {
        Registry::new(&RegistryOptions {
            insecure: insecure.iter().map(|h| h.to_string()).collect(),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn a_registry_is_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Registry>();
    }

    #[test]
    fn names_map_to_urls_https_unless_insecure() {
        let r = registry(&["Localhost:5000"]);
        let t = r.target("docker.io/library/nginx").unwrap();
        assert_eq!(t.base, "https://registry-1.docker.io/v2/library/nginx");
        assert_eq!(t.host, "docker.io");
        let t = r.target("localhost:5000/team/api").unwrap();
        assert_eq!(t.base, "http://localhost:5000/v2/team/api");
        let t = r.target("registry.example/a/b/c").unwrap();
        assert_eq!(t.base, "https://registry.example/v2/a/b/c");
        assert_eq!(t.repository, "a/b/c");
        for bad in [
            "nginx", "/x", "h/", "h/a//b", "h/A", "h/a?b", "h/a b", "h/../x", "h x/a",
        ] {
            let e = r.target(bad).err().unwrap();
            assert_eq!(e.reason, SignatureReason::ImageMissing, "{bad}");
        }
    }

    #[test]
    fn redirects_are_joined_and_origins_compared() {
        let base = "https://r.example:5000/v2/team/api/blobs/sha256:ab?x=1";
        assert_eq!(
            join(base, "https://s3.example/b?sig=1"),
            "https://s3.example/b?sig=1"
        );
        assert_eq!(join(base, "//cdn.example/b"), "https://cdn.example/b");
        assert_eq!(join(base, "/v2/x"), "https://r.example:5000/v2/x");
        assert_eq!(
            join(base, "y"),
            "https://r.example:5000/v2/team/api/blobs/y"
        );
        assert_eq!(join("http://h", "y"), "http://h/y");
        assert_eq!(origin(base), "https://r.example:5000");
        assert_ne!(
            origin("http://127.0.0.1:1/a"),
            origin("http://127.0.0.1:2/a")
        );
        assert_eq!(host_of("HTTP://Reg.Example:80/v2/"), "reg.example:80");
    }

    #[test]
    fn tags_are_checked() {
        assert!(is_tag("1.0.0") && is_tag("sha256-ab.sig") && is_tag("_x"));
        assert!(!is_tag("") && !is_tag(".x") && !is_tag("a/b") && !is_tag(&"a".repeat(129)));
    }

    #[test]
    fn digest_headers_must_be_the_body() {
        let body = b"{}";
        let good = format!("sha256:{}", hex(&Sha256::digest(body)));
        check_header_digest(&good, body, "u").unwrap();
        let good512 = format!("sha512:{}", hex(&Sha512::digest(body)));
        check_header_digest(&good512, body, "u").unwrap();
        for bad in [
            format!("sha256:{}", "0".repeat(64)),
            "md5:x".into(),
            "junk".into(),
        ] {
            let e = check_header_digest(&bad, body, "u").unwrap_err();
            assert_eq!(e.reason, SignatureReason::BadResponse, "{bad}");
        }
    }

    #[test]
    fn debug_shows_no_credentials() {
        let dir =
            std::env::temp_dir().join(format!("ehdeploy-registry-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config.json");
        std::fs::write(
            &config,
            r#"{"auths":{"r.example":{"username":"u","password":"s3cr3t-pw"},"q.example":{"identitytoken":"id-t0ken"}}}"#,
        )
        .unwrap();
        let r = Registry::new(&RegistryOptions {
            docker_config: Some(config.clone()),
            ..Default::default()
        })
        .unwrap();
        let debug = format!("{r:?}");
        assert!(
            debug.contains("r.example") && debug.contains("q.example"),
            "{debug}"
        );
        assert!(
            !debug.contains("s3cr3t") && !debug.contains("id-t0ken"),
            "{debug}"
        );
        // Echoed credentials are hidden from quoted bodies.
        let t = r.target("r.example/team/api").unwrap();
        let echoed = r.errors(&t, br#"you sent u:s3cr3t-pw, dTpzM2NyM3QtcHc="#);
        assert!(!echoed.contains("s3cr3t"), "{echoed}");
        assert!(!echoed.contains("dTpzM2NyM3QtcHc="), "{echoed}");
        // A config that cannot be read is an error, not anonymous access.
        let missing = Registry::new(&RegistryOptions {
            docker_config: Some(dir.join("missing.json")),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(missing.reason, SignatureReason::RegistryStatus);
        let ca = Registry::new(&RegistryOptions {
            ca_certificates: vec![config],
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(ca.reason, SignatureReason::Unreachable);
        assert!(ca.message.contains("no PEM certificate"), "{ca}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
