//! Image signatures (feature `signatures`): Sigstore bundles verified offline against a
//! trusted root, with the signer's expected identity or key.
//!
//! Bundles (v0.1 to v0.3, message signatures and DSSE in-toto attestations) are verified by
//! the sigstore organisation's `sigstore-verify`: the certificate chain to the trusted root's
//! Fulcio CAs, its validity at the signing time, the embedded SCTs, the transparency-log entry
//! (inclusion proof, signed checkpoint, inclusion promise), RFC 3161 timestamps, the signature
//! over the artifact, and the certificate's identity and OIDC issuer (or, for a managed key,
//! the key). The older `sigstore` crate's verifier was measured to accept four of the
//! conformance suite's must-fail bundles (SET and checkpoint not checked) and to reject the
//! v0.3 media type; `sigstore-verify` passes all 70 cases, and a test here runs them.
//!
//! Images are verified from an [`ImageStore`] (an OCI layout, or a registry): cosign's
//! classic signature artifacts and the Sigstore bundles that sign them (attached as referrers,
//! or [`BundleFiles`] beside the spec), each authority of the trust policy counted once.
//!
//! Every rejection has a stable [`BundleReason`] (a bundle alone) or [`SignatureReason`] (an
//! image).

mod batch;
mod borrowed;
mod bundle;
mod bundle_files;
mod cosign;
mod image;
mod image_bundle;
mod keyless;
mod layout;
mod referrers;
#[cfg(feature = "registry")]
mod registry;
mod store;

pub use batch::{verify_all, Job, DEFAULT_CONCURRENCY};
pub use bundle::{verify_bundle, BundleError, BundleReason, BundleVerdict, Expected, Subject};
pub use bundle_files::{BundleFiles, WithBundleFiles, MAX_BUNDLE_FILES};
pub use cosign::{
    check_payload, public_key, public_key_with, signature_tag, signatures, verify_signature,
    CosignSignature, ParsedKey, PublicKey, SignatureError, SignatureReason, BUNDLE_ANNOTATION,
    CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, SIGNATURE_ANNOTATION, SIMPLESIGNING,
};
pub use image::{digest_of, verify_image, ImageVerdict};
pub use image_bundle::{COSIGN_SIGN_PREDICATE, IN_TOTO_PAYLOAD_TYPE};
pub use keyless::{keyless_bundle, verify_keyless, CertificateIdentity, BUNDLE_V0_1};
pub use layout::{Layout, REF_NAME};
pub use referrers::{
    attached_bundles, is_bundle_type, referrers_tag, AttachedBundle, Descriptor,
    BUNDLE_MEDIA_TYPE_PREFIX, MAX_BUNDLES,
};
#[cfg(feature = "registry")]
pub use registry::{Registry, RegistryOptions, MANIFEST_MEDIA_TYPES};
pub use store::{check_digest, read_bounded, sha256_hex, ImageStore, MAX_DOCUMENT_BYTES};

/// The Sigstore public-good production trusted root, as `sigstore-verify` embeds it: the
/// default when no trusted root is given (nothing is fetched).
pub const PRODUCTION_TRUSTED_ROOT: &str =
    sigstore_verify::trust_root::SIGSTORE_PRODUCTION_TRUSTED_ROOT;
