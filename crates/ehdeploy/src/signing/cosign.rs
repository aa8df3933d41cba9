//! cosign's classic signatures: the `sha256-<hex>.sig` artifact beside an image, whose layers
//! are `simplesigning` payloads, each signed in its `dev.cosignproject.cosign/signature`
//! annotation; verified with a key (here) or keylessly (`super::keyless`, from the layer's
//! certificate, chain and Rekor bundle annotations), and checked that each payload is for this
//! image's digest and repository (the `sigstore` crate's key verifier does not check that) and
//! carries the annotations its authority requires.

use std::borrow::Cow;

use aws_lc_rs::signature::{ParsedPublicKey, VerificationAlgorithm};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sigstore_verify::crypto::{
    validate_raw_public_key, KeyAlgorithm, SigningScheme, VerificationKey,
};
use sigstore_verify::types::DerPublicKey;

use super::borrowed::Annotations;
use super::referrers::digest_tag_parts;
use super::store::{parse_manifest, with_joined, ImageStore, MAX_DOCUMENT_BYTES};
use crate::trust::DigestAlgorithm;

/// The media type of a cosign signature payload layer.
pub const SIMPLESIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The layer annotation holding the base64 signature of the payload.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// The layer annotation holding a keyless signature's certificate (PEM, Fulcio's leaf).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";

/// The layer annotation holding the certificate's chain (PEM: intermediates, then the root).
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";

/// The layer annotation holding the Rekor bundle (JSON: `SignedEntryTimestamp` and
/// `Payload` with `body`, `integratedTime`, `logIndex`, `logID`).
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// Why a signature, or an image, does not verify; stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureReason {
    /// The layout cannot be read.
    Layout,
    /// The registry cannot be reached: refused, unresolved, timed out (after retries).
    Unreachable,
    /// The registry answered with an unexpected HTTP status (authentication refused, 5xx
    /// after retries).
    RegistryStatus,
    /// A store's answer is not what the protocol says (not JSON, not a manifest, a bad digest).
    BadResponse,
    /// A manifest, payload or blob larger than the bound: not read.
    TooLarge,
    /// A manifest or blob whose content is not its digest (a corrupt layout, a registry that
    /// lies).
    ContentMismatch,
    /// The image is not in the layout.
    ImageMissing,
    /// No signature artifact, or one without signed layers.
    Unsigned,
    /// The key is not a public key in PEM.
    InvalidKey,
    /// The signature does not verify with the key.
    SignatureInvalid,
    /// The payload is not cosign's simple signing JSON; or a Sigstore bundle that is not one,
    /// or whose envelope is not an in-toto statement.
    PayloadMalformed,
    /// A Sigstore bundle that attests something else (an SBOM, a provenance: its statement's
    /// predicate is not cosign's signature predicate): it does not sign the image.
    NotASignature,
    /// The payload is for another image digest.
    DigestMismatch,
    /// The payload is for another repository.
    ReferenceMismatch,
    /// The authority's key is one another authority already counted.
    SameKey,
    /// The authority's certificate identity (issuer and subject) is one another authority
    /// already counted.
    SameIdentity,
    /// A keyless authority, and the signature has no certificate (a key signature).
    NoCertificate,
    /// The certificate's subject (its SAN: URI or email) is not the authority's.
    IdentityMismatch,
    /// The certificate's OIDC issuer is not the authority's.
    IssuerMismatch,
    /// The certificate cannot be read, or was not valid when the transparency log took the
    /// signature (expired, not yet valid).
    CertificateInvalid,
    /// The certificate does not chain to a certificate authority of the trusted root (valid
    /// at the signing time), or lacks the code-signing usage.
    UntrustedChain,
    /// The certificate's embedded SCT is missing, or not signed by a CT log of the trusted
    /// root.
    SctInvalid,
    /// The transparency-log proof: no Rekor bundle, a SET that does not verify with a Rekor
    /// key of the trusted root, or a log entry that is not for this signature.
    TlogInvalid,
    /// The keyless authority's trusted root cannot be read or used.
    InvalidTrustedRoot,
    /// The payload lacks an annotation the authority requires, or has another value.
    AnnotationMissing,
}

impl SignatureReason {
    /// Whether the store failed (nothing is known of the image's signatures), rather than a
    /// signature failing to verify.
    pub fn is_store_failure(self) -> bool {
        matches!(
            self,
            SignatureReason::Layout
                | SignatureReason::Unreachable
                | SignatureReason::RegistryStatus
                | SignatureReason::BadResponse
                | SignatureReason::TooLarge
                | SignatureReason::ContentMismatch
        )
    }

    /// The reason as JSON names it.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureReason::Layout => "layout",
            SignatureReason::Unreachable => "unreachable",
            SignatureReason::RegistryStatus => "registry-status",
            SignatureReason::BadResponse => "bad-response",
            SignatureReason::TooLarge => "too-large",
            SignatureReason::ContentMismatch => "content-mismatch",
            SignatureReason::ImageMissing => "image-missing",
            SignatureReason::Unsigned => "unsigned",
            SignatureReason::InvalidKey => "invalid-key",
            SignatureReason::SignatureInvalid => "signature-invalid",
            SignatureReason::PayloadMalformed => "payload-malformed",
            SignatureReason::NotASignature => "not-a-signature",
            SignatureReason::DigestMismatch => "digest-mismatch",
            SignatureReason::ReferenceMismatch => "reference-mismatch",
            SignatureReason::SameKey => "same-key",
            SignatureReason::SameIdentity => "same-identity",
            SignatureReason::NoCertificate => "no-certificate",
            SignatureReason::IdentityMismatch => "identity-mismatch",
            SignatureReason::IssuerMismatch => "issuer-mismatch",
            SignatureReason::CertificateInvalid => "certificate-invalid",
            SignatureReason::UntrustedChain => "untrusted-chain",
            SignatureReason::SctInvalid => "sct-invalid",
            SignatureReason::TlogInvalid => "tlog-invalid",
            SignatureReason::InvalidTrustedRoot => "invalid-trusted-root",
            SignatureReason::AnnotationMissing => "annotation-missing",
        }
    }
}

/// A signature or image that does not verify: why, and what exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} [signature/{}]", reason.as_str())]
pub struct SignatureError {
    /// Why, stable.
    pub reason: SignatureReason,
    /// What exactly.
    pub message: String,
}

impl SignatureError {
    /// An error for `reason`.
    pub fn new(reason: SignatureReason, message: impl Into<String>) -> SignatureError {
        SignatureError {
            reason,
            message: message.into(),
        }
    }

    pub(super) fn layout(message: impl Into<String>) -> SignatureError {
        SignatureError::new(SignatureReason::Layout, message)
    }
}

/// One signed layer of a signature artifact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CosignSignature {
    /// The simple signing payload, as signed.
    pub payload: Vec<u8>,
    /// The base64 signature, as annotated.
    pub signature: String,
    /// A keyless signature's certificate (PEM), as annotated.
    pub certificate: Option<String>,
    /// The certificate's chain (PEM: intermediates, then the root), as annotated.
    pub chain: Option<String>,
    /// The Rekor bundle (JSON), as annotated.
    pub bundle: Option<String>,
}

/// cosign's simple signing payload.
#[derive(Debug, Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    critical: Critical<'a>,
    /// The signer's annotations (`cosign sign -a key=value`); `null` when none.
    #[serde(default)]
    optional: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Its texts are borrowed from the payload where they need no unescaping.
#[derive(Debug, Deserialize)]
struct Critical<'a> {
    #[serde(borrow)]
    identity: Identity<'a>,
    #[serde(borrow)]
    image: Image<'a>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct Identity<'a> {
    #[serde(rename = "docker-reference", borrow)]
    reference: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
struct Image<'a> {
    #[serde(rename = "docker-manifest-digest", borrow)]
    digest: Cow<'a, str>,
}

/// What a signature artifact's manifest is read for: its layers (an OCI image manifest; only
/// the fields used are parsed, its strings borrowed where they need no unescaping, and each
/// layer's digest is checked when its blob is read).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureManifest<'a> {
    schema_version: u32,
    #[serde(borrow)]
    layers: Vec<SignatureLayer<'a>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignatureLayer<'a> {
    #[serde(borrow)]
    media_type: Cow<'a, str>,
    #[serde(borrow)]
    digest: Cow<'a, str>,
    /// The signature's, certificate's, chain's and bundle's annotations.
    #[serde(default, borrow, deserialize_with = "signature_annotations")]
    annotations: [Option<Cow<'a, str>>; 4],
}

/// A layer's annotations, read for the signature's, the certificate's, the chain's and the
/// Rekor bundle's (every annotation is a string; the last of a repeated name wins).
fn signature_annotations<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<[Option<Cow<'de, str>>; 4], D::Error> {
    deserializer.deserialize_map(Annotations(&[
        SIGNATURE_ANNOTATION,
        CERTIFICATE_ANNOTATION,
        CHAIN_ANNOTATION,
        BUNDLE_ANNOTATION,
    ]))
}

/// The cosign signature tag of the image at `digest`: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    signature_tag_parts(digest).concat()
}

/// [`signature_tag`]'s parts: the digest's `:` made a `-`, then `.sig`.
fn signature_tag_parts(digest: &str) -> [&str; 4] {
    let [algorithm, dash, hex] = digest_tag_parts(digest);
    [algorithm, dash, hex, ".sig"]
}

/// The signed layers of the signature artifact of the image `name` (registry and repository)
/// at `digest` (`name:sha256-<hex>.sig`); none when it has no artifact.
pub fn signatures(
    store: &dyn ImageStore,
    name: &str,
    digest: &str,
) -> Result<Vec<CosignSignature>, SignatureError> {
    let found = with_joined(&signature_tag_parts(digest), |tag| store.resolve(name, tag))?;
    let Some(manifest_digest) = found else {
        return Ok(Vec::new());
    };
    let Some(bytes) = store.manifest(name, &manifest_digest)? else {
        return Ok(Vec::new());
    };
    let manifest: SignatureManifest<'_> = parse_manifest(&bytes, name, &manifest_digest)?;
    if manifest.schema_version != 2 {
        return Err(SignatureError::new(
            SignatureReason::BadResponse,
            format!(
                "{name}@{manifest_digest} is not an image manifest: schema version {}",
                manifest.schema_version
            ),
        ));
    }
    let mut out = Vec::new();
    for layer in manifest.layers {
        if layer.media_type != SIMPLESIGNING {
            continue;
        }
        let [signature, certificate, chain, bundle] = layer.annotations;
        let Some(signature) = signature else {
            continue;
        };
        out.push(CosignSignature {
            payload: store.blob(name, &layer.digest, MAX_DOCUMENT_BYTES)?,
            signature: signature.into_owned(),
            certificate: certificate.map(Cow::into_owned),
            chain: chain.map(Cow::into_owned),
            bundle: bundle.map(Cow::into_owned),
        });
    }
    Ok(out)
}

/// Parses a PEM public key (ECDSA P-256/P-384, Ed25519, RSA), for signatures over the key's
/// own digest (SHA-256 for P-256 and RSA, SHA-384 for P-384).
pub fn public_key(pem: &str) -> Result<PublicKey, SignatureError> {
    public_key_with(pem, None)
}

/// Parses a PEM public key, for signatures over `digest` (none: the key's own, as
/// [`public_key`]): cosign's `--signature-digest-algorithm`. An Ed25519 key signs the payload
/// itself and takes none.
pub fn public_key_with(
    pem: &str,
    digest: Option<DigestAlgorithm>,
) -> Result<PublicKey, SignatureError> {
    let invalid = |e: String| {
        SignatureError::new(
            SignatureReason::InvalidKey,
            format!("not a public key: {e}"),
        )
    };
    let der = DerPublicKey::from_pem(pem).map_err(|e| invalid(e.to_string()))?;
    let key = VerificationKey::from_spki(&der).map_err(|e| invalid(e.to_string()))?;
    let key = match digest {
        None => key,
        Some(digest) => {
            let scheme = with_digest(key.scheme(), digest)?;
            VerificationKey::from_spki_with_scheme(&der, scheme)
                .map_err(|e| invalid(e.to_string()))?
        }
    };
    // The checks `sigstore-verify` makes of the key before each verification (an uncompressed
    // ECDSA point, an RSA modulus of 2,048 to 8,192 bits), made once.
    validate_raw_public_key(key.scheme(), key.as_bytes()).map_err(|e| invalid(e.to_string()))?;
    let parsed = ParsedPublicKey::new(algorithm(key.scheme())?, key.as_bytes())
        .map_err(|e| invalid(e.to_string()))?;
    Ok(PublicKey { key, parsed })
}

/// The scheme of a key of `scheme`'s kind over `digest`.
fn with_digest(
    scheme: SigningScheme,
    digest: DigestAlgorithm,
) -> Result<SigningScheme, SignatureError> {
    use DigestAlgorithm::{Sha256, Sha384, Sha512};
    Ok(match (scheme.key_algorithm(), digest) {
        (KeyAlgorithm::EcdsaP256, Sha256) => SigningScheme::EcdsaP256Sha256,
        (KeyAlgorithm::EcdsaP256, Sha384) => SigningScheme::EcdsaP256Sha384,
        (KeyAlgorithm::EcdsaP384, Sha256) => SigningScheme::EcdsaP384Sha256,
        (KeyAlgorithm::EcdsaP384, Sha384) => SigningScheme::EcdsaP384Sha384,
        (KeyAlgorithm::Rsa, Sha256) => SigningScheme::RsaPkcs1Sha256,
        (KeyAlgorithm::Rsa, Sha384) => SigningScheme::RsaPkcs1Sha384,
        (KeyAlgorithm::Rsa, Sha512) => SigningScheme::RsaPkcs1Sha512,
        (other, digest) => {
            return Err(SignatureError::new(
                SignatureReason::InvalidKey,
                format!("a {other:?} key does not sign over {digest:?}"),
            ))
        }
    })
}

/// The aws-lc-rs algorithm of a signing scheme, as `sigstore-verify` verifies it.
fn algorithm(scheme: SigningScheme) -> Result<&'static dyn VerificationAlgorithm, SignatureError> {
    use aws_lc_rs::signature as alg;
    Ok(match scheme {
        SigningScheme::EcdsaP256Sha256 => &alg::ECDSA_P256_SHA256_ASN1,
        SigningScheme::EcdsaP256Sha384 => &alg::ECDSA_P256_SHA384_ASN1,
        SigningScheme::EcdsaP384Sha256 => &alg::ECDSA_P384_SHA256_ASN1,
        SigningScheme::EcdsaP384Sha384 => &alg::ECDSA_P384_SHA384_ASN1,
        SigningScheme::Ed25519 => &alg::ED25519,
        SigningScheme::RsaPssSha256 => &alg::RSA_PSS_2048_8192_SHA256,
        SigningScheme::RsaPssSha384 => &alg::RSA_PSS_2048_8192_SHA384,
        SigningScheme::RsaPssSha512 => &alg::RSA_PSS_2048_8192_SHA512,
        SigningScheme::RsaPkcs1Sha256 => &alg::RSA_PKCS1_2048_8192_SHA256,
        SigningScheme::RsaPkcs1Sha384 => &alg::RSA_PKCS1_2048_8192_SHA384,
        SigningScheme::RsaPkcs1Sha512 => &alg::RSA_PKCS1_2048_8192_SHA512,
        SigningScheme::MlDsa44 => &alg::ML_DSA_44,
        SigningScheme::MlDsa65 => &alg::ML_DSA_65,
        SigningScheme::MlDsa87 => &alg::ML_DSA_87,
        other => {
            return Err(SignatureError::new(
                SignatureReason::InvalidKey,
                format!("not a supported public key: {other:?}"),
            ))
        }
    })
}

/// A public key that verifies signatures: parsed once, for `sigstore-verify` (a bundle's
/// signer) and for aws-lc-rs (each cosign signature is verified with the parsed key, not
/// parsed again).
///
/// ```
/// # #[cfg(feature = "signatures")] {
/// // The example platform's key of the supplier CareBridge.
/// let pem = std::fs::read_to_string("../../examples/platform/keys/carebridge-ci.pub").unwrap();
/// let key = ehdeploy::signing::public_key(&pem).unwrap();
/// assert_eq!(format!("{:?}", key.scheme()), "EcdsaP256Sha256");
/// assert!(ehdeploy::signing::public_key("not a key").is_err());
/// # }
/// ```
pub struct PublicKey {
    key: VerificationKey,
    parsed: ParsedPublicKey,
}

impl PublicKey {
    /// The signing scheme the key verifies.
    pub fn scheme(&self) -> SigningScheme {
        self.key.scheme()
    }

    /// The key's raw bytes (the SubjectPublicKeyInfo's bit string).
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_bytes()
    }

    /// Whether `signature` (raw bytes: DER for ECDSA) signs `message` with this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({:?})", self.scheme())
    }
}

/// A PEM public key parsed once (when a trust policy is compiled), shared by every image
/// verified with it: the key, or why the PEM is not one ([`public_key`]'s error).
#[derive(Clone)]
pub struct ParsedKey(std::sync::Arc<Result<PublicKey, SignatureError>>);

impl ParsedKey {
    /// Parses `pem` for signatures over `digest` ([`public_key_with`]); an invalid key is
    /// kept as its error.
    pub fn parse(pem: &str, digest: Option<DigestAlgorithm>) -> ParsedKey {
        ParsedKey(std::sync::Arc::new(public_key_with(pem, digest)))
    }

    /// The key, or why the PEM is not one.
    pub fn get(&self) -> Result<&PublicKey, &SignatureError> {
        self.0.as_ref().as_ref()
    }
}

impl std::fmt::Debug for ParsedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            Ok(key) => write!(f, "ParsedKey({:?})", key.scheme()),
            Err(e) => write!(f, "ParsedKey(Err({e:?}))"),
        }
    }
}

/// Verifies one signature with `key`, then that its payload is a cosign container image
/// signature for `digest` and the repository `name`.
pub fn verify_signature(
    signature: &CosignSignature,
    key: &PublicKey,
    name: &str,
    digest: &str,
) -> Result<(), SignatureError> {
    verify_with_key(signature, key)?;
    check_payload(&signature.payload, name, digest, &IndexMap::new())
}

/// Verifies one signature's bytes over its payload with `key`, and nothing else.
pub(super) fn verify_with_key(
    signature: &CosignSignature,
    key: &PublicKey,
) -> Result<(), SignatureError> {
    let verified = decoded(&signature.signature, |bytes| {
        key.verify(&signature.payload, bytes)
    })
    .map_err(|e| {
        SignatureError::new(
            SignatureReason::SignatureInvalid,
            format!("the signature is not base64: {e}"),
        )
    })?;
    if verified {
        Ok(())
    } else {
        Err(SignatureError::new(
            SignatureReason::SignatureInvalid,
            format!(
                "the signature does not verify with the key: {} signature invalid",
                key.scheme().name()
            ),
        ))
    }
}

/// `then` applied to the bytes of `text` in base64, as protobuf's JSON writes bytes (and
/// `sigstore-verify` reads them): the standard or the URL-safe alphabet, padded or not. A
/// signature's bytes are decoded on the stack (an RSA signature of 8,192 bits is 1,024 bytes);
/// a larger one (ML-DSA) into a new buffer.
fn decoded<T>(text: &str, then: impl FnOnce(&[u8]) -> T) -> Result<T, String> {
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode::Indifferent;
    use base64::Engine;
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(Indifferent);
    const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&STANDARD, CONFIG);
    const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&URL_SAFE, CONFIG);
    let engine = if text.contains(['-', '_']) {
        &URL_SAFE_ANY_PADDING
    } else {
        &STANDARD_ANY_PADDING
    };
    let mut buffer = [0u8; 1536];
    if base64::decoded_len_estimate(text.len()) <= buffer.len() {
        let n = engine
            .decode_slice(text, &mut buffer)
            .map_err(|e| e.to_string())?;
        Ok(then(buffer.get(..n).unwrap_or_default()))
    } else {
        let bytes = engine.decode(text).map_err(|e| e.to_string())?;
        Ok(then(&bytes))
    }
}

/// Checks a verified payload: a cosign container image signature for `digest` and the
/// repository `name`, carrying each of the `required` annotations (in its `optional` map,
/// with that string value).
pub fn check_payload(
    payload: &[u8],
    name: &str,
    digest: &str,
    required: &IndexMap<String, String>,
) -> Result<(), SignatureError> {
    let payload: Payload = serde_json::from_slice(payload).map_err(|e| {
        SignatureError::new(
            SignatureReason::PayloadMalformed,
            format!("the signed payload is not cosign's simple signing JSON: {e}"),
        )
    })?;
    let critical = payload.critical;
    if critical.kind != "cosign container image signature" {
        return Err(SignatureError::new(
            SignatureReason::PayloadMalformed,
            format!(
                "the signed payload is a `{}`, not a cosign container image signature",
                critical.kind
            ),
        ));
    }
    if critical.image.digest != digest {
        return Err(SignatureError::new(
            SignatureReason::DigestMismatch,
            format!(
                "the signature is for the image {}, not {digest}",
                critical.image.digest
            ),
        ));
    }
    // cosign signs the repository as given (`registry/repo`, sometimes with a tag).
    let reference: &str = &critical.identity.reference;
    let repository = reference.rsplit_once('@').map_or(reference, |(r, _)| r);
    let repository = match repository.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repository,
    };
    if repository != name {
        return Err(SignatureError::new(
            SignatureReason::ReferenceMismatch,
            format!("the signature is for the repository {reference}, not {name}"),
        ));
    }
    check_annotations(&payload.optional.unwrap_or_default(), required)
}

/// Checks that `found` (a signature's annotations) carries each of `required` with its value:
/// `annotation-missing`.
pub(super) fn check_annotations(
    found: &serde_json::Map<String, serde_json::Value>,
    required: &IndexMap<String, String>,
) -> Result<(), SignatureError> {
    for (key, value) in required {
        match found.get(key) {
            Some(serde_json::Value::String(v)) if v == value => {}
            Some(other) => {
                return Err(SignatureError::new(
                    SignatureReason::AnnotationMissing,
                    format!("the signature's annotation `{key}` is {other}, not \"{value}\""),
                ))
            }
            None => {
                return Err(SignatureError::new(
                    SignatureReason::AnnotationMissing,
                    format!("the signature has no annotation `{key}` (\"{value}\" required)"),
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Base64 as protobuf's JSON writes bytes: either alphabet, padded or not; small on the
    /// stack and large (an ML-DSA-87 signature is 4,627 bytes) alike; anything else refused.
    #[test]
    fn signature_bytes_are_read_from_either_alphabet_padded_or_not() {
        let bytes = |text: &str| decoded(text, <[u8]>::to_vec);
        assert_eq!(bytes("aGk=").unwrap(), b"hi");
        assert_eq!(bytes("aGk").unwrap(), b"hi");
        assert_eq!(bytes("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(bytes("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(bytes("").unwrap(), b"");
        let large: Vec<u8> = (0..4627u32).map(|i| (i % 251) as u8).collect();
        use base64::Engine;
        let text = base64::engine::general_purpose::STANDARD.encode(&large);
        assert_eq!(bytes(&text).unwrap(), large);
        assert_eq!(bytes(&text[..2048]).unwrap(), large[..1536]);
        assert!(bytes("a!b=").is_err());
        assert!(bytes("+_8=").is_err(), "one alphabet or the other");
    }

    /// The tag cosign gives an image's signature artifact, and the referrers tag schema's.
    #[test]
    fn tags_named_after_a_digest_replace_its_colon() {
        assert_eq!(signature_tag("sha256:ab12"), "sha256-ab12.sig");
        assert_eq!(signature_tag("plain"), "plain.sig");
        assert_eq!(super::super::referrers_tag("sha256:ab12"), "sha256-ab12");
        assert_eq!(super::super::referrers_tag("a:b:c"), "a-b:c");
    }
}
