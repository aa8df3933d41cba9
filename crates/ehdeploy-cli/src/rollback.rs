//! `ehdeploy rollback`: an app or an environment back to an earlier revision of the spec's
//! git history, planned, and with --write committed on the current branch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use ehdeploy::api::{self, ApiError, RollbackResponse};

use crate::release::{Format, Recording};

/// The rollback's arguments.
#[derive(Args)]
pub struct Rollback {
    /// The git work tree that holds the platform repo.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// The platform repo's folder inside it, relative to --repo.
    #[arg(long)]
    platform: Option<PathBuf>,
    /// The environment.
    #[arg(long = "env")]
    environment: String,
    /// Only this app (default: every app of the environment).
    #[arg(long)]
    app: Option<String>,
    /// Go back to this revision (a commit, HEAD~2, a tag) of the branch's history, healthy
    /// by record or not.
    #[arg(long)]
    to: Option<String>,
    /// Write the files and commit them on the current branch.
    #[arg(long)]
    write: bool,
    /// With --write, `rolled-back` (naming the commit) goes to the candidate's audit log.
    #[command(flatten)]
    recording: Recording,
    /// How many commits back to search.
    #[arg(long, default_value_t = api::DEFAULT_MAX_COMMITS)]
    max_commits: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Run the rollback; its exit code, or the error to print.
pub fn run(args: Rollback) -> Result<ExitCode, ApiError> {
    let (candidate, actor) = args.recording.into_parts();
    let answer = api::rollback(&api::RollbackRequest {
        repo: args.repo,
        platform: args.platform,
        environment: args.environment,
        app: args.app,
        to: args.to,
        write: args.write,
        max_commits: Some(args.max_commits),
        candidate,
        actor,
    })?;
    match args.format {
        Format::Json => crate::print_out(&format!("{}\n", api::to_json(&answer))),
        Format::Human => crate::print_out(&human(&answer)),
    }
    Ok(ExitCode::SUCCESS)
}

fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

fn human(answer: &RollbackResponse) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rollback of {} on {} (HEAD {} {})",
        answer.environment,
        answer.branch.as_deref().unwrap_or("a detached HEAD"),
        short(&answer.head.id),
        answer.head.summary
    );
    let _ = writeln!(
        out,
        "target: {} {} ({}){}",
        short(&answer.target.id),
        answer.target.summary,
        answer.target.time,
        if answer.healthy_by_record {
            ", healthy by record"
        } else {
            ", NOT healthy by record"
        }
    );
    for app in &answer.apps {
        let show = |r: &Option<ehdeploy::rollback::Released>| {
            r.as_ref().map_or("(none)".to_string(), |r| {
                let tag = r
                    .tag
                    .as_deref()
                    .map(|t| format!(":{t}"))
                    .unwrap_or_default();
                let digest = r
                    .artifact
                    .digest
                    .as_deref()
                    .map(|d| format!("@{d}"))
                    .unwrap_or_default();
                format!(
                    "{} {} {}{tag}{digest}",
                    r.artifact.chart,
                    r.artifact.version,
                    r.artifact.image.as_deref().unwrap_or("")
                )
            })
        };
        let _ = writeln!(
            out,
            "  {}: {} -> {}{}",
            app.app,
            show(&app.from),
            show(&app.to),
            app.healthy_by
                .as_ref()
                .map(|c| format!("  (healthy by record: {c})"))
                .unwrap_or_default()
        );
    }
    for b in &answer.between {
        let _ = write!(
            out,
            "  between: {} {} changed {}",
            short(&b.revision.id),
            b.revision.summary,
            b.apps.join(", ")
        );
        if b.others.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(
                out,
                "  -- kept: {} (decide about these)",
                b.others.join(", ")
            );
        }
    }
    for file in &answer.files {
        out.push_str(&file.unified_diff());
    }
    for finding in &answer.report.findings {
        let _ = writeln!(out, "{}: {}", finding.rule, finding.message);
    }
    match &answer.commit {
        Some(c) => {
            let _ = writeln!(out, "committed {} {}", short(&c.id), c.summary);
        }
        None => out.push_str("not written: run again with --write to commit it\n"),
    }
    if let Some(recorded) = &answer.recorded {
        let _ = writeln!(out, "recorded rolled-back in {}", recorded.log);
    }
    out
}
