"""Image signatures through Python: ``verify`` of the example platform against its trust policy,
offline from its OCI layout (``examples/platform/images``, where every image is signed but
``nordlab/lab-results:2.12.0-rc.1``), in a copy of the platform so that the repo is never
written: the verdicts and their outcomes, a refusal, an unverifiable image (a registry down, a
corrupt layout), pinning the verified digests, the ``signatures-verified`` evidence recorded in a
candidate's log, and the errors."""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
from typing import Dict, List, Tuple

import pytest

import ehdeploy

from conftest import ROOT

EXAMPLE = ROOT / "examples/platform"
QUESTIONS = json.loads((ROOT / "tests/parity/questions.json").read_text())
CANDIDATE = "2026.11.24-1"
JENKINS = {"name": "jenkins-test", "roles": ["deployer"]}
UNSIGNED = "registry.ehealth.example/nordlab/lab-results:2.12.0-rc.1"
UNSIGNED_DIGEST = "sha256:d9d9d9e84f6dab5c0344976b0c55c2e434474de59b8d26d052d3aeb42b5985e4"
PATIENT_API_DIGEST = "sha256:4cbffa617b45ce6682f35dfb537995393e539e1795c61e424eaea028cd38cbd9"

# inttest's apps in the spec's order: (app, image, the authority that signed it).
INTTEST: List[Tuple[str, str, str]] = [
    ("patient-api", "registry.ehealth.example/medilink/patient-api:3.14.2", "medilink-ci"),
    ("patient-portal", "registry.ehealth.example/medilink/patient-portal:2.9.0", "medilink-ci"),
    ("appointments", "registry.ehealth.example/carebridge/appointments:1.22.0", "carebridge-ci"),
    ("notifications", "registry.ehealth.example/carebridge/notifications:4.3.1", "carebridge-ci"),
    ("referrals", "registry.ehealth.example/carebridge/referrals:1.9.3", "carebridge-ci"),
    ("lab-gateway", "registry.ehealth.example/nordlab/lab-gateway:5.0.4", "nordlab-ci"),
    ("lab-results", UNSIGNED, "nordlab-ci"),
    ("lab-archive", "registry.ehealth.example/nordlab/lab-archive:1.4.2", "nordlab-ci"),
]


@pytest.fixture()
def platform(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of examples/platform (its layout and audit logs included)."""
    copy = tmp_path / "platform"
    shutil.copytree(EXAMPLE, copy)
    return copy


def tree(dir: pathlib.Path) -> Dict[str, str]:
    """Every file under ``dir`` by relative path, with the SHA-256 of its bytes."""
    return {
        str(f.relative_to(dir)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(dir.rglob("*"))
        if f.is_file()
    }


def test_the_module_has_verify() -> None:
    # verify only exists with the core's `signatures` feature, which the module enables.
    assert "verify" in ehdeploy.operations()


def test_inttest_seven_allowed_and_lab_results_warned(platform: pathlib.Path) -> None:
    before = tree(platform)
    result = ehdeploy.verify(platform, env="inttest", layout=platform / "images", process_env=False)
    assert isinstance(result, ehdeploy.VerifyResult)
    assert [(i.environment, i.app, i.reference) for i in result.images] == [
        ("inttest", app, image) for app, image, _ in INTTEST
    ]
    assert all(isinstance(i, ehdeploy.VerifiedImage) for i in result.images)
    # inttest names its images by tag: each verdict has the tag's digest in the layout.
    assert not any(i.pinned for i in result.images)
    assert all(i.verdict.digest is not None and i.verdict.digest.startswith("sha256:") for i in result.images)
    allowed = [i for i in result.images if i.allowed]
    assert len(allowed) == 7
    for image, (app, reference, authority) in zip(result.images, INTTEST):
        verdict = image.verdict
        assert isinstance(verdict, ehdeploy.ImageVerdict)
        assert verdict.name == reference.rsplit(":", 1)[0]
        assert isinstance(verdict.decision, ehdeploy.ImageDecision)
        assert (verdict.decision.mode, verdict.decision.threshold, verdict.decision.missing) == ("warn", 1, [])
        assert [type(c) for c in verdict.checks] == [ehdeploy.AuthorityCheck]
        assert verdict.checks[0].authority == authority
        assert verdict.unverifiable is None
        if app == "lab-results":
            continue
        assert verdict.outcome == "allowed" and image.outcome == "allowed"
        assert verdict.decision.allowed and verdict.decision.reason is None
        assert verdict.decision.passed == [authority]
        assert verdict.decision.message == f"signed by {authority}"
        assert verdict.checks[0].verified and (verdict.checks[0].reason, verdict.checks[0].message) == (None, None)
    # lab-results is unsigned: refused, but inttest's policy only warns: its outcome is `warned`.
    [warned] = result.refused
    assert warned.app == "lab-results" and not warned.allowed
    assert (warned.outcome, warned.verdict.outcome) == ("warned", "warned")
    assert [i.outcome for i in result.images].count("allowed") == 7
    decision = warned.verdict.decision
    assert (decision.allowed, decision.mode, decision.reason, decision.passed) == (False, "warn", "unsigned", [])
    assert warned.verdict.digest == UNSIGNED_DIGEST
    # The check's reason is the stable code alone; its message says what failed.
    [check] = warned.verdict.checks
    no_signature = f"no signature for registry.ehealth.example/nordlab/lab-results@{UNSIGNED_DIGEST}"
    assert (check.authority, check.verified, check.reason, check.message) == (
        "nordlab-ci",
        False,
        "unsigned",
        no_signature,
    )
    assert decision.message == "no authority's signature verified (nordlab-ci: unsigned)"
    # One warning where the spec names the tag; nothing to pin (inttest takes tags), nothing recorded.
    [finding] = result.report.findings
    assert (finding.rule, finding.severity, finding.environment, finding.app) == (
        "signature/refused",
        "warning",
        "inttest",
        "lab-results",
    )
    # Named by tag: the finding says the digest the tag names.
    assert finding.message == f"`{UNSIGNED}` ({UNSIGNED_DIGEST}) is refused in inttest: {decision.message}"
    assert finding.location is not None
    assert (finding.location.file, finding.location.line, finding.location.column, finding.location.pointer) == (
        str(platform / "values/lab-results/inttest.yaml"),
        5,
        11,
        "/imageTag",
    )
    assert (result.report.summary.errors, result.report.summary.warnings) == (0, 1) and result.report.ok
    assert (result.report.summary.apps, result.report.summary.environments) == (8, 1)
    assert result.files == [] and not result.written and result.recorded is None
    # The typed result keeps the answer: the same JSON as call() gives. Nothing was written.
    request = {"platform": str(platform), "environment": "inttest", "layout": str(platform / "images"), "processEnv": False}
    assert result.to_dict() == ehdeploy.call("verify", request)
    assert tree(platform) == before


def test_the_parity_question_is_the_recorded_answer() -> None:
    # Read-only, relative to the repo's root as the parity questions are.
    [q] = [q for q in QUESTIONS if q["name"] == "verify-inttest-layout"]
    request = json.loads(q["request"])
    result = ehdeploy.verify(
        request["platform"], env=request["environment"], layout=request["layout"], process_env=request["processEnv"]
    )
    recorded = json.loads((ROOT / "tests/parity/answers" / f"{q['name']}.json").read_text())
    assert result.to_dict() == recorded
    assert len(result.images) == 8 and len(result.refused) == 1


def test_exttest_refuses_the_unsigned_image_named_by_reference(platform: pathlib.Path) -> None:
    result = ehdeploy.verify(platform, env="exttest", images=[UNSIGNED], layout=platform / "images", process_env=False)
    # Only the image named: no spec is read.
    [image] = result.images
    assert (image.environment, image.app, image.reference, image.pinned) == ("exttest", None, UNSIGNED, False)
    decision = image.verdict.decision
    assert (decision.allowed, decision.mode, decision.reason) == (False, "enforce", "unsigned")
    assert (image.outcome, image.verdict.outcome) == ("refused", "refused")
    [check] = image.verdict.checks
    assert (check.reason, check.message) == (
        "unsigned",
        f"no signature for registry.ehealth.example/nordlab/lab-results@{UNSIGNED_DIGEST}",
    )
    assert result.refused == [image]
    [finding] = result.report.findings
    assert (finding.rule, finding.severity, finding.environment, finding.app, finding.location) == (
        "signature/refused",
        "error",
        "exttest",
        None,
        None,
    )
    assert finding.message == (
        f"`{UNSIGNED}` ({UNSIGNED_DIGEST}) is refused in exttest: no authority's signature verified (nordlab-ci: unsigned)"
    )
    assert result.report.summary.errors == 1 and not result.report.ok
    assert (result.report.summary.apps, result.report.summary.environments) == (0, 0)
    # One image as a str; by digest it is pinned; a signed image is allowed there.
    pinned = ehdeploy.verify(platform, env="exttest", images=f"{UNSIGNED}@{UNSIGNED_DIGEST}", layout=platform / "images")
    assert [(i.reference, i.pinned, i.verdict.digest, i.outcome) for i in pinned.images] == [
        (f"{UNSIGNED}@{UNSIGNED_DIGEST}", True, UNSIGNED_DIGEST, "refused")
    ]
    [refused] = pinned.report.by_rule("signature/refused")
    # Named by digest: the finding does not repeat it.
    assert refused.severity == "error"
    assert refused.message.startswith(f"`{UNSIGNED}@{UNSIGNED_DIGEST}` is refused in exttest: ")
    signed = ehdeploy.verify(platform, env="exttest", images=[INTTEST[0][1]], layout=platform / "images")
    assert [(i.allowed, i.outcome, i.verdict.decision.mode, i.verdict.decision.passed) for i in signed.images] == [
        (True, "allowed", "enforce", ["medilink-ci"])
    ]
    assert signed.report.findings == [] and signed.refused == [] and signed.files == []


def test_pin_writes_the_verified_digest_only_with_write(platform: pathlib.Path) -> None:
    values = platform / "values/patient-api/preprod.yaml"
    original = values.read_text()
    digest_line = f"imageDigest: {PATIENT_API_DIGEST}\n"
    assert digest_line in original
    unpinned = original.replace(digest_line, "")
    values.write_text(unpinned)

    # Not pinned in preprod, which requires digests: an error, and with pin what to write.
    checked = ehdeploy.verify(platform, env="preprod", layout=platform / "images", process_env=False)
    [required] = checked.report.by_rule("image/digest-required")
    assert (required.severity, required.environment, required.app) == ("error", "preprod", "patient-api")
    assert checked.files == []
    api = checked.images[0]
    assert (api.app, api.pinned, api.allowed, api.verdict.digest) == ("patient-api", False, True, PATIENT_API_DIGEST)
    assert all(i.pinned and i.allowed for i in checked.images[1:])

    planned = ehdeploy.verify(platform, env="preprod", layout=platform / "images", pin=True, process_env=False)
    [change] = planned.files
    assert isinstance(change, ehdeploy.FileChange)
    assert change.path == str(values)
    assert (change.before, change.after) == (unpinned, unpinned + digest_line)
    assert not planned.written and values.read_text() == unpinned
    assert len(planned.report.by_rule("image/digest-required")) == 1

    written = ehdeploy.verify(platform, env="preprod", layout=platform / "images", pin=True, write=True, process_env=False)
    assert written.written and [f.path for f in written.files] == [str(values)]
    assert values.read_text() == unpinned + digest_line
    assert written.report.by_rule("image/digest-required") == [] and written.report.ok
    # Verified again: pinned now, and nothing left to pin.
    again = ehdeploy.verify(platform, env="preprod", layout=platform / "images", pin=True, process_env=False)
    assert again.images[0].pinned and again.files == [] and not again.written
    assert again.report.findings == []


def log_lines(platform: pathlib.Path) -> List[Dict[str, object]]:
    return [json.loads(line) for line in (platform / f"promotions/{CANDIDATE}.jsonl").read_text().splitlines()]


def test_the_result_is_recorded_as_signatures_verified_evidence(platform: pathlib.Path) -> None:
    entries = len(log_lines(platform))
    # A signed image: positive evidence, naming the digest verified.
    signed = ehdeploy.verify(
        platform,
        env="inttest",
        images=[INTTEST[0][1]],
        layout=platform / "images",
        candidate=CANDIDATE,
        actor=JENKINS,
    )
    recorded = signed.recorded
    assert isinstance(recorded, ehdeploy.ReleaseEventResult) and recorded.decision.accepted
    assert recorded.log == str(platform / f"promotions/{CANDIDATE}.jsonl")
    entry = recorded.to_dict()["entry"]
    assert entry["actor"] == JENKINS
    assert entry["event"] == {
        "type": "evidence",
        "environment": "inttest",
        "kind": "signatures-verified",
        "ok": True,
        "note": f"1 image(s) verified: registry.ehealth.example/medilink/patient-api@{PATIENT_API_DIGEST}",
    }
    # The log on disk has it as its last entry, and still verifies.
    lines = log_lines(platform)
    assert len(lines) == entries + 1 and lines[-1]["event"] == entry["event"]
    assert lines[-1]["hash"] == entry["hash"]
    verified = ehdeploy.verify_log(platform, CANDIDATE)
    assert verified.ok and verified.entries == entries + 1 and verified.head == entry["hash"]
    status = recorded.status.environments[0]
    assert status.environment == "inttest" and status.evidence["signatures-verified"] == "ok"

    # The whole of inttest: lab-results is not allowed, so the evidence is negative.
    every = ehdeploy.verify(
        platform, env="inttest", layout=platform / "images", candidate=CANDIDATE, actor=JENKINS, process_env=False
    )
    assert every.recorded is not None and every.recorded.decision.accepted
    event = every.recorded.to_dict()["entry"]["event"]
    assert (event["kind"], event["environment"], event["ok"]) == ("signatures-verified", "inttest", False)
    assert event["note"].startswith("refused: lab-results: ")
    assert every.recorded.status.environments[0].evidence["signatures-verified"] == "failed"
    assert len(log_lines(platform)) == entries + 2 and ehdeploy.verify_log(platform, CANDIDATE).ok


def test_an_unreachable_registry_makes_the_image_unverifiable_not_an_error(platform: pathlib.Path) -> None:
    # No layout: the image's registry, which refuses the connection.
    image = "127.0.0.1:9/team/app:1.0.0"
    result = ehdeploy.verify(
        platform,
        env="inttest",
        images=[image],
        insecure_registries=["127.0.0.1:9"],
        retries=0,
        timeout_seconds=5,
    )
    [verified] = result.images
    assert verified.reference == image and not verified.allowed
    assert (verified.outcome, verified.verdict.outcome) == ("unverifiable", "unverifiable")
    assert result.refused == [verified]
    unverifiable = verified.verdict.unverifiable
    assert unverifiable is not None
    assert unverifiable.startswith("the registry 127.0.0.1:9 is unreachable after 1 attempt(s) ")
    assert unverifiable.endswith("[signature/unreachable]")
    assert verified.verdict.digest is None
    # The decision says why: the store failed, not "unsigned".
    decision = verified.verdict.decision
    assert (decision.allowed, decision.reason) == (False, "unverifiable")
    assert decision.message == f"its signatures could not be read: {unverifiable}"
    [finding] = result.report.findings
    assert (finding.rule, finding.severity) == ("signature/unverifiable", "error")
    assert finding.message == f"the signatures of `{image}` could not be read: {unverifiable}"
    assert not result.report.ok and result.files == []


def test_a_corrupt_layout_is_unverifiable_even_where_the_policy_only_warns(platform: pathlib.Path) -> None:
    # The signature manifest of patient-api 3.14.2, replaced by other bytes.
    layout = platform / "images"
    index = json.loads((layout / "index.json").read_text())
    sig_ref = f"registry.ehealth.example/medilink/patient-api:{PATIENT_API_DIGEST.replace(':', '-')}.sig"
    [digest] = [
        m["digest"] for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == sig_ref
    ]
    (layout / "blobs/sha256" / digest[len("sha256:") :]).write_bytes(b'{"schemaVersion":2}')
    result = ehdeploy.verify(platform, env="inttest", images=[INTTEST[0][1]], layout=layout, process_env=False)
    [image] = result.images
    # inttest's policy only warns, yet the outcome is `unverifiable` (never `warned`) and an error.
    assert (image.outcome, image.allowed, image.verdict.decision.mode) == ("unverifiable", False, "warn")
    assert image.verdict.unverifiable is not None and image.verdict.unverifiable.endswith("[signature/content-mismatch]")
    decision = image.verdict.decision
    assert decision.reason == "unverifiable"
    assert decision.message == f"its signatures could not be read: {image.verdict.unverifiable}"
    # Each authority's check names the store's failure by its code, and says it in its message.
    [check] = image.verdict.checks
    assert (check.authority, check.verified, check.reason) == ("medilink-ci", False, "content-mismatch")
    assert check.message is not None and "not what was asked for" in check.message
    [finding] = result.report.findings
    assert (finding.rule, finding.severity) == ("signature/unverifiable", "error")
    assert result.refused == [image] and not result.report.ok


def test_an_empty_bundle_folder_changes_no_verdict(platform: pathlib.Path) -> None:
    layout = platform / "images"
    (platform / "signatures").mkdir()
    (platform / "signatures" / "README.md").write_text("bundles of the releases, when there are some")
    plain = ehdeploy.verify(platform, env="inttest", layout=layout, process_env=False)
    with_folder = ehdeploy.verify(
        platform, env="inttest", layout=layout, bundles=platform / "signatures", process_env=False
    )
    assert [(i.reference, i.outcome) for i in with_folder.images] == [(i.reference, i.outcome) for i in plain.images]


def test_usage_and_other_errors(platform: pathlib.Path) -> None:
    layout = platform / "images"
    # A platform file without `signatures:`: the parity question's recorded error.
    [q] = [q for q in QUESTIONS if q["name"] == "error-verify-no-trust-policy"]
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.verify(json.loads(q["request"])["platform"], process_env=False)
    assert isinstance(e.value, ValueError) and e.value.code == "usage"
    assert e.value.message == "the platform file has no trust policy: nothing says who must sign which image"
    assert e.value.help == "add `signatures:` to platform.yaml (docs/signing.md)"
    recorded = (ROOT / "tests/parity/answers" / f"{q['name']}.json").read_text()
    assert e.value.error_json is not None and e.value.error_json + "\n" == recorded
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.verify(platform, env="preprod", layout=layout, write=True)
    assert e.value.message == "`write` writes pinned digests: give `pin` too"
    with pytest.raises(ehdeploy.UsageError, match="give the candidate and the actor"):
        ehdeploy.verify(platform, env="inttest", layout=layout, candidate=CANDIDATE)
    with pytest.raises(ehdeploy.UsageError, match="give the environment"):
        ehdeploy.verify(platform, layout=layout, candidate=CANDIDATE, actor=JENKINS)
    with pytest.raises(ehdeploy.UsageError, match="environment `staging` is not in the platform file"):
        ehdeploy.verify(platform, env="staging", layout=layout)
    with pytest.raises(ehdeploy.UsageError) as e:
        ehdeploy.verify(platform, env="inttest", images=["Not An Image!"], layout=layout)
    assert e.value.message.startswith("`Not An Image!` is not an image reference: ")
    with pytest.raises(ehdeploy.IoError) as e:
        ehdeploy.verify(platform, env="inttest", layout=platform / "no-such-layout")
    assert isinstance(e.value, OSError) and e.value.code == "io"
    assert e.value.message.startswith(f"the OCI layout {platform / 'no-such-layout'}: ")
    with pytest.raises(ehdeploy.IoError) as e:
        ehdeploy.verify(platform, env="inttest", files=[platform / "no-such-dsf.yaml"], layout=layout)
    assert e.value.message.startswith(f"cannot read {platform / 'no-such-dsf.yaml'}: ")
    with pytest.raises(ehdeploy.InvalidRequestError):
        ehdeploy.verify(platform, env="inttest", layout=layout, concurrency=-1)
    # A bundle folder: each of its .json files must be a Sigstore bundle.
    bundles = platform / "signatures"
    bundles.mkdir()
    (bundles / "notes.json").write_text('{"release": "2.11.4"}')
    with pytest.raises(ehdeploy.IoError) as e:
        ehdeploy.verify(platform, env="inttest", layout=layout, bundles=[bundles])
    assert e.value.message.startswith(f"the bundle files: {bundles / 'notes.json'}: not a Sigstore bundle")
    assert e.value.help is not None and "must be a Sigstore bundle" in e.value.help
    # Nothing was recorded or written by a refused request.
    assert len(log_lines(platform)) == len(log_lines(EXAMPLE))
