//! The `ehdeploy` command line: a thin adapter over `ehdeploy::api`.

mod canary;
mod release;
mod rollback;
mod verify;
mod verify_bundle;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ehdeploy::api::{self, Checked};
use ehdeploy::plan::{render as render_plan, PlanFormat};
use ehdeploy::report::{render, ReportFormat};
use ehdeploy::Severity;

// The command frees hundreds of thousands of small trees at the end of a large check; mimalloc
// does that about four times faster than glibc (docs/performance.md, "which allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Validate, plan, verify and promote Helmsman desired-state specifications.
#[derive(Parser)]
#[command(name = "ehdeploy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate desired-state files (and, with --platform, the platform's rules).
    Validate {
        /// The platform file (platform.yaml).
        #[arg(long)]
        platform: Option<PathBuf>,
        /// The environment the files are for (default: the one whose `dsf` lists them).
        #[arg(long = "env")]
        environment: Option<String>,
        #[command(flatten)]
        vars: VarArgs,
        /// Substitute variables in values files too (Helmsman's --subst-env-values).
        #[arg(long)]
        subst_env_values: bool,
        #[command(flatten)]
        output: Output,
        /// Desired-state files or Helmsman spec files, merged in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check a whole platform repo: every environment of its platform.yaml. The main job.
    Check {
        /// The platform repo's folder.
        #[arg(default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        output: Output,
        /// Judge the releases' next steps at this time (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Plan what changing the desired state does, app by app, offline.
    Plan {
        /// The DSFs as they are (repeatable; merged in order).
        #[arg(long, required_unless_present = "from", value_name = "DSF")]
        old: Vec<PathBuf>,
        /// The DSFs as they will be (repeatable; merged in order).
        #[arg(long, required_unless_present = "from", value_name = "DSF")]
        new: Vec<PathBuf>,
        /// Plan a promotion from this environment (with --to and --platform).
        #[arg(long, requires_all = ["to", "platform"], conflicts_with_all = ["old", "new"])]
        from: Option<String>,
        /// The environment a promotion goes to.
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// Promote only these apps (comma-separated).
        #[arg(long, value_delimiter = ',', requires = "from")]
        apps: Vec<String>,
        /// The platform file or repo folder: chart profiles name the values; secrets are
        /// recognised as it says.
        #[arg(long)]
        platform: Option<PathBuf>,
        /// The environment (its last one, or `prod`, is production).
        #[arg(long = "env")]
        environment: Option<String>,
        #[command(flatten)]
        vars: VarArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PlanFormatArg::Human)]
        format: PlanFormatArg,
        /// Colour in human output.
        #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
        color: ColorArg,
        /// Exit 0 when nothing changes, 2 when something does, 1 on any error (as Helmsman).
        #[arg(long)]
        detailed_exit_code: bool,
    },
    /// Write a promotion into the target environment's DSF and values files, in place.
    PromoteSpec {
        /// The platform repo's folder, or its platform.yaml.
        #[arg(long, default_value = ".")]
        platform: PathBuf,
        /// The source environment.
        #[arg(long)]
        from: String,
        /// The target environment.
        #[arg(long)]
        to: String,
        /// Promote only these apps (comma-separated).
        #[arg(long, value_delimiter = ',')]
        apps: Vec<String>,
        #[command(flatten)]
        vars: VarArgs,
        /// Write the files; without it, print the change as a unified diff.
        #[arg(long)]
        write: bool,
        /// Output format: the diff (or the files written), or the JSON answer.
        #[arg(long, value_enum, default_value_t = PromoteFormatArg::Human)]
        format: PromoteFormatArg,
    },
    /// Print a JSON Schema of schemas/: a document (dsf, spec-file, platform, report, plan;
    /// for editors' `yaml-language-server: $schema=`) or an API one (api/validate.request, …).
    Schema {
        /// Which schema.
        name: String,
    },
    /// List the rules with their default severity and summary.
    Rules,
    /// Release candidates: create, record, request, approve, promote, hotfix, status and the
    /// audit log (promotions/<candidate>.jsonl). Exit 1 when an event is refused.
    Release {
        #[command(subcommand)]
        command: release::Release,
    },
    /// Canary releases: judge a canary from Prometheus; the Flagger objects of the analyses.
    Canary {
        #[command(subcommand)]
        command: canary::Canary,
    },
    /// Take an app (or an environment) back to the last revision of the spec's git history
    /// where it ran something else and was healthy by record (or --to REV): the plan, and with
    /// --write a new commit on the current branch. Exit 2 on an error.
    Rollback(rollback::Rollback),
    /// Verify every image of the spec (or the images given) against the platform's trust
    /// policy, from an OCI layout or the registries: one verdict per image; with --pin, the
    /// verified digests written into the spec. Exit 1 when an image is refused, 2 on an error.
    Verify(verify::Verify),
    /// Verify one Sigstore bundle, offline, with the command-line contract of sigstore's
    /// conformance suite. Exit 0 verified, 1 rejected (with the reason), 2 usage.
    #[command(hide = true)]
    VerifyBundle(verify_bundle::VerifyBundle),
    /// Roll-out decisions.
    Rollout {
        #[command(subcommand)]
        command: RolloutCommand,
    },
    /// Call an operation of the API with a JSON request and print its JSON answer (what the
    /// Python, C and Jenkins bindings get). Exit 0 with an answer, 2 with an error (its JSON).
    Call {
        /// The operation (`ehdeploy call version` lists them).
        operation: String,
        /// The request: JSON text, `@FILE`, or `-` for standard input.
        #[arg(default_value = "{}")]
        request: String,
    },
}

/// Variables for `$VAR` substitution.
#[derive(clap::Args)]
pub(crate) struct VarArgs {
    /// A variable for `$VAR` substitution (repeatable); wins over the process environment.
    #[arg(long = "var", value_name = "K=V", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Do not take variables from the process environment.
    #[arg(long)]
    no_process_env: bool,
}

impl VarArgs {
    fn map(&self) -> BTreeMap<String, String> {
        self.vars.iter().cloned().collect()
    }

    fn process_env(&self) -> bool {
        !self.no_process_env
    }
}

#[derive(clap::Args)]
pub(crate) struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,
    /// Largest file accepted, in bytes.
    #[arg(long)]
    max_file_size: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    Human,
    Json,
    Sarif,
    Junit,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanFormatArg {
    Human,
    Json,
    Markdown,
}

#[derive(Subcommand)]
enum RolloutCommand {
    /// How each app's roll-out stands, from `kubectl get deploy,rs,pods -o json`, and the next
    /// step: wait, fix the configuration or roll back, roll back. Exit 1 when an app needs a
    /// person (stalled, degraded or unknown).
    Health {
        /// The JSON of `kubectl get deploy,rs,pods -o json`.
        #[arg(long, value_name = "FILE.json")]
        objects: PathBuf,
        /// The platform repo (with --env: the apps of that environment, in their namespaces).
        #[arg(long, requires = "environment")]
        platform: Option<PathBuf>,
        /// The environment.
        #[arg(long = "env", requires = "platform")]
        environment: Option<String>,
        /// Only these apps (comma-separated).
        #[arg(long, value_delimiter = ',')]
        apps: Vec<String>,
        /// The release candidate deployed: a finished roll-out goes to its audit log as
        /// `deployed-healthy` evidence (positive or not).
        #[arg(long, requires_all = ["actor", "platform"])]
        candidate: Option<String>,
        /// Who records it (a Jenkins user id).
        #[arg(long = "as", value_name = "PRINCIPAL", requires = "candidate")]
        actor: Option<String>,
        /// The actor's roles (comma-separated).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PromoteFormatArg::Human)]
        format: PromoteFormatArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PromoteFormatArg {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FailOn {
    Error,
    Warning,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let detailed = matches!(
        cli.command,
        Command::Plan {
            detailed_exit_code: true,
            ..
        }
    );
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(if detailed { 1 } else { 2 })
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, ehdeploy::Error> {
    match cli.command {
        Command::Validate {
            platform,
            environment,
            vars,
            subst_env_values,
            output,
            files,
        } => {
            let request = api::ValidateRequest {
                files,
                platform,
                environment,
                vars: vars.map(),
                process_env: vars.process_env(),
                substitute_values: subst_env_values,
                max_file_bytes: output.max_file_size,
            };
            Ok(emit(&api::validate(&request)?, &output))
        }
        Command::Check {
            dir,
            vars,
            output,
            at,
        } => {
            let request = api::CheckRequest {
                platform_dir: dir,
                vars: vars.map(),
                process_env: vars.process_env(),
                max_file_bytes: output.max_file_size,
                at,
            };
            Ok(emit(&api::check(&request)?, &output))
        }
        Command::Plan {
            old,
            new,
            from,
            to,
            apps,
            platform,
            environment,
            vars,
            format,
            color,
            detailed_exit_code,
        } => {
            let process_env = vars.process_env();
            let vars = vars.map();
            let planned = match (from, to, platform) {
                (Some(from), Some(to), Some(platform)) => {
                    api::promotion_plan(&api::PromotionRequest {
                        platform,
                        from,
                        to,
                        apps,
                        vars,
                        process_env,
                        max_file_bytes: None,
                    })?
                }
                (_, _, platform) => api::plan(&api::PlanRequest {
                    old,
                    new,
                    platform: platform.map(|p| {
                        if p.is_dir() {
                            p.join("platform.yaml")
                        } else {
                            p
                        }
                    }),
                    environment,
                    vars,
                    process_env,
                    max_file_bytes: None,
                })?,
            };
            if let PlanFormatArg::Json = format {
                let failed = planned.report.fails_at(Severity::Error);
                let changes = planned.plan.summary.has_changes();
                print_out(&format!(
                    "{}\n",
                    api::to_json(&api::PlanResponse::from(planned))
                ));
                return Ok(ExitCode::from(
                    match (failed, detailed_exit_code && changes) {
                        (true, _) => 1,
                        (false, true) => 2,
                        (false, false) => 0,
                    },
                ));
            }
            let color = use_color(color);
            if !planned.report.findings.is_empty() {
                let text = render(
                    &planned.report,
                    Some(&planned.sources),
                    ReportFormat::Human {
                        color: color && std::io::stderr().is_terminal(),
                    },
                );
                eprint!("{text}");
            }
            if planned.report.fails_at(Severity::Error) {
                return Ok(ExitCode::from(1));
            }
            let format = match format {
                PlanFormatArg::Human => PlanFormat::Human { color },
                PlanFormatArg::Json => PlanFormat::Json,
                PlanFormatArg::Markdown => PlanFormat::Markdown,
            };
            print_out(&render_plan(&planned.plan, format));
            let changes = planned.plan.summary.has_changes();
            Ok(ExitCode::from(if detailed_exit_code && changes {
                2
            } else {
                0
            }))
        }
        Command::PromoteSpec {
            platform,
            from,
            to,
            apps,
            vars,
            write,
            format,
        } => {
            let promoted = api::promote_spec(&api::PromoteSpecRequest {
                promotion: api::PromotionRequest {
                    platform,
                    from,
                    to,
                    apps,
                    vars: vars.map(),
                    process_env: vars.process_env(),
                    max_file_bytes: None,
                },
                write,
            })?;
            if let PromoteFormatArg::Json = format {
                print_out(&format!("{}\n", api::to_json(&promoted)));
                let failed = promoted.report.fails_at(Severity::Error);
                return Ok(ExitCode::from(u8::from(failed)));
            }
            if !promoted.report.findings.is_empty() {
                let color =
                    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                eprint!(
                    "{}",
                    render(&promoted.report, None, ReportFormat::Human { color })
                );
            }
            if promoted.report.fails_at(Severity::Error) {
                return Ok(ExitCode::from(1));
            }
            if write {
                let mut text = String::new();
                for f in &promoted.files {
                    text.push_str(&format!("wrote {}\n", f.path));
                }
                if promoted.files.is_empty() {
                    text.push_str("nothing to promote\n");
                }
                print_out(&text);
            } else {
                let diff: String = promoted
                    .files
                    .iter()
                    .map(api::FileChange::unified_diff)
                    .collect();
                print_out(&diff);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { name } => {
            let schema = api::schema_named(&name).ok_or_else(|| {
                ehdeploy::Error::Usage(format!(
                    "no schema named `{name}` (there are: {})",
                    api::schema_names().join(", ")
                ))
            })?;
            print_out(&format!("{}\n", api::to_json(&schema)));
            Ok(ExitCode::SUCCESS)
        }
        Command::Canary { command } => Ok(exit(canary::run(command))),
        Command::Release { command } => Ok(exit(release::run(command))),
        Command::Rollback(args) => Ok(exit(rollback::run(args))),
        Command::Verify(args) => Ok(exit(verify::run(args))),
        Command::VerifyBundle(args) => Ok(verify_bundle::run(args)),
        Command::Rollout {
            command:
                RolloutCommand::Health {
                    objects,
                    platform,
                    environment,
                    apps,
                    candidate,
                    actor,
                    roles,
                    format,
                },
        } => {
            let answer = api::rollout_health(&api::RolloutHealthRequest {
                objects,
                platform,
                environment,
                apps,
                candidate,
                actor: actor.map(|name| ehdeploy::promotion::Actor { name, roles }),
            });
            let answer = match answer {
                Ok(r) => r,
                Err(e) => return Ok(exit(Err(e))),
            };
            match format {
                PromoteFormatArg::Json => print_out(&format!("{}\n", api::to_json(&answer))),
                PromoteFormatArg::Human => {
                    let mut text = answer.report.human();
                    if let Some(recorded) = &answer.recorded {
                        text.push_str(&format!(
                            "recorded: deployed-healthy {} in {}\n",
                            match &recorded.entry.event {
                                ehdeploy::promotion::Event::Evidence { ok: true, .. } => "ok",
                                _ => "failed",
                            },
                            recorded.log
                        ));
                    }
                    print_out(&text);
                }
            }
            let refused = answer.recorded.as_ref().is_some_and(|r| {
                matches!(r.decision, ehdeploy::promotion::Decision::Refused { .. })
            });
            let report = &answer.report;
            let needs_person = refused
                || report.apps.iter().any(|a| {
                    matches!(
                        a.state,
                        ehdeploy::rollout::RolloutState::Stalled
                            | ehdeploy::rollout::RolloutState::Degraded
                            | ehdeploy::rollout::RolloutState::Unknown
                    )
                });
            Ok(ExitCode::from(u8::from(needs_person)))
        }
        Command::Call { operation, request } => {
            let request = match request.as_str() {
                "-" => {
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                        .map_err(|e| ehdeploy::Error::io(std::path::Path::new("-"), e))?;
                    text
                }
                r => match r.strip_prefix('@') {
                    Some(file) => std::fs::read_to_string(file)
                        .map_err(|e| ehdeploy::Error::io(std::path::Path::new(file), e))?,
                    None => r.to_string(),
                },
            };
            match api::call(&operation, &request) {
                Ok(answer) => {
                    print_out(&format!("{answer}\n"));
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    print_out(&format!("{}\n", e.to_json()));
                    eprintln!("{e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Rules => {
            let mut text = String::new();
            for r in ehdeploy::rules::catalogue() {
                text.push_str(&format!(
                    "{:<28} {:<8} {}\n",
                    r.id.as_str(),
                    r.severity.as_str(),
                    r.summary
                ));
            }
            print_out(&text);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn emit(checked: &Checked, output: &Output) -> ExitCode {
    let color = use_color(output.color);
    let format = match output.format {
        FormatArg::Human => ReportFormat::Human { color },
        FormatArg::Json => ReportFormat::Json,
        FormatArg::Sarif => ReportFormat::Sarif,
        FormatArg::Junit => ReportFormat::Junit,
    };
    let mut text = render(&checked.report, Some(&checked.sources), format);
    if let ReportFormat::Human { color } = format {
        for next in &checked.report.promotions {
            let head = format!("next promotion {} → {}", next.from, next.to);
            if next.plan.summary.has_changes() || next.plan.summary.risks > 0 {
                text.push_str(&format!("\n{head}:\n"));
                text.push_str(&render_plan(&next.plan, PlanFormat::Human { color }));
            } else {
                text.push_str(&format!("\n{head}: no changes\n"));
            }
        }
        for release in &checked.report.releases {
            text.push_str(&format!(
                "\nrelease ({}, {} entries):\n",
                release.log, release.entries
            ));
            text.push_str(&release.status.human());
        }
    }
    print_out(&text);
    output.exit_code(&checked.report)
}

impl Output {
    /// 1 when the report has a finding at or above --fail-on, else 0.
    fn exit_code(&self, report: &ehdeploy::report::Report) -> ExitCode {
        let level = match self.fail_on {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
        };
        ExitCode::from(u8::from(report.fails_at(level)))
    }
}

/// Whether to colour what goes to stdout.
pub(crate) fn use_color(arg: ColorArg) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// Print to stdout; a closed pipe (`| head`) is not an error worth a panic.
/// The exit code of a command run through the API: its own, or 2 with the error printed.
fn exit(result: Result<ExitCode, api::ApiError>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("{e}");
        if let Some(help) = &e.help {
            eprintln!("  help: {help}");
        }
        ExitCode::from(2)
    })
}

pub(crate) fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
