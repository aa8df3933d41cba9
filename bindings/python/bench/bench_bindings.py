"""The Python side of crates/ehdeploy/benches/bindings.rs: time a no-op call and a check of a
platform repo through the Python package (typed result included), as the Rust and C sides do.

    python bench_bindings.py PLATFORM_DIR  ->  prints "noop_ns <mean>" and "check_ns <median>"
"""

from __future__ import annotations

import statistics
import sys
import time

import ehdeploy


def main() -> None:
    platform = sys.argv[1]
    # no-op: the best mean of 5 batches of 100,000 calls
    best = float("inf")
    call = ehdeploy.call_json
    for _ in range(5):
        start = time.perf_counter_ns()
        for _ in range(100_000):
            call("version", "{}")
        best = min(best, (time.perf_counter_ns() - start) / 100_000)
    print(f"noop_ns {best:.1f}")
    # check: the median of 15 runs after 3 warm-ups, to the typed Report
    for _ in range(3):
        assert ehdeploy.check(platform, process_env=False).ok
    runs = []
    for _ in range(15):
        start = time.perf_counter_ns()
        ehdeploy.check(platform, process_env=False)
        runs.append(time.perf_counter_ns() - start)
    print(f"check_ns {statistics.median(runs):.0f}")


if __name__ == "__main__":
    main()
