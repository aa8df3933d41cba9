"""The parity questions (tests/parity/questions.json), asked through Python: every answer is
byte for byte the one the Rust API recorded (tests/parity/answers/)."""

from __future__ import annotations

import json

import pytest

import ehdeploy

from conftest import ROOT

QUESTIONS = json.loads((ROOT / "tests/parity/questions.json").read_text())


@pytest.mark.parametrize("q", QUESTIONS, ids=[q["name"] for q in QUESTIONS])
def test_same_answer_as_rust(q: dict) -> None:
    recorded = (ROOT / "tests/parity/answers" / f"{q['name']}.json").read_text()
    assert recorded.endswith("\n")
    # The request is JSON text: every binding sends it as it is.
    request = q["request"]
    try:
        answer = ehdeploy.call_json(q["op"], request)
    except ehdeploy.Error as e:
        assert q["name"].startswith("error-") or "refused" in q["name"]
        assert e.error_json is not None
        assert json.loads(e.error_json)["error"] == e.to_dict()
        answer = e.error_json
    assert answer + "\n" == recorded
