//! One image of a spec, verified against the trust policy from an image store (an OCI layout
//! or a registry).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cosign::{
    check_payload, signatures, verify_with_key, CosignSignature, PublicKey, SignatureError,
    SignatureReason,
};
use super::image_bundle::{verify_attached, BundleSigner};
use super::keyless::{verify_keyless, CertificateIdentity};
use super::referrers::AttachedBundle;
use super::store::ImageStore;
use crate::trust::{
    decide, Authority, AuthorityCheck, ImageDecision, Matcher, Mode, Outcome, TrustPolicy,
    TrustReason,
};
use crate::workload::image::ImageRef;

/// The verdict on one image: its digest, each authority's check, and the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageVerdict {
    /// The image's normalised name (registry and repository).
    pub name: String,
    /// The manifest digest verified (the pinned one, or the tag's in the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// What each authority that counts found.
    pub checks: Vec<AuthorityCheck>,
    /// Why the image's signatures could not be read at all (the store failed: a registry
    /// down or answering garbage, a corrupt layout). Never a pass: the image is refused, and
    /// this says that nothing about its signatures is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverifiable: Option<String>,
    /// The decision.
    pub decision: ImageDecision,
    /// What happens to the image, in one word.
    pub outcome: Outcome,
}

/// Verifies `image` from the store against the policy's requirement in `environment`: the
/// digest (pinned, or the tag's); for each authority that counts, the signatures of its cosign
/// artifact (with its key, or keylessly with its trusted root, issuer and subject; the payload
/// for this digest and repository, with the authority's required annotations), then the
/// Sigstore bundles that sign it (attached as referrers, or files beside the spec); and the
/// decision. An image the store does not have, or a store that cannot be read, fails every
/// authority: never a pass.
pub fn verify_image(
    store: &dyn ImageStore,
    image: &ImageRef,
    policy: &TrustPolicy,
    environment: Option<&str>,
) -> ImageVerdict {
    let name = image.name();
    let requirement = policy.requirement(&name, environment);
    let found = digest_of(store, image, &name).and_then(|digest| {
        let signed = signatures(store, &name, &digest)?;
        Ok((digest, signed))
    });
    // The Sigstore bundles are asked for once, and only when an authority's cosign signatures
    // do not verify (two more requests to a registry).
    let bundles = std::cell::OnceCell::new();
    let mut counted: Vec<(Signer, &str)> = Vec::new();
    let mut checks = Vec::with_capacity(requirement.authorities.len());
    // The first failure of the store, whether the image's digest and signatures could not be
    // read (even when no authority counts) or an authority's bundles could not.
    let mut store_failure = match &found {
        Err(e) if e.reason.is_store_failure() => Some(e.to_string()),
        _ => None,
    };
    for authority in requirement.authorities.iter() {
        let outcome = match &found {
            Err(e) => Err(e.clone()),
            Ok((digest, signed)) => {
                let attached = || {
                    bundles
                        .get_or_init(|| store.bundles(&name, digest))
                        .as_deref()
                        .map_err(Clone::clone)
                };
                check(policy, authority, signed, &attached, &name, digest)
            }
        };
        let outcome = outcome.and_then(|signer| count_once(&mut counted, signer, authority));
        let failed = outcome.err();
        if let Some(e) = failed.as_ref().filter(|e| e.reason.is_store_failure()) {
            store_failure.get_or_insert_with(|| e.to_string());
        }
        checks.push(AuthorityCheck {
            authority: authority.clone(),
            verified: failed.is_none(),
            reason: failed.as_ref().map(|e| e.reason.as_str().to_string()),
            message: failed.map(|e| e.message),
        });
    }
    let mut decision = decide(&requirement, &checks);
    // A store that failed says nothing of the signatures: unverifiable, never "unsigned"
    // (unless the policy lets the image run without them).
    let unverifiable = store_failure.filter(|_| !decision.allowed);
    if let Some(why) = &unverifiable {
        decision.reason = Some(TrustReason::Unverifiable);
        decision.message = format!("its signatures could not be read: {why}");
    }
    let outcome = match (&unverifiable, decision.allowed, decision.mode) {
        (Some(_), _, _) => Outcome::Unverifiable,
        (None, true, _) => Outcome::Allowed,
        (None, false, Mode::Warn) => Outcome::Warned,
        (None, false, Mode::Enforce) => Outcome::Refused,
    };
    ImageVerdict {
        name,
        unverifiable,
        digest: found.ok().map(|(d, _)| d),
        decision,
        outcome,
        checks,
    }
}

/// The digest of `image` in the store: the pinned one, which must be there (and be what it
/// says), or the tag's.
pub fn digest_of(
    store: &dyn ImageStore,
    image: &ImageRef,
    name: &str,
) -> Result<String, SignatureError> {
    if let Some(digest) = image.digest() {
        return match store.manifest(name, digest)? {
            Some(_) => Ok(digest.to_string()),
            None => Err(SignatureError::new(
                SignatureReason::ImageMissing,
                format!("{name}@{digest} is not in the store"),
            )),
        };
    }
    let tag = image.tag().unwrap_or("latest");
    store.resolve(name, tag)?.ok_or_else(|| {
        SignatureError::new(
            SignatureReason::ImageMissing,
            format!("{name}:{tag} is not in the store"),
        )
    })
}

/// Who a verified signature proves signed: a key (its raw bytes) or a certificate identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Signer<'k> {
    Key(&'k [u8]),
    Identity(CertificateIdentity),
}

/// Counts `signer` for `authority` unless another authority already counted it: one key, or
/// one certificate identity (issuer and subject), is one signer whatever names it is listed
/// under (`same-key`, `same-identity`).
fn count_once<'a>(
    counted: &mut Vec<(Signer<'a>, &'a str)>,
    signer: Signer<'a>,
    authority: &'a str,
) -> Result<(), SignatureError> {
    let Some((first, by)) = counted.iter().find(|(s, _)| *s == signer) else {
        counted.push((signer, authority));
        return Ok(());
    };
    Err(match first {
        Signer::Key(_) => SignatureError::new(
            SignatureReason::SameKey,
            format!("the same key as `{by}`: one signer counts once"),
        ),
        Signer::Identity(id) => SignatureError::new(
            SignatureReason::SameIdentity,
            format!(
                "the same certificate identity as `{by}` ({} from {}): one signer counts once",
                id.subject, id.issuer
            ),
        ),
    })
}

/// How one authority verifies a cosign signature, prepared once for all of an image's
/// signatures.
enum Verify<'a> {
    Key(&'a PublicKey),
    Keyless {
        issuer: &'a Matcher,
        subject: &'a Matcher,
        trusted_root: &'a str,
    },
}

impl<'a> Verify<'a> {
    fn signer(&self, signature: &CosignSignature) -> Result<Signer<'a>, SignatureError> {
        match self {
            Verify::Key(key) => {
                verify_with_key(signature, key)?;
                Ok(Signer::Key(key.as_bytes()))
            }
            Verify::Keyless {
                issuer,
                subject,
                trusted_root,
            } => verify_keyless(signature, issuer, subject, trusted_root).map(Signer::Identity),
        }
    }
}

/// The trusted root an authority names (its JSON, read when the policy was compiled), or the
/// public-good production root.
fn trusted_root<'a>(
    path: Option<&std::path::Path>,
    json: Option<&'a String>,
) -> Result<&'a str, SignatureError> {
    match (path, json) {
        (None, _) => Ok(super::PRODUCTION_TRUSTED_ROOT),
        (Some(_), Some(json)) => Ok(json),
        (Some(path), None) => Err(SignatureError::new(
            SignatureReason::InvalidTrustedRoot,
            format!("the trusted root {} could not be read", path.display()),
        )),
    }
}

/// Whether a reason says only that a signature is not of the authority's kind (a key
/// signature for a keyless authority, an attestation): another signature's reason tells more.
fn says_little(reason: SignatureReason) -> bool {
    matches!(
        reason,
        SignatureReason::NoCertificate | SignatureReason::NotASignature
    )
}

/// The signer when one of the image's cosign signatures `signed`, else one of its Sigstore
/// bundles (`attached`, asked for only then), verifies for the authority (its key or its
/// certificate identity) and is for this image, with the authority's required annotations;
/// else the reason that tells most. A store that fails to give the bundles is that failure.
fn check<'p, 'b>(
    policy: &'p TrustPolicy,
    authority: &str,
    signed: &[CosignSignature],
    attached: &dyn Fn() -> Result<&'b [AttachedBundle], SignatureError>,
    name: &str,
    digest: &str,
) -> Result<Signer<'p>, SignatureError> {
    let Some(found) = policy.authority(authority) else {
        return Err(SignatureError::new(
            SignatureReason::InvalidKey,
            format!("no authority `{authority}`"),
        ));
    };
    let (root_path, root_json) = found.trusted_root();
    let root = trusted_root(root_path, root_json).map_err(|mut e| {
        e.message = format!("{} (authority `{authority}`)", e.message);
        e
    });
    let (verify, bundle_signer) = match found {
        Authority::Key { path, pem, key, .. } => {
            let unreadable = || {
                SignatureError::new(
                    SignatureReason::InvalidKey,
                    format!("{} could not be read", path.display()),
                )
            };
            let pem = pem.as_deref().ok_or_else(unreadable)?;
            let key = key
                .as_ref()
                .ok_or_else(unreadable)?
                .get()
                .map_err(SignatureError::clone)?;
            (Verify::Key(key), BundleSigner::Key { pem, key })
        }
        Authority::Keyless {
            issuer, subject, ..
        } => (
            Verify::Keyless {
                issuer,
                subject,
                trusted_root: root.clone()?,
            },
            BundleSigner::Keyless { issuer, subject },
        ),
    };
    let mut first: Option<SignatureError> = None;
    let mut keep = |e: SignatureError| {
        if first.as_ref().is_none_or(|f| says_little(f.reason)) {
            first = Some(e);
        }
    };
    for signature in signed {
        let outcome = verify.signer(signature).and_then(|signer| {
            check_payload(&signature.payload, name, digest, found.annotations())?;
            Ok(signer)
        });
        match outcome {
            Ok(signer) => return Ok(signer),
            Err(e) => keep(e),
        }
    }
    for bundle in attached()? {
        let outcome = root.clone().and_then(|root| {
            verify_attached(bundle, &bundle_signer, root, digest, found.annotations())
        });
        match outcome {
            Ok(signer) => return Ok(signer),
            Err(e) => keep(e),
        }
    }
    Err(match (first, root_path) {
        (Some(mut e), Some(path)) if e.reason == SignatureReason::InvalidTrustedRoot => {
            e.message = format!("{} ({})", e.message, path.display());
            e
        }
        (Some(e), _) => e,
        (None, _) => SignatureError::new(
            SignatureReason::Unsigned,
            format!("no signature for {name}@{digest}"),
        ),
    })
}
