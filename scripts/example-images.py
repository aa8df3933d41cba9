#!/usr/bin/env python3
"""Writes the example platform's images and their cosign signatures into an OCI image layout
(examples/platform/images/) and the signers' public keys into examples/platform/keys/.

The images are small and deterministic (one layer, one config), so their digests never change
and the digests pinned in preprod and prod stay valid whenever this is run again. The
signatures are made by openssl, following cosign's signature specification: the simple
signing payload, ECDSA P-256 over SHA-256, base64 in the layer annotation
`dev.cosignproject.cosign/signature`, in the manifest tagged `sha256-<hex>.sig`. ECDSA
signatures are randomised, so running this again changes the signatures, not the images.

The private keys are made in a temporary folder and thrown away (give a folder as the first
argument to keep them, or to sign with keys made before): a real platform keeps its release
key in a KMS or an HSM, and each supplier its own.

    python3 scripts/example-images.py [KEY_DIR]
"""

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "platform")
LAYOUT = os.path.join(ROOT, "images")
KEYS = os.path.join(ROOT, "keys")
REGISTRY = "registry.ehealth.example"

# (supplier, app, tag, signed by the supplier's CI, signed by the platform's release key)
IMAGES = [
    ("medilink", "patient-api", "3.14.2", True, True),
    ("medilink", "patient-portal", "2.8.3", True, True),
    ("medilink", "patient-portal", "2.9.0", True, False),  # in test: not released yet
    ("carebridge", "appointments", "1.22.0", True, True),
    ("carebridge", "notifications", "4.3.1", True, True),
    ("carebridge", "referrals", "1.9.3", True, True),
    ("nordlab", "lab-results", "2.11.4", True, True),
    ("nordlab", "lab-results", "2.12.0-rc.1", False, False),  # pushed by hand: unsigned
    ("nordlab", "lab-gateway", "5.0.4", True, True),
    ("nordlab", "lab-archive", "1.4.2", True, True),
]
SIGNERS = ["medilink-ci", "carebridge-ci", "nordlab-ci", "platform-release"]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def blob(data):
    """Writes a blob; its descriptor's digest and size."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(LAYOUT, "blobs", "sha256", digest[7:]), "wb") as f:
        f.write(data)
    return digest, len(data)


def descriptor(media_type, data, annotations=None):
    digest, size = blob(data)
    d = {"mediaType": media_type, "digest": digest, "size": size}
    if annotations:
        d["annotations"] = annotations
    return d


def layer(app, tag):
    """A one-file tar with fixed times and owners: the same bytes every run."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        body = f"{app} {tag}\n".encode()
        info = tarfile.TarInfo(f"srv/{app}/VERSION")
        info.size, info.mtime, info.mode = len(body), 0, 0o644
        tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def image(supplier, app, tag):
    """Writes the image; its manifest's digest."""
    tar = layer(app, tag)
    config = canonical({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {
            "org.opencontainers.image.title": app,
            "org.opencontainers.image.vendor": supplier,
            "org.opencontainers.image.version": tag,
        }},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
    })
    manifest = canonical({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, config),
        "layers": [descriptor(OCI_LAYER, tar)],
    })
    return blob(manifest)


def sign(key_dir, signer, payload):
    """openssl's ECDSA P-256 / SHA-256 signature of `payload`, in base64."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(payload)
        f.flush()
        der = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", os.path.join(key_dir, signer + ".key"), f.name],
            check=True, capture_output=True).stdout
    return base64.b64encode(der).decode()


def signature_manifest(key_dir, name, digest, signers):
    """cosign's signature artifact: one simple signing layer per signer."""
    payload = canonical({
        "critical": {
            "identity": {"docker-reference": name},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": None,
    })
    layers = [descriptor(SIMPLESIGNING, payload,
                         {"dev.cosignproject.cosign/signature": sign(key_dir, s, payload)})
              for s in signers]
    return blob(canonical({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, canonical({"architecture": "", "os": "", "config": {},
                                                    "rootfs": {"type": "layers", "diff_ids": []}})),
        "layers": layers,
    }))


def keys(key_dir):
    os.makedirs(KEYS, exist_ok=True)
    for signer in SIGNERS:
        private = os.path.join(key_dir, signer + ".key")
        if not os.path.exists(private):
            subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                            "-out", private], check=True)
        subprocess.run(["openssl", "ec", "-in", private, "-pubout", "-out",
                        os.path.join(KEYS, signer + ".pub")], check=True, capture_output=True)


def main():
    kept = sys.argv[1] if len(sys.argv) > 1 else None
    key_dir = kept or tempfile.mkdtemp(prefix="ehdeploy-example-keys-")
    os.makedirs(key_dir, exist_ok=True)
    try:
        keys(key_dir)
        shutil.rmtree(LAYOUT, ignore_errors=True)
        os.makedirs(os.path.join(LAYOUT, "blobs", "sha256"))
        with open(os.path.join(LAYOUT, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        refs = []
        for supplier, app, tag, by_supplier, by_platform in IMAGES:
            name = f"{REGISTRY}/{supplier}/{app}"
            digest, size = image(supplier, app, tag)
            refs.append((f"{name}:{tag}", digest, size))
            signers = [f"{supplier}-ci"] * by_supplier + ["platform-release"] * by_platform
            if signers:
                sig_digest, sig_size = signature_manifest(key_dir, name, digest, signers)
                refs.append((f"{name}:{digest.replace(':', '-')}.sig", sig_digest, sig_size))
            print(f"{name}:{tag}@{digest} signed by {', '.join(signers) or 'nobody'}")
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": s,
                           "annotations": {REF_NAME: r}} for r, d, s in refs],
        }
        with open(os.path.join(LAYOUT, "index.json"), "w") as f:
            json.dump(index, f, indent=2)
            f.write("\n")
    finally:
        if not kept:
            shutil.rmtree(key_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
