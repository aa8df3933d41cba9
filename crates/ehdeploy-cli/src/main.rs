//! The `ehdeploy` command line: a thin adapter over `ehdeploy::api`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ehdeploy::api::{self, Checked};
use ehdeploy::report::{render, ReportFormat};
use ehdeploy::schema::Document;
use ehdeploy::Severity;

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
        /// A variable for `$VAR` substitution (repeatable); wins over the process environment.
        #[arg(long = "var", value_name = "K=V", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// Do not take variables from the process environment.
        #[arg(long)]
        no_process_env: bool,
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
        /// A variable for `$VAR` substitution (repeatable).
        #[arg(long = "var", value_name = "K=V", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// Do not take variables from the process environment.
        #[arg(long)]
        no_process_env: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Print the JSON Schema of a document (for editors' `yaml-language-server: $schema=`).
    Schema {
        /// Which document.
        #[arg(value_parser = ["dsf", "spec-file", "platform", "report"])]
        document: String,
    },
    /// List the rules with their default severity and summary.
    Rules,
}

#[derive(clap::Args)]
struct Output {
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
enum FormatArg {
    Human,
    Json,
    Sarif,
    Junit,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
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
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, ehdeploy::Error> {
    match cli.command {
        Command::Validate {
            platform,
            environment,
            vars,
            no_process_env,
            subst_env_values,
            output,
            files,
        } => {
            let request = api::ValidateRequest {
                files,
                platform,
                environment,
                vars: vars.into_iter().collect::<BTreeMap<_, _>>(),
                process_env: !no_process_env,
                substitute_values: subst_env_values,
                max_file_bytes: output.max_file_size,
            };
            Ok(emit(&api::validate(&request)?, &output))
        }
        Command::Check {
            dir,
            vars,
            no_process_env,
            output,
        } => {
            let request = api::CheckRequest {
                platform_dir: dir,
                vars: vars.into_iter().collect(),
                process_env: !no_process_env,
                max_file_bytes: output.max_file_size,
            };
            Ok(emit(&api::check(&request)?, &output))
        }
        Command::Schema { document } => {
            let doc = Document::from_name(&document)
                .ok_or_else(|| ehdeploy::Error::Usage(format!("no schema named `{document}`")))?;
            let text = serde_json::to_string_pretty(doc.schema()).unwrap_or_default();
            print_out(&format!("{text}\n"));
            Ok(ExitCode::SUCCESS)
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
    let color = match output.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let format = match output.format {
        FormatArg::Human => ReportFormat::Human { color },
        FormatArg::Json => ReportFormat::Json,
        FormatArg::Sarif => ReportFormat::Sarif,
        FormatArg::Junit => ReportFormat::Junit,
    };
    print_out(&render(&checked.report, Some(&checked.sources), format));
    let level = match output.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
    };
    if checked.report.fails_at(level) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Print to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
