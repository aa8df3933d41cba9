"""Rollback through Python, on a real git repository the test makes with the ``git`` command
(the history of the Rust tests, crates/ehdeploy/tests/rollback.rs): the plan, the commit
``write=True`` makes, and the errors."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Tuple

import pytest

import ehdeploy

from conftest import ROOT

PLATFORM = """\
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
"""

JENKINS = {"name": "jenkins", "roles": []}
AT = "2026-11-20T10:00:00Z"


def dsf(env: str) -> str:
    apps = "".join(
        f"  {app}:\n    namespace: team\n    enabled: true\n    chart: ehealth/ehealth-service\n"
        f"    version: 2.0.0\n    valuesFiles: [../values/common.yaml, ../values/{env}/{app}.yaml]\n"
        for app in ("api", "web")
    )
    return (
        f"# {env}: the apps of the team.\nnamespaces:\n  team: {{}}\n"
        f"helmRepos:\n  ehealth: https://charts.example/stable\napps:\n{apps}"
    )


def digest(n: int) -> str:
    return "sha256:" + f"{n:x}" * 64


def values(app: str, tag: str, n: int) -> str:
    return (
        f"# {app}: pinned by the digest tested before.\nimage: registry.example/team/{app}\n"
        f"imageTag: {tag}   # the release\nimageDigest: {digest(n)}\nreplicaCount: 2\n"
    )


def artifact(app: str, n: int) -> Dict[str, str]:
    return {
        "chart": "ehealth/ehealth-service",
        "version": "2.0.0",
        "image": f"registry.example/team/{app}",
        "digest": digest(n),
    }


class Repo:
    """A git work tree on branch ``main``, with a fixed identity and commit dates."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Release Manager")
        self.git("config", "user.email", "rm@ehealth.example")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_DATE=AT, GIT_COMMITTER_DATE=AT)
        out = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=False
        )
        assert out.returncode == 0, f"git {args}: {out.stderr}"
        return out.stdout

    def write(self, path: str, text: str) -> None:
        file = self.path / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def log(self) -> List[str]:
        return self.git("log", "--format=%H %s").splitlines()


def record(repo: Repo, candidate: str, artifacts: List[Tuple[str, int]], healthy: bool) -> None:
    """Records in the repo's audit log that ``candidate`` ran ``artifacts`` in prod."""
    plain = {app: artifact(app, n) for app, n in artifacts}
    events = [
        {"type": "candidate-created", "candidate": candidate, "revision": "0" * 40, "artifacts": plain},
        {"type": "deployed", "environment": "test", "artifacts": plain},
        {"type": "promotion-requested", "to": "prod"},
        {"type": "promoted", "to": "prod", "artifacts": plain},
        {"type": "deployed", "environment": "prod", "artifacts": plain},
        {"type": "evidence", "environment": "prod", "kind": "deployed-healthy", "ok": healthy},
    ]
    for event in events:
        answer = ehdeploy.release_event(repo.path, candidate, JENKINS, event, at=AT)
        assert answer.decision.accepted, answer.decision


@dataclass
class History:
    """api 1.0 and web 1.0 (healthy by c1), api 1.1 (healthy by c2), api 1.2 (unhealthy by
    c3), web 1.1 (no record)."""

    repo: Repo
    init: str
    api_11: str
    api_12: str
    web_11: str


@pytest.fixture()
def history(tmp_path: pathlib.Path) -> History:
    repo = Repo(tmp_path / "spec")
    repo.write("platform.yaml", PLATFORM)
    repo.write("values/common.yaml", "containerPort: 8080\n")
    for env in ("test", "prod"):
        repo.write(f"envs/{env}.yaml", dsf(env))
        repo.write(f"values/{env}/api.yaml", values("api", "1.0.0", 1))
        repo.write(f"values/{env}/web.yaml", values("web", "1.0.0", 5))
    record(repo, "c1", [("api", 1), ("web", 5)], True)
    init = repo.commit("api 1.0.0 and web 1.0.0")
    repo.write("values/prod/api.yaml", values("api", "1.1.0", 2))
    record(repo, "c2", [("api", 2), ("web", 5)], True)
    api_11 = repo.commit("api 1.1.0 in prod")
    repo.write("values/prod/api.yaml", values("api", "1.2.0", 3))
    record(repo, "c3", [("api", 3), ("web", 5)], False)
    api_12 = repo.commit("api 1.2.0 in prod")
    repo.write("values/prod/web.yaml", values("web", "1.1.0", 6))
    web_11 = repo.commit("web 1.1.0 in prod")
    return History(repo, init, api_11, api_12, web_11)


def test_the_module_has_rollback() -> None:
    # rollback only exists with the core's `git` feature, which the module enables.
    assert "rollback" in ehdeploy.operations()


def test_the_plan_goes_back_to_the_last_release_healthy_by_record(history: History) -> None:
    before = history.repo.log()
    result = ehdeploy.rollback(history.repo.path, "prod", app="api")
    assert isinstance(result, ehdeploy.RollbackResult)
    # api 1.2.0 runs now; 1.1.0 before it is healthy by c2's log.
    assert result.branch == "main" and result.environment == "prod"
    assert result.head.id == history.web_11 and result.head.summary == "web 1.1.0 in prod"
    assert result.target.id == history.api_11
    assert result.target.summary == "api 1.1.0 in prod"
    assert result.target.time == AT and result.target.short == history.api_11[:7]
    assert result.healthy_by_record
    [api] = result.apps
    assert isinstance(api, ehdeploy.RolledBackApp)
    assert (api.app, api.healthy_by) == ("api", "c2")
    assert api.from_release is not None and api.to_release is not None
    assert (api.from_release.tag, api.to_release.tag) == ("1.2.0", "1.1.0")
    assert isinstance(api.to_release, ehdeploy.Artifact)
    assert (api.to_release.image, api.to_release.digest) == ("registry.example/team/api", digest(2))
    assert api.to_release.to_dict() == dict(artifact("api", 2), tag="1.1.0")
    # The commits in between, newest first: web 1.1.0 changed an app the rollback keeps.
    assert [(b.revision.id, b.apps, b.others) for b in result.between] == [
        (history.web_11, ["web"], ["web"]),
        (history.api_12, ["api"], []),
    ]
    assert all(isinstance(b, ehdeploy.Between) and isinstance(b.revision, ehdeploy.Revision) for b in result.between)
    # One file, only its tag and digest changed, comments kept; relative to the work tree.
    [file] = result.files
    assert isinstance(file, ehdeploy.FileChange)
    assert file.path == "values/prod/api.yaml"
    assert (file.before, file.after) == (values("api", "1.2.0", 3), values("api", "1.1.0", 2))
    assert result.report.findings == [] and result.report.ok
    # A plan writes nothing.
    assert result.commit is None and not result.written and result.recorded is None
    assert history.repo.log() == before
    assert history.repo.git("status", "--porcelain") == ""
    # The typed result keeps the answer: the same JSON as call() gives.
    assert result.to_dict() == ehdeploy.call(
        "rollback", {"repo": str(history.repo.path), "environment": "prod", "app": "api"}
    )


def test_the_whole_environment_and_a_named_revision(history: History) -> None:
    every = ehdeploy.rollback(history.repo.path, "prod")
    # web 1.0.0 (healthy by c1) is what the newest change replaced.
    assert every.target.id == history.api_12
    assert [(a.app, a.healthy_by) for a in every.apps] == [("web", "c1")]
    assert [f.path for f in every.files] == ["values/prod/web.yaml"]
    named = ehdeploy.rollback(history.repo.path, "prod", app="api", to="HEAD~3", max_commits=10)
    assert named.target.id == history.init
    assert named.files[0].after == values("api", "1.0.0", 1)
    assert len(named.between) == 3


def test_written_the_rollback_is_one_new_commit_on_the_branch(history: History) -> None:
    before = history.repo.log()
    result = ehdeploy.rollback(
        history.repo.path, "prod", app="api", write=True, candidate="c3", actor={"name": "rm", "roles": []}
    )
    assert result.written and result.commit is not None
    assert result.commit.summary == f"Roll back `api` in prod to {history.api_11[:7]}"
    # The new commit is HEAD, on main; its parent is the old head; history is untouched.
    assert history.repo.head() == result.commit.id
    assert history.repo.git("rev-parse", "main").strip() == result.commit.id
    assert history.repo.git("rev-parse", "HEAD~1").strip() == history.web_11 == result.head.id
    assert history.repo.log()[1:] == before
    assert history.repo.git("diff", "--name-only", "HEAD~1", "HEAD") == "values/prod/api.yaml\n"
    assert (history.repo.path / "values/prod/api.yaml").read_text() == values("api", "1.1.0", 2)
    # The rolled-back event is in c3's log, which the commit does not hold: the only change.
    recorded = result.recorded
    assert recorded is not None and recorded.decision.accepted
    assert recorded.to_dict()["entry"]["event"] == {
        "type": "rolled-back",
        "environment": "prod",
        "reason": f"api back to {history.api_11[:7]} in commit {result.commit.id[:7]} on main",
    }
    assert ehdeploy.verify_log(history.repo.path, "c3").ok
    assert history.repo.git("status", "--porcelain") == " M promotions/c3.jsonl\n"
    history.repo.git("checkout", "-q", "promotions/c3.jsonl")
    # The work tree and the index match the new commit.
    assert history.repo.git("status", "--porcelain") == ""
    assert history.repo.git("fsck", "--strict") == ""


def test_written_without_a_candidate_leaves_a_clean_work_tree(history: History) -> None:
    result = ehdeploy.rollback(history.repo.path, "prod", app="api", write=True)
    assert result.commit is not None and result.recorded is None
    assert history.repo.git("rev-parse", "HEAD~1").strip() == history.web_11
    assert history.repo.head() == result.commit.id
    assert history.repo.git("status", "--porcelain") == ""
    # Now api runs 1.1.0 again: back to 1.2.0 by name is taken, and said not healthy by record.
    back = ehdeploy.rollback(history.repo.path, "prod", app="api", to=history.api_12)
    assert not back.healthy_by_record and back.apps[0].healthy_by is None


def test_not_a_repository_is_a_usage_error(tmp_path: pathlib.Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.rollback(plain, "prod")
    assert isinstance(e.value, ValueError) and e.value.code == "usage"
    assert e.value.message.startswith(f"{plain} is not in a git work tree: ")


def test_a_revision_of_another_branch_is_refused(history: History) -> None:
    repo = history.repo
    repo.git("checkout", "-q", "-b", "elsewhere")
    repo.write("values/prod/api.yaml", values("api", "9.9.9", 9))
    elsewhere = repo.commit("api 9.9.9 on another branch")
    repo.git("checkout", "-q", "main")
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.rollback(repo.path, "prod", app="api", to=elsewhere)
    assert e.value.message == (
        f"`{elsewhere}` is not in the history of `main`: a rollback goes back to a revision the branch ran"
    )
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.rollback(repo.path, "prod", app="api", to="no-such-rev")
    assert e.value.message.startswith("`no-such-rev` does not name a commit")
    assert repo.head() == history.web_11


def test_other_errors(history: History) -> None:
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.rollback(history.repo.path, "prod", app="apii")
    assert e.value.message == "`apii` is not an enabled app of prod at HEAD (did you mean `api`?)"
    with pytest.raises(ehdeploy.UsageError, match="give the candidate and the actor"):
        ehdeploy.rollback(history.repo.path, "prod", app="api", candidate="c3")
    with pytest.raises(ehdeploy.InvalidRequestError):
        ehdeploy.rollback(history.repo.path, "prod", max_commits=-1)
    # Uncommitted changes are never overwritten.
    history.repo.write("values/prod/api.yaml", values("api", "1.2.1", 4))
    with pytest.raises(ehdeploy.UsageError, match="values/prod/api.yaml has uncommitted changes"):
        ehdeploy.rollback(history.repo.path, "prod", app="api", write=True)
    assert history.repo.head() == history.web_11


def test_the_parity_question_is_the_recorded_error() -> None:
    [q] = [q for q in json.loads((ROOT / "tests/parity/questions.json").read_text()) if q["op"] == "rollback"]
    request = json.loads(q["request"])
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.rollback(request["repo"], request["environment"])
    recorded = (ROOT / "tests/parity/answers" / f"{q['name']}.json").read_text()
    assert e.value.error_json is not None and e.value.error_json + "\n" == recorded
