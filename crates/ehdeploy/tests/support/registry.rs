//! A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8), and a fake
//! HTTP server on loopback for what a real registry never does (garbage, endless bodies,
//! 5xx, lies).
//!
//! Include it with `#[path = "support/registry.rs"] mod registry_server;` (it needs
//! `support/cosign.rs` included as `cosign_fixture` for its [`Pusher`] to be a store). It needs
//! Debian's `docker-registry` (`/usr/bin/docker-registry`), `openssl`, and `htpasswd` of
//! `apache2-utils` for basic auth: without them a test that starts a server fails, saying so;
//! it never skips.
//!
//! [`start`] writes the registry's `config.yml` (its own storage folder, `http.addr` on a free
//! port of 127.0.0.1) and, as asked, a CA and a server certificate for 127.0.0.1 made by
//! `openssl` (HTTPS), an htpasswd file (bcrypt: distribution 2.8 takes no other hash), or
//! token authentication (the registry checks JWTs signed by a key whose self-signed
//! certificate it trusts). It starts `docker-registry serve` as a [`server::Server`] (under
//! coreutils `timeout`, so it can never outlive the tests), and waits until it answers.
//! Dropping the [`RegistryServer`] stops it and removes its folder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

#[path = "server.rs"]
mod server;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;

use super::cosign_fixture::{digest, openssl, Artifact, Store};
pub use server::free_port;
use server::{http_probe, on_path, Server};

/// The longest a registry may live: a safety net (`timeout`) should the test binary be killed
/// before it can stop it.
pub const MAX_LIFETIME_SECONDS: u64 = 900;

/// The Debian binary of distribution's registry.
const REGISTRY_BIN: &str = "docker-registry";

/// How a registry is set up.
#[derive(Default)]
pub struct Setup {
    /// HTTPS with a server certificate for 127.0.0.1 from a CA made for it.
    pub tls: bool,
    /// htpasswd basic authentication of this user and password.
    pub basic: Option<(String, String)>,
    /// Token authentication: the registry sends clients to `realm` and trusts tokens signed by
    /// [`TokenKey`].
    pub token: Option<TokenSetup>,
}

/// The token authentication of a registry.
pub struct TokenSetup {
    /// The token server's URL.
    pub realm: String,
    /// The key (and its certificate) the tokens are signed with.
    pub key: TokenKey,
}

/// The service and issuer names of token authentication.
pub const TOKEN_SERVICE: &str = "ehdeploy-test-registry";
/// The issuer of the tokens.
pub const TOKEN_ISSUER: &str = "ehdeploy-test-token-server";

/// An RSA key and its self-signed certificate, made by openssl, to sign registry tokens (JWT,
/// RS256, the certificate in the header's `x5c`).
pub struct TokenKey {
    dir: PathBuf,
    /// The certificate (PEM) the registry trusts.
    pub certificate: PathBuf,
}

impl TokenKey {
    /// A new key in `dir`.
    pub fn new(dir: &Path) -> TokenKey {
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "token.key",
                "-out",
                "token.pem",
                "-days",
                "2",
                "-subj",
                "/CN=ehdeploy-test-token-signer",
            ],
            dir,
        );
        TokenKey {
            dir: dir.to_path_buf(),
            certificate: dir.join("token.pem"),
        }
    }

    /// A token for `access` (`[(repository, ["pull", "push"])]`), valid for an hour.
    pub fn token(&self, subject: &str, access: &[(&str, &[&str])]) -> String {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let der = openssl(&["x509", "-in", "token.pem", "-outform", "DER"], &self.dir);
        let header = serde_json::json!({
            "typ": "JWT", "alg": "RS256",
            "x5c": [base64::engine::general_purpose::STANDARD.encode(&der)]
        });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let access: Vec<serde_json::Value> = access
            .iter()
            .map(|(name, actions)| {
                serde_json::json!({"type": "repository", "name": name, "actions": actions})
            })
            .collect();
        let claims = serde_json::json!({
            "iss": TOKEN_ISSUER, "sub": subject, "aud": TOKEN_SERVICE,
            "exp": now + 3600, "nbf": now - 60, "iat": now - 60,
            "jti": format!("{now}-{subject}"), "access": access
        });
        let signing_input = format!(
            "{}.{}",
            b64(&serde_json::to_vec(&header).unwrap()),
            b64(&serde_json::to_vec(&claims).unwrap())
        );
        fs::write(self.dir.join("jwt.txt"), &signing_input).unwrap();
        let signature = openssl(
            &["dgst", "-sha256", "-sign", "token.key", "jwt.txt"],
            &self.dir,
        );
        format!("{signing_input}.{}", b64(&signature))
    }
}

/// A running registry; stopped, and its folder removed, on drop.
pub struct RegistryServer {
    /// `127.0.0.1:<port>`: the host of its image names.
    pub host: String,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The CA of its certificate (HTTPS).
    pub ca: Option<PathBuf>,
    /// Its folder: `config.yml`, `storage/`, `registry.log`, TLS and htpasswd files.
    pub dir: PathBuf,
    server: Server,
}

impl RegistryServer {
    /// `<scheme>://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }

    /// What the registry has logged so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// A pusher into `repository` (a path of this registry), authenticated with
    /// `authorization` (an `Authorization` header's value) if given.
    pub fn pusher(&self, repository: &str, authorization: Option<String>) -> Pusher {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)));
        if let Some(ca) = &self.ca {
            let pem = fs::read(ca).unwrap();
            let certificate = ureq::tls::Certificate::from_pem(&pem).unwrap();
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&[certificate]))
                    .build(),
            );
        }
        Pusher {
            agent: config.build().new_agent(),
            base: self.url(),
            repository: repository.to_string(),
            authorization,
        }
    }
}

/// A new registry set up as `setup` says, ready to answer; panics (with its log) if it cannot
/// be started.
pub fn start(setup: &Setup) -> RegistryServer {
    let registry = on_path(REGISTRY_BIN).unwrap_or_else(|| {
        panic!(
            "`{REGISTRY_BIN}` is not on PATH: these tests run a real registry; install Debian's \
             `docker-registry` package (apt-get install docker-registry)"
        )
    });
    // The folder is the server's: it removes it when dropped, started or not.
    let mut server = Server::new("registry", "registry.log");
    let dir = server.dir.clone();
    let mut ca = None;
    let mut extra = String::new();
    if setup.tls {
        make_certificates(&dir);
        ca = Some(dir.join("ca.pem"));
        extra.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            dir.join("server.pem").display(),
            dir.join("server.key").display()
        ));
    }
    let mut auth = String::new();
    if let Some((user, password)) = &setup.basic {
        let htpasswd = on_path("htpasswd").unwrap_or_else(|| {
            panic!(
                "`htpasswd` is not on PATH: the basic-auth tests need bcrypt htpasswd lines, the \
                 only hash distribution 2.8 takes; install Debian's `apache2-utils`"
            )
        });
        let out = Command::new(htpasswd)
            .args(["-Bbn", user, password])
            .output()
            .unwrap();
        assert!(out.status.success(), "htpasswd failed: {out:?}");
        fs::write(dir.join("htpasswd"), out.stdout).unwrap();
        auth = format!(
            "auth:\n  htpasswd:\n    realm: ehdeploy-test\n    path: {}\n",
            dir.join("htpasswd").display()
        );
    }
    if let Some(token) = &setup.token {
        auth = format!(
            "auth:\n  token:\n    realm: {}\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
            token.realm,
            token.key.certificate.display()
        );
    }
    let port = server.start(
        "the registry",
        &registry,
        MAX_LIFETIME_SECONDS,
        |port, dir, command| {
            let config = format!(
                "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: ehdeploy-test-secret\n{extra}{auth}",
                dir.join("storage").display()
            );
            fs::write(dir.join("config.yml"), config).unwrap();
            command.arg("serve").arg(dir.join("config.yml"));
        },
        answers,
    );
    RegistryServer {
        host: format!("127.0.0.1:{port}"),
        scheme: if setup.tls { "https" } else { "http" },
        ca,
        dir,
        server,
    }
}

/// A CA (`ca.pem`) and a server certificate for 127.0.0.1 signed by it (`server.pem`,
/// `server.key`), ECDSA P-256, in `dir`.
fn make_certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut args = vec!["req", "-x509"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=ehdeploy test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&args, dir);
    let mut args = vec!["req"];
    args.extend(ec);
    args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(&args, dir);
    fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ],
        dir,
    );
}

/// Whether `GET /v2/` gets an HTTP answer (any status: a TLS registry answers plain HTTP
/// with 400).
fn answers(address: &SocketAddr) -> bool {
    http_probe(
        address,
        b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
        |head: &[u8; 5]| head == b"HTTP/",
    )
}

/// Pushes blobs and manifests into one repository through the distribution API: a
/// monolithic blob upload (`POST /v2/<repo>/blobs/uploads/`, then `PUT <location>&digest=…`)
/// and `PUT /v2/<repo>/manifests/<tag>`.
pub struct Pusher {
    agent: ureq::Agent,
    base: String,
    /// The repository pushed into (a path, without the registry).
    pub repository: String,
    authorization: Option<String>,
}

impl Pusher {
    fn with_auth<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.authorization {
            Some(a) => request.header("Authorization", a),
            None => request,
        }
    }

    /// Uploads `bytes` as a blob; its digest.
    pub fn blob(&self, bytes: &[u8]) -> String {
        let d = digest(bytes);
        let url = format!("{}/v2/{}/blobs/uploads/", self.base, self.repository);
        let response = self.with_auth(self.agent.post(&url)).send_empty().unwrap();
        assert_eq!(response.status().as_u16(), 202, "POST {url}: {response:?}");
        let location = response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let location = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={d}");
        self.put_created(&url, "application/octet-stream", bytes);
        d
    }

    /// Puts `manifest` (of `media_type`) under `reference` (a tag or its digest); its digest.
    pub fn manifest(&self, reference: &str, manifest: &[u8], media_type: &str) -> String {
        let url = format!("{}/v2/{}/manifests/{reference}", self.base, self.repository);
        self.put_created(&url, media_type, manifest);
        digest(manifest)
    }

    /// `PUT url` of `body` (of `content_type`); panics, with the answer's body, unless it is
    /// 201 Created.
    fn put_created(&self, url: &str, content_type: &str, body: &[u8]) {
        let mut response = self
            .with_auth(self.agent.put(url))
            .header("Content-Type", content_type)
            .send(body)
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            201,
            "PUT {url}: {}",
            response.body_mut().read_to_string().unwrap_or_default()
        );
    }

    /// Deletes the manifest `digest` (and so every tag naming it).
    pub fn delete(&self, digest: &str) {
        let url = format!("{}/v2/{}/manifests/{digest}", self.base, self.repository);
        let response = self.with_auth(self.agent.delete(&url)).call().unwrap();
        assert_eq!(response.status().as_u16(), 202, "DELETE {url}");
    }
}

impl Store for Pusher {
    fn put(&mut self, tag: &str, artifact: &Artifact) -> String {
        for blob in &artifact.blobs {
            self.blob(blob);
        }
        self.manifest(tag, &artifact.manifest, artifact.media_type)
    }
}

/// One request a [`Fake`] received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path and query.
    pub target: String,
    /// The headers, names lowercase.
    pub headers: BTreeMap<String, String>,
    /// The body (by `Content-Length`).
    pub body: Vec<u8>,
}

/// What a [`Fake`] answers.
pub enum Reply {
    /// These bytes, as they are (status line, headers, body), then the connection is closed.
    Raw(Vec<u8>),
    /// This status line and headers, then a body that never ends (bounded here: at most
    /// 256 MiB or 20 s, as long as the client reads).
    Endless(String),
}

impl Reply {
    /// An HTTP/1.1 answer of `status` with `headers` and `body` (`Content-Length` and
    /// `Connection: close` added).
    pub fn new(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut out = format!("HTTP/1.1 {status}\r\n");
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        Reply::Raw(bytes)
    }
}

type Handler = dyn Fn(&Received, usize) -> Reply + Send + Sync;

/// A fake HTTP server on 127.0.0.1: one connection at a time, one request per connection,
/// answered by a handler given the request and the connection's number (from 0). It counts
/// connections and keeps the requests; it stops on drop.
pub struct Fake {
    /// `127.0.0.1:<port>`.
    pub host: String,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<Received>>>,
    stopping: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Fake {
    /// A fake answering with `handler`.
    pub fn start(handler: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let handler: Box<Handler> = Box::new(handler);
        let thread = {
            let (connections, received, stopping) =
                (connections.clone(), received.clone(), stopping.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let n = connections.fetch_add(1, Ordering::SeqCst);
                    serve(stream, n, &*handler, &received);
                }
            })
        };
        Fake {
            host,
            connections,
            received,
            stopping,
            thread: Some(thread),
        }
    }

    /// The connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.host);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request from `stream`, answers it, closes.
fn serve(stream: TcpStream, n: usize, handler: &Handler, received: &Mutex<Vec<Received>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    let request = Received {
        method,
        target,
        headers,
        body,
    };
    let reply = handler(&request, n);
    received.lock().unwrap().push(request);
    let mut stream = reader.into_inner();
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
        }
        Reply::Endless(head) => {
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let until = Instant::now() + Duration::from_secs(20);
            let mut sent = 0usize;
            while sent < 256 << 20 && Instant::now() < until {
                if stream.write_all(&chunk).is_err() {
                    break;
                }
                sent += chunk.len();
            }
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}
