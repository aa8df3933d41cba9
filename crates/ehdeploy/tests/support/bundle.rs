//! Sigstore bundles (v0.3 JSON, `application/vnd.dev.sigstore.bundle.v0.3+json`) signing a
//! container image as cosign v3 does with its new bundle format, made by the private
//! Sigstore instance of `support/keyless.rs` (its Fulcio, its Rekor key), for the tests that
//! attach them to images (as OCI referrers or files) and check ehdeploy's verification.
//!
//! Include it after `support/cosign.rs` and `support/keyless.rs`:
//!
//! ```ignore
//! #[path = "support/cosign.rs"]
//! mod cosign_fixture;
//! #[path = "support/keyless.rs"]
//! mod keyless;
//! #[path = "support/bundle.rs"]
//! mod bundle;
//! ```
//!
//! What a bundle holds, as `cosign sign --new-bundle-format` writes it:
//!
//! - a DSSE envelope (`application/vnd.in-toto+json`) whose payload is an in-toto v1
//!   Statement naming the image manifest's digest (and the `-a` annotations), with cosign's
//!   predicate type `https://sigstore.dev/cosign/sign/v1` and an empty predicate, signed
//!   (over DSSE's PAE) by a Fulcio leaf's key or a managed key;
//! - the verification material: the leaf (`certificate.rawBytes`, v0.3 allows no chain) or a
//!   public key hint (`publicKey.hint`: the base64 SHA-256 of the key's
//!   SubjectPublicKeyInfo, as sigstore-go writes it);
//! - one Rekor v1 entry of kind `dsse` 0.0.1: its canonical body (`envelopeHash`,
//!   `payloadHash`, `signatures` with each `verifier` the base64 of the certificate's or the
//!   key's PEM), the SET (the Rekor key's signature over the canonical JSON
//!   `{"body":…,"integratedTime":…,"logID":…,"logIndex":…}`) and an RFC 6962 inclusion proof
//!   of entry [`LOG_INDEX`] in a tree of [`TREE_SIZE`] leaves (the others made up, so the
//!   proof has real sibling hashes) with its checkpoint, a signed note by the Rekor key
//!   (`— <name> base64(key hint ‖ signature)`, the hint being the first 4 bytes of the log
//!   ID).
//!
//! [`BundleOptions`] makes each thing wrong on purpose.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::keyless::{base64, hex, pem, sha256, Instance, Key, Options};

/// The media type of a v0.3 bundle.
pub const BUNDLE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The DSSE payload type of an in-toto statement.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// The in-toto statement type.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of `cosign sign` (new bundle format).
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
/// The entry's index in the log (and in the proof's tree).
pub const LOG_INDEX: u64 = 4242;
/// The size of the tree the inclusion proof and the checkpoint are for.
pub const TREE_SIZE: u64 = 4250;
/// The checkpoint's origin line, as Rekor v1 writes it (`<host> - <tree ID>`).
pub const ORIGIN: &str = "rekor.ehdeploy.test - 2605736670972794746";
/// The checkpoint's signer name.
pub const NOTE_SIGNER: &str = "rekor.ehdeploy.test";

/// How an image bundle is made; [`BundleOptions::default`] makes a good one.
#[derive(Debug, Clone)]
pub struct BundleOptions {
    /// The statement's predicate type ([`COSIGN_SIGN_PREDICATE`]).
    pub predicate_type: String,
    /// The subject's annotations (cosign's `-a key=value`), in this order; none: no
    /// `annotations` member.
    pub annotations: Vec<(String, String)>,
    /// The leaf (SAN, issuer, its extensions, SCT) and the entry's integrated time. Its
    /// `forge_set` and `entry_of_another_signature` are not used: see [`Self::forge_set`].
    pub keyless: Options,
    /// The checkpoint signed by another key, claiming the Rekor key's hint.
    pub forge_checkpoint: bool,
    /// The SET signed by another key than Rekor's.
    pub forge_set: bool,
    /// The envelope's payload changed after it was signed and logged (an annotation added).
    pub tamper_payload: bool,
    /// The statement names this digest (`sha256:<hex>`) instead of the image's: validly
    /// signed and logged, for another image.
    pub subject_digest: Option<String>,
    /// No inclusion proof (nor checkpoint): the SET alone.
    pub omit_inclusion_proof: bool,
}

impl Default for BundleOptions {
    fn default() -> BundleOptions {
        BundleOptions {
            predicate_type: COSIGN_SIGN_PREDICATE.into(),
            annotations: Vec::new(),
            keyless: Options::default(),
            forge_checkpoint: false,
            forge_set: false,
            tamper_payload: false,
            subject_digest: None,
            omit_inclusion_proof: false,
        }
    }
}

/// The PEM (`PUBLIC KEY`) of `key`'s SubjectPublicKeyInfo.
pub fn key_pem(key: &Key) -> String {
    pem("PUBLIC KEY", &key.spki())
}

/// The public key hint of a managed-key bundle: the base64 SHA-256 of the SPKI.
pub fn key_hint(key: &Key) -> String {
    base64(&sha256(&key.spki()))
}

/// A JSON string literal.
fn string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// The in-toto v1 Statement cosign signs for the image `digest` (`sha256:<hex>`), with these
/// annotations and predicate type, compact, its members in cosign's order.
pub fn statement(digest: &str, annotations: &[(String, String)], predicate_type: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let annotations = if annotations.is_empty() {
        String::new()
    } else {
        let members: Vec<String> = annotations
            .iter()
            .map(|(k, v)| format!("{}:{}", string(k), string(v)))
            .collect();
        format!(r#","annotations":{{{}}}"#, members.join(","))
    };
    format!(
        r#"{{"_type":"{STATEMENT_V1}","subject":[{{"digest":{{"sha256":{}}}{annotations}}}],"predicateType":{},"predicate":{{}}}}"#,
        string(hex),
        string(predicate_type)
    )
    .into_bytes()
}

/// DSSE's pre-authentication encoding: `DSSEv1 <len> <type> <len> <payload>`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

// ---------------------------------------------------------------------------------------
// RFC 6962 Merkle trees.

/// A leaf's hash: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut bytes = vec![0u8];
    bytes.extend_from_slice(data);
    sha256(&bytes)
}

/// An interior node's hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(left);
    bytes.extend_from_slice(right);
    sha256(&bytes)
}

/// The largest power of two below `n` (`n` > 1).
fn split(n: usize) -> usize {
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The Merkle tree hash of these leaf hashes (at least one).
pub fn tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.len() == 1 {
        return leaves[0];
    }
    let k = split(leaves.len());
    node_hash(&tree_hash(&leaves[..k]), &tree_hash(&leaves[k..]))
}

/// The audit path of leaf `m`, from the leaf up (RFC 6962 §2.1.1).
pub fn audit_path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    if leaves.len() == 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    if m < k {
        let mut path = audit_path(m, &leaves[..k]);
        path.push(tree_hash(&leaves[k..]));
        path
    } else {
        let mut path = audit_path(m - k, &leaves[k..]);
        path.push(tree_hash(&leaves[..k]));
        path
    }
}

/// The tree of [`TREE_SIZE`] leaves with `body` at [`LOG_INDEX`] (the others made up): its
/// root and `body`'s audit path.
pub fn inclusion(body: &[u8]) -> ([u8; 32], Vec<[u8; 32]>) {
    let leaves: Vec<[u8; 32]> = (0..TREE_SIZE)
        .map(|i| {
            if i == LOG_INDEX {
                leaf_hash(body)
            } else {
                leaf_hash(format!("another rekor entry {i}").as_bytes())
            }
        })
        .collect();
    (tree_hash(&leaves), audit_path(LOG_INDEX as usize, &leaves))
}

/// A checkpoint (signed note) for a tree of `tree_size` with this root, signed by `signer`
/// under the hint of `log` (the first 4 bytes of its log ID).
pub fn checkpoint(log: &Key, signer: &Key, tree_size: u64, root: &[u8; 32]) -> String {
    let note = format!("{ORIGIN}\n{tree_size}\n{}\n", base64(root));
    let mut signature = log.id()[..4].to_vec();
    signature.extend(signer.sign(note.as_bytes()));
    format!("{note}\n\u{2014} {NOTE_SIGNER} {}\n", base64(&signature))
}

/// What verifies the signature: a Fulcio leaf (DER) or the managed key itself.
enum Material<'a> {
    Certificate(Vec<u8>),
    Key(&'a Key),
}

impl Instance {
    /// A keyless bundle for the image `image_digest` (`sha256:<hex>`): a leaf from this
    /// instance's Fulcio (as `o.keyless` says), logged in this instance's Rekor.
    pub fn image_bundle_keyless(&self, image_digest: &str, o: &BundleOptions) -> String {
        let key = Key::new();
        let leaf = self.leaf(&self.fulcio.intermediate, &key, &o.keyless);
        self.image_bundle(&key, Material::Certificate(leaf), image_digest, o)
    }

    /// A managed-key bundle for the image `image_digest` (`sha256:<hex>`), signed by `key`:
    /// a public key hint, the Rekor entry's verifier the key's PEM.
    pub fn image_bundle_with_key(
        &self,
        key: &Key,
        image_digest: &str,
        o: &BundleOptions,
    ) -> String {
        self.image_bundle(key, Material::Key(key), image_digest, o)
    }

    fn image_bundle(
        &self,
        signer: &Key,
        material: Material<'_>,
        image_digest: &str,
        o: &BundleOptions,
    ) -> String {
        let subject = o.subject_digest.as_deref().unwrap_or(image_digest);
        let payload = statement(subject, &o.annotations, &o.predicate_type);
        let signature = signer.sign(&pae(IN_TOTO, &payload));
        // The envelope as it was submitted to Rekor (cosign writes no key ID).
        let envelope = |payload: &[u8]| {
            json!({
                "payload": base64(payload),
                "payloadType": IN_TOTO,
                "signatures": [{"sig": base64(&signature)}]
            })
        };
        let submitted = envelope(&payload);

        let (verifier_pem, verification_material) = match material {
            Material::Certificate(leaf) => (
                pem("CERTIFICATE", &leaf),
                json!({"certificate": {"rawBytes": base64(&leaf)}}),
            ),
            Material::Key(key) => (key_pem(key), json!({"publicKey": {"hint": key_hint(key)}})),
        };

        // dsse 0.0.1, canonical: keys sorted, no spaces.
        let body = format!(
            r#"{{"apiVersion":"0.0.1","kind":"dsse","spec":{{"envelopeHash":{{"algorithm":"sha256","value":"{}"}},"payloadHash":{{"algorithm":"sha256","value":"{}"}},"signatures":[{{"signature":"{}","verifier":"{}"}}]}}}}"#,
            hex(&sha256(submitted.to_string().as_bytes())),
            hex(&sha256(&payload)),
            base64(&signature),
            base64(verifier_pem.as_bytes())
        );
        let body_b64 = base64(body.as_bytes());

        let time = o.keyless.integrated_time;
        let set_payload = format!(
            r#"{{"body":"{body_b64}","integratedTime":{time},"logID":"{}","logIndex":{LOG_INDEX}}}"#,
            hex(&self.rekor.id())
        );
        let set = if o.forge_set {
            Key::new().sign(set_payload.as_bytes())
        } else {
            self.rekor.sign(set_payload.as_bytes())
        };

        let mut entry = json!({
            "logIndex": LOG_INDEX.to_string(),
            "logId": {"keyId": base64(&self.rekor.id())},
            "kindVersion": {"kind": "dsse", "version": "0.0.1"},
            "integratedTime": time.to_string(),
            "inclusionPromise": {"signedEntryTimestamp": base64(&set)},
            "canonicalizedBody": body_b64
        });
        if !o.omit_inclusion_proof {
            let (root, path) = inclusion(body.as_bytes());
            let forger = Key::new();
            let note_signer = if o.forge_checkpoint {
                &forger
            } else {
                &self.rekor
            };
            entry["inclusionProof"] = json!({
                "logIndex": LOG_INDEX.to_string(),
                "rootHash": base64(&root),
                "treeSize": TREE_SIZE.to_string(),
                "hashes": path.iter().map(|h| base64(h)).collect::<Vec<_>>(),
                "checkpoint": {
                    "envelope": checkpoint(&self.rekor, note_signer, TREE_SIZE, &root)
                }
            });
        }

        let mut verification_material = verification_material;
        verification_material["tlogEntries"] = json!([entry]);

        let envelope = if o.tamper_payload {
            let mut annotations = o.annotations.clone();
            annotations.push(("dev.ehdeploy.test/tampered".into(), "true".into()));
            envelope(&statement(subject, &annotations, &o.predicate_type))
        } else {
            submitted
        };

        json!({
            "mediaType": BUNDLE_V0_3,
            "verificationMaterial": verification_material,
            "dsseEnvelope": envelope
        })
        .to_string()
    }
}
