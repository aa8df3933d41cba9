"""A pipeline step in Python: check the platform repo, show the next promotion, and fail the
job on errors. Typed: `mypy --strict` checks it against the package's stubs.

    python bindings/python/examples/pipeline.py examples/platform exttest preprod
"""

from __future__ import annotations

import sys
from typing import List

import ehdeploy


def describe(finding: ehdeploy.Finding) -> str:
    where = str(finding.location) if finding.location else "-"
    return f"{finding.severity:<7} {finding.rule:<28} {where}  {finding.message}"


def main(argv: List[str]) -> int:
    platform, source, target = argv[1:4] if len(argv) >= 4 else ("examples/platform", "exttest", "preprod")
    try:
        report = ehdeploy.check(platform, process_env=False)
        promotion = ehdeploy.promotion_plan(platform, source, target, process_env=False)
    except ehdeploy.UsageError as e:
        print(f"usage: {e.message}", file=sys.stderr)
        return 2
    except ehdeploy.Error as e:
        print(f"ehdeploy failed [{e.code}]: {e.message}", file=sys.stderr)
        return 2
    for finding in report.findings:
        print(describe(finding))
    s = report.summary
    print(f"{s.errors} errors, {s.warnings} warnings in {s.files} files")
    for action in promotion.plan.actions:
        if action.decision != "noop":
            fields = ", ".join(c.name or c.path for c in action.changes)
            print(f"{source} -> {target}: {action.decision} {action.app} ({fields})")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
