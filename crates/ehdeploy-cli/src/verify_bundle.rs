//! `ehdeploy verify-bundle`: one Sigstore bundle, with the conformance suite's contract
//! (`--bundle F (--certificate-identity I --certificate-oidc-issuer U | --key K)
//! [--trusted-root F] FILE_OR_DIGEST`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ehdeploy::signing::{verify_bundle, Expected, Subject, PRODUCTION_TRUSTED_ROOT};

/// The arguments of `verify-bundle`.
#[derive(Args)]
pub struct VerifyBundle {
    /// The bundle (`*.sigstore.json`).
    #[arg(long)]
    bundle: PathBuf,
    /// The signer's certificate identity (exact).
    #[arg(long, requires = "issuer", conflicts_with = "key")]
    certificate_identity: Option<String>,
    /// The signer's OIDC issuer.
    #[arg(long = "certificate-oidc-issuer", requires = "certificate_identity")]
    issuer: Option<String>,
    /// The signer's public key (PEM), for a managed-key bundle.
    #[arg(long, required_unless_present = "certificate_identity")]
    key: Option<PathBuf>,
    /// The trusted root (default: Sigstore's production root, built in).
    #[arg(long)]
    trusted_root: Option<PathBuf>,
    /// The artifact's path, or its digest `sha256:<hex>`.
    artifact: String,
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Verify; exit 0 verified, 1 rejected, 2 when an input cannot be read.
pub fn run(args: VerifyBundle) -> ExitCode {
    let inputs = (|| {
        let bundle = read(&args.bundle)?;
        let root = match &args.trusted_root {
            Some(path) => read(path)?,
            None => PRODUCTION_TRUSTED_ROOT.to_string(),
        };
        let expected = match (&args.certificate_identity, &args.issuer, &args.key) {
            (Some(identity), Some(issuer), None) => Expected::Identity {
                identity: identity.clone(),
                issuer: issuer.clone(),
            },
            (None, None, Some(key)) => Expected::Key(read(key)?),
            _ => {
                return Err(
                    "give --certificate-identity and --certificate-oidc-issuer, or --key".into(),
                )
            }
        };
        let artifact = if args.artifact.starts_with("sha256:") {
            None
        } else {
            Some(std::fs::read(&args.artifact).map_err(|e| format!("{}: {e}", args.artifact))?)
        };
        Ok::<_, String>((bundle, root, expected, artifact))
    })();
    let (bundle, root, expected, artifact) = match inputs {
        Ok(inputs) => inputs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let subject = match &artifact {
        Some(bytes) => Subject::Bytes(bytes),
        None => Subject::Digest(&args.artifact),
    };
    match verify_bundle(&bundle, subject, &expected, &root) {
        Ok(verdict) => {
            let who = verdict
                .identity
                .map(|i| format!(" by {i} ({})", verdict.issuer.unwrap_or_default()))
                .unwrap_or_else(|| " by the key".into());
            crate::print_out(&format!("verified{who}\n"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rejected: {e}");
            ExitCode::from(1)
        }
    }
}
