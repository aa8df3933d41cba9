//! One image of a spec, verified against the trust policy from an image store (an OCI layout
//! or a registry).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cosign::{public_key, signatures, verify_signature, SignatureError, SignatureReason};
use super::store::ImageStore;
use crate::trust::{decide, Authority, AuthorityCheck, ImageDecision, TrustPolicy};
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
    /// The decision.
    pub decision: ImageDecision,
}

/// Verifies `image` from the store against the policy's requirement in `environment`: the
/// digest (pinned, or the tag's), the signatures of its cosign artifact checked with each
/// key authority that counts, and the decision. An image the store does not have, or a
/// store that cannot be read, fails every authority: never a pass.
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
    // One key is one signer, whatever names it is listed under: it counts once.
    let mut keys_verified: Vec<(Vec<u8>, &str)> = Vec::new();
    let mut checks = Vec::new();
    for authority in &requirement.authorities {
        let outcome = match &found {
            Err(e) => Err(e.clone()),
            Ok((digest, signed)) => check(policy, authority, signed, &name, digest),
        };
        let outcome = outcome.and_then(|key| match keys_verified.iter().find(|(k, _)| *k == key) {
            Some((_, first)) => Err(SignatureError::new(
                SignatureReason::SameKey,
                format!("the same key as `{first}`: one signer counts once"),
            )),
            None => {
                keys_verified.push((key, authority));
                Ok(())
            }
        });
        checks.push(AuthorityCheck {
            authority: authority.clone(),
            verified: outcome.is_ok(),
            reason: outcome.err().map(|e| e.to_string()),
        });
    }
    ImageVerdict {
        name,
        digest: found.ok().map(|(d, _)| d),
        decision: decide(&requirement, &checks),
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

/// The authority's key (its raw bytes) when one signature of `signed` verifies with it; else
/// the first reason.
fn check(
    policy: &TrustPolicy,
    authority: &str,
    signed: &[super::CosignSignature],
    name: &str,
    digest: &str,
) -> Result<Vec<u8>, SignatureError> {
    let key = match policy.authority(authority) {
        Some(Authority::Key { path, pem }) => {
            let pem = pem.as_deref().ok_or_else(|| {
                SignatureError::new(
                    SignatureReason::InvalidKey,
                    format!("{} could not be read", path.display()),
                )
            })?;
            public_key(pem)?
        }
        Some(Authority::Keyless { .. }) => {
            return Err(SignatureError::new(
                SignatureReason::Unsigned,
                "keyless classic signatures are not verified yet: sign with a Sigstore bundle",
            ))
        }
        None => {
            return Err(SignatureError::new(
                SignatureReason::InvalidKey,
                format!("no authority `{authority}`"),
            ))
        }
    };
    let mut first = None;
    for signature in signed {
        match verify_signature(signature, &key, name, digest) {
            Ok(()) => return Ok(key.as_bytes().to_vec()),
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    Err(first.unwrap_or_else(|| {
        SignatureError::new(
            SignatureReason::Unsigned,
            format!("no signature for {name}@{digest}"),
        )
    }))
}
