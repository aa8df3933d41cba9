//! Sigstore bundles that sign an image, as cosign v3 makes them (its "new bundle format"): a
//! DSSE envelope over an in-toto statement whose subject is the image's manifest digest (with
//! the signer's annotations) and whose predicate type is cosign's signature predicate; or a
//! message signature over the manifest itself. Attached to the image as OCI referrers
//! ([`super::attached_bundles`]) or given as files beside the spec ([`super::BundleFiles`]).
//!
//! A bundle is verified for one authority by `sigstore-verify` over the image's digest (the
//! statement must name it; its signature, certificate chain, SCT, transparency-log entry and
//! checkpoint, timestamps), then read: an in-toto statement of another predicate (an SBOM, a
//! provenance) attests, it does not sign (`not-a-signature`); the authority's required
//! annotations are the image subject's annotations.

use indexmap::IndexMap;
use serde::Deserialize;
use sigstore_verify::types::{
    Bundle, HashAlgorithm, SignatureContent, VerificationMaterialContent,
};

use super::bundle::{parse, verify_parsed, Signer as Expecting, Subject};
use super::cosign::{check_annotations, PublicKey, SignatureError, SignatureReason};
use super::image::Signer;
use super::keyless::{matched_identity, outside_validity_at, rejected, Rejected};
use super::referrers::AttachedBundle;
use crate::promotion::hex;
use crate::trust::Matcher;

/// The predicate type of cosign's image signature statement.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// The DSSE payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// What a bundle signs, as it says (before anything is verified).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Signed {
    /// An in-toto statement: its predicate type and subjects.
    Statement {
        predicate_type: String,
        subjects: Vec<StatementSubject>,
    },
    /// A message signature: the digest of the message (`sha256:<hex>`), when it says.
    Message { digest: Option<String> },
}

/// One subject of a statement: its sha256 digest (`sha256:<hex>`) and annotations.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct StatementSubject {
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

impl StatementSubject {
    fn sha256(&self) -> Option<String> {
        self.digest
            .get("sha256")
            .map(|hex| format!("sha256:{}", hex.to_ascii_lowercase()))
    }
}

/// What a statement is read for.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statement {
    #[serde(default)]
    subject: Vec<StatementSubject>,
    predicate_type: String,
}

fn malformed(message: impl Into<String>) -> SignatureError {
    SignatureError::new(SignatureReason::PayloadMalformed, message)
}

/// What `bundle` says it signs; `payload-malformed` when its DSSE payload is not an in-toto
/// statement.
pub(super) fn signed(bundle: &Bundle) -> Result<Signed, SignatureError> {
    match &bundle.content {
        SignatureContent::DsseEnvelope(envelope) => {
            if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
                return Err(malformed(format!(
                    "the bundle's envelope holds a `{}`, not an in-toto statement",
                    envelope.payload_type
                )));
            }
            let statement: Statement = serde_json::from_slice(envelope.payload.as_bytes())
                .map_err(|e| {
                    malformed(format!(
                        "the bundle's envelope is not an in-toto statement: {e}"
                    ))
                })?;
            Ok(Signed::Statement {
                predicate_type: statement.predicate_type,
                subjects: statement.subject,
            })
        }
        SignatureContent::MessageSignature(message) => Ok(Signed::Message {
            digest: message
                .message_digest
                .as_ref()
                .filter(|d| d.algorithm == HashAlgorithm::Sha2256)
                .map(|d| format!("sha256:{}", hex(d.digest.as_bytes()))),
        }),
        _ => Err(malformed(
            "the bundle holds neither a message signature nor a DSSE envelope",
        )),
    }
}

impl Signed {
    /// The sha256 digests it names (`sha256:<hex>`).
    pub(super) fn digests(&self) -> Vec<String> {
        match self {
            Signed::Statement { subjects, .. } => subjects
                .iter()
                .filter_map(StatementSubject::sha256)
                .collect(),
            Signed::Message { digest } => digest.iter().cloned().collect(),
        }
    }
}

/// How an authority verifies a bundle.
pub(super) enum BundleSigner<'a> {
    /// With its key: the PEM `sigstore-verify` takes, and the key parsed when the policy was
    /// compiled (who signed, as a classic signature's signer is told).
    Key { pem: &'a str, key: &'a PublicKey },
    /// With a Fulcio certificate for this issuer and subject.
    Keyless {
        issuer: &'a Matcher,
        subject: &'a Matcher,
    },
}

/// Verifies `attached` as a signature of the image at `digest` by an authority that signs as
/// `signer`, against `trusted_root` (its JSON), with the authority's `required` annotations:
/// the signer it proves (its key, or its certificate identity).
///
/// Reasons: `payload-malformed`, `not-a-signature`, `digest-mismatch`, `no-certificate` (a key
/// bundle for a keyless authority), `signature-invalid` (a certificate bundle for a key
/// authority, or a bad signature), the certificate's and the log's reasons as for a keyless
/// signature, `annotation-missing`.
pub(super) fn verify_attached<'k>(
    attached: &AttachedBundle,
    signer: &BundleSigner<'k>,
    trusted_root: &str,
    digest: &str,
    required: &IndexMap<String, String>,
) -> Result<Signer<'k>, SignatureError> {
    verify_json(&attached.json, signer, trusted_root, digest, required).map_err(|mut e| {
        e.message = format!("{}: {}", attached.origin, e.message);
        e
    })
}

/// [`verify_attached`], without saying where the bundle was found.
fn verify_json<'k>(
    json: &str,
    signer: &BundleSigner<'k>,
    trusted_root: &str,
    digest: &str,
    required: &IndexMap<String, String>,
) -> Result<Signer<'k>, SignatureError> {
    let bundle =
        parse(json).map_err(|e| malformed(format!("not a Sigstore bundle: {}", e.message)))?;
    let signed = signed(&bundle)?;
    if let Signed::Statement { predicate_type, .. } = &signed {
        if predicate_type != COSIGN_SIGN_PREDICATE {
            return Err(SignatureError::new(
                SignatureReason::NotASignature,
                format!(
                    "the bundle attests `{predicate_type}`: an attestation, not a signature \
                     (`{COSIGN_SIGN_PREDICATE}`)"
                ),
            ));
        }
    }
    let digests = signed.digests();
    if !digests.iter().any(|d| d == digest) {
        return Err(SignatureError::new(
            SignatureReason::DigestMismatch,
            format!(
                "the bundle signs {}, not {digest}",
                if digests.is_empty() {
                    "no sha256 digest".to_string()
                } else {
                    digests.join(", ")
                }
            ),
        ));
    }
    let has_certificate = !matches!(
        bundle.verification_material.content,
        VerificationMaterialContent::PublicKey(_)
    );
    let expecting = match (signer, has_certificate) {
        (BundleSigner::Key { .. }, true) => {
            return Err(SignatureError::new(
                SignatureReason::SignatureInvalid,
                "the bundle is signed with a certificate (keyless), not with this key",
            ))
        }
        (BundleSigner::Keyless { .. }, false) => {
            return Err(SignatureError::new(
                SignatureReason::NoCertificate,
                "the bundle is signed with a key, without a certificate: a keyless authority \
                 needs Fulcio's certificate",
            ))
        }
        (BundleSigner::Key { pem, .. }, false) => Expecting::Key(pem),
        (BundleSigner::Keyless { .. }, true) => Expecting::AnyIdentity,
    };
    let outside_validity = || {
        let leaf = bundle.signing_certificate();
        let time = bundle
            .verification_material
            .tlog_entries
            .iter()
            .find_map(|e| e.integrated_time);
        leaf.zip(time)
            .and_then(|(leaf, time)| outside_validity_at(leaf, time))
            .unwrap_or(false)
    };
    let verdict = verify_parsed(&bundle, Subject::Digest(digest), expecting, trusted_root)
        .map_err(|r| {
            rejected(
                r,
                &outside_validity,
                Rejected {
                    what: "the bundle",
                    artifact_mismatch: (SignatureReason::DigestMismatch, "the bundle"),
                },
            )
        })?;
    let who = match signer {
        BundleSigner::Key { key, .. } => Signer::Key(key.as_bytes()),
        BundleSigner::Keyless { issuer, subject } => {
            Signer::Identity(matched_identity(verdict, issuer, subject)?)
        }
    };
    match &signed {
        Signed::Statement { subjects, .. } => {
            let annotations = subjects
                .iter()
                .find(|s| s.sha256().as_deref() == Some(digest))
                .and_then(|s| s.annotations.clone())
                .unwrap_or_default();
            check_annotations(&annotations, required)?;
        }
        Signed::Message { .. } => {
            check_annotations(&serde_json::Map::new(), required).map_err(|e| {
                SignatureError::new(
                    e.reason,
                    format!(
                        "{} (the bundle is a message signature: it carries none)",
                        e.message
                    ),
                )
            })?
        }
    }
    Ok(who)
}
