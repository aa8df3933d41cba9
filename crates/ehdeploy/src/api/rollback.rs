//! `rollback` (feature `git`): take an app, or a whole environment, back to the last
//! revision of the spec's git history where it ran something else and was healthy by record;
//! plan it, and with `write` commit it on the current branch.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::common::{environment_files, load, manual_findings, open_platform};
use super::error::{ApiError, ErrorCode};
use super::plan::{file_changes, load_environments, FileChange};
use super::release::replay_logs;
use crate::error::Error;
use crate::plan::{promotion_edits, EditContext, Side};
use crate::platform::Platform;
use crate::promotion::{Evidence, Place};
use crate::report::Report;
use crate::rollback::{
    between, choose, chosen, Between, Choice, HealthyRecord, Released, Revision, RollbackError,
    Scope, Snapshot, SpecRepo,
};
use crate::source::{Limits, SourceMap};
use crate::spec::{LoadOptions, ValuesCache};

/// The commits searched back from HEAD when none is given.
pub const DEFAULT_MAX_COMMITS: usize = 200;

/// Ask to roll an app, or an environment, back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RollbackRequest {
    /// A folder of the git work tree that holds the platform repo.
    pub repo: PathBuf,
    /// The platform repo's folder inside `repo`, relative to it (default: `repo` itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<PathBuf>,
    /// The environment.
    pub environment: String,
    /// Only this app (default: every app of the environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The revision to go back to (a commit, `HEAD~2`, a tag), which must be in the branch's
    /// history; default: the newest one that is different and healthy by record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Write the files and commit them on the current branch (otherwise only plan).
    #[serde(default)]
    pub write: bool,
    /// How many commits back from HEAD to search (default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_commits: Option<usize>,
    /// The release candidate rolled back: with `write`, a `rolled-back` event naming the
    /// commit goes to its audit log (in the work tree, beside the platform file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    /// Who rolls back (with `candidate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<crate::promotion::Actor>,
}

/// One app the rollback takes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolledBack {
    /// The app.
    pub app: String,
    /// What it runs now (none: added since the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Released>,
    /// What it runs after the rollback (none: it was not there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Released>,
    /// The candidate whose audit log records `to` healthy in the environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_by: Option<String>,
}

/// The rollback: where to, what changes, what else changed in between, and the commit made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RollbackResponse {
    /// The current branch (none: HEAD detached, which only plans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The commit the branch is at (before the rollback's).
    pub head: Revision,
    /// The environment.
    pub environment: String,
    /// The revision gone back to.
    pub target: Revision,
    /// Whether every release gone back to is healthy by record.
    pub healthy_by_record: bool,
    /// Each app taken back.
    pub apps: Vec<RolledBack>,
    /// The commits after the target that changed the environment, newest first, with the
    /// apps they changed that the rollback leaves as they are.
    pub between: Vec<Between>,
    /// The files changed, relative to the work tree, with their text before and after.
    pub files: Vec<FileChange>,
    /// What the rollback cannot write itself (`promotion/manual`), for a person.
    pub report: Report,
    /// The commit made (with `write`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<Revision>,
    /// The `rolled-back` event recorded in the candidate's audit log (with `write` and a
    /// candidate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<super::ReleaseEventResponse>,
}

/// Plan (and with `write`, commit) the rollback of an app or an environment.
pub fn rollback(request: &RollbackRequest) -> Result<RollbackResponse, ApiError> {
    if request.candidate.is_some() != request.actor.is_some() {
        return Err(ApiError::new(
            ErrorCode::Usage,
            "give the candidate and the actor who records the rollback together",
        ));
    }
    let repo = SpecRepo::open(&request.repo).map_err(git_error)?;
    let inside = platform_in_repo(&request.repo, request.platform.as_deref(), repo.workdir())?;
    let scratch = Scratch::new()?;
    let max = request.max_commits.unwrap_or(DEFAULT_MAX_COMMITS).max(1);
    let history = repo.first_parents(max).map_err(git_error)?;
    let scope = match &request.app {
        Some(app) => Scope::App(app),
        None => Scope::Environment,
    };
    // The environment at each revision, newest first, as far back as needed.
    let mut snapshots: Vec<Snapshot> = Vec::new();
    let open_at = |i: usize, revision: &Revision| -> Result<PathBuf, ApiError> {
        let dir = scratch.0.join(i.to_string());
        repo.write_out(&revision.id, &inside, &dir)
            .map_err(git_error)?;
        Ok(dir.join(&inside))
    };
    let head_dir = open_at(0, &history[0])?;
    let head = snapshot(&head_dir, &request.environment, &history[0])?;
    if let Scope::App(app) = scope {
        if !head.apps.contains_key(app) {
            let hint = crate::suggest::did_you_mean(app, head.apps.keys().map(String::as_str))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(ApiError::new(
                ErrorCode::Usage,
                format!(
                    "`{app}` is not an enabled app of {} at HEAD{hint}",
                    request.environment
                ),
            ));
        }
    }
    // The work tree's logs: the newest records, committed or not yet.
    let healthy = healthy_records(&repo.workdir().join(&inside), &request.environment)?;
    snapshots.push(head);
    let (choice, target_dir) = match &request.to {
        Some(rev) => {
            let target = repo.resolve_in_history(rev).map_err(git_error)?;
            let index = history.iter().position(|r| r.id == target.id);
            // The first-parent commits newer than the target, for what changed in between.
            let newer = index.unwrap_or_else(|| {
                history
                    .iter()
                    .position(|r| r.time <= target.time)
                    .unwrap_or(history.len())
            });
            for (i, revision) in history.iter().enumerate().take(newer + 1).skip(1) {
                let dir = open_at(i, revision)?;
                match snapshot(&dir, &request.environment, revision) {
                    Ok(s) => snapshots.push(s),
                    Err(_) => break,
                }
            }
            let dir = open_at(history.len() + 1, &target)?;
            let target_snapshot = snapshot(&dir, &request.environment, &target).map_err(|e| {
                ApiError::new(
                    ErrorCode::Usage,
                    format!(
                        "{} at {}: {}",
                        request.environment,
                        short(&target.id),
                        e.message
                    ),
                )
            })?;
            // On the first-parent line and read: it is there; else it comes last.
            let index = match index {
                Some(k) if k < snapshots.len() => k,
                _ => {
                    snapshots.push(target_snapshot);
                    snapshots.len() - 1
                }
            };
            let choice = chosen(&snapshots[0], &snapshots[index], index, scope, &healthy);
            (choice, dir)
        }
        None => {
            let mut found = None;
            for (i, revision) in history.iter().enumerate().skip(1) {
                let dir = open_at(i, revision)?;
                match snapshot(&dir, &request.environment, revision) {
                    Ok(s) => snapshots.push(s),
                    // The environment's history starts after this revision.
                    Err(_) => break,
                }
                if let Some(choice) = choose(&snapshots, scope, &healthy) {
                    found = Some((choice, dir));
                    break;
                }
            }
            found.ok_or_else(|| nothing_found(request, scope, snapshots.len()))?
        }
    };
    let target = snapshots
        .get(choice.index)
        .map(|s| s.revision.clone())
        .ok_or_else(|| ApiError::new(ErrorCode::Usage, "the target revision was not read"))?;
    if choice.apps.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Usage,
            format!(
                "{} runs the same at {} as now: nothing to roll back",
                what(request),
                short(&target.id)
            ),
        ));
    }
    let between = between(&snapshots, choice.index, &choice.apps);
    let (files, report) = edits(&head_dir, &target_dir, &request.environment, &choice)?;
    let files: Vec<FileChange> = files
        .into_iter()
        .map(|mut f| {
            f.path = relative_to(Path::new(&f.path), &scratch.0.join("0"))
                .display()
                .to_string();
            f
        })
        .collect();
    let apps = choice
        .apps
        .iter()
        .map(|app| RolledBack {
            app: app.clone(),
            from: snapshots[0].apps.get(app).cloned(),
            to: snapshots
                .get(choice.index)
                .and_then(|s| s.apps.get(app))
                .cloned(),
            healthy_by: choice.records.get(app).cloned(),
        })
        .collect();
    let mut response = RollbackResponse {
        branch: repo.branch().map(str::to_string),
        head: history[0].clone(),
        environment: request.environment.clone(),
        healthy_by_record: choice.records.len() == choice.apps.len(),
        target,
        apps,
        between,
        files,
        report,
        commit: None,
        recorded: None,
    };
    if request.write {
        let commit = write(&repo, request, &response)?;
        if let (Some(candidate), Some(actor)) = (&request.candidate, &request.actor) {
            let apps: Vec<&str> = response.apps.iter().map(|a| a.app.as_str()).collect();
            let reason = format!(
                "{} back to {} in commit {} on {}",
                apps.join(", "),
                short(&response.target.id),
                short(&commit.id),
                response.branch.as_deref().unwrap_or("HEAD")
            );
            response.recorded = Some(super::release_event(&super::ReleaseEventRequest {
                platform: repo.workdir().join(&inside),
                candidate: candidate.clone(),
                actor: actor.clone(),
                event: crate::promotion::Event::RolledBack {
                    environment: request.environment.clone(),
                    reason,
                },
                at: None,
            })?);
        }
        response.commit = Some(commit);
    }
    Ok(response)
}

/// A scratch folder for the revisions written out, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, ApiError> {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ehdeploy-rollback-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn git_error(e: RollbackError) -> ApiError {
    let code = match e {
        RollbackError::Io(..) | RollbackError::Git(_) => ErrorCode::Io,
        _ => ErrorCode::Usage,
    };
    ApiError::new(code, e.to_string())
}

fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

fn what(request: &RollbackRequest) -> String {
    match &request.app {
        Some(app) => format!("`{app}` in {}", request.environment),
        None => request.environment.clone(),
    }
}

fn nothing_found(request: &RollbackRequest, scope: Scope<'_>, read: usize) -> ApiError {
    let differs = match scope {
        Scope::App(_) => "it ran something else",
        Scope::Environment => "an app ran something else",
    };
    ApiError::new(
        ErrorCode::Usage,
        format!(
            "no revision of the last {read} of the branch has {} where {differs} and was healthy by record",
            what(request)
        ),
    )
    .with_help("name the revision with `to` (it need not be healthy by record), or search further back with `maxCommits`")
}

/// The platform folder relative to the work tree.
fn platform_in_repo(
    repo: &Path,
    platform: Option<&Path>,
    workdir: &Path,
) -> Result<PathBuf, ApiError> {
    let folder = repo.join(platform.unwrap_or(Path::new(".")));
    let canonical = |p: &Path| {
        p.canonicalize()
            .map_err(|e| ApiError::from(Error::io(p, e)))
    };
    let (folder, workdir) = (canonical(&folder)?, canonical(workdir)?);
    folder
        .strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .map_err(|_| {
            ApiError::new(
                ErrorCode::Usage,
                format!(
                    "the platform folder {} is outside the work tree {}",
                    folder.display(),
                    workdir.display()
                ),
            )
        })
}

fn relative_to(path: &Path, root: &Path) -> PathBuf {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    canonical(path)
        .strip_prefix(canonical(root))
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The platform in `dir`, without errors.
fn platform_at(sources: &mut SourceMap, dir: &Path) -> Result<Platform, ApiError> {
    let (platform, _) = open_platform(sources, dir, &Limits::default())?;
    platform.ok_or_else(|| {
        ApiError::new(
            ErrorCode::Usage,
            format!("the platform file in {} has errors", dir.display()),
        )
    })
}

fn options() -> LoadOptions<'static> {
    LoadOptions {
        limits: Limits::default(),
        vars: None,
        substitute_values: false,
    }
}

/// The environment's releases in the platform repo written out at `dir`.
fn snapshot(dir: &Path, environment: &str, revision: &Revision) -> Result<Snapshot, ApiError> {
    let mut sources = SourceMap::new();
    let platform = platform_at(&mut sources, dir)?;
    let files = environment_files(&platform, environment)?;
    if let Some(missing) = files.iter().find(|f| !f.is_file()) {
        return Err(ApiError::new(
            ErrorCode::Usage,
            format!(
                "{environment}'s file {} is not in the repository",
                relative_to(missing, dir).display()
            ),
        ));
    }
    let options = options();
    let spec = load(&mut sources, &files, &options)?;
    let mut findings = Vec::new();
    let side = Side::build(
        &mut sources,
        &spec,
        Some(&platform),
        &mut ValuesCache::new(),
        &options,
        &mut findings,
    )
    .ok_or_else(|| {
        ApiError::new(
            ErrorCode::Usage,
            format!("{environment}'s spec does not load: run `ehdeploy check`"),
        )
    })?;
    let apps = side
        .releases()
        .into_iter()
        .map(|(app, (artifact, tag))| (app, Released { artifact, tag }))
        .collect();
    Ok(Snapshot {
        revision: revision.clone(),
        apps,
    })
}

/// The releases the audit logs (of the work tree) record healthy in `environment`: deployed there,
/// `deployed-healthy` positive, not rolled back, and no failed canary.
fn healthy_records(dir: &Path, environment: &str) -> Result<Vec<HealthyRecord>, ApiError> {
    let mut sources = SourceMap::new();
    let platform = platform_at(&mut sources, dir)?;
    let mut out = Vec::new();
    // A log that does not verify proves nothing: its records are not counted.
    for (_, replayed) in replay_logs(&platform) {
        let Ok(replayed) = replayed else { continue };
        let Some(candidate) = replayed.release.candidate.as_ref().map(|c| c.id.clone()) else {
            continue;
        };
        for env in &replayed.release.environments {
            let ok = |kind| env.evidence.get(&kind).map(|r| r.ok);
            let healthy = env.environment == environment
                && env.place == Place::Deployed
                && ok(Evidence::DeployedHealthy) == Some(true)
                && ok(Evidence::CanaryPassed) != Some(false);
            if !healthy {
                continue;
            }
            for (app, artifact) in env.deployed.iter().flat_map(|a| a.iter()) {
                out.push(HealthyRecord {
                    candidate: candidate.clone(),
                    app: app.clone(),
                    artifact: artifact.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// The edits that take `choice.apps` back to the target's releases: the promotion of the
/// target's environment into HEAD's, as `promote-spec` writes it.
fn edits(
    head_dir: &Path,
    target_dir: &Path,
    environment: &str,
    choice: &Choice,
) -> Result<(Vec<FileChange>, Report), ApiError> {
    let mut sources = SourceMap::new();
    let platform = platform_at(&mut sources, head_dir)?;
    let options = options();
    let (loaded, usage) = load_environments(&mut sources, &platform, &options, environment)?;
    let target_platform = platform_at(&mut sources, target_dir)?;
    let target_files = environment_files(&target_platform, environment)?;
    let old = load(&mut sources, &target_files, &options)?;
    let current = loaded.get(environment).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Usage,
            format!("{environment} is not in the platform file"),
        )
    })?;
    let mut findings = Vec::new();
    let mut cache = ValuesCache::new();
    let old_side = Side::build(
        &mut sources,
        &old,
        Some(&target_platform),
        &mut cache,
        &options,
        &mut findings,
    );
    let current_side = Side::build(
        &mut sources,
        current,
        Some(&platform),
        &mut cache,
        &options,
        &mut findings,
    );
    let (Some(old_side), Some(current_side)) = (old_side, current_side) else {
        return Err(ApiError::new(
            ErrorCode::Usage,
            format!("{environment}'s spec does not load: run `ehdeploy check`"),
        ));
    };
    let edits = promotion_edits(
        &old_side,
        &current_side,
        Some(&choice.apps),
        &EditContext {
            platform: &platform,
            sources: &sources,
            cache: &cache,
            ownership: &usage,
        },
    );
    let notes = manual_findings(edits.notes, &old, current, environment, &sources);
    let files = file_changes(edits.files, &sources);
    let apps = current
        .state
        .as_ref()
        .and_then(|s| s.apps.as_ref())
        .map_or(0, |a| a.len());
    Ok((files, Report::new(notes, sources.files().count(), apps, 1)))
}

/// Writes the files into the work tree, each only if it is as HEAD has it, and commits them.
fn write(
    repo: &SpecRepo,
    request: &RollbackRequest,
    response: &RollbackResponse,
) -> Result<Revision, ApiError> {
    if response.files.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Usage,
            "the rollback changes no file it can write: see its findings for what to do by hand",
        ));
    }
    for file in &response.files {
        let path = repo.workdir().join(&file.path);
        let now = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        if now != file.before {
            return Err(ApiError::new(
                ErrorCode::Usage,
                format!(
                    "{} has uncommitted changes: commit or stash them, then roll back",
                    file.path
                ),
            ));
        }
    }
    let message = commit_message(request, response);
    let files: Vec<(PathBuf, String)> = response
        .files
        .iter()
        .map(|f| (PathBuf::from(&f.path), f.after.clone()))
        .collect();
    let commit = repo.commit(&files, &message).map_err(git_error)?;
    for (path, text) in &files {
        let path = repo.workdir().join(path);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(commit)
}

/// The rollback commit's message: what goes back where, why this revision, and what else
/// changed in between.
fn commit_message(request: &RollbackRequest, response: &RollbackResponse) -> String {
    let mut lines = vec![
        format!(
            "Roll back {} to {}",
            what(request),
            short(&response.target.id)
        ),
        String::new(),
    ];
    let describe = |r: &Option<Released>| {
        r.as_ref().map_or("(none)".to_string(), |r| {
            let image = r.artifact.image.as_deref().unwrap_or("");
            let at = r
                .tag
                .as_deref()
                .map(|t| format!(":{t}"))
                .or_else(|| r.artifact.digest.as_ref().map(|d| format!("@{d}")))
                .unwrap_or_default();
            format!("{} {} {image}{at}", r.artifact.chart, r.artifact.version)
        })
    };
    for app in &response.apps {
        lines.push(format!(
            "- {}: {} -> {}{}",
            app.app,
            describe(&app.from),
            describe(&app.to),
            app.healthy_by
                .as_ref()
                .map(|c| format!(" (healthy by record: {c})"))
                .unwrap_or_default()
        ));
    }
    lines.push(String::new());
    lines.push(format!(
        "Target: {} {}",
        short(&response.target.id),
        response.target.summary
    ));
    let others: Vec<String> = response
        .between
        .iter()
        .filter(|b| !b.others.is_empty())
        .map(|b| {
            format!(
                "- {} {} (also changed: {})",
                short(&b.revision.id),
                b.revision.summary,
                b.others.join(", ")
            )
        })
        .collect();
    if !others.is_empty() {
        lines.push("Commits in between that changed other apps, kept as they are:".into());
        lines.extend(others);
    }
    lines.push(String::new());
    lines.push("Made by `ehdeploy rollback`.".into());
    let mut text = lines.join("\n");
    text.push('\n');
    text
}
