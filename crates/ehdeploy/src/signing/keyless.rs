//! cosign's classic *keyless* signatures: a `simplesigning` layer whose annotations carry,
//! besides the signature, Fulcio's certificate, its chain and Rekor's bundle (the SET and the
//! log entry). Converted to a Sigstore bundle v0.1 and verified by `sigstore-verify` (chain to
//! the trusted root's CAs at the integrated time, embedded SCT, SET, the log entry being this
//! signature's, the signature over the payload); then the certificate's OIDC issuer and
//! subject are matched against the authority's, exactly or by a regular expression (which
//! `sigstore-verify` cannot: it matches exactly).

use serde::Deserialize;
use sigstore_verify::crypto::parse_certificate_info;
use sigstore_verify::types::{DerCertificate, Sha256Hash, SignatureBytes};
use sigstore_verify::{CertificateError, Error, TransparencyLogError};

use super::bundle::{reason_of, verify, BundleReason, BundleVerdict, Rejection, Signer, Subject};
use super::cosign::{CosignSignature, SignatureError, SignatureReason};
use crate::trust::Matcher;

/// The media type of the Sigstore bundle a keyless signature is converted to.
pub const BUNDLE_V0_1: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";

/// Who a verified keyless signature proves signed: the certificate's OIDC issuer and subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateIdentity {
    /// The OIDC issuer (Fulcio's extension `1.3.6.1.4.1.57264.1.8`, or the legacy `.1.1`).
    pub issuer: String,
    /// The subject: the certificate's SAN, a URI or an email address.
    pub subject: String,
}

/// cosign's Rekor bundle, as the `dev.sigstore.cosign/bundle` annotation holds it (Go's
/// `RekorBundle`: field names as written, the SET as base64).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RekorBundle {
    signed_entry_timestamp: String,
    payload: RekorPayload,
}

/// What the SET signs (canonical JSON): the entry's body (base64), time, index and log.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RekorPayload {
    body: serde_json::Value,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

fn tlog(message: impl Into<String>) -> SignatureError {
    SignatureError::new(SignatureReason::TlogInvalid, message)
}

fn certificate_invalid(message: impl Into<String>) -> SignatureError {
    SignatureError::new(SignatureReason::CertificateInvalid, message)
}

/// The PEM blocks of `pem`, each a certificate.
fn certificates(pem: &str, what: &str) -> Result<Vec<DerCertificate>, SignatureError> {
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN") {
        let block = &rest[start..];
        let end = block
            .find(END)
            .map(|e| e + END.len())
            .ok_or_else(|| certificate_invalid(format!("the {what} is not PEM certificates")))?;
        out.push(DerCertificate::from_pem(&block[..end]).map_err(|e| {
            certificate_invalid(format!("the {what} is not a PEM certificate: {e}"))
        })?);
        rest = &block[end..];
    }
    if out.is_empty() {
        return Err(certificate_invalid(format!(
            "the {what} holds no PEM certificate"
        )));
    }
    Ok(out)
}

/// The Sigstore bundle v0.1 (JSON) that a keyless signature's annotations make: the leaf
/// and the chain's intermediates (its last certificate, the root, must come from the trusted
/// root), the Rekor entry with its SET, and the message signature over the payload.
///
/// `no-certificate` when the signature has no certificate (a key signature); `tlog-invalid`
/// when it has no Rekor bundle, or one that cannot be read; `certificate-invalid` when the
/// certificate or chain is not PEM.
pub fn keyless_bundle(signature: &CosignSignature) -> Result<String, SignatureError> {
    let certificate = signature.certificate.as_deref().ok_or_else(|| {
        SignatureError::new(
            SignatureReason::NoCertificate,
            "the signature has no certificate (it is a key signature): a keyless authority \
             needs Fulcio's certificate",
        )
    })?;
    let mut chain = certificates(certificate, "certificate")?;
    chain.truncate(1);
    if let Some(pem) = signature.chain.as_deref().filter(|c| !c.trim().is_empty()) {
        let mut given = certificates(pem, "certificate chain")?;
        given.pop();
        chain.extend(given);
    }
    let rekor = signature.bundle.as_deref().ok_or_else(|| {
        tlog(
            "the signature has no Rekor bundle: without the transparency-log entry it cannot \
             be verified offline",
        )
    })?;
    let rekor: RekorBundle = serde_json::from_str(rekor)
        .map_err(|e| tlog(format!("the Rekor bundle is not cosign's bundle JSON: {e}")))?;
    let payload = &rekor.payload;
    let body = payload
        .body
        .as_str()
        .ok_or_else(|| tlog("the Rekor bundle's body is not a base64 string"))?;
    let log_id = Sha256Hash::from_hex(&payload.log_id).map_err(|e| {
        tlog(format!(
            "the Rekor bundle's logID is not 32 bytes in hex: {e}"
        ))
    })?;
    let set = SignatureBytes::from_base64(&rekor.signed_entry_timestamp)
        .map_err(|e| tlog(format!("the Rekor bundle's SET is not base64: {e}")))?;
    let bytes = SignatureBytes::from_base64(&signature.signature).map_err(|e| {
        SignatureError::new(
            SignatureReason::SignatureInvalid,
            format!("the signature is not base64: {e}"),
        )
    })?;
    let bundle = serde_json::json!({
        "mediaType": BUNDLE_V0_1,
        "verificationMaterial": {
            "x509CertificateChain": {
                "certificates": chain
                    .iter()
                    .map(|c| serde_json::json!({"rawBytes": c.to_base64()}))
                    .collect::<Vec<_>>()
            },
            "tlogEntries": [{
                "logIndex": payload.log_index.to_string(),
                "logId": {"keyId": log_id.to_base64()},
                "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                "integratedTime": payload.integrated_time.to_string(),
                "inclusionPromise": {"signedEntryTimestamp": set.to_base64()},
                "canonicalizedBody": body
            }]
        },
        "messageSignature": {
            "messageDigest": {
                "algorithm": "SHA2_256",
                "digest": sigstore_verify::crypto::sha256(&signature.payload).to_base64()
            },
            "signature": bytes.to_base64()
        }
    });
    Ok(bundle.to_string())
}

/// Verifies one keyless signature against the trusted root (its JSON) and the authority's
/// issuer and subject: the bundle its annotations make ([`keyless_bundle`]) verified over
/// its payload, then the certificate's issuer and subject matched. The payload itself (the
/// image's digest, its repository, annotations) is checked by
/// [`super::check_payload`].
///
/// Reasons: `no-certificate`, `identity-mismatch`, `issuer-mismatch`, `certificate-invalid`,
/// `untrusted-chain`, `sct-invalid`, `tlog-invalid`, `signature-invalid`,
/// `invalid-trusted-root`.
pub fn verify_keyless(
    signature: &CosignSignature,
    issuer: &Matcher,
    subject: &Matcher,
    trusted_root: &str,
) -> Result<CertificateIdentity, SignatureError> {
    let bundle = keyless_bundle(signature)?;
    let verdict = verify(
        &bundle,
        Subject::Bytes(&signature.payload),
        Signer::AnyIdentity,
        trusted_root,
    )
    .map_err(|r| {
        rejected(
            r,
            &|| outside_validity(signature).unwrap_or(false),
            Rejected {
                what: "the keyless signature",
                // The payload's digest is computed here: a log entry for another artifact
                // is the log's.
                artifact_mismatch: (
                    SignatureReason::TlogInvalid,
                    "the Rekor entry is not this signature's",
                ),
            },
        )
    })?;
    matched_identity(verdict, issuer, subject)
}

/// The certificate identity of a verified keyless verdict, when its OIDC issuer and subject
/// are the authority's (exactly or by a regular expression): `issuer-mismatch`,
/// `identity-mismatch`.
pub(super) fn matched_identity(
    verdict: BundleVerdict,
    issuer: &Matcher,
    subject: &Matcher,
) -> Result<CertificateIdentity, SignatureError> {
    let found_issuer = verdict.issuer.ok_or_else(|| {
        SignatureError::new(
            SignatureReason::IssuerMismatch,
            "the certificate names no OIDC issuer",
        )
    })?;
    if !issuer.matches(&found_issuer) {
        return Err(SignatureError::new(
            SignatureReason::IssuerMismatch,
            format!(
                "the certificate's OIDC issuer is `{found_issuer}`, {}",
                wanted(issuer)
            ),
        ));
    }
    let found_subject = verdict.identity.ok_or_else(|| {
        SignatureError::new(
            SignatureReason::IdentityMismatch,
            "the certificate names no subject (no URI or email SAN)",
        )
    })?;
    if !subject.matches(&found_subject) {
        return Err(SignatureError::new(
            SignatureReason::IdentityMismatch,
            format!(
                "the certificate's subject is `{found_subject}`, {}",
                wanted(subject)
            ),
        ));
    }
    Ok(CertificateIdentity {
        issuer: found_issuer,
        subject: found_subject,
    })
}

fn wanted(m: &Matcher) -> String {
    match m {
        Matcher::Exact(e) => format!("not `{e}`"),
        Matcher::Pattern(r) => format!("not matched by `{r}`"),
    }
}

/// How a rejection is told: what was rejected, and the reason and words for a verifier's
/// "artifact mismatch" (which means another thing for a signature whose payload digest is
/// computed here than for a bundle that names its subject).
pub(super) struct Rejected {
    pub(super) what: &'static str,
    pub(super) artifact_mismatch: (SignatureReason, &'static str),
}

/// The reason of a rejected signature or bundle: the bundle's stable reason, refined from the
/// verifier's error where one reason covers several (a certificate: chain, validity, SCT).
/// `outside_validity` says whether the leaf was outside its validity at the signing time.
pub(super) fn rejected(
    rejection: Rejection,
    outside_validity: &dyn Fn() -> bool,
    how: Rejected,
) -> SignatureError {
    let (coarse, verifier) = match &rejection {
        Rejection::Input(e) => (e.reason, None),
        Rejection::Verifier(e) => (reason_of(e), Some(e)),
    };
    // The chain is checked at the integrated time (authenticated by the SET before); a
    // certificate that was not valid then is the certificate's fault, not the chain's.
    let reason = match coarse {
        BundleReason::Certificate => match verifier {
            Some(Error::Certificate(CertificateError::Sct(_))) => SignatureReason::SctInvalid,
            Some(Error::Certificate(
                CertificateError::ChainInvalid(_) | CertificateError::NoValidAuthority { .. },
            )) if !outside_validity() => SignatureReason::UntrustedChain,
            _ => SignatureReason::CertificateInvalid,
        },
        BundleReason::TransparencyLog => match verifier {
            Some(Error::TransparencyLog(TransparencyLogError::IntegratedTime(_)))
                if outside_validity() =>
            {
                SignatureReason::CertificateInvalid
            }
            _ => SignatureReason::TlogInvalid,
        },
        BundleReason::InvalidTrustedRoot => SignatureReason::InvalidTrustedRoot,
        BundleReason::SignatureInvalid => SignatureReason::SignatureInvalid,
        BundleReason::IdentityMismatch => SignatureReason::IdentityMismatch,
        BundleReason::IssuerMismatch => SignatureReason::IssuerMismatch,
        BundleReason::InvalidKey => SignatureReason::InvalidKey,
        BundleReason::ArtifactMismatch => how.artifact_mismatch.0,
        // No verified time (no SET, no timestamp), or a bundle that cannot be read or used.
        BundleReason::Timestamp
        | BundleReason::MalformedBundle
        | BundleReason::InvalidBundle
        | BundleReason::UnsupportedBundle
        | BundleReason::InvalidDigest
        | BundleReason::UnsupportedArtifact => SignatureReason::TlogInvalid,
    };
    let message = match rejection {
        Rejection::Input(e) => e.message,
        Rejection::Verifier(e) => e.to_string(),
    };
    let what = match (reason, coarse) {
        (SignatureReason::InvalidTrustedRoot, _) => "the trusted root",
        (_, BundleReason::ArtifactMismatch) => how.artifact_mismatch.1,
        _ => how.what,
    };
    SignatureError::new(reason, format!("{what}: {message}"))
}

/// Whether the leaf certificate was outside its validity at the bundle's integrated time.
fn outside_validity(signature: &CosignSignature) -> Option<bool> {
    let leaf = certificates(signature.certificate.as_deref()?, "certificate")
        .ok()?
        .into_iter()
        .next()?;
    let rekor: RekorBundle = serde_json::from_str(signature.bundle.as_deref()?).ok()?;
    let time = jiff::Timestamp::from_second(rekor.payload.integrated_time).ok()?;
    outside_validity_at(&leaf, time)
}

/// Whether `leaf` was outside its validity at `time`.
pub(super) fn outside_validity_at(leaf: &DerCertificate, time: jiff::Timestamp) -> Option<bool> {
    let info = parse_certificate_info(leaf).ok()?;
    Some(time < info.not_before || time > info.not_after)
}
