//! Releases: record an event of a candidate (decided against the platform's pipeline and
//! appended to its audit log), its status, the verification of its log, and the artifacts an
//! environment's spec carries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::common::{environment_files, load, open_platform};
use super::error::{ApiError, ErrorCode};
use super::validate::{limits, lookup};
use crate::error::Error;
use crate::plan::Side;
use crate::platform::Platform;
use crate::promotion::{
    record, replay, status, Actor, Artifacts, Decision, Event, LogEntry, LogError, LogProblem,
    Status,
};
use crate::source::SourceMap;
use crate::spec::{LoadOptions, ValuesCache};
use crate::Severity;

/// Ask to record one event of a release candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReleaseEventRequest {
    /// The platform repo's folder, or its `platform.yaml`; the log is
    /// `promotions/<candidate>.jsonl` beside it.
    pub platform: PathBuf,
    /// The candidate's id (letters, digits, `.`, `_`, `-`).
    pub candidate: String,
    /// Who does it, with the roles the caller vouches for.
    pub actor: Actor,
    /// What happens.
    pub event: Event,
    /// When (RFC 3339); default now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// What recording an event did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseEventResponse {
    /// Accepted, or refused with every reason.
    pub decision: Decision,
    /// The entry appended to the log.
    pub entry: LogEntry,
    /// The release's status after it.
    pub status: Status,
    /// The log's path.
    pub log: String,
}

/// Ask for a release candidate's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReleaseStatusRequest {
    /// The platform repo's folder, or its `platform.yaml`.
    pub platform: PathBuf,
    /// The candidate's id.
    pub candidate: String,
    /// At what time (RFC 3339); default now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// A release candidate's status, from its verified log.
pub type ReleaseStatusResponse = crate::promotion::ReleaseReport;

/// Ask to verify a release candidate's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyLogRequest {
    /// The platform repo's folder, or its `platform.yaml`.
    pub platform: PathBuf,
    /// The candidate's id.
    pub candidate: String,
    /// The head hash the log must end at (as kept elsewhere), to detect removed last entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
}

/// Whether a log verifies, and if not, its first bad entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyLogResponse {
    /// Whether every entry verified.
    pub ok: bool,
    /// Entries read (up to the first bad one).
    pub entries: u64,
    /// The head hash of the entries that verified.
    pub head: String,
    /// The first bad entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<LogProblem>,
    /// The log's path.
    pub log: String,
}

/// Ask for what an environment's spec carries, app by app (a candidate's artifacts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArtifactsRequest {
    /// The platform repo's folder, or its `platform.yaml`.
    pub platform: PathBuf,
    /// The environment (default: the first of the pipeline, where candidates start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Variables for `$VAR` substitution, before the process environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// Whether the process environment supplies variables too (default true).
    #[serde(default = "super::validate::yes")]
    pub process_env: bool,
}

/// The artifacts of an environment's spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactsResponse {
    /// By app: chart, version, image, digest.
    pub artifacts: Artifacts,
}

/// The platform with a pipeline that compiled without error.
fn pipeline_platform(at: &Path) -> Result<Platform, ApiError> {
    let mut sources = SourceMap::new();
    let (platform, findings) = open_platform(&mut sources, at, &limits(None))?;
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| match &f.location {
            Some(l) => format!("{}:{}:{}: {}", l.file, l.line, l.column, f.message),
            None => f.message.clone(),
        })
        .collect();
    match platform {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(ApiError::new(
            ErrorCode::Usage,
            format!("the platform file has errors: {}", errors.join("; ")),
        )
        .with_help("run `ehdeploy check` on the platform repo")),
    }
}

/// `promotions/<candidate>.jsonl` beside the platform file, for a well-formed id.
fn log_path(platform: &Platform, candidate: &str) -> Result<PathBuf, ApiError> {
    let fine = !candidate.is_empty()
        && !candidate.starts_with('.')
        && candidate.len() <= 128
        && candidate
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !fine {
        return Err(ApiError::new(
            ErrorCode::Usage,
            format!("`{candidate}` is not a candidate id"),
        )
        .with_help("use letters, digits, `.`, `_` and `-` (not first), e.g. `2026.11.26-1`"));
    }
    Ok(platform
        .root
        .join("promotions")
        .join(format!("{candidate}.jsonl")))
}

/// `at` (RFC 3339), or now.
pub(super) fn time(at: Option<&str>) -> Result<Timestamp, Error> {
    match at {
        None => Ok(Timestamp::now()),
        Some(text) => text.parse().map_err(|e| {
            Error::Usage(format!(
                "`{text}` is not a time (RFC 3339, e.g. 2026-11-26T09:00:00Z): {e}"
            ))
        }),
    }
}

/// A log replayed, or the line (0: the whole file) and message of why it does not verify.
pub(super) type ReplayedLog = Result<crate::promotion::Replayed, (u64, String)>;

/// Every audit log of the platform repo (`promotions/*.jsonl`, by name), replayed; or the line
/// (0 for the whole file) and message of why it does not verify.
pub(super) fn replay_logs(platform: &Platform) -> Vec<(PathBuf, ReplayedLog)> {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(platform.root.join("promotions"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    logs.sort();
    logs.into_iter()
        .map(|path| {
            let text = std::fs::read(&path)
                .map_err(|e| (0, e.to_string()))
                .and_then(|b| {
                    String::from_utf8(b).map_err(|_| (0, "the log is not UTF-8 text".into()))
                });
            let replayed = text.and_then(|t| {
                replay(&t, &platform.pipeline, None).map_err(|p| (p.line, p.message))
            });
            (path, replayed)
        })
        .collect()
}

/// Every release of the platform repo (`promotions/*.jsonl`, by name) at `now`; a log that
/// does not verify is a `promotion/audit-log` finding at its first bad line.
pub(super) fn platform_releases(
    platform: &Platform,
    now: Timestamp,
) -> (Vec<crate::promotion::ReleaseReport>, Vec<crate::Finding>) {
    let mut releases = Vec::new();
    let mut findings = Vec::new();
    for (path, replayed) in replay_logs(platform) {
        let file = crate::spec::normalize(&path).display().to_string();
        let (line, message) = match replayed {
            Ok(v) => {
                releases.push(crate::promotion::ReleaseReport {
                    status: status(&v.release, &platform.pipeline, now),
                    entries: v.entries,
                    head: v.head,
                    log: file,
                });
                continue;
            }
            Err(problem) => problem,
        };
        findings.push(
            crate::Finding::new(
                crate::rules::PROMOTION_AUDIT_LOG,
                Severity::Error,
                format!("the audit log does not verify: {message}"),
            )
            .at(crate::Location {
                file,
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::from(line > 0),
                pointer: String::new(),
            }),
        );
    }
    (releases, findings)
}

fn log_error(e: LogError) -> ApiError {
    match e {
        LogError::Io { path, source } => Error::io(&path, source).into(),
        LogError::Corrupt { path, problem } => ApiError {
            code: ErrorCode::AuditLog,
            message: format!("the audit log does not verify: {}", problem.message),
            help: Some(
                "nothing was recorded; `ehdeploy release verify-log` names the first bad entry"
                    .into(),
            ),
            locations: vec![crate::Location {
                file: path.display().to_string(),
                line: u32::try_from(problem.line).unwrap_or(u32::MAX),
                column: 1,
                pointer: String::new(),
            }],
        },
    }
}

/// Decide an event against the platform's pipeline and append it, accepted or refused, to the
/// candidate's audit log. A refusal is an answer (`decision.outcome: refused`), not an error.
pub fn release_event(request: &ReleaseEventRequest) -> Result<ReleaseEventResponse, ApiError> {
    let platform = pipeline_platform(&request.platform)?;
    let path = log_path(&platform, &request.candidate)?;
    let now = time(request.at.as_deref())?;
    if let Event::CandidateCreated { candidate, .. } = &request.event {
        if candidate != &request.candidate {
            return Err(ApiError::new(
                ErrorCode::Usage,
                format!(
                    "the event creates `{candidate}` in the log of `{}`",
                    request.candidate
                ),
            ));
        }
    }
    let recorded = record(
        &path,
        &request.actor,
        &request.event,
        &platform.pipeline,
        now,
    )
    .map_err(log_error)?;
    Ok(ReleaseEventResponse {
        decision: recorded.entry.decision.clone(),
        status: status(&recorded.release, &platform.pipeline, now),
        entry: recorded.entry,
        log: path.display().to_string(),
    })
}

/// A candidate's log (a missing one is empty), replayed: the platform, the log's path and the
/// state it gives; a log that does not verify is an `audit-log` error.
fn replayed(
    at: &Path,
    candidate: &str,
) -> Result<(Platform, PathBuf, crate::promotion::Replayed), ApiError> {
    let platform = pipeline_platform(at)?;
    let path = log_path(&platform, candidate)?;
    let text = read_log(&path, true)?;
    let verified = replay(&text, &platform.pipeline, None).map_err(|problem| {
        log_error(LogError::Corrupt {
            path: path.clone(),
            problem,
        })
    })?;
    Ok((platform, path, verified))
}

/// When `candidate` was last deployed into `environment`, by its audit log (`None`: never,
/// or no log yet).
#[cfg_attr(not(feature = "prometheus"), allow(dead_code))]
pub(super) fn deployed_at(
    platform: &Path,
    candidate: &str,
    environment: &str,
) -> Result<Option<Timestamp>, ApiError> {
    let (_, _, verified) = replayed(platform, candidate)?;
    Ok(verified
        .release
        .environments
        .iter()
        .find(|e| e.environment == environment)
        .and_then(|e| e.deployed_at))
}

/// A candidate's status from its log (a missing log: no candidate yet).
pub fn release_status(request: &ReleaseStatusRequest) -> Result<ReleaseStatusResponse, ApiError> {
    let now = time(request.at.as_deref())?;
    let (platform, path, verified) = replayed(&request.platform, &request.candidate)?;
    Ok(ReleaseStatusResponse {
        status: status(&verified.release, &platform.pipeline, now),
        entries: verified.entries,
        head: verified.head,
        log: path.display().to_string(),
    })
}

/// Verify a candidate's audit log: a broken log is an answer (`ok: false` and the first bad
/// entry), a missing one an error.
pub fn verify_log(request: &VerifyLogRequest) -> Result<VerifyLogResponse, ApiError> {
    let platform = pipeline_platform(&request.platform)?;
    let path = log_path(&platform, &request.candidate)?;
    let text = read_log(&path, false)?;
    let log = path.display().to_string();
    Ok(
        match replay(&text, &platform.pipeline, request.head.as_deref()) {
            Ok(v) => VerifyLogResponse {
                ok: true,
                entries: v.entries,
                head: v.head,
                problem: None,
                log,
            },
            Err(problem) => {
                // The entries before the bad one verify: say how far, and their head.
                let good: String = text
                    .split_inclusive('\n')
                    .take(usize::try_from(problem.entry).unwrap_or(usize::MAX))
                    .collect();
                let head = replay(&good, &platform.pipeline, None)
                    .map(|v| v.head)
                    .unwrap_or_else(|_| crate::promotion::GENESIS.into());
                VerifyLogResponse {
                    ok: false,
                    entries: problem.entry,
                    head,
                    problem: Some(problem),
                    log,
                }
            }
        },
    )
}

fn read_log(path: &Path, missing_is_empty: bool) -> Result<String, ApiError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            log_error(LogError::Corrupt {
                path: path.to_path_buf(),
                problem: LogProblem {
                    entry: 0,
                    line: 1,
                    code: crate::promotion::ProblemCode::Malformed,
                    message: "the log is not UTF-8 text".into(),
                },
            })
        }),
        Err(e) if missing_is_empty && e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io(path, e).into()),
    }
}

/// What the environment's spec carries, app by app: chart, version, image and digest.
pub fn release_artifacts(request: &ArtifactsRequest) -> Result<ArtifactsResponse, ApiError> {
    let platform = pipeline_platform(&request.platform)?;
    let environment = match &request.environment {
        Some(e) => e.clone(),
        None => platform
            .pipeline
            .stages
            .first()
            .map(|s| s.environment.clone())
            .unwrap_or_default(),
    };
    let files = environment_files(&platform, &environment)?;
    let vars = lookup(&request.vars, request.process_env);
    let options = LoadOptions {
        limits: limits(None),
        vars: Some(&vars),
        substitute_values: false,
    };
    let mut sources = SourceMap::new();
    let spec = load(&mut sources, &files, &options)?;
    let mut findings = Vec::new();
    let mut cache = ValuesCache::new();
    let side = Side::build(
        &mut sources,
        &spec,
        Some(&platform),
        &mut cache,
        &options,
        &mut findings,
    );
    let errors: Vec<String> = spec
        .findings
        .iter()
        .chain(&findings)
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.message.clone())
        .collect();
    match side {
        Some(side) if errors.is_empty() => Ok(ArtifactsResponse {
            artifacts: side.artifacts(),
        }),
        _ => Err(ApiError::new(
            ErrorCode::Usage,
            format!(
                "the spec of `{}` does not load: {}",
                environment,
                errors.join("; ")
            ),
        )
        .with_help("run `ehdeploy check` on the platform repo")),
    }
}
