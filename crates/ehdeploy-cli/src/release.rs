//! `ehdeploy release …`: a release candidate's events, status and audit log.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use ehdeploy::api::{self, ApiError};
use ehdeploy::promotion::{Actor, Artifacts, Decision, Event, Evidence};

/// Where, which candidate, who and when: common to every release command.
#[derive(Args)]
pub struct Common {
    /// The platform repo's folder (the log is promotions/<candidate>.jsonl there).
    #[arg(long, default_value = ".")]
    platform: PathBuf,
    /// The release candidate's id.
    #[arg(long)]
    candidate: String,
    /// Who acts (a Jenkins user id).
    #[arg(long = "as", value_name = "PRINCIPAL", default_value = "")]
    actor: String,
    /// The actor's roles (comma-separated), as the caller vouches for them.
    #[arg(long, value_delimiter = ',')]
    roles: Vec<String>,
    /// The time of the event (RFC 3339; default now).
    #[arg(long)]
    at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Who records a decision in which candidate's audit log, for the commands that record one
/// when asked (`canary analyze`, `rollback`).
#[derive(Args)]
pub struct Recording {
    /// The release candidate whose audit log records the outcome.
    #[arg(long, requires = "actor")]
    candidate: Option<String>,
    /// Who records it (a Jenkins user id).
    #[arg(long = "as", value_name = "PRINCIPAL", requires = "candidate")]
    actor: Option<String>,
    /// The actor's roles (comma-separated).
    #[arg(long, value_delimiter = ',')]
    roles: Vec<String>,
}

impl Recording {
    /// The candidate and the actor, as the API's requests take them.
    pub fn into_parts(self) -> (Option<String>, Option<Actor>) {
        let roles = self.roles;
        (self.candidate, self.actor.map(|name| Actor { name, roles }))
    }
}

/// What recording `evidence` in a candidate's log gave, for people.
pub fn recorded(recorded: &api::ReleaseEventResponse, evidence: &str) -> String {
    match &recorded.decision {
        Decision::Accepted => format!("recorded: {evidence} evidence in {}\n", recorded.log),
        Decision::Refused { reasons } => {
            let mut text = format!("refused ({}):\n", recorded.log);
            for r in reasons {
                text.push_str(&format!("  - {} [{}]\n", r.message, r.code.as_str()));
            }
            text
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
/// Output format.
pub enum Format {
    Human,
    Json,
}

#[derive(Subcommand)]
/// The release commands.
pub enum Release {
    /// Create the candidate: a spec revision and the artifacts it carries.
    New {
        #[command(flatten)]
        common: Common,
        /// The spec's git commit.
        #[arg(long)]
        revision: String,
        #[command(flatten)]
        artifacts: ArtifactsArg,
    },
    /// Where the candidate is in each environment, and what may happen next.
    Status {
        #[command(flatten)]
        common: Common,
    },
    /// Record what happened: a deployment, evidence, a merged pull request, a rollback.
    Record {
        #[command(subcommand)]
        what: RecordWhat,
    },
    /// Request the promotion into an environment.
    Request {
        #[command(flatten)]
        common: Common,
        /// The target environment.
        #[arg(long)]
        to: String,
    },
    /// Approve the promotion into an environment.
    Approve {
        #[command(flatten)]
        common: Common,
        /// The target environment.
        #[arg(long)]
        to: String,
    },
    /// Promote the candidate into an environment (every gate is checked).
    Promote {
        #[command(flatten)]
        common: Common,
        /// The target environment.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        artifacts: ArtifactsArg,
    },
    /// Open or close a hotfix.
    Hotfix {
        #[command(subcommand)]
        what: HotfixWhat,
    },
    /// Verify the candidate's audit log: hashes, order, and (with --head) its end.
    VerifyLog {
        /// The platform repo's folder.
        #[arg(long, default_value = ".")]
        platform: PathBuf,
        /// The release candidate's id.
        #[arg(long)]
        candidate: String,
        /// The head hash the log must end at (kept elsewhere).
        #[arg(long)]
        head: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

/// The artifacts an event carries: from an environment's spec (default: the target's, or
/// the first environment's for `new`), or a JSON file `{app: {chart, version, image, digest}}`.
#[derive(Args)]
pub struct ArtifactsArg {
    /// Read the artifacts from this environment's spec.
    #[arg(long, conflicts_with = "artifacts")]
    from_env: Option<String>,
    /// Read the artifacts from a JSON file.
    #[arg(long, value_name = "FILE")]
    artifacts: Option<PathBuf>,
}

#[derive(Subcommand)]
/// What `record` records.
pub enum RecordWhat {
    /// The candidate was deployed to an environment (artifacts from its spec by default).
    Deployed {
        #[command(flatten)]
        common: Common,
        /// The environment.
        #[arg(long = "env")]
        environment: String,
        #[command(flatten)]
        artifacts: ArtifactsArg,
    },
    /// Evidence: signatures-verified, deployed-healthy, tests-passed or qa-approved.
    Evidence {
        #[command(flatten)]
        common: Common,
        /// The environment.
        #[arg(long = "env")]
        environment: String,
        /// The kind of evidence.
        #[arg(long, value_parser = evidence)]
        kind: Evidence,
        /// The evidence is negative (unhealthy, tests failed, QA rejected, not verified).
        #[arg(long)]
        failed: bool,
        /// A note: the test run, the ticket.
        #[arg(long)]
        note: Option<String>,
    },
    /// The pull request that promotes into an environment was merged.
    PrMerged {
        #[command(flatten)]
        common: Common,
        /// The target environment.
        #[arg(long)]
        to: String,
        /// Its source branch.
        #[arg(long)]
        source_branch: String,
        /// Its target branch.
        #[arg(long)]
        target_branch: String,
        /// Its number or URL.
        #[arg(long)]
        reference: Option<String>,
    },
    /// The candidate was rolled back in an environment.
    RolledBack {
        #[command(flatten)]
        common: Common,
        /// The environment.
        #[arg(long = "env")]
        environment: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
/// `hotfix open` and `hotfix close`.
pub enum HotfixWhat {
    /// Open a hotfix: it may skip or shorten what the platform's hotfix lane allows.
    Open {
        #[command(flatten)]
        common: Common,
        /// Why the normal path cannot be taken.
        #[arg(long, default_value = "")]
        justification: String,
        /// The incident or ticket id.
        #[arg(long, default_value = "")]
        ticket: String,
        /// Environments to skip (comma-separated).
        #[arg(long, value_delimiter = ',')]
        skip: Vec<String>,
    },
    /// Close the hotfix: the fix is on master and passed what was skipped.
    Close {
        #[command(flatten)]
        common: Common,
        /// The commit on master that holds the fix.
        #[arg(long)]
        master_revision: String,
    },
}

fn evidence(s: &str) -> Result<Evidence, String> {
    Evidence::ALL
        .into_iter()
        .find(|e| e.as_str() == s)
        .ok_or_else(|| {
            let names: Vec<&str> = Evidence::ALL.iter().map(|e| e.as_str()).collect();
            format!("one of {}", names.join(", "))
        })
}

/// Run a release command; its exit code (1 when refused or the log is broken).
pub fn run(command: Release) -> Result<ExitCode, ApiError> {
    match command {
        Release::New {
            common,
            revision,
            artifacts,
        } => {
            let artifacts = artifacts.read(&common, None)?;
            let event = Event::CandidateCreated {
                candidate: common.candidate.clone(),
                revision,
                artifacts,
            };
            event_command(common, event)
        }
        Release::Status { common } => {
            let answer = api::release_status(&api::ReleaseStatusRequest {
                platform: common.platform.clone(),
                candidate: common.candidate.clone(),
                at: common.at.clone(),
            })?;
            match common.format {
                Format::Json => print(&api::to_json(&answer)),
                Format::Human => print(&format!(
                    "{}{} entries, head {}\n",
                    answer.status.human(),
                    answer.entries,
                    answer.head
                )),
            }
            Ok(ExitCode::SUCCESS)
        }
        Release::Record { what } => match what {
            RecordWhat::Deployed {
                common,
                environment,
                artifacts,
            } => {
                let artifacts = artifacts.read(&common, Some(&environment))?;
                event_command(
                    common,
                    Event::Deployed {
                        environment,
                        artifacts,
                    },
                )
            }
            RecordWhat::Evidence {
                common,
                environment,
                kind,
                failed,
                note,
            } => event_command(
                common,
                Event::Evidence {
                    environment,
                    kind,
                    ok: !failed,
                    note,
                },
            ),
            RecordWhat::PrMerged {
                common,
                to,
                source_branch,
                target_branch,
                reference,
            } => event_command(
                common,
                Event::PullRequestMerged {
                    to,
                    source_branch,
                    target_branch,
                    reference,
                },
            ),
            RecordWhat::RolledBack {
                common,
                environment,
                reason,
            } => event_command(
                common,
                Event::RolledBack {
                    environment,
                    reason,
                },
            ),
        },
        Release::Request { common, to } => event_command(common, Event::PromotionRequested { to }),
        Release::Approve { common, to } => event_command(common, Event::Approved { to }),
        Release::Promote {
            common,
            to,
            artifacts,
        } => {
            let artifacts = artifacts.read(&common, Some(&to))?;
            event_command(common, Event::Promoted { to, artifacts })
        }
        Release::Hotfix { what } => match what {
            HotfixWhat::Open {
                common,
                justification,
                ticket,
                skip,
            } => event_command(
                common,
                Event::HotfixOpened {
                    justification,
                    ticket,
                    skip,
                },
            ),
            HotfixWhat::Close {
                common,
                master_revision,
            } => event_command(common, Event::HotfixClosed { master_revision }),
        },
        Release::VerifyLog {
            platform,
            candidate,
            head,
            format,
        } => {
            let answer = api::verify_log(&api::VerifyLogRequest {
                platform,
                candidate,
                head,
            })?;
            match format {
                Format::Json => print(&api::to_json(&answer)),
                Format::Human => match &answer.problem {
                    None => print(&format!(
                        "{}: {} entries verified, head {}\n",
                        answer.log, answer.entries, answer.head
                    )),
                    Some(p) => print(&format!(
                        "{}:{}: {} ({:?}); the {} entries before it verify, head {}\n",
                        answer.log, p.line, p.message, p.code, answer.entries, answer.head
                    )),
                },
            }
            Ok(ExitCode::from(u8::from(!answer.ok)))
        }
    }
}

impl ArtifactsArg {
    /// The artifacts this argument names; `default_env` when neither option is given (the
    /// first environment when that is `None`).
    fn read(&self, common: &Common, default_env: Option<&str>) -> Result<Artifacts, ApiError> {
        if let Some(file) = &self.artifacts {
            let text = std::fs::read_to_string(file)
                .map_err(|e| ApiError::from(ehdeploy::Error::io(file, e)))?;
            return serde_json::from_str(&text).map_err(|e| {
                ApiError::new(
                    api::ErrorCode::Usage,
                    format!("{} is not a JSON map of artifacts: {e}", file.display()),
                )
            });
        }
        let environment = self
            .from_env
            .clone()
            .or_else(|| default_env.map(str::to_string));
        Ok(api::release_artifacts(&api::ArtifactsRequest {
            platform: common.platform.clone(),
            environment,
            ..Default::default()
        })?
        .artifacts)
    }
}

fn event_command(common: Common, event: Event) -> Result<ExitCode, ApiError> {
    let answer = api::release_event(&api::ReleaseEventRequest {
        platform: common.platform,
        candidate: common.candidate,
        actor: Actor {
            name: common.actor,
            roles: common.roles,
        },
        event,
        at: common.at,
    })?;
    let refused = matches!(answer.decision, Decision::Refused { .. });
    match common.format {
        Format::Json => print(&api::to_json(&answer)),
        Format::Human => {
            let mut text = match &answer.decision {
                Decision::Accepted => format!(
                    "accepted: {} (entry {})\n",
                    answer.entry.event.kind(),
                    answer.entry.seq
                ),
                Decision::Refused { reasons } => {
                    let mut t = format!(
                        "refused: {} (entry {})\n",
                        answer.entry.event.kind(),
                        answer.entry.seq
                    );
                    for r in reasons {
                        t.push_str(&format!("  - {} [{}]\n", r.message, r.code.as_str()));
                    }
                    t
                }
            };
            text.push_str(&answer.status.human());
            print(&text);
        }
    }
    Ok(ExitCode::from(u8::from(refused)))
}

fn print(text: &str) {
    let text = if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    };
    super::print_out(&text);
}
