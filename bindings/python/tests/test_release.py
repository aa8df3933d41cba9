"""Releases through Python: the same pipeline, gates and audit log as the Rust tests."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest

import ehdeploy

from conftest import ROOT

CANDIDATE = "2026.11.26-1"
ALICE = {"name": "alice", "roles": ["supplier-release-manager"]}
BOB = {"name": "bob", "roles": ["test-promoter"]}
CAROL = {"name": "carol", "roles": ["qa-lead"]}


@pytest.fixture()
def platform(tmp_path: pathlib.Path) -> pathlib.Path:
    repo = tmp_path / "platform"
    shutil.copytree(ROOT / "examples/platform", repo)
    shutil.rmtree(repo / "promotions")
    return repo


def test_the_example_release_as_rust_reports_it() -> None:
    status = ehdeploy.release_status("examples/platform", "2026.11.24-1", at="2026-11-25T10:00:00Z")
    recorded = json.loads((ROOT / "tests/parity/answers/release-status-example.json").read_text())
    assert status.to_dict() == recorded
    assert [(e.environment, e.place) for e in status.environments] == [
        ("inttest", "deployed"),
        ("exttest", "promoted"),
        ("preprod", "not-reached"),
        ("prod", "not-reached"),
    ]
    promote = [s for s in status.next if s.action == "promote"][0]
    assert not promote.allowed
    assert [r.code for r in promote.reasons] == [
        "gate/not-deployed",
        "gate/missing-evidence",
        "gate/missing-evidence",
        "gate/missing-evidence",
        "gate/not-requested",
        "gate/approvals",
        "gate/pr-not-merged",
    ]
    log = ehdeploy.verify_log("examples/platform", "2026.11.24-1")
    assert log.ok and log.entries == 10 and log.head == status.head


def test_a_release_refused_then_accepted(platform: pathlib.Path) -> None:
    artifacts = ehdeploy.release_artifacts(platform, "inttest", process_env=False)
    assert artifacts["patient-api"].chart == "ehealth/ehealth-service"
    plain = {app: a.to_dict() for app, a in artifacts.items()}

    def event(actor: dict, ev: dict, at: str) -> ehdeploy.ReleaseEventResult:
        return ehdeploy.release_event(platform, CANDIDATE, actor, ev, at=at)

    created = event(ALICE, {"type": "candidate-created", "candidate": CANDIDATE, "revision": "abc", "artifacts": plain}, "2026-11-24T08:00:00Z")
    assert created.decision.accepted
    assert event(ALICE, {"type": "deployed", "environment": "inttest", "artifacts": plain}, "2026-11-24T08:10:00Z").decision.accepted
    refused = event(BOB, {"type": "promoted", "to": "exttest", "artifacts": plain}, "2026-11-24T09:00:00Z")
    assert not refused.decision.accepted
    assert {r.code for r in refused.decision.reasons} == {
        "gate/missing-evidence",
        "gate/not-requested",
        "gate/approvals",
    }
    assert "missing qa-approved in inttest" in [r.message for r in refused.decision.reasons]
    for kind in ["signatures-verified", "deployed-healthy", "tests-passed", "qa-approved"]:
        ok = event(CAROL, {"type": "evidence", "environment": "inttest", "kind": kind, "ok": True}, "2026-11-24T10:00:00Z")
        assert ok.decision.accepted
    assert event(BOB, {"type": "promotion-requested", "to": "exttest"}, "2026-11-24T10:10:00Z").decision.accepted
    self_approval = event(BOB, {"type": "approved", "to": "exttest"}, "2026-11-24T10:11:00Z")
    assert [r.code for r in self_approval.decision.reasons] == ["gate/self-approval", "gate/role"]
    assert event(CAROL, {"type": "approved", "to": "exttest"}, "2026-11-24T10:12:00Z").decision.accepted
    promoted = event(BOB, {"type": "promoted", "to": "exttest", "artifacts": plain}, "2026-11-24T10:20:00Z")
    assert promoted.decision.accepted
    assert [e.place for e in promoted.status.environments][:2] == ["deployed", "promoted"]
    log = ehdeploy.verify_log(platform, CANDIDATE)
    assert log.ok and log.entries == 11


def test_a_tampered_log_is_named_and_nothing_is_recorded(platform: pathlib.Path) -> None:
    ehdeploy.release_event(platform, CANDIDATE, ALICE, {"type": "candidate-created", "candidate": CANDIDATE, "revision": "abc", "artifacts": {}}, at="2026-11-24T08:00:00Z")
    ehdeploy.release_event(platform, CANDIDATE, ALICE, {"type": "deployed", "environment": "inttest", "artifacts": {}}, at="2026-11-24T08:10:00Z")
    path = platform / "promotions" / f"{CANDIDATE}.jsonl"
    path.write_text(path.read_text().replace("inttest", "exttest", 1))
    log = ehdeploy.verify_log(platform, CANDIDATE)
    assert not log.ok and log.problem is not None
    assert (log.problem.code, log.problem.line, log.entries) == ("hash", 2, 1)
    before = path.read_bytes()
    with pytest.raises(ehdeploy.AuditLogError) as info:
        ehdeploy.release_status(platform, CANDIDATE)
    assert info.value.code == "audit-log"
    with pytest.raises(ehdeploy.AuditLogError):
        ehdeploy.release_event(platform, CANDIDATE, ALICE, {"type": "promotion-requested", "to": "exttest"})
    assert path.read_bytes() == before


def test_bad_release_requests() -> None:
    with pytest.raises(ehdeploy.UsageError):
        ehdeploy.release_status("examples/platform", "../escape")
    with pytest.raises(ehdeploy.InvalidRequestError):
        ehdeploy.release_event("examples/platform", "x", ALICE, {"type": "teleported", "to": "prod"})
    with pytest.raises(ehdeploy.UsageError):
        ehdeploy.release_status("examples/platform", "x", at="yesterday")


def test_rollout_health_as_rust_reports_it() -> None:
    apps = ehdeploy.rollout_health("crates/ehdeploy/tests/rollout/crashloop.json")
    recorded = json.loads((ROOT / "tests/parity/answers/rollout-health-crashloop.json").read_text())
    assert [a.to_dict() for a in apps] == recorded["apps"]
    assert apps.to_dict() == recorded and apps.recorded is None
    assert (apps[0].state, apps[0].next) == ("stalled", "fix-configuration-or-roll-back")
    assert apps[0].problems[0].reason == "CrashLoopBackOff"
    degraded = ehdeploy.rollout_health("crates/ehdeploy/tests/rollout/degraded.json")
    assert degraded[0].next == "roll-back"
    assert degraded[0].problems[0].probe == "liveness probe: HTTP GET /health/live on port 8080"
    with pytest.raises(ehdeploy.UsageError) as info:
        ehdeploy.rollout_health("tests/parity/questions.json")
    assert "kubectl" in info.value.message


def test_rollout_health_records_a_finished_roll_out_for_a_candidate(tmp_path: pathlib.Path) -> None:
    (tmp_path / "platform.yaml").write_text("name: t\nenvironments:\n  - name: test\n    dsf: [test.yaml]\n")
    (tmp_path / "test.yaml").write_text(
        "namespaces:\n  medilink: {}\napps:\n  patient-api:\n    namespace: medilink\n    enabled: true\n"
        "    chart: ehealth/ehealth-service\n    version: 2.0.0\n"
    )
    jenkins = {"name": "jenkins", "roles": []}
    artifacts = {"patient-api": {"chart": "ehealth/ehealth-service", "version": "2.0.0"}}
    for event in [
        {"type": "candidate-created", "candidate": "c1", "revision": "abc", "artifacts": artifacts},
        {"type": "deployed", "environment": "test", "artifacts": artifacts},
    ]:
        assert ehdeploy.release_event(tmp_path, "c1", jenkins, event).decision.accepted

    def health(fixture: str) -> ehdeploy.RolloutHealth:
        return ehdeploy.rollout_health(
            f"crates/ehdeploy/tests/rollout/{fixture}.json",
            platform=tmp_path,
            env="test",
            candidate="c1",
            actor={"name": "dave", "roles": ["ops"]},
        )

    # Still progressing: nothing recorded.
    going = health("progressing")
    assert going.recorded is None and "recorded" not in going.to_dict()
    healthy = health("healthy")
    # Still the list of apps it always was, with what was recorded beside it.
    assert isinstance(healthy, list) and [a.state for a in healthy] == ["healthy"]
    assert isinstance(healthy[0], ehdeploy.AppRollout)
    recorded = healthy.recorded
    assert recorded is not None and recorded.decision.accepted
    assert recorded.log == str(tmp_path / "promotions" / "c1.jsonl")
    entry = recorded.to_dict()["entry"]
    assert entry["actor"] == {"name": "dave", "roles": ["ops"]}
    assert entry["event"] == {
        "type": "evidence",
        "environment": "test",
        "kind": "deployed-healthy",
        "ok": True,
        "note": "healthy: patient-api",
    }
    stalled = health("crashloop")
    assert stalled.recorded is not None
    assert stalled.recorded.to_dict()["entry"]["event"]["ok"] is False
    assert ehdeploy.verify_log(tmp_path, "c1").entries == 4
    # The typed answer keeps the JSON: apps and recorded, as call() gives them.
    assert set(stalled.to_dict()) == {"apps", "recorded"}
    assert [a.to_dict() for a in stalled] == stalled.to_dict()["apps"]
    # Recording needs the platform and the environment.
    with pytest.raises(ehdeploy.UsageError, match="needs the actor, the platform and the environment"):
        ehdeploy.rollout_health("crates/ehdeploy/tests/rollout/healthy.json", candidate="c1", actor=jenkins)


def test_canary_decisions_as_rust_makes_them() -> None:
    questions = {q["name"]: q for q in json.loads((ROOT / "tests/parity/questions.json").read_text())}
    for name in ["canary-errors-roll-back", "canary-no-traffic-inconclusive", "canary-healthy-continues"]:
        request = json.loads(questions[name]["request"])
        decision = ehdeploy.canary_decide(request["analysis"], request["samples"], state=request["state"])
        recorded = json.loads((ROOT / "tests/parity/answers" / f"{name}.json").read_text())
        assert decision.to_dict() == recorded
    analysis = {"threshold": 1, "stepWeight": 10, "metrics": [{"name": "request-success-rate", "thresholdRange": {"min": 99}}]}
    down = {"request-success-rate": {"error": "prometheus down"}}
    # An unreachable Prometheus is never a pass: at 10% it rolls back (threshold 1).
    assert ehdeploy.canary_decide(analysis, down, state={"weight": 10}).action == "roll-back"
    with pytest.raises(ehdeploy.UsageError):
        ehdeploy.canary_decide({"threshold": 0, "metrics": []}, {})
