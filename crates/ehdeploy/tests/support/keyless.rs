//! A private Sigstore instance for tests of cosign's keyless signatures, made here and not by
//! ehdeploy: a Fulcio CA (an ECDSA P-256 root and intermediate), a CT log and a Rekor log,
//! each an ECDSA P-256 key of aws-lc-rs; the certificates are DER written by hand below (no
//! X.509 library, so nothing shared with the verifier's parser).
//!
//! Include it with `#[path = "support/keyless.rs"] mod keyless;`, beside `support/cosign.rs`
//! as `cosign_fixture` (whose temporary folders, payloads and OCI layout writer it uses). What
//! it makes, as cosign and the public-good instance would:
//!
//! - a leaf certificate with Fulcio's profile: an empty subject, the identity in a critical
//!   SAN (URI or email), digital signature usage, the code-signing EKU, the OIDC issuer in
//!   the extensions `1.3.6.1.4.1.57264.1.8` (a DER UTF8String) and/or `.1.1` (raw UTF-8),
//!   valid [`LIFETIME`] seconds either side of [`T`] (2025-01-01T00:00:00Z), and an embedded
//!   SCT: the CT log's signature over the precertificate (RFC 6962 §3.2: the TBSCertificate
//!   without the SCT extension, after the SHA-256 of the issuer's SubjectPublicKeyInfo);
//! - the payload signed with the leaf's key;
//! - Rekor's entry: a `hashedrekord` 0.0.1 body and its SET, the Rekor key's signature over
//!   the canonical JSON `{"body":…,"integratedTime":…,"logID":…,"logIndex":…}`, as cosign
//!   annotates it (`dev.sigstore.cosign/bundle`);
//! - the trusted root naming the CA, the CT log and the Rekor key (`trusted_root.json`).
//!
//! [`Options`] makes each thing wrong on purpose: no SCT, an SCT by another key, a SET by
//! another key, an integrated time outside the certificate's validity, another log entry.
//! [`Store`] writes an OCI image layout (`index.json` and `blobs/sha256/…`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::cosign_fixture::{
    annotated_signature_artifact, dir, image, signature_tag, Dir, LayoutWriter,
};
pub use super::cosign_fixture::{payload_with as payload, SignatureLayer};

/// The fixed time everything happens at: 2025-01-01T00:00:00Z.
pub const T: i64 = 1_735_689_600;
/// How long a leaf is valid before and after [`T`], in seconds (Fulcio's are 10 minutes).
pub const LIFETIME: i64 = 300;
/// The OIDC issuer of the default leaf.
pub const ISSUER: &str = "https://token.ci.ehdeploy.test";
/// The subject (SAN URI) of the default leaf.
pub const SUBJECT: &str =
    "https://ci.ehdeploy.test/medilink/api/.github/workflows/release.yml@refs/heads/main";

// ---------------------------------------------------------------------------------------
// DER, by hand.

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x31, &parts.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').map(|a| a.parse().unwrap()).collect();
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &arc in &arcs[2..] {
        let mut groups = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            groups.push((rest & 0x7f) as u8 | 0x80);
            rest >>= 7;
        }
        body.extend(groups.into_iter().rev());
    }
    tlv(0x06, &body)
}

fn integer(value: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = value
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    tlv(0x02, &bytes)
}

fn utc_time(seconds: i64) -> Vec<u8> {
    let t = jiff::Timestamp::from_second(seconds).unwrap();
    tlv(0x17, t.strftime("%y%m%d%H%M%SZ").to_string().as_bytes())
}

fn octets(content: &[u8]) -> Vec<u8> {
    tlv(0x04, content)
}

fn bits(content: &[u8]) -> Vec<u8> {
    let mut body = vec![0];
    body.extend_from_slice(content);
    tlv(0x03, &body)
}

fn utf8(text: &str) -> Vec<u8> {
    tlv(0x0c, text.as_bytes())
}

fn explicit(n: u8, content: Vec<u8>) -> Vec<u8> {
    tlv(0xa0 | n, &content)
}

/// `CN=…, O=ehdeploy.test`
fn name(common_name: &str) -> Vec<u8> {
    seq(&[
        set(&[seq(&[oid("2.5.4.10"), utf8("ehdeploy.test")])]),
        set(&[seq(&[oid("2.5.4.3"), utf8(common_name)])]),
    ])
}

fn ecdsa_with_sha256() -> Vec<u8> {
    seq(&[oid("1.2.840.10045.4.3.2")])
}

fn extension(id: &str, critical: bool, value: Vec<u8>) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(vec![0x01, 0x01, 0xff]);
    }
    parts.push(octets(&value));
    seq(&parts)
}

// ---------------------------------------------------------------------------------------
// Encodings.

/// Standard base64, padded.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// A PEM block.
pub fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

// ---------------------------------------------------------------------------------------
// Keys and certificates.

/// An ECDSA P-256 key pair.
pub struct Key {
    pair: EcdsaKeyPair,
}

impl Key {
    /// A new random key.
    pub fn new() -> Key {
        Key {
            pair: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap(),
        }
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki(&self) -> Vec<u8> {
        self.pair.public_key().as_der().unwrap().as_ref().to_vec()
    }

    /// RFC 6962's key ID, and Sigstore's log ID: the SHA-256 of the SubjectPublicKeyInfo.
    pub fn id(&self) -> [u8; 32] {
        sha256(&self.spki())
    }

    /// The DER ECDSA signature (SHA-256) of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .unwrap()
            .as_ref()
            .to_vec()
    }
}

impl Default for Key {
    fn default() -> Key {
        Key::new()
    }
}

/// A certificate authority: its key, name and (DER) certificate.
pub struct Ca {
    pub key: Key,
    pub name: Vec<u8>,
    pub cert: Vec<u8>,
}

fn certificate(tbs: Vec<u8>, issuer: &Key) -> Vec<u8> {
    let signature = issuer.sign(&tbs);
    seq(&[tbs, ecdsa_with_sha256(), bits(&signature)])
}

#[allow(clippy::too_many_arguments)]
fn tbs(
    serial: u64,
    issuer: &[u8],
    not_before: i64,
    not_after: i64,
    subject: &[u8],
    spki: Vec<u8>,
    extensions: &[Vec<u8>],
) -> Vec<u8> {
    seq(&[
        explicit(0, integer(2)),
        integer(serial),
        ecdsa_with_sha256(),
        issuer.to_vec(),
        seq(&[utc_time(not_before), utc_time(not_after)]),
        subject.to_vec(),
        spki,
        explicit(3, seq(extensions)),
    ])
}

const CA_FROM: i64 = 1_704_067_200; // 2024-01-01
const CA_UNTIL: i64 = 2_019_686_400; // 2034-01-01

fn ca_extensions(path_len: Option<u64>) -> Vec<Vec<u8>> {
    let mut constraints = vec![vec![0x01, 0x01, 0xff]];
    constraints.extend(path_len.map(integer));
    let mut extensions = vec![
        extension("2.5.29.19", true, seq(&constraints)),
        // keyCertSign and cRLSign
        extension("2.5.29.15", true, tlv(0x03, &[0x01, 0x06])),
    ];
    // The intermediate carries the code-signing EKU, as Fulcio's does: webpki requires it
    // of every certificate of the path that is not the trust anchor.
    if path_len.is_some() {
        extensions.push(extension(
            "2.5.29.37",
            false,
            seq(&[oid("1.3.6.1.5.5.7.3.3")]),
        ));
    }
    extensions
}

impl Ca {
    /// A self-signed root.
    pub fn root(common_name: &str) -> Ca {
        let key = Key::new();
        let name = name(common_name);
        let tbs = tbs(
            1,
            &name,
            CA_FROM,
            CA_UNTIL,
            &name,
            key.spki(),
            &ca_extensions(None),
        );
        let cert = certificate(tbs, &key);
        Ca { key, name, cert }
    }

    /// An intermediate CA issued by `self`.
    pub fn intermediate(&self, common_name: &str) -> Ca {
        let key = Key::new();
        let name = name(common_name);
        let tbs = tbs(
            2,
            &self.name,
            CA_FROM,
            CA_UNTIL,
            &name,
            key.spki(),
            &ca_extensions(Some(0)),
        );
        let cert = certificate(tbs, &self.key);
        Ca { key, name, cert }
    }
}

/// A Fulcio: a root and the intermediate that issues leaves.
pub struct Fulcio {
    pub root: Ca,
    pub intermediate: Ca,
}

impl Fulcio {
    /// A new CA, its names prefixed with `prefix`.
    pub fn new(prefix: &str) -> Fulcio {
        let root = Ca::root(&format!("{prefix} root"));
        let intermediate = root.intermediate(&format!("{prefix} intermediate"));
        Fulcio { root, intermediate }
    }

    /// The chain as cosign annotates it: the intermediate, then the root (PEM).
    pub fn chain_pem(&self) -> String {
        pem("CERTIFICATE", &self.intermediate.cert) + &pem("CERTIFICATE", &self.root.cert)
    }
}

/// The leaf's subject alternative name.
#[derive(Debug, Clone)]
pub enum San {
    /// A URI (a CI workflow).
    Uri(String),
    /// An email address (a person).
    Email(String),
}

/// Which Fulcio issuer extensions the leaf carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerExtension {
    /// `1.3.6.1.4.1.57264.1.8` (a DER UTF8String), Fulcio's current one.
    V2,
    /// `1.3.6.1.4.1.57264.1.1` (raw UTF-8), the legacy one.
    V1,
    /// Both, as Fulcio writes them.
    Both,
}

/// The leaf's SCT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sct {
    /// Signed by the trusted CT log.
    Good,
    /// None at all.
    Missing,
    /// Signed by another key, claiming the trusted log's ID.
    Forged,
}

/// How a keyless signature is made; [`Options::default`] makes a good one.
#[derive(Debug, Clone)]
pub struct Options {
    pub san: San,
    pub issuer: String,
    pub issuer_extension: IssuerExtension,
    pub sct: Sct,
    /// When Rekor took the entry (the SET signs it).
    pub integrated_time: i64,
    /// The SET signed by another key than Rekor's.
    pub forge_set: bool,
    /// The Rekor entry (body and SET, validly signed) of another signature of the same
    /// certificate.
    pub entry_of_another_signature: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            san: San::Uri(SUBJECT.into()),
            issuer: ISSUER.into(),
            issuer_extension: IssuerExtension::Both,
            sct: Sct::Good,
            integrated_time: T,
            forge_set: false,
            entry_of_another_signature: false,
        }
    }
}

/// A keyless signature as cosign annotates its layer.
#[derive(Debug, Clone)]
pub struct Signed {
    /// `dev.cosignproject.cosign/signature`: base64.
    pub signature: String,
    /// `dev.sigstore.cosign/certificate`: the leaf, PEM.
    pub certificate: String,
    /// `dev.sigstore.cosign/chain`: intermediate and root, PEM.
    pub chain: String,
    /// `dev.sigstore.cosign/bundle`: the Rekor bundle JSON.
    pub bundle: String,
}

impl Signed {
    /// The layer annotations.
    pub fn annotations(&self) -> Vec<(String, String)> {
        vec![
            (
                "dev.cosignproject.cosign/signature".into(),
                self.signature.clone(),
            ),
            (
                "dev.sigstore.cosign/certificate".into(),
                self.certificate.clone(),
            ),
            ("dev.sigstore.cosign/chain".into(), self.chain.clone()),
            ("dev.sigstore.cosign/bundle".into(), self.bundle.clone()),
        ]
    }
}

/// A private Sigstore instance: Fulcio, a CT log and Rekor.
pub struct Instance {
    pub fulcio: Fulcio,
    pub ct: Key,
    pub rekor: Key,
}

impl Default for Instance {
    fn default() -> Instance {
        Instance::new()
    }
}

const LOG_INDEX: u64 = 4242;

impl Instance {
    /// A new instance, with new keys.
    pub fn new() -> Instance {
        Instance {
            fulcio: Fulcio::new("ehdeploy test fulcio"),
            ct: Key::new(),
            rekor: Key::new(),
        }
    }

    /// The trusted root (JSON) naming this CA (its intermediate and root, or the root alone),
    /// the CT log and Rekor, valid from 2024-01-01.
    pub fn trusted_root(&self, root_only: bool) -> String {
        let log = |key: &Key, url: &str| {
            json!({
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64(&key.spki()),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2024-01-01T00:00:00Z"}
                },
                "logId": {"keyId": base64(&key.id())}
            })
        };
        let mut chain = vec![json!({"rawBytes": base64(&self.fulcio.root.cert)})];
        if !root_only {
            chain.insert(
                0,
                json!({"rawBytes": base64(&self.fulcio.intermediate.cert)}),
            );
        }
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(&self.rekor, "https://rekor.ehdeploy.test")],
            "certificateAuthorities": [{
                "subject": {"organization": "ehdeploy.test", "commonName": "fulcio"},
                "uri": "https://fulcio.ehdeploy.test",
                "certChain": {"certificates": chain},
                "validFor": {"start": "2024-01-01T00:00:00Z"}
            }],
            "ctlogs": [log(&self.ct, "https://ctfe.ehdeploy.test")],
            "timestampAuthorities": []
        })
        .to_string()
    }

    /// A leaf for `key` from `ca`, as `options` say (DER).
    pub fn leaf(&self, ca: &Ca, key: &Key, options: &Options) -> Vec<u8> {
        let san = match &options.san {
            San::Uri(uri) => tlv(0x86, uri.as_bytes()),
            San::Email(email) => tlv(0x81, email.as_bytes()),
        };
        let mut extensions = vec![
            // digitalSignature
            extension("2.5.29.15", true, tlv(0x03, &[0x07, 0x80])),
            // codeSigning
            extension("2.5.29.37", false, seq(&[oid("1.3.6.1.5.5.7.3.3")])),
            extension("2.5.29.17", true, seq(&[san])),
        ];
        if options.issuer_extension != IssuerExtension::V2 {
            extension_push(
                &mut extensions,
                "1.3.6.1.4.1.57264.1.1",
                options.issuer.as_bytes().to_vec(),
            );
        }
        if options.issuer_extension != IssuerExtension::V1 {
            extension_push(
                &mut extensions,
                "1.3.6.1.4.1.57264.1.8",
                utf8(&options.issuer),
            );
        }
        let (not_before, not_after) = (T - LIFETIME, T + LIFETIME);
        let subject = seq(&[]);
        // The TBSCertificate with these extensions: without the SCT, the precertificate.
        let tbs_with = |extensions: &[Vec<u8>]| {
            tbs(
                7,
                &ca.name,
                not_before,
                not_after,
                &subject,
                key.spki(),
                extensions,
            )
        };
        let precert = tbs_with(&extensions);
        if options.sct != Sct::Missing {
            let forger = Key::new();
            let signer = if options.sct == Sct::Forged {
                &forger
            } else {
                &self.ct
            };
            let sct = self.sct(&ca.key, &precert, signer);
            // SignedCertificateTimestampList: u16 length, then each SCT with its u16 length.
            let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
            list.extend((sct.len() as u16).to_be_bytes());
            list.extend(sct);
            extensions.push(extension("1.3.6.1.4.1.11129.2.4.2", false, octets(&list)));
        }
        certificate(tbs_with(&extensions), &ca.key)
    }

    /// An RFC 6962 v1 SCT over `precert` (issued by `issuer`), signed by `signer` and naming
    /// this instance's CT log.
    fn sct(&self, issuer: &Key, precert: &[u8], signer: &Key) -> Vec<u8> {
        let timestamp = (T as u64) * 1000;
        let mut signed = vec![0u8, 0u8]; // v1, certificate_timestamp
        signed.extend(timestamp.to_be_bytes());
        signed.extend(1u16.to_be_bytes()); // precert_entry
        signed.extend(sha256(&issuer.spki()));
        signed.extend(&(precert.len() as u32).to_be_bytes()[1..]);
        signed.extend(precert);
        signed.extend(0u16.to_be_bytes()); // no extensions
        let signature = signer.sign(&signed);
        let mut sct = vec![0u8];
        sct.extend(self.ct.id());
        sct.extend(timestamp.to_be_bytes());
        sct.extend(0u16.to_be_bytes());
        sct.extend([4u8, 3u8]); // sha256, ecdsa
        sct.extend((signature.len() as u16).to_be_bytes());
        sct.extend(signature);
        sct
    }

    /// Signs `payload` keylessly, with a leaf from this instance's Fulcio.
    pub fn sign(&self, payload: &[u8], options: &Options) -> Signed {
        self.sign_with(&self.fulcio, payload, options)
    }

    /// Signs `payload` keylessly with a leaf from `fulcio` (this instance's, or another), the
    /// SCT and the SET from this instance's logs.
    pub fn sign_with(&self, fulcio: &Fulcio, payload: &[u8], options: &Options) -> Signed {
        let key = Key::new();
        let leaf = self.leaf(&fulcio.intermediate, &key, options);
        let leaf_pem = pem("CERTIFICATE", &leaf);
        let signature = key.sign(payload);
        let logged = if options.entry_of_another_signature {
            key.sign(b"another payload")
        } else {
            signature.clone()
        };
        let logged_digest = if options.entry_of_another_signature {
            sha256(b"another payload")
        } else {
            sha256(payload)
        };
        // hashedrekord 0.0.1, canonical: keys sorted, no spaces.
        let body = format!(
            r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
            hex(&logged_digest),
            base64(&logged),
            base64(leaf_pem.as_bytes())
        );
        let body = base64(body.as_bytes());
        let log_id = hex(&self.rekor.id());
        let time = options.integrated_time;
        let set_payload = format!(
            r#"{{"body":"{body}","integratedTime":{time},"logID":"{log_id}","logIndex":{LOG_INDEX}}}"#
        );
        let set = if options.forge_set {
            Key::new().sign(set_payload.as_bytes())
        } else {
            self.rekor.sign(set_payload.as_bytes())
        };
        let bundle = json!({
            "SignedEntryTimestamp": base64(&set),
            "Payload": {"body": body, "integratedTime": time, "logIndex": LOG_INDEX, "logID": log_id}
        });
        Signed {
            signature: base64(&signature),
            certificate: leaf_pem,
            chain: fulcio.chain_pem(),
            bundle: bundle.to_string(),
        }
    }
}

fn extension_push(extensions: &mut Vec<Vec<u8>>, id: &str, value: Vec<u8>) {
    extensions.push(extension(id, false, value));
}

// ---------------------------------------------------------------------------------------
// The OCI layout.

/// An OCI image layout being written (`<dir>/layout`), with files beside it in `<dir>`.
pub struct Store {
    pub dir: Dir,
    layout: LayoutWriter,
}

impl Store {
    /// A new, empty layout in a new folder.
    pub fn new() -> Store {
        let dir = dir("keyless");
        // The references name their repositories: the writer's own is not used.
        let layout = LayoutWriter::new(dir.0.join("layout"), "");
        Store { dir, layout }
    }

    /// The folder the layout is in (`layout/`), for files beside it.
    pub fn path(&self) -> &Path {
        &self.dir.0
    }

    /// Writes a blob; its digest.
    pub fn blob(&self, bytes: &[u8]) -> String {
        self.layout.blob(bytes)
    }

    /// An image `repository:tag` whose one layer holds `content`; its manifest digest.
    pub fn image(&mut self, repository: &str, tag: &str, content: &str) -> String {
        self.layout
            .put_reference(&format!("{repository}:{tag}"), &image(content))
    }

    /// The signature artifact `repository:sha256-<hex>.sig` of `digest`, with these
    /// (payload, layer annotations) layers.
    pub fn signatures(&mut self, repository: &str, digest: &str, layers: &[SignatureLayer]) {
        self.layout.put_reference(
            &format!("{repository}:{}", signature_tag(digest)),
            &annotated_signature_artifact(layers),
        );
    }
}

impl Default for Store {
    fn default() -> Store {
        Store::new()
    }
}
