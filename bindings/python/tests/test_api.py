"""The typed API: the same questions as the Rust tests, the same answers."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import threading

import pytest

import ehdeploy

from conftest import ROOT, SHARED


def test_check_the_example_platform() -> None:
    report = ehdeploy.check("examples/platform", process_env=False, at="2026-11-25T10:00:00Z")
    assert report.ok
    assert (report.summary.errors, report.summary.warnings) == (0, 4)
    assert [(f.rule, str(f.location), f.environment) for f in report.findings] == [
        ("chart/version-not-newest", "examples/platform/envs/inttest.yaml:91:14", "inttest"),
        ("schema/unknown-key", "examples/platform/envs/inttest.yaml:134:5", "inttest"),
        # The platform's image layout: lab-results is unsigned, which inttest only warns about.
        ("signature/refused", "examples/platform/values/lab-results/inttest.yaml:5:11", "inttest"),
        ("promotion/manual", "examples/platform/envs/preprod.yaml:49:3", "preprod"),
    ]
    assert [(p.from_env, p.to_env) for p in report.promotions] == [
        ("inttest", "exttest"),
        ("exttest", "preprod"),
        ("preprod", "prod"),
    ]
    assert [r.candidate for r in report.releases] == ["2026.11.24-1"]
    # Plain data, exactly the JSON of the core.
    recorded = json.loads((ROOT / "tests/parity/answers/check-example.json").read_text())
    assert report.to_dict() == recorded


def test_every_planted_violation_is_found_where_it_is() -> None:
    report = ehdeploy.validate(
        ["tests/parity/planted/envs/test.yaml"],
        platform="tests/parity/planted/platform.yaml",
        process_env=False,
    )
    assert not report.ok
    got = {(f.rule, f.location.file.split("/")[-1], f.location.line) for f in report.findings if f.location}
    for expected in [
        ("image/tag-latest", "test.yaml", 26),
        ("replicas/minimum", "test.yaml", 27),
        ("chart/wrong-repository", "test.yaml", 31),
        ("mesh/injection", "test.yaml", 8),
        ("image/official-registry", "foreign.yaml", 1),
        ("ports/invalid", "foreign.yaml", 3),
        ("memory/request-above-limit", "foreign.yaml", 8),
        ("image/digest-invalid", "leaky.yaml", 3),
        ("secrets/plaintext", "leaky.yaml", 16),
        ("dns/domain", "leaky.yaml", 19),
        ("helmsman/namespace-undefined", "test.yaml", 42),
        ("spec/file-missing", "test.yaml", 45),
    ]:
        assert expected in got
    secret = report.by_rule("secrets/plaintext")[0]
    assert "hunter2" not in json.dumps(report.to_dict())
    assert secret.severity == "error" and secret.app == "leaky"


# The same fixtures and variables as crates/ehdeploy/tests/helmsman_fixtures.rs, compared
# with its golden files.
HELMSMAN = [
    ("helmsman_example_yaml", ["mkubaczyk__helmsman/examples/example.yaml"], {"ORG_PATH": "org", "VALUE": "v"}),
    ("helmsman_example_toml", ["mkubaczyk__helmsman/examples/example.toml"], {"ORG_PATH": "org", "VALUE": "v"}),
    ("kyverno_demo", ["kamikazechaser__k8s-kyverno-demo/helmsman.yaml"], {}),
    ("hypha_k8s", ["amun-ai__hypha-k8s/helmsman.yaml"], {"JWT_SECRET": "j"}),
]


@pytest.mark.parametrize("name,files,vars", HELMSMAN, ids=[h[0] for h in HELMSMAN])
def test_helmsman_fixtures_give_the_rust_findings(name: str, files: list, vars: dict) -> None:
    root = SHARED / "fixtures/helmsman"
    report = ehdeploy.validate([root / f for f in files], vars=vars, process_env=False)
    prefix = os.path.normpath(root) + "/"
    lines = "".join(
        f"{f.rule} {f.severity} {f.location.file.replace(prefix, '', 1)}:{f.location.line}:"
        f"{f.location.column} {f.location.pointer or '-'}\n"
        for f in report.findings
        if f.location
    )
    golden = ROOT / "crates/ehdeploy/tests/golden/helmsman" / f"{name}.txt"
    assert lines == golden.read_text()


def test_a_promotion_plan_and_its_manual_step() -> None:
    result = ehdeploy.promotion_plan("examples/platform", "exttest", "preprod", process_env=False)
    changed = [a.app for a in result.plan.actions if a.decision != "noop"]
    assert changed == ["patient-portal"]
    assert result.plan.summary.change == 1 and result.plan.summary.has_changes
    assert [f.rule for f in result.report.findings] == ["promotion/manual"]
    portal = result.plan.actions[[a.app for a in result.plan.actions].index("patient-portal")]
    assert {c.name for c in portal.changes} >= {"image.tag"}


def test_plan_between_two_files() -> None:
    result = ehdeploy.plan(
        "examples/platform/envs/prod.yaml",
        "examples/platform/envs/preprod.yaml",
        platform="examples/platform/platform.yaml",
        env="prod",
        process_env=False,
    )
    recorded = json.loads((ROOT / "tests/parity/answers/plan-preprod-to-prod-files.json").read_text())
    assert result.to_dict() == recorded


def test_promote_spec_writes_only_with_write(tmp_path: pathlib.Path) -> None:
    repo = tmp_path / "platform"
    shutil.copytree(ROOT / "examples/platform", repo)
    before = (repo / "envs/preprod.yaml").read_text()
    dry = ehdeploy.promote_spec(repo, "exttest", "preprod", process_env=False)
    assert not dry.written and dry.files
    assert (repo / "envs/preprod.yaml").read_text() == before
    done = ehdeploy.promote_spec(repo, "exttest", "preprod", write=True, process_env=False)
    assert done.written
    for change in done.files:
        assert pathlib.Path(change.path).read_text() == change.after
    again = ehdeploy.promotion_plan(repo, "exttest", "preprod", process_env=False)
    assert not again.plan.summary.has_changes


def test_rules_schema_version() -> None:
    rules = ehdeploy.rules()
    assert rules[0].id == "syntax/yaml" and len(rules) == 55
    assert ehdeploy.schema("dsf")["$id"].endswith("/dsf.schema.json")
    assert ehdeploy.version() == ehdeploy.__version__
    assert "promotion_plan" in ehdeploy.operations()


@pytest.mark.parametrize(
    "op,request_,exc,code",
    [
        ("nope", "{}", ehdeploy.UnknownOperationError, "unknown-operation"),
        ("validate", "{not json", ehdeploy.InvalidRequestError, "invalid-request"),
        ("validate", '{"files": [], "platfrom": 1}', ehdeploy.InvalidRequestError, "invalid-request"),
        ("validate", '{"files": ["no/such.yaml"]}', ehdeploy.IoError, "io"),
        (
            "promotion_plan",
            '{"platform": "examples/platform", "from": "preprod", "to": "staging"}',
            ehdeploy.UsageError,
            "usage",
        ),
    ],
)
def test_errors_are_exceptions_with_their_code(op: str, request_: str, exc: type, code: str) -> None:
    with pytest.raises(exc) as info:
        ehdeploy.call_json(op, request_)
    assert isinstance(info.value, ehdeploy.Error)
    assert info.value.code == code
    assert info.value.message


def test_unknown_operation_suggests_the_name() -> None:
    with pytest.raises(ehdeploy.UnknownOperationError) as info:
        ehdeploy.call("chek")
    assert info.value.help == "did you mean `check`?"


def test_wrong_types_are_clear_errors() -> None:
    with pytest.raises(ehdeploy.InvalidRequestError) as info:
        ehdeploy.validate(42)  # type: ignore[arg-type]
    assert info.value.code == "invalid-request"
    with pytest.raises(ehdeploy.InvalidRequestError):
        ehdeploy.validate(["ok.yaml", 3])  # type: ignore[list-item]
    with pytest.raises(ehdeploy.InvalidRequestError) as info:
        ehdeploy.check("examples/platform", process_env="yes")  # type: ignore[arg-type]
    assert "processEnv" not in info.value.message or "bool" in info.value.message
    assert info.value.locations and info.value.locations[0].file == "<request>"
    with pytest.raises(ehdeploy.InvalidArgumentError):
        ehdeploy.call_json(1, "{}")  # type: ignore[arg-type]
    with pytest.raises(ehdeploy.InvalidRequestError):
        ehdeploy.call("version", {"x": object()})
    with pytest.raises(TypeError):  # the native function checks its own arguments too
        ehdeploy._native.call(None, "{}")  # type: ignore[arg-type]


def test_a_panic_is_an_error_and_python_goes_on() -> None:
    if "debug_panic" not in ehdeploy.operations():
        pytest.skip("a wheel built without the fault-injection feature")
    with pytest.raises(ehdeploy.PanicError) as info:
        ehdeploy.call("debug_panic", {"message": "forced by pytest"})
    assert info.value.code == "panic"
    assert "forced by pytest" in info.value.message
    assert ehdeploy.check("examples/platform", process_env=False).ok


def test_the_gil_is_released_during_the_work() -> None:
    request = json.dumps({"platformDir": "examples/platform", "processEnv": False})
    started = threading.Event()
    done: list = []

    def work() -> None:
        started.set()
        done.append(ehdeploy._native.call("check", request))

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    counted = 0
    while t.is_alive():
        counted += 1
    t.join()
    assert done[0][0] is True
    # Holding the GIL, the native call would leave this thread no turn until it returned.
    assert counted > 1000, counted


def test_many_threads_get_the_same_answer() -> None:
    request = json.dumps({"platformDir": "examples/platform", "processEnv": False})
    answers: list = []

    def work() -> None:
        for _ in range(3):
            answers.append(ehdeploy.call_json("check", request))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 24 and len(set(answers)) == 1
