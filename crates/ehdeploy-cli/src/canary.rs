//! `ehdeploy canary …`: a canary's analysis from Prometheus, and the Flagger objects the
//! platform's analyses mean.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use ehdeploy::api::{self, ApiError};
use ehdeploy::canary::Action;
use ehdeploy::promotion::Decision;

use crate::release::{Format, Recording};

#[derive(Subcommand)]
/// The canary commands.
pub enum Canary {
    /// Judge a canary from Prometheus: every check from its start up to now (or --at), as
    /// Flagger decides them, with each metric's value. With --candidate and --as, a finished
    /// analysis is recorded as `canary-passed` evidence in the release's audit log. Exit 1
    /// when the canary is rolled back, 2 on an error (Prometheus unreachable, erroring or
    /// answering garbage: never a pass).
    Analyze {
        /// The platform repo's folder.
        #[arg(long, default_value = ".")]
        platform: PathBuf,
        /// The environment.
        #[arg(long = "env")]
        environment: String,
        /// The app, with canary on in that environment.
        #[arg(long)]
        app: String,
        /// Prometheus's base URL (default: the platform file's `canary.prometheus`). A
        /// bearer token is read from EHDEPLOY_PROMETHEUS_TOKEN.
        #[arg(long)]
        prometheus: Option<String>,
        /// When the canary started (RFC 3339; default: the candidate's deployment there).
        #[arg(long)]
        since: Option<String>,
        /// Judge at this time (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        recording: Recording,
        /// Seconds each query may take.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
        /// Retries of a query that could not reach Prometheus.
        #[arg(long, default_value_t = 2)]
        retries: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print the Flagger `Canary` and `MetricTemplate`s of each app with canary on in an
    /// environment, as a Kubernetes List in JSON (which is YAML) for `kubectl apply -f -`.
    Resources {
        /// The platform repo's folder.
        #[arg(long, default_value = ".")]
        platform: PathBuf,
        /// The environment.
        #[arg(long = "env")]
        environment: String,
        /// Only these apps (comma-separated; each must have canary on).
        #[arg(long = "app", value_delimiter = ',')]
        apps: Vec<String>,
    },
}

/// Run a canary command; its exit code, or the error to print.
pub fn run(command: Canary) -> Result<ExitCode, ApiError> {
    match command {
        Canary::Analyze {
            platform,
            environment,
            app,
            prometheus,
            since,
            at,
            recording,
            timeout,
            retries,
            format,
        } => {
            let (candidate, actor) = recording.into_parts();
            let answer = api::canary_analyze(&api::CanaryAnalyzeRequest {
                platform,
                environment,
                app,
                prometheus,
                since,
                at,
                candidate,
                actor,
                timeout_seconds: Some(timeout),
                retries: Some(retries),
            })?;
            match format {
                Format::Json => crate::print_out(&format!("{}\n", api::to_json(&answer))),
                Format::Human => {
                    let mut text = format!(
                        "{} in {} (namespace {}), analysis from {}, metrics from {}\n",
                        answer.app,
                        answer.environment,
                        answer.namespace,
                        answer.analysis_source,
                        answer.prometheus
                    );
                    text.push_str(&answer.run.human(&answer.app));
                    match &answer.recorded {
                        Some(recorded) => {
                            text.push_str(&crate::release::recorded(recorded, "canary-passed"))
                        }
                        None if answer.run.finished() => {}
                        None => text.push_str("not recorded: the analysis has not finished\n"),
                    }
                    crate::print_out(&text);
                }
            }
            let refused = answer
                .recorded
                .as_ref()
                .is_some_and(|r| matches!(r.decision, Decision::Refused { .. }));
            let rolled_back = answer.run.action == Some(Action::RollBack);
            Ok(ExitCode::from(u8::from(rolled_back || refused)))
        }
        Canary::Resources {
            platform,
            environment,
            apps,
        } => {
            let list = api::canary_resources(&api::CanaryResourcesRequest {
                platform,
                environment,
                apps,
            })?;
            crate::print_out(&format!("{}\n", api::to_json(&list)));
            Ok(ExitCode::SUCCESS)
        }
    }
}
