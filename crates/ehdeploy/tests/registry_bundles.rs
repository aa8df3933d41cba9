//! Sigstore bundles attached to images in a registry: pushed to Debian's `docker-registry`
//! (distribution 2.8, which has no referrers API: its `404` sends the client to the referrers
//! tag schema, as cosign v3 writes it there), and served by a fake registry that has the
//! referrers API, or answers it with garbage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/bundle.rs"]
mod bundle;
#[path = "support/cosign.rs"]
mod cosign_fixture;
#[allow(unused_imports)]
#[path = "support/keyless.rs"]
mod keyless;
#[allow(unused_imports)]
#[path = "support/registry.rs"]
mod registry_server;

use bundle::BundleOptions;
use cosign_fixture::{bundle_referrer, digest, image, referrers_index, Artifact, Store};
use ehdeploy::signing::{referrers_tag, verify_image, ImageVerdict, Registry, RegistryOptions};
use ehdeploy::trust::{Outcome, TrustConfig, TrustPolicy, TrustReason};
use ehdeploy::workload::image::ImageRef;
use keyless::{Instance, ISSUER, SUBJECT};
use registry_server::{start, Fake, Reply, Setup};
use serde_json::json;

/// A private Sigstore instance, and the policy of one keyless authority `ci` trusting it.
struct Signer {
    dir: cosign_fixture::Dir,
    sigstore: Instance,
    policy: TrustPolicy,
}

impl Signer {
    fn new() -> Signer {
        let dir = cosign_fixture::dir("registry-bundles");
        let sigstore = Instance::new();
        std::fs::write(
            dir.0.join("trusted_root.json"),
            sigstore.trusted_root(false),
        )
        .unwrap();
        let config: TrustConfig = serde_json::from_value(json!({
            "authorities": {"ci": {"keyless": {"issuer": ISSUER, "subject": SUBJECT, "trustedRoot": "trusted_root.json"}}},
            "policies": [{"images": ["**"], "authorities": ["ci"]}]
        }))
        .unwrap();
        let (policy, problems) = TrustPolicy::compile(&config, &dir.0, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        Signer {
            dir,
            sigstore,
            policy,
        }
    }

    /// cosign v3's bundle for `image`, and its referrer.
    fn referrer(&self, image: &Artifact) -> Artifact {
        let bundle = self
            .sigstore
            .image_bundle_keyless(&image.digest(), &BundleOptions::default());
        bundle_referrer(image, &bundle)
    }
}

fn client(host: &str) -> Registry {
    Registry::new(&RegistryOptions {
        insecure: vec![host.to_string()],
        retries: 0,
        timeout_seconds: 10,
        ..Default::default()
    })
    .unwrap()
}

fn verify(registry: &Registry, reference: &str, policy: &TrustPolicy) -> ImageVerdict {
    verify_image(
        registry,
        &reference.parse::<ImageRef>().unwrap(),
        policy,
        None,
    )
}

#[test]
fn a_bundle_pushed_by_the_referrers_tag_schema_signs_the_image_in_a_real_registry() {
    let server = start(&Setup::default());
    let signer = Signer::new();
    let mut push = server.pusher("team/api", None);
    let app = image("app v1");
    let digest = push.put("1.0.0", &app);
    let reference = format!("{}/team/api:1.0.0", server.host);
    let registry = client(&server.host);
    let v = verify(&registry, &reference, &signer.policy);
    assert_eq!(v.decision.reason, Some(TrustReason::Unsigned), "{v:?}");
    assert_eq!(v.checks[0].reason.as_deref(), Some("unsigned"));
    // As cosign v3 attaches it to a registry without the referrers API: the referrer, then
    // the index tagged `sha256-<hex>` listing it.
    let referrer = signer.referrer(&app);
    push.put(&referrer.digest(), &referrer);
    push.put(&referrers_tag(&digest), &referrers_index(&[&referrer]));
    let v = verify(&registry, &reference, &signer.policy);
    assert!(v.decision.allowed, "{v:?}\n{}", server.log());
    assert_eq!(v.decision.passed, ["ci"]);
    drop(signer.dir);
}

/// A fake registry holding one image (`team/api:1.0.0`), answering the referrers API with
/// `referrers` (status and body); the requests it received.
fn fake(app: &Artifact, referrer: &Artifact, referrers: (&'static str, Vec<u8>)) -> Fake {
    let mut blobs: Vec<(String, Vec<u8>)> = app
        .blobs
        .iter()
        .chain(&referrer.blobs)
        .map(|b| (digest(b), b.clone()))
        .collect();
    blobs.push((app.digest(), app.manifest.clone()));
    blobs.push((referrer.digest(), referrer.manifest.clone()));
    let image_digest = app.digest();
    let manifest = app.manifest.clone();
    Fake::start(move |request, _| {
        let what = request.target.trim_start_matches("/v2/team/api/");
        if what == "manifests/1.0.0" {
            return Reply::new(
                "200 OK",
                &[("Content-Type", cosign_fixture::OCI_MANIFEST)],
                &manifest,
            );
        }
        if what == format!("referrers/{image_digest}") {
            return Reply::new(
                referrers.0,
                &[("Content-Type", cosign_fixture::OCI_INDEX)],
                &referrers.1,
            );
        }
        let found = what
            .strip_prefix("manifests/")
            .or_else(|| what.strip_prefix("blobs/"))
            .and_then(|d| blobs.iter().find(|(digest, _)| digest == d));
        match found {
            Some((_, bytes)) if what.starts_with("manifests/") => Reply::new(
                "200 OK",
                &[("Content-Type", cosign_fixture::OCI_MANIFEST)],
                bytes,
            ),
            Some((_, bytes)) => Reply::new("200 OK", &[], bytes),
            None => Reply::new(
                "404 Not Found",
                &[("Content-Type", "application/json")],
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
        }
    })
}

#[test]
fn a_registry_with_the_referrers_api_is_asked_it_and_not_the_tag_schema() {
    let signer = Signer::new();
    let app = image("app v1");
    let referrer = signer.referrer(&app);
    let index = referrers_index(&[&referrer]);
    let server = fake(&app, &referrer, ("200 OK", index.manifest));
    let v = verify(
        &client(&server.host),
        &format!("{}/team/api:1.0.0", server.host),
        &signer.policy,
    );
    assert!(v.decision.allowed, "{v:?}");
    let asked: Vec<String> = server.received().into_iter().map(|r| r.target).collect();
    let tag = referrers_tag(&app.digest());
    assert!(
        asked
            .iter()
            .any(|t| *t == format!("/v2/team/api/referrers/{}", app.digest())),
        "{asked:?}"
    );
    assert!(
        !asked
            .iter()
            .any(|t| t.ends_with(&format!("/manifests/{tag}"))),
        "{asked:?}"
    );
}

#[test]
fn a_referrers_api_answering_garbage_makes_the_image_unverifiable() {
    let signer = Signer::new();
    let app = image("app v1");
    let referrer = signer.referrer(&app);
    for (status, body, reason) in [
        ("200 OK", b"<html>oops</html>".to_vec(), "bad-response"),
        ("403 Forbidden", b"{}".to_vec(), "registry-status"),
    ] {
        let server = fake(&app, &referrer, (status, body));
        let v = verify(
            &client(&server.host),
            &format!("{}/team/api:1.0.0", server.host),
            &signer.policy,
        );
        assert_eq!(v.outcome, Outcome::Unverifiable, "{status}: {v:?}");
        assert_eq!(v.decision.reason, Some(TrustReason::Unverifiable));
        assert_eq!(v.checks[0].reason.as_deref(), Some(reason), "{v:?}");
    }
}
