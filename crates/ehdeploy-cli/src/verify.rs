//! `ehdeploy verify`: every image of a spec (or images named) against the platform's trust
//! policy, from an OCI layout or the registries; one verdict per image, the findings in the
//! report formats of `validate`, and with --pin the verified digests written into the spec.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ehdeploy::api::{self, ApiError, Verified, VerifiedImage};
use ehdeploy::report::{render, ReportFormat};
use ehdeploy::trust::Outcome;

use crate::release::Recording;
use crate::{FormatArg, Output, VarArgs};

/// The arguments of `ehdeploy verify`.
#[derive(Args)]
pub struct Verify {
    /// The platform repo's folder, or its platform.yaml: its `signatures:` is the policy.
    #[arg(long, default_value = ".")]
    platform: PathBuf,
    /// The environment whose requirements apply (default: every environment; with DSFs, the
    /// one whose `dsf` lists them).
    #[arg(long = "env")]
    environment: Option<String>,
    /// Verify offline from this OCI image layout (default: each image's registry).
    #[arg(long, value_name = "DIR")]
    layout: Option<PathBuf>,
    /// A folder of Sigstore bundle files (`cosign sign --bundle`), besides the platform's
    /// `signatures.bundles` (repeatable): each bundle counts for the images it signs.
    #[arg(long = "bundles", value_name = "DIR")]
    bundles: Vec<PathBuf>,
    /// A registry reached over plain HTTP, never HTTPS (repeatable): only for loopback or
    /// test registries.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    insecure: Vec<String>,
    /// Registry credentials, as docker writes them (default: $DOCKER_CONFIG/config.json, else
    /// ~/.docker/config.json, when there is one).
    #[arg(long, value_name = "FILE")]
    docker_config: Option<PathBuf>,
    /// A CA certificate (PEM) trusted for registries' HTTPS, besides Mozilla's roots (repeatable).
    #[arg(long = "ca-cert", value_name = "FILE")]
    ca_certs: Vec<PathBuf>,
    /// At most this many images verified at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The longest one registry request may take, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_seconds: u64,
    /// How many times a registry request is tried again after a connection error, a timeout
    /// or a 5xx.
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Pin: the verified digest of each allowed image named by tag alone, as a diff of the
    /// spec's files (with --write, written).
    #[arg(long)]
    pin: bool,
    /// With --pin, write the files.
    #[arg(long, requires = "pin")]
    write: bool,
    /// The result goes to the candidate's audit log as `signatures-verified` evidence for
    /// --env (positive when every image is allowed).
    #[command(flatten)]
    recording: Recording,
    #[command(flatten)]
    vars: VarArgs,
    #[command(flatten)]
    output: Output,
    /// DSFs (`.yaml`, `.yml`, `.toml`; merged in order) or images
    /// (`registry/repository:tag[@digest]`); default: every environment's (or --env's) own DSFs.
    targets: Vec<String>,
}

/// Run it: exit 0, 1 when a finding is at or above --fail-on, 2 on an error.
pub fn run(args: Verify) -> Result<ExitCode, ApiError> {
    let (candidate, actor) = args.recording.into_parts();
    let (files, images): (Vec<String>, Vec<String>) =
        args.targets.into_iter().partition(|t| is_spec_file(t));
    let request = api::VerifyRequest {
        platform: args.platform,
        environment: args.environment,
        files: files.into_iter().map(PathBuf::from).collect(),
        images,
        layout: args.layout,
        bundles: args.bundles,
        registry: ehdeploy::signing::RegistryOptions {
            insecure: args.insecure,
            docker_config: args.docker_config.or_else(default_docker_config),
            ca_certificates: args.ca_certs,
            timeout_seconds: args.timeout_seconds,
            retries: args.retries,
        },
        concurrency: Some(args.concurrency),
        pin: args.pin,
        write: args.write,
        candidate,
        actor,
        vars: args.vars.map(),
        process_env: args.vars.process_env(),
        max_file_bytes: args.output.max_file_size,
    };
    let bar = std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if bar {
            let width = 30;
            let filled = done * width / total.max(1);
            eprint!(
                "\rverifying [{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            if done == total {
                eprint!("\r{}\r", " ".repeat(width + 24));
            }
            let _ = std::io::stderr().flush();
        }
    };
    let verified = api::verify_with_progress(&request, &progress)?;
    print(&verified, &args.output);
    Ok(args.output.exit_code(&verified.response.report))
}

/// Whether a target names a desired-state file (by its extension; a missing one is then an
/// error that says so) rather than an image.
fn is_spec_file(target: &str) -> bool {
    let path = std::path::Path::new(target);
    path.is_file()
        || path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "toml")
}

/// Docker's own default: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, when the
/// file exists.
fn default_docker_config() -> Option<PathBuf> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))?;
    Some(dir.join("config.json")).filter(|p| p.is_file())
}

fn print(verified: &Verified, output: &Output) {
    let answer = &verified.response;
    let text = match output.format {
        FormatArg::Json => format!("{}\n", api::to_json(answer)),
        FormatArg::Sarif => render(&answer.report, Some(&verified.sources), ReportFormat::Sarif),
        FormatArg::Junit => render(&answer.report, Some(&verified.sources), ReportFormat::Junit),
        FormatArg::Human => {
            let color = crate::use_color(output.color);
            let mut text = String::new();
            for image in &answer.images {
                text.push_str(&verdict_line(image, color));
            }
            text.push_str(&tally(&answer.images));
            text.push('\n');
            text.push_str(&render(
                &answer.report,
                Some(&verified.sources),
                ReportFormat::Human { color },
            ));
            for change in &answer.files {
                if answer.written {
                    let _ = writeln!(text, "wrote {}", change.path);
                } else {
                    text.push_str(&change.unified_diff());
                }
            }
            if let Some(recorded) = &answer.recorded {
                text.push_str(&crate::release::recorded(recorded, "signatures-verified"));
            }
            text
        }
    };
    crate::print_out(&text);
}

/// One image's verdict in a line, and each authority that did not verify below it.
fn verdict_line(image: &VerifiedImage, color: bool) -> String {
    let v = &image.verdict;
    let (code, word) = match v.outcome {
        Outcome::Allowed => ("32", "allowed"),
        Outcome::Warned => ("33", "warned "),
        Outcome::Refused => ("31", "refused"),
        Outcome::Unverifiable => ("31", "unknown"),
    };
    let mark = if color {
        format!("\x1b[{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    };
    let mut line = format!(
        "{mark} {:<8} {:<16} {}",
        image.environment.as_deref().unwrap_or("-"),
        image.app.as_deref().unwrap_or("-"),
        image.reference
    );
    if let (Some(digest), false) = (&v.digest, image.pinned) {
        // The digest the tag names now; JSON has it whole.
        let _ = write!(line, "@{}…", digest.get(..19).unwrap_or(digest));
    }
    if v.outcome == Outcome::Allowed {
        let _ = writeln!(line, "  by {}", v.decision.passed.join(", "));
        return line;
    }
    let _ = writeln!(line, "\n        {}", v.decision.message);
    if v.outcome == Outcome::Unverifiable {
        return line;
    }
    for check in v.checks.iter().filter(|c| !c.verified) {
        let _ = writeln!(
            line,
            "        {}: {} [{}]",
            check.authority,
            check.message.as_deref().unwrap_or("not verified"),
            check.reason.as_deref().unwrap_or("unsigned")
        );
    }
    line
}

/// How many images were allowed, warned about, refused, and could not be verified.
fn tally(images: &[VerifiedImage]) -> String {
    let count = |o: Outcome| images.iter().filter(|i| i.verdict.outcome == o).count();
    format!(
        "{} image(s): {} allowed, {} warned, {} refused, {} not verifiable\n",
        images.len(),
        count(Outcome::Allowed),
        count(Outcome::Warned),
        count(Outcome::Refused),
        count(Outcome::Unverifiable),
    )
}
