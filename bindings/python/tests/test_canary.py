"""Canaries through Python: the Flagger objects of the example platform, the errors of an
analysis (Prometheus unreachable is ``io``, never a pass), and whole analyses judged from a
real Prometheus over the data the Rust tests use (``prometheus_server.py``)."""

from __future__ import annotations

import inspect
import json
import pathlib
from typing import Iterator, List, Tuple

import pytest

import ehdeploy

import prometheus_server
from conftest import ROOT
from prometheus_server import ERRORING, HEALTHY, IDLE, NAMESPACE, SLOW

UNREACHABLE = json.loads(
    next(
        q["request"]
        for q in json.loads((ROOT / "tests/parity/questions.json").read_text())
        if q["name"] == "error-canary-analyze-unreachable"
    )
)

# ---- canary_resources -----------------------------------------------------------------------


def test_the_module_has_both_canary_operations() -> None:
    # canary_analyze only exists with the core's `prometheus` feature, which the module enables.
    assert {"canary_resources", "canary_analyze"} <= set(ehdeploy.operations())


def test_canary_resources_of_prod_are_the_recorded_answer() -> None:
    resources = ehdeploy.canary_resources("examples/platform", "prod")
    recorded = json.loads((ROOT / "tests/parity/answers/canary-resources-prod.json").read_text())
    assert resources.to_dict() == recorded
    assert (resources.api_version, resources.kind) == ("v1", "List")
    assert [(o.kind, o.api_version, o.name, o.namespace) for o in resources.items] == [
        ("Canary", "flagger.app/v1beta1", "patient-api", "medilink"),
        ("Canary", "flagger.app/v1beta1", "patient-portal", "medilink"),
    ]
    assert resources.canaries == resources.items and resources.metric_templates == []


def test_canary_resources_mean_each_apps_analysis() -> None:
    api, portal = ehdeploy.canary_resources("examples/platform", "prod").items
    # patient-api: the platform file's analysis.
    assert api.to_dict()["metadata"]["annotations"] == {
        "ehdeploy.example/analysis-source": "platform.yaml at /canary/analysis"
    }
    assert api.spec["targetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "patient-api"}
    assert api.spec["service"] == {"port": 8080, "targetPort": 8080}
    assert api.spec["analysis"] == {
        "interval": "1m",
        "threshold": 5,
        "maxWeight": 50,
        "stepWeight": 10,
        "metrics": [
            {"name": "request-success-rate", "interval": "1m", "thresholdRange": {"min": 99.0}},
            {"name": "request-duration", "interval": "1m", "thresholdRange": {"max": 500.0}},
        ],
    }
    # patient-portal: its own values' analysis, with explicit steps.
    assert portal.to_dict()["metadata"]["annotations"] == {
        "ehdeploy.example/analysis-source": "the app's values at /canary/analysis"
    }
    assert portal.spec["service"] == {"port": 3000, "targetPort": 3000}
    analysis = portal.spec["analysis"]
    assert (analysis["threshold"], analysis["maxWeight"], analysis["stepWeights"]) == (3, 50, [5, 10, 25, 50])
    assert "stepWeight" not in analysis
    assert [(m["name"], m["thresholdRange"]) for m in analysis["metrics"]] == [
        ("request-success-rate", {"min": 99.5}),
        ("request-duration", {"max": 300.0}),
    ]


def test_the_environment_is_env_as_in_every_other_function() -> None:
    resources = ehdeploy.canary_resources("examples/platform", env="prod")
    assert resources.to_dict() == ehdeploy.canary_resources("examples/platform", "prod").to_dict()
    with pytest.raises(TypeError):
        ehdeploy.canary_resources("examples/platform", environment="prod")  # type: ignore[call-arg]
    for name in ehdeploy.__all__:
        function = getattr(ehdeploy, name)
        if inspect.isfunction(function):
            assert "environment" not in inspect.signature(function).parameters, name


def test_canary_resources_of_some_apps() -> None:
    resources = ehdeploy.canary_resources("examples/platform", env="prod", apps=["patient-portal"])
    assert [o.name for o in resources.items] == ["patient-portal"]
    every = ehdeploy.canary_resources("examples/platform", "prod")
    assert resources.to_dict()["items"] == [every.to_dict()["items"][1]]


def test_canary_resources_usage_errors() -> None:
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.canary_resources("examples/platform", "prod", ["patient-apy"])
    assert isinstance(e.value, ValueError)
    assert e.value.message == "`patient-apy` is not an enabled app of prod (did you mean `patient-api`?)"
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.canary_resources("examples/platform", "prod", apps=["appointments"])
    assert e.value.message == "canary is off for `appointments` in prod"
    assert e.value.help is not None and "canary.enabled: true" in e.value.help
    with pytest.raises(ehdeploy.UsageError, match="environment `staging` is not in the platform file"):
        ehdeploy.canary_resources("examples/platform", "staging")


# ---- canary_analyze: errors -----------------------------------------------------------------


def test_canary_analyze_prometheus_unreachable_is_an_io_error() -> None:
    with pytest.raises(ehdeploy.IoError) as e:
        ehdeploy.canary_analyze(
            UNREACHABLE["platform"],
            env=UNREACHABLE["environment"],
            app=UNREACHABLE["app"],
            prometheus=UNREACHABLE["prometheus"],
            since=UNREACHABLE["since"],
            at=UNREACHABLE["at"],
            retries=UNREACHABLE["retries"],
        )
    assert isinstance(e.value, OSError)
    assert e.value.code == "io"
    assert e.value.message.startswith(
        "Prometheus at http://127.0.0.1:9/api/v1/query_range is unreachable after 1 attempt(s): "
    )
    assert e.value.message.endswith("[prometheus/unreachable]")
    assert e.value.help == "nothing was decided: the canary is judged only on answers from Prometheus"
    recorded = (ROOT / "tests/parity/answers/error-canary-analyze-unreachable.json").read_text()
    assert e.value.error_json is not None and e.value.error_json + "\n" == recorded


def test_canary_analyze_usage_errors() -> None:
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.canary_analyze("examples/platform", "prod", "patient-apy", since=prometheus_server.T0)
    assert isinstance(e.value, ValueError)
    assert e.value.message == "`patient-apy` is not an enabled app of prod (did you mean `patient-api`?)"
    with pytest.raises(ehdeploy.UsageError, match="when did the canary start"):
        ehdeploy.canary_analyze("examples/platform", "prod", "patient-api", prometheus="http://127.0.0.1:9")
    with pytest.raises(ehdeploy.UsageError, match="give the candidate and the actor"):
        ehdeploy.canary_analyze(
            "examples/platform", "prod", "patient-api", since=prometheus_server.T0, candidate="c1"
        )
    with pytest.raises(ehdeploy.InvalidRequestError):
        ehdeploy.canary_analyze("examples/platform", "prod", "patient-api", retries=-1)


# ---- canary_analyze: a real Prometheus ------------------------------------------------------


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[prometheus_server.PrometheusServer]:
    server = prometheus_server.start(tmp_path_factory.mktemp("prometheus"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def repo(tmp_path: pathlib.Path, prometheus: prometheus_server.PrometheusServer) -> pathlib.Path:
    """The Rust tests' platform repo: environment ``test``, one app per workload, all judged
    by the platform's analysis (every minute, weights 10, 20, 30, rolled back after 2 failed
    checks), with a custom metric ``error-rate``."""
    apps = "".join(
        f"  {app}:\n    namespace: {NAMESPACE}\n    enabled: true\n    chart: ehealth/ehealth-service\n"
        "    version: 2.0.0\n    valuesFile: values.yaml\n"
        for app in (HEALTHY, ERRORING, SLOW, IDLE)
    )
    (tmp_path / "platform.yaml").write_text(
        "name: canary-test\nenvironments:\n  - name: test\n    dsf: [test.yaml]\n"
        "registries: [registry.example]\ncharts:\n  - name: ehealth-service\n"
        "    repository: https://charts.example/stable\n    profile: ehealth-service\n"
        f"canary:\n  prometheus: {prometheus.url}\n  analysis:\n    interval: 1m\n    threshold: 2\n"
        "    stepWeight: 10\n    maxWeight: 30\n    metrics:\n"
        "      - name: request-success-rate\n        thresholdRange: { min: 99 }\n"
        "      - name: request-duration\n        thresholdRange: { max: 500 }\n        interval: 1m\n"
        "      - name: error-rate\n"
        '        query: sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",'
        'destination_workload="{{ target }}",response_code=~"5.*"}[{{ interval }}]))\n'
        "        thresholdRange: { max: 10 }\n"
    )
    (tmp_path / "test.yaml").write_text(
        f"namespaces:\n  {NAMESPACE}: {{}}\nhelmRepos:\n  ehealth: https://charts.example/stable\napps:\n{apps}"
    )
    (tmp_path / "values.yaml").write_text(
        "image: registry.example/team/app\nimageTag: 1.0.0\ncontainerPort: 8080\ncanary:\n  enabled: true\n"
    )
    return tmp_path


def t0(minutes: int, seconds: int = 0) -> str:
    return f"2026-11-20T10:{minutes:02d}:{seconds:02d}Z"


def steps(result: ehdeploy.CanaryAnalysisResult) -> List[Tuple[str, str, int]]:
    return [(c.at, c.decision.action, c.decision.state["weight"]) for c in result.run.checks]


def values(result: ehdeploy.CanaryAnalysisResult, metric: str) -> List[float]:
    return [next(m["value"] for m in c.decision.checks if m["metric"] == metric) for c in result.run.checks]


def test_a_healthy_canary_is_promoted(
    repo: pathlib.Path, prometheus: prometheus_server.PrometheusServer
) -> None:
    result = ehdeploy.canary_analyze(
        repo, "test", HEALTHY, since=t0(5), at=t0(25), timeout_seconds=5, retries=1
    )
    assert steps(result) == [
        (t0(6), "continue", 10),
        (t0(7), "continue", 20),
        (t0(8), "continue", 30),
        (t0(9), "promote", 30),
    ]
    assert values(result, "request-success-rate") == pytest.approx([99.9] * 4)
    assert values(result, "request-duration") == pytest.approx([120.0] * 4)
    assert values(result, "error-rate") == pytest.approx([0.1] * 4)
    assert (result.app, result.environment, result.namespace) == (HEALTHY, "test", NAMESPACE)
    assert result.analysis_source == "platform.yaml at /canary/analysis"
    assert result.prometheus == prometheus.url
    assert (result.run.since, result.run.until) == (t0(5), t0(25))
    assert result.run.action == "promote" and result.run.finished and result.run.next_check is None
    assert result.run.state == {"weight": 30, "failedChecks": 0, "inconclusiveChecks": 0}
    assert result.run.queries["error-rate"] == (
        'sum(rate(istio_requests_total{destination_workload_namespace="canary-test",'
        'destination_workload="healthy",response_code=~"5.*"}[1m]))'
    )
    assert result.recorded is None
    # The typed result keeps the answer: the same JSON as call() gives.
    request = {"platform": str(repo), "environment": "test", "app": HEALTHY, "since": t0(5), "at": t0(25)}
    assert result.to_dict() == ehdeploy.call("canary_analyze", request)


def test_erroring_slow_and_idle_canaries_are_rolled_back(repo: pathlib.Path) -> None:
    erroring = ehdeploy.canary_analyze(repo, "test", ERRORING, since=t0(5), at=t0(25))
    assert steps(erroring) == [(t0(6), "continue", 0), (t0(7), "roll-back", 0)]
    assert values(erroring, "request-success-rate") == pytest.approx([80.0] * 2)
    assert [m["verdict"] for m in erroring.run.checks[1].decision.checks] == ["failed", "passed", "failed"]
    assert erroring.run.state["failedChecks"] == 2
    slow = ehdeploy.canary_analyze(repo, "test", SLOW, since=t0(5), at=t0(25))
    assert steps(slow) == [(t0(6), "continue", 0), (t0(7), "roll-back", 0)]
    assert values(slow, "request-duration") == pytest.approx([1500.0] * 2)
    idle = ehdeploy.canary_analyze(repo, "test", IDLE, since=t0(5), at=t0(25))
    assert steps(idle) == [(t0(6), "continue", 10), (t0(7), "inconclusive", 10), (t0(8), "roll-back", 10)]
    assert all(m["verdict"] == "no-data" for c in idle.run.checks for m in c.decision.checks)


def test_before_its_first_check_a_canary_says_when_the_next_is_due(repo: pathlib.Path) -> None:
    result = ehdeploy.canary_analyze(repo, "test", HEALTHY, since=t0(5), at=t0(5, 59))
    assert result.run.checks == [] and result.run.action is None
    assert result.run.next_check == t0(6) and not result.run.finished
    halfway = ehdeploy.canary_analyze(repo, "test", HEALTHY, since=t0(5), at=t0(7))
    assert (halfway.run.action, halfway.run.next_check) == ("continue", t0(8))


def test_a_finished_analysis_is_recorded_in_the_candidates_log(repo: pathlib.Path) -> None:
    actor = {"name": "jenkins", "roles": []}
    artifact = {"chart": "ehealth/ehealth-service", "version": "2.0.0", "image": "registry.example/team/app"}
    artifacts = {HEALTHY: artifact}
    created = ehdeploy.release_event(
        repo,
        "c1",
        actor,
        {"type": "candidate-created", "candidate": "c1", "revision": "abc", "artifacts": artifacts},
        at=t0(1),
    )
    deployed = ehdeploy.release_event(
        repo, "c1", actor, {"type": "deployed", "environment": "test", "artifacts": artifacts}, at=t0(5)
    )
    assert created.decision.accepted and deployed.decision.accepted
    # Not finished: nothing recorded.
    going = ehdeploy.canary_analyze(repo, "test", HEALTHY, at=t0(7), candidate="c1", actor=actor)
    assert going.run.since == t0(5) and going.recorded is None
    # The start is the deployment's time, from the log.
    result = ehdeploy.canary_analyze(repo, "test", HEALTHY, at=t0(25), candidate="c1", actor=actor)
    assert result.run.since == t0(5) and result.run.action == "promote"
    recorded = result.recorded
    assert recorded is not None and recorded.decision.accepted
    event = recorded.to_dict()["entry"]["event"]
    reason = result.run.checks[-1].decision.reason
    assert event == {
        "type": "evidence",
        "environment": "test",
        "kind": "canary-passed",
        "ok": True,
        "note": f"canary healthy: promote after 4 check(s) from {t0(5)}: {reason}",
    }
    verified = ehdeploy.verify_log(repo, "c1")
    assert verified.ok and verified.entries == 3
