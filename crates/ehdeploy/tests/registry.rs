//! cosign's classic signatures verified from a real OCI registry (Debian's `docker-registry`,
//! distribution 2.8, on loopback): images and signature artifacts pushed through the
//! distribution API, signed by `openssl` following cosign's specification (not by our code);
//! over plain HTTP, HTTPS with a private CA, basic auth and token auth. And a fake server for
//! what a real registry never does: garbage, 5xx, endless bodies, lying digests.
//!
//! Every case goes through `verify_image(&registry, …)` and asserts its exact reason and
//! decision.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cosign.rs"]
mod cosign_fixture;
#[path = "support/registry.rs"]
mod registry_server;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use cosign_fixture::{dir, reason, signature_artifact, signature_tag, Artifact, Fixture, Store};
use ehdeploy::signing::{verify_image, ImageStore, ImageVerdict, Registry, RegistryOptions};
use ehdeploy::trust::{Outcome, TrustPolicy, TrustReason};
use ehdeploy::workload::image::ImageRef;
use registry_server::{
    free_port, start, Fake, Pusher, RegistryServer, Reply, Setup, TokenKey, TokenSetup,
};

const OCI: &str = "application/vnd.oci.image.manifest.v1+json";

fn verify(store: &dyn ImageStore, image: &str, policy: &TrustPolicy) -> ImageVerdict {
    verify_image(store, &image.parse::<ImageRef>().unwrap(), policy, None)
}

/// A client reaching `insecure` over plain HTTP.
fn client(insecure: &[&str]) -> Registry {
    Registry::new(&RegistryOptions {
        insecure: insecure.iter().map(|h| h.to_string()).collect(),
        retries: 1,
        timeout_seconds: 10,
        ..Default::default()
    })
    .unwrap()
}

/// A fixture pushing into `team/api` of `server`.
fn fixture(server: &RegistryServer, authorization: Option<String>) -> Fixture<Pusher> {
    let repository = format!("{}/team/api", server.host);
    Fixture::new(
        dir("registry-keys"),
        &repository,
        server.pusher("team/api", authorization),
    )
}

/// The refusal of `v`: not allowed, with this first reason; its message. A store that failed
/// makes the image unverifiable, a signature that failed unsigned.
fn refused(v: &ImageVerdict, expected: &str) -> String {
    assert!(!v.decision.allowed, "{expected}: {v:?}");
    let store_failed = matches!(
        expected,
        "unreachable" | "registry-status" | "bad-response" | "too-large" | "content-mismatch"
    );
    let (why, outcome) = if store_failed {
        (TrustReason::Unverifiable, Outcome::Unverifiable)
    } else {
        (TrustReason::Unsigned, Outcome::Refused)
    };
    assert_eq!(v.decision.reason, Some(why), "{v:?}");
    assert_eq!(v.outcome, outcome, "{v:?}");
    assert_eq!(reason(v), expected, "{v:?}");
    v.checks[0].message.clone().unwrap()
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A docker config.json in `dir` with `auths` as given.
fn docker_config(dir: &std::path::Path, auths: serde_json::Value) -> std::path::PathBuf {
    let path = dir.join("config.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&serde_json::json!({ "auths": auths })).unwrap(),
    )
    .unwrap();
    path
}

#[test]
fn a_signed_image_is_allowed_by_tag_and_by_digest() {
    let server = start(&Setup::default());
    let mut f = fixture(&server, None);
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let registry = client(&[&server.host]);
    let v = verify(&registry, &format!("{}:1.0.0", f.repository), &f.key_a());
    assert!(v.decision.allowed, "{v:?}\n{}", server.log());
    assert_eq!(v.digest.as_deref(), Some(digest.as_str()));
    assert_eq!(v.decision.passed, ["a"]);
    assert_eq!(v.decision.message, "signed by a");
    let v = verify(&registry, &format!("{}@{digest}", f.repository), &f.key_a());
    assert!(v.decision.allowed, "{v:?}");
    assert_eq!(v.digest.as_deref(), Some(digest.as_str()));
}

#[test]
fn images_are_verified_in_parallel_threads_over_one_client() {
    let server = start(&Setup::default());
    let mut f = fixture(&server, None);
    let mut images = Vec::new();
    for i in 0..6 {
        let digest = f.image(&format!("1.0.{i}"), &format!("app v1.0.{i}"));
        if i % 2 == 0 {
            f.cosign_sign("a", &digest);
        }
        images.push(format!("{}:1.0.{i}", f.repository));
    }
    let registry = client(&[&server.host]);
    let policy = f.key_a();
    let verdicts: Vec<ImageVerdict> = std::thread::scope(|scope| {
        let running: Vec<_> = images
            .iter()
            .map(|image| scope.spawn(|| verify(&registry, image, &policy)))
            .collect();
        running.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for (i, v) in verdicts.iter().enumerate() {
        assert_eq!(v.decision.allowed, i % 2 == 0, "{i}: {v:?}");
    }
}

#[test]
fn the_negative_matrix_from_a_registry() {
    let server = start(&Setup::default());
    let mut f = fixture(&server, None);
    let registry = client(&[&server.host]);
    let digest = f.image("1.0.0", "app v1");
    let other = f.image("2.0.0", "app v2");
    let image = format!("{}:1.0.0", f.repository);
    // Unsigned: no signature artifact.
    refused(&verify(&registry, &image, &f.key_a()), "unsigned");
    // Wrong key.
    f.cosign_sign("b", &digest);
    refused(&verify(&registry, &image, &f.key_a()), "signature-invalid");
    // A validly signed payload for another digest.
    let for_other = f.payload(&other);
    let sig_other = f.sign("a", &for_other);
    f.signatures(&digest, &[(for_other.clone(), sig_other.clone())]);
    refused(&verify(&registry, &image, &f.key_a()), "digest-mismatch");
    // Another image's signature artifact (valid for it) moved to this image's `.sig` tag.
    let theirs = signature_artifact(&[(for_other, sig_other)]);
    f.store.put(&signature_tag(&other), &theirs);
    let v = verify(&registry, &format!("{}:2.0.0", f.repository), &f.key_a());
    assert!(v.decision.allowed, "{v:?}");
    f.store.put(&signature_tag(&digest), &theirs);
    refused(&verify(&registry, &image, &f.key_a()), "digest-mismatch");
    // A validly signed payload for another repository.
    let elsewhere = cosign_fixture::payload(&format!("{}/team/web", server.host), &digest);
    let sig_elsewhere = f.sign("a", &elsewhere);
    f.signatures(&digest, &[(elsewhere, sig_elsewhere)]);
    refused(&verify(&registry, &image, &f.key_a()), "reference-mismatch");
    // Good again; then the tag re-pointed to a new image after signing: that one is unsigned.
    f.cosign_sign("a", &digest);
    assert!(verify(&registry, &image, &f.key_a()).decision.allowed);
    let repointed = f.image("1.0.0", "app v1, rebuilt");
    let v = verify(&registry, &image, &f.key_a());
    assert_eq!(v.digest.as_deref(), Some(repointed.as_str()));
    refused(&v, "unsigned");
    // The old image, pinned by digest, is still there and still signed.
    let v = verify(&registry, &format!("{}@{digest}", f.repository), &f.key_a());
    assert!(v.decision.allowed, "{v:?}");
    // Missing: a tag, a digest, a repository (the registry's MANIFEST_UNKNOWN, NAME_UNKNOWN).
    let message = refused(
        &verify(&registry, &format!("{}:9.9.9", f.repository), &f.key_a()),
        "image-missing",
    );
    assert!(message.contains(":9.9.9 is not in the store"), "{message}");
    let absent = cosign_fixture::digest(b"never pushed");
    refused(
        &verify(&registry, &format!("{}@{absent}", f.repository), &f.key_a()),
        "image-missing",
    );
    refused(
        &verify(
            &registry,
            &format!("{}/team/none:1", server.host),
            &f.key_a(),
        ),
        "image-missing",
    );
    // The signature artifact deleted: unsigned again.
    let signed = f.image("3.0.0", "app v3");
    let artifact = f.cosign_sign("a", &signed);
    let three = format!("{}:3.0.0", f.repository);
    assert!(verify(&registry, &three, &f.key_a()).decision.allowed);
    f.store.delete(&artifact);
    refused(&verify(&registry, &three, &f.key_a()), "unsigned");
}

#[test]
fn https_with_the_ca_verifies_and_without_it_is_refused() {
    let server = start(&Setup {
        tls: true,
        ..Default::default()
    });
    let mut f = fixture(&server, None);
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let image = format!("{}:1.0.0", f.repository);
    let with_ca = Registry::new(&RegistryOptions {
        ca_certificates: vec![server.ca.clone().unwrap()],
        ..Default::default()
    })
    .unwrap();
    let v = verify(&with_ca, &image, &f.key_a());
    assert!(v.decision.allowed, "{v:?}\n{}", server.log());
    // Without the CA, the certificate is not trusted: the TLS handshake fails, which is
    // `unreachable` (no connection could be made), and is not tried again.
    let started = Instant::now();
    let message = refused(&verify(&client(&[]), &image, &f.key_a()), "unreachable");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        message.contains("cannot be reached over HTTPS"),
        "{message}"
    );
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert!(message.contains("caCertificates"), "{message}");
    // Listed as insecure, it is asked over plain HTTP, which an HTTPS server refuses.
    let message = refused(
        &verify(&client(&[&server.host]), &image, &f.key_a()),
        "registry-status",
    );
    assert!(message.contains("HTTP 400"), "{message}");
}

#[test]
fn an_http_registry_not_listed_as_insecure_is_refused() {
    let server = start(&Setup::default());
    let mut f = fixture(&server, None);
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let image = format!("{}:1.0.0", f.repository);
    let message = refused(&verify(&client(&[]), &image, &f.key_a()), "unreachable");
    assert!(
        message.contains(&format!(
            "https://{}/v2/team/api/manifests/1.0.0",
            server.host
        )),
        "{message}"
    );
    assert!(message.contains("listed in insecure"), "{message}");
    assert!(
        verify(&client(&[&server.host]), &image, &f.key_a())
            .decision
            .allowed
    );
}

#[test]
fn basic_auth_with_docker_config_credentials() {
    const PASSWORD: &str = "s3cret-Pw-42";
    let server = start(&Setup {
        basic: Some(("alice".into(), PASSWORD.into())),
        ..Default::default()
    });
    let mut f = fixture(&server, Some(basic("alice", PASSWORD)));
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let image = format!("{}:1.0.0", f.repository);
    let with = |auths: Option<serde_json::Value>| {
        Registry::new(&RegistryOptions {
            insecure: vec![server.host.clone()],
            docker_config: auths.map(|a| docker_config(&f.dir.0, a)),
            ..Default::default()
        })
        .unwrap()
    };
    // `auth`: the base64 of user:password; and `username` / `password`.
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
    let registry = with(Some(serde_json::json!({ &server.host: {"auth": auth} })));
    let v = verify(&registry, &image, &f.key_a());
    assert!(v.decision.allowed, "{v:?}\n{}", server.log());
    let debug = format!("{registry:?}");
    assert!(
        !debug.contains(PASSWORD) && !debug.contains(&auth),
        "{debug}"
    );
    let registry = with(Some(serde_json::json!({
        format!("http://{}", server.host): {"username": "alice", "password": PASSWORD}
    })));
    assert!(verify(&registry, &image, &f.key_a()).decision.allowed);
    // No credentials: refused by the registry.
    let message = refused(&verify(&with(None), &image, &f.key_a()), "registry-status");
    assert!(message.contains("HTTP 401"), "{message}");
    assert!(message.contains("no docker config is given"), "{message}");
    let message = refused(
        &verify(
            &with(Some(serde_json::json!({"other.example": {"auth": auth}}))),
            &image,
            &f.key_a(),
        ),
        "registry-status",
    );
    assert!(
        message.contains(&format!("has none for {}", server.host)),
        "{message}"
    );
    // Wrong credentials: refused, and no password (wrong or right) in the message.
    let wrong = "wr0ng-Pw-99";
    let registry = with(Some(serde_json::json!({
        &server.host: {"username": "alice", "password": wrong}
    })));
    let message = refused(&verify(&registry, &image, &f.key_a()), "registry-status");
    assert!(message.contains("HTTP 401"), "{message}");
    for secret in [wrong, PASSWORD, &basic("alice", wrong)[6..]] {
        assert!(!message.contains(secret), "{message}");
    }
}

#[test]
fn a_registry_that_is_down_is_unreachable() {
    let host = format!("127.0.0.1:{}", free_port());
    let f = Fixture::new(dir("registry-keys"), &format!("{host}/team/api"), Nowhere);
    let started = Instant::now();
    let message = refused(
        &verify(
            &client(&[&host]),
            &format!("{host}/team/api:1.0.0"),
            &f.key_a(),
        ),
        "unreachable",
    );
    assert!(message.contains("2 attempt(s)"), "{message}");
    assert!(
        message.contains(&format!("http://{host}/v2/team/api/manifests/1.0.0")),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // No policy names the image, so no authority is asked: still unverifiable, never "no
    // policy" as if the registry had answered.
    let v = verify(
        &client(&[&host]),
        &format!("{host}/team/api:1.0.0"),
        &TrustPolicy::default(),
    );
    assert!(v.checks.is_empty(), "{v:?}");
    assert_eq!(v.outcome, Outcome::Unverifiable, "{v:?}");
    assert_eq!(v.decision.reason, Some(TrustReason::Unverifiable));
}

#[test]
fn a_token_challenge_gets_one_token_reused_for_every_request() {
    const PASSWORD: &str = "t0ken-Pw-7";
    let keys = dir("registry-token");
    let key = TokenKey::new(&keys.0);
    let jwt = key.token("alice", &[("team/api", &["pull", "push"])]);
    // The token server: the JWT for alice's credentials (GET, basic) or her identity token
    // (POST, OAuth2 refresh token); 401 for anything else.
    let answer = serde_json::json!({"token": jwt, "expires_in": 3600}).to_string();
    let expected = basic("alice", PASSWORD);
    let tokens = Fake::start(move |request, _| {
        let form = String::from_utf8_lossy(&request.body).to_string();
        let ok = (request.method == "GET"
            && request.headers.get("authorization") == Some(&expected))
            || (request.method == "POST"
                && form.contains("grant_type=refresh_token")
                && form.contains("refresh_token=id-t0ken"));
        if ok {
            Reply::new(
                "200 OK",
                &[("Content-Type", "application/json")],
                answer.as_bytes(),
            )
        } else {
            Reply::new("401 Unauthorized", &[], b"{\"details\":\"no\"}")
        }
    });
    let server = start(&Setup {
        token: Some(TokenSetup {
            realm: format!("http://{}/token", tokens.host),
            key,
        }),
        ..Default::default()
    });
    let mut f = fixture(&server, Some(format!("Bearer {jwt}")));
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let image = format!("{}:1.0.0", f.repository);
    let with = |insecure: &[&str], auths: serde_json::Value| {
        Registry::new(&RegistryOptions {
            insecure: insecure.iter().map(|h| h.to_string()).collect(),
            docker_config: Some(docker_config(&f.dir.0, auths)),
            ..Default::default()
        })
        .unwrap()
    };
    let both = [server.host.as_str(), tokens.host.as_str()];
    let registry = with(
        &both,
        serde_json::json!({&server.host: {"username": "alice", "password": PASSWORD}}),
    );
    // Four requests (tag, signature tag, signature manifest, payload blob), one token.
    let v = verify(&registry, &image, &f.key_a());
    assert!(v.decision.allowed, "{v:?}\n{}", server.log());
    let asked = tokens.received();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(asked[0].target.starts_with("/token?"), "{asked:?}");
    assert!(
        asked[0]
            .target
            .contains("scope=repository%3Ateam%2Fapi%3Apull"),
        "{asked:?}"
    );
    assert!(
        asked[0].target.contains("service=ehdeploy-test-registry"),
        "{asked:?}"
    );
    // Again: the token is reused.
    assert!(verify(&registry, &image, &f.key_a()).decision.allowed);
    assert_eq!(tokens.received().len(), 1);
    assert!(!format!("{registry:?}").contains(&jwt));
    // An identity token: an OAuth2 refresh-token grant, POSTed.
    let registry = with(
        &both,
        serde_json::json!({&server.host: {"identitytoken": "id-t0ken"}}),
    );
    assert!(verify(&registry, &image, &f.key_a()).decision.allowed);
    let asked = tokens.received();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[1].method, "POST");
    // Wrong credentials: the token server refuses them.
    let registry = with(
        &both,
        serde_json::json!({&server.host: {"username": "alice", "password": "nope-nope"}}),
    );
    let message = refused(&verify(&registry, &image, &f.key_a()), "registry-status");
    assert!(message.contains("refused the credentials"), "{message}");
    assert!(!message.contains("nope-nope"), "{message}");
    // A token server over plain HTTP that is not listed as insecure is not asked.
    let registry = with(
        &[&server.host],
        serde_json::json!({&server.host: {"username": "alice", "password": PASSWORD}}),
    );
    let before = tokens.received().len();
    let message = refused(&verify(&registry, &image, &f.key_a()), "registry-status");
    assert!(message.contains("over plain HTTP"), "{message}");
    assert_eq!(tokens.received().len(), before);
}

/// A store that takes nothing: for fixtures whose images are served by a fake.
struct Nowhere;

impl Store for Nowhere {
    fn put(&mut self, _: &str, _: &Artifact) -> String {
        panic!("nothing is stored here")
    }
}

/// Manifests (by tag and digest) and blobs, in memory, as a fake registry serves them.
#[derive(Clone, Default)]
struct Memory(Arc<Mutex<HashMap<String, Vec<u8>>>>);

impl Store for Memory {
    fn put(&mut self, tag: &str, artifact: &Artifact) -> String {
        let mut map = self.0.lock().unwrap();
        for blob in &artifact.blobs {
            map.insert(
                format!("blobs/{}", cosign_fixture::digest(blob)),
                blob.clone(),
            );
        }
        let digest = artifact.digest();
        map.insert(format!("manifests/{tag}"), artifact.manifest.clone());
        map.insert(format!("manifests/{digest}"), artifact.manifest.clone());
        digest
    }
}

impl Memory {
    /// The answer of a registry holding this to `GET /v2/team/api/<what>`.
    fn answer(&self, target: &str) -> Reply {
        let what = target.trim_start_matches("/v2/team/api/");
        match self.0.lock().unwrap().get(what) {
            Some(bytes) if what.starts_with("manifests/") => Reply::new(
                "200 OK",
                &[
                    ("Content-Type", OCI),
                    ("Docker-Content-Digest", &cosign_fixture::digest(bytes)),
                ],
                bytes,
            ),
            Some(bytes) => Reply::new(
                "200 OK",
                &[("Content-Type", "application/octet-stream")],
                bytes,
            ),
            None => Reply::new(
                "404 Not Found",
                &[("Content-Type", "application/json")],
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
        }
    }
}

/// A fixture whose images a fake serves from memory, and the fake.
fn fake_registry(
    handler: impl Fn(&registry_server::Received, usize, &Memory) -> Option<Reply>
        + Send
        + Sync
        + 'static,
) -> (Fixture<Memory>, Fake) {
    let memory = Memory::default();
    let served = memory.clone();
    let fake = Fake::start(move |request, n| {
        handler(request, n, &served).unwrap_or_else(|| served.answer(&request.target))
    });
    let repository = format!("{}/team/api", fake.host);
    let f = Fixture::new(dir("registry-keys"), &repository, memory);
    (f, fake)
}

#[test]
fn a_5xx_is_retried_with_backoff_then_succeeds() {
    // The first connection gets a 503; every other request is answered.
    let (mut f, fake) = fake_registry(|_, n, _| {
        (n == 0).then(|| Reply::new("503 Service Unavailable", &[], b"busy"))
    });
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let registry = client(&[&fake.host]);
    let started = Instant::now();
    let v = verify(&registry, &format!("{}:1.0.0", f.repository), &f.key_a());
    assert!(v.decision.allowed, "{v:?}");
    // The 503, its retry, then the signature tag, its manifest, the payload blob.
    assert_eq!(fake.connections(), 5);
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "no backoff"
    );
    // Always 5xx: three attempts (retries 2), then `registry-status`.
    let (f, fake) = fake_registry(|_, _, _| {
        Some(Reply::new(
            "502 Bad Gateway",
            &[("Content-Type", "application/json")],
            br#"{"errors":[{"code":"UNAVAILABLE","message":"upstream down"}]}"#,
        ))
    });
    let registry = Registry::new(&RegistryOptions {
        insecure: vec![fake.host.clone()],
        ..Default::default()
    })
    .unwrap();
    let message = refused(
        &verify(&registry, &format!("{}:1.0.0", f.repository), &f.key_a()),
        "registry-status",
    );
    assert_eq!(fake.connections(), 3);
    assert!(message.contains("HTTP 502 after 3 attempt(s)"), "{message}");
    assert!(message.contains("UNAVAILABLE: upstream down"), "{message}");
    // A 4xx other than 404 is not retried.
    let (f, fake) = fake_registry(|_, _, _| {
        Some(Reply::new(
            "403 Forbidden",
            &[("Content-Type", "application/json")],
            br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
        ))
    });
    let message = refused(
        &verify(
            &client(&[&fake.host]),
            &format!("{}:1.0.0", f.repository),
            &f.key_a(),
        ),
        "registry-status",
    );
    assert_eq!(fake.connections(), 1);
    assert!(message.contains("HTTP 403: DENIED"), "{message}");
}

#[test]
fn garbage_is_a_bad_response() {
    let cases: Vec<(&str, Reply)> = vec![
        (
            "not JSON",
            Reply::new("200 OK", &[("Content-Type", OCI)], b"<html>hello</html>"),
        ),
        (
            "not a manifest",
            Reply::new(
                "200 OK",
                &[("Content-Type", "text/html")],
                b"{\"schemaVersion\":2}",
            ),
        ),
        (
            "schema version 1",
            Reply::new("200 OK", &[("Content-Type", OCI)], b"{\"schemaVersion\":1}"),
        ),
        (
            "Docker-Content-Digest",
            Reply::new(
                "200 OK",
                &[
                    ("Content-Type", OCI),
                    (
                        "Docker-Content-Digest",
                        &format!("sha256:{}", "0".repeat(64)),
                    ),
                ],
                b"{\"schemaVersion\":2}",
            ),
        ),
        (
            "not an HTTP answer",
            Reply::Raw(b"SSH-2.0-OpenSSH_9.2\r\n\r\n".to_vec()),
        ),
    ];
    for (expected, reply) in cases {
        let reply = Mutex::new(Some(reply));
        let fake = Fake::start(move |_, _| {
            reply
                .lock()
                .unwrap()
                .take()
                .unwrap_or_else(|| Reply::new("500 Internal Server Error", &[], b""))
        });
        let repository = format!("{}/team/api", fake.host);
        let f = Fixture::new(dir("registry-keys"), &repository, Nowhere);
        let message = refused(
            &verify(
                &client(&[&fake.host]),
                &format!("{repository}:1.0.0"),
                &f.key_a(),
            ),
            "bad-response",
        );
        assert!(message.contains(expected), "{expected}: {message}");
        assert_eq!(fake.connections(), 1, "{expected}: not retried");
    }
}

#[test]
fn an_endless_manifest_is_too_large_and_not_read_further() {
    let head = |length: &str| {
        format!("HTTP/1.1 200 OK\r\nContent-Type: {OCI}\r\n{length}Connection: close\r\n\r\n")
    };
    for length in ["", "Content-Length: 10000000000\r\n"] {
        let head = head(length);
        let fake = Fake::start(move |_, _| Reply::Endless(head.clone()));
        let repository = format!("{}/team/api", fake.host);
        let f = Fixture::new(dir("registry-keys"), &repository, Nowhere);
        let started = Instant::now();
        let message = refused(
            &verify(
                &client(&[&fake.host]),
                &format!("{repository}:1.0.0"),
                &f.key_a(),
            ),
            "too-large",
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(
            message.contains("larger than 4194304 bytes: not read"),
            "{message}"
        );
        assert_eq!(fake.connections(), 1);
    }
}

#[test]
fn a_manifest_that_is_not_its_digest_is_a_content_mismatch() {
    // Asked for one digest, the fake answers another (valid) manifest.
    let served = cosign_fixture::image("app v1").manifest;
    let asked = cosign_fixture::image("something else").digest();
    let fake = Fake::start(move |_, _| Reply::new("200 OK", &[("Content-Type", OCI)], &served));
    let repository = format!("{}/team/api", fake.host);
    let f = Fixture::new(dir("registry-keys"), &repository, Nowhere);
    let message = refused(
        &verify(
            &client(&[&fake.host]),
            &format!("{repository}@{asked}"),
            &f.key_a(),
        ),
        "content-mismatch",
    );
    assert!(message.contains("not what was asked for"), "{message}");
    assert_eq!(fake.connections(), 1);
}

#[test]
fn blob_redirects_are_followed_without_the_credentials() {
    // A registry that asks for basic credentials and redirects blobs to another host (as
    // registries redirect to object storage): the credentials go to the registry only.
    let memory = Memory::default();
    let stored = memory.clone();
    let storage = Fake::start(move |request, _| stored.answer(&request.target));
    let storage_host = storage.host.clone();
    let served = memory.clone();
    let expected = basic("bob", "b0b-Pw");
    let fake = Fake::start(move |request, _| {
        if request.headers.get("authorization") != Some(&expected) {
            return Reply::new(
                "401 Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"fake\"")],
                b"",
            );
        }
        match request.target.split_once("/blobs/") {
            Some((_, digest)) => Reply::new(
                "307 Temporary Redirect",
                &[(
                    "Location",
                    &format!("http://{storage_host}/v2/team/api/blobs/{digest}"),
                )],
                b"",
            ),
            None => served.answer(&request.target),
        }
    });
    let repository = format!("{}/team/api", fake.host);
    let mut f = Fixture::new(dir("registry-keys"), &repository, memory);
    let digest = f.image("1.0.0", "app v1");
    f.cosign_sign("a", &digest);
    let registry = Registry::new(&RegistryOptions {
        insecure: vec![fake.host.clone(), storage.host.clone()],
        docker_config: Some(docker_config(
            &f.dir.0,
            serde_json::json!({&fake.host: {"username": "bob", "password": "b0b-Pw"}}),
        )),
        ..Default::default()
    })
    .unwrap();
    let v = verify(&registry, &format!("{repository}:1.0.0"), &f.key_a());
    assert!(v.decision.allowed, "{v:?}");
    let fetched = storage.received();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert!(
        fetched[0].target.starts_with("/v2/team/api/blobs/sha256:"),
        "{fetched:?}"
    );
    assert!(
        !fetched[0].headers.contains_key("authorization"),
        "{fetched:?}"
    );
    // Anonymous once (the challenge), then the credentials at once for every request.
    let asked = fake.received();
    assert_eq!(asked.len(), 5, "{asked:?}");
    assert!(!asked[0].headers.contains_key("authorization"));
    assert!(asked[1..]
        .iter()
        .all(|r| r.headers.contains_key("authorization")));
    // Redirected to plain HTTP on a host not listed as insecure: not followed.
    let registry = Registry::new(&RegistryOptions {
        insecure: vec![fake.host.clone()],
        docker_config: Some(f.dir.0.join("config.json")),
        ..Default::default()
    })
    .unwrap();
    let message = refused(
        &verify(&registry, &format!("{repository}:1.0.0"), &f.key_a()),
        "bad-response",
    );
    assert!(
        message.contains("not HTTPS, nor plain HTTP to a host listed in insecure"),
        "{message}"
    );
    assert_eq!(storage.received().len(), 1);
}
