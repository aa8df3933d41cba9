#!/usr/bin/env python3
"""Ask the parity questions (tests/parity/questions.json) through the five ways into ehdeploy
and compare the answers byte for byte:

- Rust: the answers the Rust API gave, recorded in tests/parity/answers/ and kept current by
  `cargo test -p ehdeploy --test parity` (run earlier by the same test command);
- the CLI: each question's own subcommand with `--format json` (or `ehdeploy call`);
- Python: `ehdeploy.call_json` of the installed wheel (run this with the venv's python);
- C: `ehd_call`, through bindings/c/examples/ehd_call.c;
- Groovy: `EhDeploy.callJson` through JNA (bindings/jenkins/test/parity.groovy).

Each question's request is JSON text, sent as it is by every way, so that even the columns of
an error's location agree. Run from anywhere; paths are taken from the repo's root.

    target/venv/bin/python bindings/parity.py [--cli PATH] [--c PATH] [--groovy CMD]

Prints one line per question and `N questions, M mismatches`; exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
from typing import Callable, Dict, List

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(cmd: List[str]) -> str:
    """stdout of `cmd` run at the repo's root; its exit status says answer or error, which
    the JSON says too, so it is not checked here."""
    out = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if out.returncode not in (0, 1, 2) and not out.stdout:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr.decode()}")
    return out.stdout.decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default=str(ROOT / "target/debug/ehdeploy"))
    parser.add_argument("--c", default=str(ROOT / "target/c/ehd_call"))
    parser.add_argument("--groovy", default=str(ROOT / "bindings/jenkins/run-tests.sh"))
    args = parser.parse_args()

    os.chdir(ROOT)
    import ehdeploy  # the installed wheel

    questions = json.loads((ROOT / "tests/parity/questions.json").read_text())

    def python_answer(q: Dict[str, object]) -> str:
        try:
            return ehdeploy.call_json(str(q["op"]), str(q["request"])) + "\n"
        except ehdeploy.Error as e:
            return (e.error_json or "") + "\n"

    # Groovy starts a JVM: ask it every question in one run.
    with tempfile.TemporaryDirectory() as out_dir:
        subprocess.run(
            [args.groovy, "--parity", str(ROOT / "tests/parity/questions.json"), out_dir],
            cwd=ROOT,
            check=True,
        )
        groovy = {
            q["name"]: pathlib.Path(out_dir, f"{q['name']}.json").read_text() for q in questions
        }

    ways: Dict[str, Callable[[Dict[str, object]], str]] = {
        "cli": lambda q: run([args.cli, *q["cli"]]),  # type: ignore[misc]
        "python": python_answer,
        "c": lambda q: run([args.c, str(q["op"]), str(q["request"])]),
        "groovy": lambda q: groovy[str(q["name"])],
    }
    mismatches = 0
    for q in questions:
        rust = (ROOT / "tests/parity/answers" / f"{q['name']}.json").read_text()
        differ = [name for name, ask in ways.items() if ask(q) != rust]
        mismatches += len(differ)
        status = "same" if not differ else "DIFFERENT: " + ", ".join(differ)
        print(f"{q['name']:<40} rust cli python c groovy: {status}")
    print(f"{len(questions)} questions, {mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
