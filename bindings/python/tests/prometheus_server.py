"""A real Prometheus for the canary tests, as crates/ehdeploy/tests/support/prometheus.rs runs
one for the Rust tests, over the same data (the healthy, erroring, slow and idle workloads of
namespace ``canary-test``, a sample every 15 s from T0 = 2026-11-20T10:00:00Z to T0+30m).

:func:`start` writes the data as OpenMetrics text, turns it into TSDB blocks with ``promtool
tsdb create-blocks-from openmetrics``, starts ``prometheus`` on a free port of 127.0.0.1 with
no scrape target and waits (at most 30 s) until it is ready. It needs Debian's ``prometheus``
package; without it the tests that use it fail, saying so: they never skip.
"""

from __future__ import annotations

import pathlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

T0 = "2026-11-20T10:00:00Z"
T0_UNIX = 1_795_168_800
SCRAPE_SECONDS = 15
SAMPLES = 121
NAMESPACE = "canary-test"
HEALTHY, ERRORING, SLOW, IDLE = "healthy", "erroring", "slow", "idle"
MAX_LIFETIME_SECONDS = 1800

_BUCKETS = ["10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "+Inf"]
_FAST = [300, 900, 1300, 1483, 1498, 1500, 1500, 1500, 1500, 1500]
_SLOW = [0, 0, 100, 300, 700, 1100, 1480, 1495, 1500, 1500]
# name, (200 and 500 increments per 15 s) or None (stays 42), (buckets, _sum increment) or None
_DATA: List[Tuple[str, Optional[Tuple[float, float]], Optional[Tuple[List[int], float]]]] = [
    (HEALTHY, (1498.5, 1.5), (_FAST, 60_000.0)),
    (ERRORING, (1200.0, 300.0), (_FAST, 60_000.0)),
    (SLOW, (1498.5, 1.5), (_SLOW, 900_000.0)),
    (IDLE, None, None),
]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def openmetrics() -> str:
    """The data, as ``promtool tsdb create-blocks-from openmetrics`` takes it."""

    def times() -> Iterator[Tuple[int, int]]:
        return ((i, T0_UNIX + SCRAPE_SECONDS * i) for i in range(SAMPLES))

    out = [
        "# HELP istio_requests Requests, as Istio's sidecars count them.",
        "# TYPE istio_requests counter",
    ]
    for name, requests, _ in _DATA:
        labels = (
            f'reporter="destination",destination_workload_namespace="{NAMESPACE}",'
            f'destination_workload="{name}"'
        )
        if requests is None:
            out += [f'istio_requests_total{{{labels},response_code="200"}} 42 {t}' for _, t in times()]
            continue
        for code, step in zip(("200", "500"), requests):
            series = f'istio_requests_total{{{labels},response_code="{code}"}}'
            out += [f"{series} {_num(step * i)} {t}" for i, t in times()]
    out += [
        "# HELP istio_request_duration_milliseconds Request durations, as Istio's sidecars measure them.",
        "# TYPE istio_request_duration_milliseconds histogram",
    ]
    for name, _, buckets in _DATA:
        if buckets is None:
            continue
        counts, total = buckets
        labels = (
            f'reporter="destination",destination_workload_namespace="{NAMESPACE}",'
            f'destination_workload="{name}"'
        )
        for le, count in zip(_BUCKETS, counts):
            series = f'istio_request_duration_milliseconds_bucket{{{labels},le="{le}"}}'
            out += [f"{series} {count * i} {t}" for i, t in times()]
        out += [
            f"istio_request_duration_milliseconds_count{{{labels}}} {counts[-1] * i} {t}"
            for i, t in times()
        ]
        out += [
            f"istio_request_duration_milliseconds_sum{{{labels}}} {_num(total * i)} {t}"
            for i, t in times()
        ]
    out.append("# EOF")
    return "\n".join(out) + "\n"


@dataclass
class PrometheusServer:
    """A running Prometheus over the data; :meth:`stop` stops it."""

    url: str
    dir: pathlib.Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        path = self.dir / "prometheus.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _on_path(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise RuntimeError(
            f"`{program}` is not on PATH: the canary tests run a real Prometheus; install "
            "Debian's `prometheus` package, which brings `prometheus` and `promtool` "
            "(apt-get install prometheus)"
        )
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
            return int(answer.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def start(folder: pathlib.Path) -> PrometheusServer:
    """A new Prometheus over the data, its files in ``folder``, ready to answer."""
    prometheus, promtool = _on_path("prometheus"), _on_path("promtool")
    data = folder / "data.om"
    data.write_text(openmetrics())
    tsdb = folder / "tsdb"
    made = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(data), str(tsdb)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        raise RuntimeError(f"promtool failed ({made.returncode}):\n{made.stdout}{made.stderr}")
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\nscrape_configs: []\n")
    timeout = shutil.which("timeout")
    guard = [timeout, "--kill-after=10", str(MAX_LIFETIME_SECONDS)] if timeout else []
    why = ""
    # A port is free when asked, but could be taken before Prometheus binds it: try again.
    for _ in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with open(folder / "prometheus.log", "wb") as log:
            process = subprocess.Popen(
                [
                    *guard,
                    prometheus,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tsdb}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--storage.tsdb.retention.time=100y",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = PrometheusServer(url, folder, process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            if _ready(url):
                return server
            time.sleep(0.05)
        server.stop()
        why = server.log()
        if "address already in use" not in why:
            break
    raise RuntimeError(f"Prometheus did not start:\n{why}")
