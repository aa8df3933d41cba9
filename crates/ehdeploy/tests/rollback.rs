//! Rollback from the spec's git history, on real git repositories made by the test (with the
//! `git` command): the revision chosen, the plan back to it, the new commit and its diff, and
//! history left untouched; and every way it refuses.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ehdeploy::api::{self, ErrorCode, RollbackRequest};
use ehdeploy::promotion::{Actor, Artifact, Event, Evidence};

/// A git work tree in a fresh folder, removed on drop.
struct Repo {
    dir: PathBuf,
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Repo {
    fn new() -> Repo {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ehdeploy-rollback-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Release Manager"]);
        repo.git(&["config", "user.email", "rm@ehealth.example"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", "2026-11-20T10:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-11-20T10:00:00Z")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.head()
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    fn log(&self) -> String {
        self.git(&["log", "--format=%H %s"])
    }
}

const PLATFORM: &str = "\
name: rollback-test
environments:
  - name: test
    dsf: [envs/test.yaml]
  - name: prod
    dsf: [envs/prod.yaml]
registries: [registry.example]
charts:
  - name: ehealth-service
    repository: https://charts.example/stable
    profile: ehealth-service
";

fn dsf(env: &str) -> String {
    format!(
        "# {env}: the apps of the team.\nnamespaces:\n  team: {{}}\nhelmRepos:\n  ehealth: https://charts.example/stable\napps:\n  api:\n    namespace: team\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.0.0\n    valuesFiles: [../values/common.yaml, ../values/{env}/api.yaml]\n  web:\n    namespace: team\n    enabled: true\n    chart: ehealth/ehealth-service\n    version: 2.0.0\n    valuesFiles: [../values/common.yaml, ../values/{env}/web.yaml]\n"
    )
}

fn digest(n: u8) -> String {
    format!("sha256:{}", format!("{n:x}").repeat(64))
}

fn values(app: &str, tag: &str, n: u8) -> String {
    format!(
        "# {app}: pinned by the digest tested before.\nimage: registry.example/team/{app}\nimageTag: {tag}   # the release\nimageDigest: {}\nreplicaCount: 2\n",
        digest(n)
    )
}

fn artifact(app: &str, n: u8) -> Artifact {
    Artifact {
        chart: "ehealth/ehealth-service".into(),
        version: "2.0.0".into(),
        image: Some(format!("registry.example/team/{app}")),
        digest: Some(digest(n)),
    }
}

/// Records in the repo's audit log that `candidate` ran `artifacts` in prod, healthy or not.
fn record(repo: &Repo, candidate: &str, artifacts: &[(&str, u8)], healthy: bool) {
    let artifacts: ehdeploy::promotion::Artifacts = artifacts
        .iter()
        .map(|(app, n)| (app.to_string(), artifact(app, *n)))
        .collect();
    let actor = Actor {
        name: "jenkins".into(),
        roles: vec![],
    };
    let events = [
        Event::CandidateCreated {
            candidate: candidate.into(),
            revision: "0".repeat(40),
            artifacts: artifacts.clone(),
        },
        Event::Deployed {
            environment: "test".into(),
            artifacts: artifacts.clone(),
        },
        Event::PromotionRequested { to: "prod".into() },
        Event::Promoted {
            to: "prod".into(),
            artifacts: artifacts.clone(),
        },
        Event::Deployed {
            environment: "prod".into(),
            artifacts,
        },
        Event::Evidence {
            environment: "prod".into(),
            kind: Evidence::DeployedHealthy,
            ok: healthy,
            note: None,
        },
    ];
    for event in events {
        let answer = api::release_event(&api::ReleaseEventRequest {
            platform: repo.dir.clone(),
            candidate: candidate.into(),
            actor: actor.clone(),
            event,
            at: Some("2026-11-20T10:00:00Z".into()),
        })
        .unwrap();
        assert!(
            matches!(answer.decision, ehdeploy::promotion::Decision::Accepted),
            "{:?}",
            answer.decision
        );
    }
}

/// The history: api 1.0 and web 1.0 (healthy), api 1.1 (healthy), api 1.2 (bad), web 1.1.
struct History {
    repo: Repo,
    init: String,
    api_11: String,
    api_12: String,
    web_11: String,
}

fn history() -> History {
    let repo = Repo::new();
    repo.write("platform.yaml", PLATFORM);
    repo.write("values/common.yaml", "containerPort: 8080\n");
    for env in ["test", "prod"] {
        repo.write(&format!("envs/{env}.yaml"), &dsf(env));
        repo.write(
            &format!("values/{env}/api.yaml"),
            &values("api", "1.0.0", 1),
        );
        repo.write(
            &format!("values/{env}/web.yaml"),
            &values("web", "1.0.0", 5),
        );
    }
    record(&repo, "c1", &[("api", 1), ("web", 5)], true);
    let init = repo.commit("api 1.0.0 and web 1.0.0");
    repo.write("values/prod/api.yaml", &values("api", "1.1.0", 2));
    record(&repo, "c2", &[("api", 2), ("web", 5)], true);
    let api_11 = repo.commit("api 1.1.0 in prod");
    repo.write("values/prod/api.yaml", &values("api", "1.2.0", 3));
    record(&repo, "c3", &[("api", 3), ("web", 5)], false);
    let api_12 = repo.commit("api 1.2.0 in prod");
    repo.write("values/prod/web.yaml", &values("web", "1.1.0", 6));
    let web_11 = repo.commit("web 1.1.0 in prod");
    History {
        repo,
        init,
        api_11,
        api_12,
        web_11,
    }
}

fn request(repo: &Repo, app: Option<&str>) -> RollbackRequest {
    RollbackRequest {
        repo: repo.dir.clone(),
        platform: None,
        environment: "prod".into(),
        app: app.map(str::to_string),
        to: None,
        write: false,
        max_commits: None,
        candidate: None,
        actor: None,
    }
}

#[test]
fn an_app_goes_back_to_its_last_release_healthy_by_record_and_the_commits_between_are_named() {
    let h = history();
    let before = h.repo.log();
    let answer = api::rollback(&request(&h.repo, Some("api"))).unwrap();
    // api 1.2.0 runs at HEAD and at its own commit; 1.1.0 before it is healthy by c2.
    assert_eq!(answer.head.id, h.web_11);
    assert_eq!(answer.target.id, h.api_11);
    assert_eq!(answer.target.summary, "api 1.1.0 in prod");
    assert!(answer.healthy_by_record);
    assert_eq!(answer.branch.as_deref(), Some("main"));
    assert_eq!(answer.apps.len(), 1);
    let api = &answer.apps[0];
    assert_eq!(api.app, "api");
    assert_eq!(api.healthy_by.as_deref(), Some("c2"));
    assert_eq!(api.from.as_ref().unwrap().tag.as_deref(), Some("1.2.0"));
    assert_eq!(api.to.as_ref().unwrap().tag.as_deref(), Some("1.1.0"));
    assert_eq!(api.to.as_ref().unwrap().artifact, artifact("api", 2));
    // Newest first: web 1.1.0 changed another app, kept; api 1.2.0 is what goes back.
    let between: Vec<(&str, Vec<&str>, Vec<&str>)> = answer
        .between
        .iter()
        .map(|b| {
            (
                b.revision.id.as_str(),
                b.apps.iter().map(String::as_str).collect(),
                b.others.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        between,
        [
            (h.web_11.as_str(), vec!["web"], vec!["web"]),
            (h.api_12.as_str(), vec!["api"], vec![]),
        ]
    );
    // Only the tag and the digest of prod's api change, formatting and comments kept.
    assert_eq!(answer.files.len(), 1);
    assert_eq!(answer.files[0].path, "values/prod/api.yaml");
    assert_eq!(answer.files[0].before, values("api", "1.2.0", 3));
    assert_eq!(answer.files[0].after, values("api", "1.1.0", 2));
    assert!(
        answer.report.findings.is_empty(),
        "{:?}",
        answer.report.findings
    );
    // A plan writes nothing.
    assert!(answer.commit.is_none());
    assert_eq!(h.repo.log(), before);
    assert_eq!(h.repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn written_the_rollback_is_one_new_commit_on_the_branch_and_history_is_untouched() {
    let h = history();
    let before = h.repo.log();
    let mut req = request(&h.repo, Some("api"));
    req.write = true;
    req.candidate = Some("c3".into());
    req.actor = Some(Actor {
        name: "rm".into(),
        roles: vec![],
    });
    let answer = api::rollback(&req).unwrap();
    let commit = answer.commit.clone().unwrap();
    // The rollback is recorded in the bad candidate's log (a file the commit does not hold).
    let recorded = answer.recorded.unwrap();
    assert!(matches!(
        recorded.decision,
        ehdeploy::promotion::Decision::Accepted
    ));
    assert_eq!(
        recorded.entry.event,
        Event::RolledBack {
            environment: "prod".into(),
            reason: format!(
                "api back to {} in commit {} on main",
                &h.api_11[..7],
                &commit.id[..7]
            ),
        }
    );
    assert_eq!(
        h.repo.git(&["status", "--porcelain"]),
        " M promotions/c3.jsonl\n"
    );
    h.repo.git(&["checkout", "-q", "promotions/c3.jsonl"]);
    assert_eq!(h.repo.head(), commit.id);
    assert_eq!(
        commit.summary,
        format!("Roll back `api` in prod to {}", &h.api_11[..7])
    );
    // Its parent is the old HEAD, and everything before is as it was.
    assert_eq!(h.repo.git(&["rev-parse", "HEAD~1"]).trim(), h.web_11);
    let after = h.repo.log();
    assert_eq!(after.split_once('\n').unwrap().1, before);
    assert_eq!(h.repo.git(&["rev-parse", "main"]).trim(), commit.id);
    // The commit changes one file, exactly so; the work tree and the index match it.
    assert_eq!(
        h.repo.git(&["diff", "--name-only", "HEAD~1", "HEAD"]),
        "values/prod/api.yaml\n"
    );
    let diff = h.repo.git(&["diff", "-U0", "HEAD~1", "HEAD"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        [
            "-imageTag: 1.2.0   # the release",
            &format!("-imageDigest: {}", digest(3)),
            "+imageTag: 1.1.0   # the release",
            &format!("+imageDigest: {}", digest(2)),
        ]
    );
    assert_eq!(h.repo.git(&["status", "--porcelain"]), "");
    assert_eq!(
        std::fs::read_to_string(h.repo.dir.join("values/prod/api.yaml")).unwrap(),
        values("api", "1.1.0", 2)
    );
    // The message says what, where to, and what else changed in between.
    let message = h.repo.git(&["log", "-1", "--format=%B"]);
    assert!(message.contains("- api: ehealth/ehealth-service 2.0.0 registry.example/team/api:1.2.0 -> ehealth/ehealth-service 2.0.0 registry.example/team/api:1.1.0 (healthy by record: c2)"), "{message}");
    assert!(
        message.contains(&format!(
            "- {} web 1.1.0 in prod (also changed: web)",
            &h.web_11[..7]
        )),
        "{message}"
    );
    assert!(h.repo.git(&["fsck", "--strict"]).is_empty());
}

#[test]
fn the_whole_environment_goes_back_to_before_its_newest_change() {
    let h = history();
    let answer = api::rollback(&request(&h.repo, None)).unwrap();
    // web 1.0.0 (healthy by c1) is what the newest change replaced.
    assert_eq!(answer.target.id, h.api_12);
    let apps: Vec<&str> = answer.apps.iter().map(|a| a.app.as_str()).collect();
    assert_eq!(apps, ["web"]);
    assert_eq!(answer.apps[0].healthy_by.as_deref(), Some("c1"));
    assert_eq!(answer.files.len(), 1);
    assert_eq!(answer.files[0].path, "values/prod/web.yaml");
    assert_eq!(answer.files[0].after, values("web", "1.0.0", 5));
}

#[test]
fn a_named_revision_is_taken_whether_healthy_by_record_or_not() {
    let h = history();
    let mut req = request(&h.repo, Some("api"));
    req.to = Some("HEAD~3".into());
    let answer = api::rollback(&req).unwrap();
    assert_eq!(answer.target.id, h.init);
    assert!(answer.healthy_by_record);
    assert_eq!(answer.files[0].after, values("api", "1.0.0", 1));
    assert_eq!(answer.between.len(), 3);
    // web at the bad api release: its 1.0.0, healthy by c1.
    let mut web = req.clone();
    web.app = Some("web".into());
    web.to = Some(h.api_12.clone());
    let answer = api::rollback(&web).unwrap();
    assert_eq!(answer.target.id, h.api_12);
    assert!(answer.healthy_by_record);
    assert_eq!(answer.apps[0].healthy_by.as_deref(), Some("c1"));
    // Once api is back at 1.1.0, going to the bad release by name is taken, and said not to
    // be healthy by record (c3 recorded it unhealthy).
    let mut back = request(&h.repo, Some("api"));
    back.write = true;
    api::rollback(&back).unwrap();
    req.to = Some(h.api_12.clone());
    let answer = api::rollback(&req).unwrap();
    assert_eq!(answer.target.id, h.api_12);
    assert!(!answer.healthy_by_record);
    assert_eq!(answer.apps[0].healthy_by, None);
    assert_eq!(answer.files[0].after, values("api", "1.2.0", 3));
    // The same revision as HEAD's for that app: nothing to do.
    req.to = Some("HEAD".into());
    let e = api::rollback(&req).unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "`api` in prod runs the same at {} as now: nothing to roll back",
            &h.repo.head()[..7]
        )
    );
}

#[test]
fn without_a_healthy_record_nothing_is_chosen_and_the_error_says_what_to_do() {
    let h = history();
    std::fs::remove_dir_all(h.repo.dir.join("promotions")).unwrap();
    h.repo.commit("drop the audit logs");
    let e = api::rollback(&request(&h.repo, Some("api"))).unwrap_err();
    assert_eq!(e.code, ErrorCode::Usage);
    assert_eq!(
        e.message,
        "no revision of the last 5 of the branch has `api` in prod where it ran something else and was healthy by record"
    );
    assert!(e.help.unwrap().contains("`to`"));
}

#[test]
fn revisions_outside_the_branch_history_are_refused() {
    let h = history();
    h.repo.git(&["checkout", "-q", "-b", "elsewhere"]);
    h.repo
        .write("values/prod/api.yaml", &values("api", "9.9.9", 9));
    let elsewhere = h.repo.commit("api 9.9.9 on another branch");
    h.repo.git(&["checkout", "-q", "main"]);
    let mut req = request(&h.repo, Some("api"));
    req.to = Some(elsewhere.clone());
    let e = api::rollback(&req).unwrap_err();
    assert_eq!(e.code, ErrorCode::Usage);
    assert_eq!(
        e.message,
        format!("`{elsewhere}` is not in the history of `main`: a rollback goes back to a revision the branch ran")
    );
    req.to = Some("no-such-rev".into());
    let e = api::rollback(&req).unwrap_err();
    assert!(
        e.message
            .starts_with("`no-such-rev` does not name a commit"),
        "{}",
        e.message
    );
}

#[test]
fn uncommitted_changes_are_never_overwritten() {
    let h = history();
    let edited = values("api", "1.2.1", 4);
    h.repo.write("values/prod/api.yaml", &edited);
    let mut req = request(&h.repo, Some("api"));
    req.write = true;
    let e = api::rollback(&req).unwrap_err();
    assert_eq!(
        e.message,
        "values/prod/api.yaml has uncommitted changes: commit or stash them, then roll back"
    );
    assert_eq!(h.repo.head(), h.web_11);
    assert_eq!(
        std::fs::read_to_string(h.repo.dir.join("values/prod/api.yaml")).unwrap(),
        edited
    );
}

#[test]
fn a_detached_head_plans_but_does_not_commit() {
    let h = history();
    h.repo.git(&["checkout", "-q", "--detach"]);
    let mut req = request(&h.repo, Some("api"));
    assert!(api::rollback(&req).unwrap().branch.is_none());
    req.write = true;
    let e = api::rollback(&req).unwrap_err();
    assert_eq!(
        e.message,
        "HEAD is detached: check out the branch the rollback goes on"
    );
    assert_eq!(h.repo.head(), h.web_11);
}

#[test]
fn bad_input_is_a_clear_error() {
    let h = history();
    // An app the environment does not have.
    let e = api::rollback(&request(&h.repo, Some("apii"))).unwrap_err();
    assert_eq!(
        e.message,
        "`apii` is not an enabled app of prod at HEAD (did you mean `api`?)"
    );
    // An environment the platform does not have.
    let mut req = request(&h.repo, None);
    req.environment = "staging".into();
    let e = api::rollback(&req).unwrap_err();
    assert_eq!(e.code, ErrorCode::Usage);
    assert!(
        e.message
            .starts_with("environment `staging` is not in the platform file"),
        "{}",
        e.message
    );
    // A repository without the environment's file.
    std::fs::remove_file(h.repo.dir.join("envs/prod.yaml")).unwrap();
    h.repo.commit("prod moves elsewhere");
    let e = api::rollback(&request(&h.repo, None)).unwrap_err();
    assert_eq!(
        e.message,
        "prod's file envs/prod.yaml is not in the repository"
    );
    // Not a repository at all.
    let plain = std::env::temp_dir().join(format!("ehdeploy-not-a-repo-{}", std::process::id()));
    std::fs::create_dir_all(&plain).unwrap();
    let mut req = request(&h.repo, None);
    req.repo = plain.clone();
    let e = api::rollback(&req).unwrap_err();
    assert!(
        e.message.contains("is not in a git work tree"),
        "{}",
        e.message
    );
    let _ = std::fs::remove_dir_all(plain);
}

#[test]
fn a_platform_in_a_subfolder_of_the_repository_is_found() {
    let h = history();
    // Move everything under platform/ in a new commit.
    std::fs::create_dir_all(h.repo.dir.join("platform")).unwrap();
    for entry in ["platform.yaml", "envs", "values", "promotions"] {
        std::fs::rename(
            h.repo.dir.join(entry),
            h.repo.dir.join("platform").join(entry),
        )
        .unwrap();
    }
    h.repo.commit("the platform moves to platform/");
    let mut req = request(&h.repo, Some("api"));
    req.platform = Some(Path::new("platform").to_path_buf());
    // Before the move the platform was not in platform/: the history of it starts there.
    req.to = None;
    let e = api::rollback(&req).unwrap_err();
    assert!(
        e.message.starts_with("no revision of the last 1 "),
        "{}",
        e.message
    );
}

#[test]
fn a_revision_merged_in_from_another_branch_is_in_the_history() {
    let h = history();
    // A side branch from api 1.1.0 that pins api 1.1.1, merged into main.
    h.repo.git(&["checkout", "-q", "-b", "hotfix", &h.api_11]);
    h.repo
        .write("values/prod/api.yaml", &values("api", "1.1.1", 7));
    let side = h.repo.commit("api 1.1.1 on the hotfix branch");
    h.repo
        .write("values/prod/api.yaml", &values("api", "1.1.2", 8));
    h.repo.commit("api 1.1.2 on the hotfix branch");
    h.repo.git(&["checkout", "-q", "main"]);
    h.repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-X",
        "theirs",
        "-m",
        "merge hotfix",
        "hotfix",
    ]);
    let mut req = request(&h.repo, Some("api"));
    req.to = Some(side.clone());
    let answer = api::rollback(&req).unwrap();
    assert_eq!(answer.target.id, side);
    assert!(!answer.healthy_by_record);
    assert_eq!(
        answer.apps[0].from.as_ref().unwrap().tag.as_deref(),
        Some("1.1.2")
    );
    assert_eq!(answer.files[0].after, values("api", "1.1.1", 7));
}
