//! One Sigstore bundle, verified.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Artifact, Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{Error, PublicKeyVerificationPolicy, VerificationPolicy, Verifier};

/// Who must have signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Keyless: the certificate's identity (its SAN, exactly) and OIDC issuer.
    Identity {
        /// The identity (`https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main`,
        /// `release@supplier.example`).
        identity: String,
        /// The OIDC issuer (`https://token.actions.githubusercontent.com`).
        issuer: String,
    },
    /// A managed key, as PEM (`-----BEGIN PUBLIC KEY-----`).
    Key(String),
}

/// What was signed: the bytes, or their SHA-256 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// The artifact itself.
    Bytes(&'a [u8]),
    /// Its digest, `sha256:<64 hex>` or the bare hex.
    Digest(&'a str),
}

/// Why a bundle was rejected, stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BundleReason {
    /// The bundle is not JSON, or not a bundle.
    MalformedBundle,
    /// The bundle is inconsistent (a log entry for other content, a bad encoding, …).
    InvalidBundle,
    /// The bundle's version, content or key type is not one that can be verified.
    UnsupportedBundle,
    /// The trusted root cannot be read or used.
    InvalidTrustedRoot,
    /// The expected key is not a public key in PEM.
    InvalidKey,
    /// The digest given is not `sha256:<64 hex>`.
    InvalidDigest,
    /// The certificate's identity is not the expected one.
    IdentityMismatch,
    /// The certificate's OIDC issuer is not the expected one.
    IssuerMismatch,
    /// The signature does not verify.
    SignatureInvalid,
    /// The bundle is for another artifact.
    ArtifactMismatch,
    /// The artifact was given in a form the bundle cannot be checked with (a digest for a
    /// scheme that needs the bytes).
    UnsupportedArtifact,
    /// The certificate: no chain to a trusted CA, expired at the signing time, a bad SCT, …
    Certificate,
    /// The transparency log: inclusion proof, checkpoint, inclusion promise, log key, time.
    TransparencyLog,
    /// A timestamp, or no trusted signing time.
    Timestamp,
}

impl BundleReason {
    /// The reason as JSON names it.
    pub fn as_str(self) -> &'static str {
        match self {
            BundleReason::MalformedBundle => "malformed-bundle",
            BundleReason::InvalidBundle => "invalid-bundle",
            BundleReason::UnsupportedBundle => "unsupported-bundle",
            BundleReason::InvalidTrustedRoot => "invalid-trusted-root",
            BundleReason::InvalidKey => "invalid-key",
            BundleReason::InvalidDigest => "invalid-digest",
            BundleReason::IdentityMismatch => "identity-mismatch",
            BundleReason::IssuerMismatch => "issuer-mismatch",
            BundleReason::SignatureInvalid => "signature-invalid",
            BundleReason::ArtifactMismatch => "artifact-mismatch",
            BundleReason::UnsupportedArtifact => "unsupported-artifact",
            BundleReason::Certificate => "certificate",
            BundleReason::TransparencyLog => "transparency-log",
            BundleReason::Timestamp => "timestamp",
        }
    }
}

/// A rejected bundle: the reason and what the verifier said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} [signature/{}]", reason.as_str())]
pub struct BundleError {
    /// Why, stable.
    pub reason: BundleReason,
    /// What exactly.
    pub message: String,
}

impl BundleError {
    fn new(reason: BundleReason, message: impl std::fmt::Display) -> BundleError {
        BundleError {
            reason,
            message: message.to_string(),
        }
    }
}

/// The stable reason of a verifier's error.
pub(super) fn reason_of(e: &Error) -> BundleReason {
    match e {
        Error::IdentityMismatch { .. } => BundleReason::IdentityMismatch,
        Error::IssuerMismatch { .. } => BundleReason::IssuerMismatch,
        Error::SignatureInvalid(_) => BundleReason::SignatureInvalid,
        Error::ArtifactMismatch(_) => BundleReason::ArtifactMismatch,
        Error::UnsupportedArtifact(_) => BundleReason::UnsupportedArtifact,
        Error::Certificate(_) => BundleReason::Certificate,
        Error::TransparencyLog(_) => BundleReason::TransparencyLog,
        Error::Timestamp(_) => BundleReason::Timestamp,
        Error::UnsupportedBundle(_) => BundleReason::UnsupportedBundle,
        Error::InvalidTrustRoot(_) => BundleReason::InvalidTrustedRoot,
        _ => BundleReason::InvalidBundle,
    }
}

impl From<Error> for BundleError {
    fn from(e: Error) -> BundleError {
        BundleError::new(reason_of(&e), e)
    }
}

/// A rejection as the verifier gave it, before it is given a stable [`BundleReason`]: for
/// callers that need the verifier's finer categories (cosign's keyless signatures tell an
/// untrusted chain from an expired certificate and a bad SCT).
#[derive(Debug)]
pub(super) enum Rejection {
    /// The inputs: the bundle, the trusted root, the digest or the key cannot be read.
    Input(BundleError),
    /// The verifier's.
    Verifier(Error),
}

impl From<BundleError> for Rejection {
    fn from(e: BundleError) -> Rejection {
        Rejection::Input(e)
    }
}

impl From<Error> for Rejection {
    fn from(e: Error) -> Rejection {
        Rejection::Verifier(e)
    }
}

impl From<Rejection> for BundleError {
    fn from(r: Rejection) -> BundleError {
        match r {
            Rejection::Input(e) => e,
            Rejection::Verifier(e) => e.into(),
        }
    }
}

/// Who must have signed, as the verifier checks it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Signer<'a> {
    /// As expected.
    Expected(&'a Expected),
    /// Any certificate identity the trusted root's CAs issued: the caller matches the
    /// verdict's identity and issuer itself (by a regular expression, say).
    AnyIdentity,
    /// A managed key, as PEM.
    Key(&'a str),
}

/// What a verified bundle proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BundleVerdict {
    /// The signer's identity (keyless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The signer's OIDC issuer (keyless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// When the transparency log took the entry (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub integrated_time: Option<jiff::Timestamp>,
    /// Whether the transparency-log entry was verified.
    pub transparency_log: bool,
    /// Whether the certificate's SCT was verified.
    pub sct: bool,
}

/// Verifies `bundle` (its JSON) over `subject`, signed as `expected` says, against the trusted
/// root (its JSON: Fulcio CAs, Rekor and CT log keys, TSAs).
///
/// ```no_run
/// use ehdeploy::signing::{verify_bundle, Expected, Subject};
/// let verdict = verify_bundle(
///     &std::fs::read_to_string("a.txt.sigstore.json")?,
///     Subject::Bytes(&std::fs::read("a.txt")?),
///     &Expected::Identity {
///         identity: "release@supplier.example".into(),
///         issuer: "https://accounts.google.com".into(),
///     },
///     &std::fs::read_to_string("trusted_root.json")?,
/// )?;
/// assert!(verdict.transparency_log);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_bundle(
    bundle: &str,
    subject: Subject<'_>,
    expected: &Expected,
    trusted_root: &str,
) -> Result<BundleVerdict, BundleError> {
    verify(bundle, subject, Signer::Expected(expected), trusted_root).map_err(BundleError::from)
}

/// [`verify_bundle`], for `signer`, with the verifier's own error.
pub(super) fn verify(
    bundle: &str,
    subject: Subject<'_>,
    signer: Signer<'_>,
    trusted_root: &str,
) -> Result<BundleVerdict, Rejection> {
    verify_parsed(&parse(bundle)?, subject, signer, trusted_root)
}

/// The bundle of `json`: `malformed-bundle` when it is not one.
pub(super) fn parse(json: &str) -> Result<Bundle, BundleError> {
    Bundle::from_json(json).map_err(|e| BundleError::new(BundleReason::MalformedBundle, e))
}

/// [`verify`], for a bundle already parsed.
pub(super) fn verify_parsed(
    bundle: &Bundle,
    subject: Subject<'_>,
    signer: Signer<'_>,
    trusted_root: &str,
) -> Result<BundleVerdict, Rejection> {
    let root = TrustedRoot::from_json(trusted_root)
        .map_err(|e| BundleError::new(BundleReason::InvalidTrustedRoot, e))?;
    let artifact: Artifact<'_> = match subject {
        Subject::Bytes(bytes) => Artifact::from_blob(bytes),
        Subject::Digest(digest) => {
            let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
            let ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
            let hash = Sha256Hash::from_hex(hex)
                .ok()
                .filter(|_| ok)
                .ok_or_else(|| {
                    BundleError::new(
                        BundleReason::InvalidDigest,
                        format!("`{digest}` is not a SHA-256 digest (sha256:<64 hex digits>)"),
                    )
                })?;
            Artifact::from(hash)
        }
    };
    // Whatever the verifier cannot prepare from the root (a key, a log ID, a CA) is the root's.
    let verifier =
        Verifier::new(&root).map_err(|e| BundleError::new(BundleReason::InvalidTrustedRoot, e))?;
    let key = |pem: &str| {
        DerPublicKey::from_pem(pem).map_err(|e| BundleError::new(BundleReason::InvalidKey, e))
    };
    let result = match signer {
        Signer::AnyIdentity => {
            verifier.verify(artifact, bundle, &VerificationPolicy::any_identity())?
        }
        Signer::Expected(Expected::Identity { identity, issuer }) => verifier.verify(
            artifact,
            bundle,
            &VerificationPolicy::new(identity.as_str(), issuer.as_str()),
        )?,
        Signer::Expected(Expected::Key(pem)) => verifier.verify(
            artifact,
            bundle,
            &PublicKeyVerificationPolicy::new(key(pem)?),
        )?,
        Signer::Key(pem) => verifier.verify(
            artifact,
            bundle,
            &PublicKeyVerificationPolicy::new(key(pem)?),
        )?,
    };
    Ok(BundleVerdict {
        identity: result.identity().map(|i| i.to_string()),
        issuer: result.issuer().map(str::to_string),
        integrated_time: result.integrated_time(),
        transparency_log: result.tlog_verified(),
        sct: result.sct_verified(),
    })
}
