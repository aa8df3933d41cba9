//! A real Prometheus for tests, with 30 minutes of Istio metrics of four canaries.
//!
//! Include it with `#[path = "support/prometheus.rs"] mod prometheus_server;` (from another
//! crate's tests, with a relative path to this file). It uses only `std`, and needs Debian's
//! `prometheus` package (`prometheus` and `promtool` on `PATH`): without them a test that
//! starts a server fails, saying so; it never skips.
//!
//! [`start`] writes the metrics as OpenMetrics text, turns them into TSDB blocks with
//! `promtool tsdb create-blocks-from openmetrics`, starts `prometheus` as a
//! [`server::Server`] on a free port of 127.0.0.1 (under coreutils `timeout`) with no scrape
//! target, and waits (at most 30 s) until it is ready. Dropping the
//! [`PrometheusServer`] stops it and removes its folder. [`shared`] gives every test of a
//! binary running at the same time the same server, stopped when the last one drops it.
//!
//! # The data
//!
//! Namespace [`NAMESPACE`], one workload per scenario, a sample every 15 s from [`T0`]
//! (2026-11-20T10:00:00Z) to T0+30m included (121 samples per series), the metrics of Istio's
//! sidecars as Flagger's built-in queries read them (`reporter="destination"`,
//! `destination_workload_namespace`, `destination_workload`):
//!
//! | workload | `istio_requests_total` per 15 s | rate | success rate | p99 |
//! |---|---|---|---|---|
//! | [`HEALTHY`] | `200`: +1498.5, `500`: +1.5 | 100/s | 99.9 % | 120 ms |
//! | [`ERRORING`] | `200`: +1200, `500`: +300 | 100/s | 80.0 % | 120 ms |
//! | [`SLOW`] | `200`: +1498.5, `500`: +1.5 | 100/s | 99.9 % | 1500 ms |
//! | [`IDLE`] | `200`: stays 42 | 0/s | 0/0 = NaN | no buckets: no data |
//!
//! Every counter is `increment × i` at `T0 + 15 s × i` (42 for idle), so each `rate()` inside
//! the data is exact. The `istio_request_duration_milliseconds_bucket` counters (and `_count`,
//! `_sum`) grow per 15 s by these cumulative counts (1500 requests):
//!
//! | `le` | 10 | 25 | 50 | 100 | 250 | 500 | 1000 | 2500 | 5000 | +Inf |
//! |---|---|---|---|---|---|---|---|---|---|---|
//! | healthy, erroring | 300 | 900 | 1300 | 1483 | 1498 | 1500 | 1500 | 1500 | 1500 | 1500 |
//! | slow | 0 | 0 | 100 | 300 | 700 | 1100 | 1480 | 1495 | 1500 | 1500 |
//!
//! `histogram_quantile(0.99, …)` ranks 1485 of 1500: healthy, 100 + 150 × (1485 − 1483) / 15
//! = 120 ms; slow, 1000 + 1500 × (1485 − 1480) / 15 = 1500 ms.
//!
//! A `rate(…[1m])` has a value from T0+1m (it needs two samples in its window) to T0+30m; at
//! T0 and after T0+30m there is none.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

#[path = "server.rs"]
mod server;

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use server::{http_probe, Server};

/// The time of the first sample: 2026-11-20T10:00:00Z.
pub const T0: &str = "2026-11-20T10:00:00Z";
/// [`T0`] in unix seconds.
pub const T0_UNIX: i64 = 1_795_168_800;
/// The seconds between two samples.
pub const SCRAPE_SECONDS: i64 = 15;
/// The samples of each series: T0, T0+15s, …, T0+30m.
pub const SAMPLES: i64 = 121;
/// The time of the last sample, T0+30m, in unix seconds.
pub const END_UNIX: i64 = T0_UNIX + SCRAPE_SECONDS * (SAMPLES - 1);
/// The namespace of every workload.
pub const NAMESPACE: &str = "canary-test";
/// ~100 requests/s, 0.1 % 5xx, p99 120 ms.
pub const HEALTHY: &str = "healthy";
/// ~100 requests/s, 20 % 5xx, p99 120 ms.
pub const ERRORING: &str = "erroring";
/// ~100 requests/s, 0.1 % 5xx, p99 1500 ms.
pub const SLOW: &str = "slow";
/// No traffic: the request counters exist and never increase; no duration buckets.
pub const IDLE: &str = "idle";
/// Every scenario, in the order above.
pub const SCENARIOS: [&str; 4] = [HEALTHY, ERRORING, SLOW, IDLE];
/// Requests per second of healthy, erroring and slow.
pub const REQUESTS_PER_SECOND: f64 = 100.0;
/// The built-in success rate (percent) of healthy and slow.
pub const HEALTHY_SUCCESS_RATE: f64 = 99.9;
/// The built-in success rate (percent) of erroring.
pub const ERRORING_SUCCESS_RATE: f64 = 80.0;
/// The built-in duration (p99, ms) of healthy and erroring.
pub const HEALTHY_P99_MS: f64 = 120.0;
/// The built-in duration (p99, ms) of slow.
pub const SLOW_P99_MS: f64 = 1500.0;
/// The longest a server may live: a safety net (`timeout`) should the test binary be killed
/// before it can stop the server.
pub const MAX_LIFETIME_SECONDS: u64 = 1800;

/// The upper bounds of the duration buckets, as written in `le`.
const BUCKETS: [&str; 10] = [
    "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "+Inf",
];
/// The cumulative bucket counts per 15 s of healthy and erroring.
const FAST_BUCKETS: [u32; 10] = [300, 900, 1300, 1483, 1498, 1500, 1500, 1500, 1500, 1500];
/// The cumulative bucket counts per 15 s of slow.
const SLOW_BUCKETS: [u32; 10] = [0, 0, 100, 300, 700, 1100, 1480, 1495, 1500, 1500];

/// What one workload does every 15 s.
struct Scenario {
    name: &'static str,
    /// Increments of the `200` and `500` counters; `None` for a counter that stays at 42.
    requests: Option<(f64, f64)>,
    /// Cumulative bucket increments, and the `_sum` increment (ms).
    buckets: Option<([u32; 10], f64)>,
}

const DATA: [Scenario; 4] = [
    Scenario {
        name: HEALTHY,
        requests: Some((1498.5, 1.5)),
        buckets: Some((FAST_BUCKETS, 60_000.0)),
    },
    Scenario {
        name: ERRORING,
        requests: Some((1200.0, 300.0)),
        buckets: Some((FAST_BUCKETS, 60_000.0)),
    },
    Scenario {
        name: SLOW,
        requests: Some((1498.5, 1.5)),
        buckets: Some((SLOW_BUCKETS, 900_000.0)),
    },
    Scenario {
        name: IDLE,
        requests: None,
        buckets: None,
    },
];

/// The data above as OpenMetrics text, as `promtool tsdb create-blocks-from openmetrics`
/// takes it: the counters' `# TYPE` without `_total`, timestamps in seconds, `# EOF` last.
pub fn openmetrics() -> String {
    let mut out = String::new();
    let times = || (0..SAMPLES).map(|i| (i, T0_UNIX + SCRAPE_SECONDS * i));
    out.push_str("# HELP istio_requests Requests, as Istio's sidecars count them.\n");
    out.push_str("# TYPE istio_requests counter\n");
    for s in &DATA {
        let series = |code: &str| {
            format!(
                "istio_requests_total{{reporter=\"destination\",destination_workload_namespace=\"{NAMESPACE}\",destination_workload=\"{}\",response_code=\"{code}\"}}",
                s.name
            )
        };
        match s.requests {
            Some((ok, failed)) => {
                for (code, step) in [("200", ok), ("500", failed)] {
                    let name = series(code);
                    for (i, t) in times() {
                        writeln!(out, "{name} {} {t}", step * i as f64).unwrap();
                    }
                }
            }
            None => {
                let name = series("200");
                for (_, t) in times() {
                    writeln!(out, "{name} 42 {t}").unwrap();
                }
            }
        }
    }
    out.push_str("# HELP istio_request_duration_milliseconds Request durations, as Istio's sidecars measure them.\n");
    out.push_str("# TYPE istio_request_duration_milliseconds histogram\n");
    for s in &DATA {
        let Some((buckets, sum)) = s.buckets else {
            continue;
        };
        let labels = format!(
            "reporter=\"destination\",destination_workload_namespace=\"{NAMESPACE}\",destination_workload=\"{}\"",
            s.name
        );
        for (le, count) in BUCKETS.iter().zip(buckets) {
            for (i, t) in times() {
                writeln!(
                    out,
                    "istio_request_duration_milliseconds_bucket{{{labels},le=\"{le}\"}} {} {t}",
                    i64::from(count) * i
                )
                .unwrap();
            }
        }
        let total = i64::from(buckets[BUCKETS.len() - 1]);
        for (i, t) in times() {
            writeln!(
                out,
                "istio_request_duration_milliseconds_count{{{labels}}} {} {t}",
                total * i
            )
            .unwrap();
        }
        for (i, t) in times() {
            writeln!(
                out,
                "istio_request_duration_milliseconds_sum{{{labels}}} {} {t}",
                sum * i as f64
            )
            .unwrap();
        }
    }
    out.push_str("# EOF\n");
    out
}

/// A running Prometheus over the data above; stopped, and its folder removed, on drop.
pub struct PrometheusServer {
    /// Its base URL, `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its folder: the data, the TSDB, `prometheus.yml` and `prometheus.log`.
    pub dir: PathBuf,
    server: Server,
}

impl PrometheusServer {
    /// What Prometheus has written to its log so far.
    pub fn log(&self) -> String {
        self.server.log()
    }
}

/// One server for the tests of a binary that run at the same time: the running one if a
/// test holds it still, else a new one. It stops when the last test drops its `Arc`.
pub fn shared() -> Arc<PrometheusServer> {
    static SHARED: Mutex<Weak<PrometheusServer>> = Mutex::new(Weak::new());
    let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(server) = slot.upgrade() {
        return server;
    }
    let server = Arc::new(start());
    *slot = Arc::downgrade(&server);
    server
}

/// A new Prometheus over the data above, ready to answer; panics (with its log) if it cannot
/// be started.
pub fn start() -> PrometheusServer {
    let prometheus = on_path("prometheus");
    let promtool = on_path("promtool");
    // A server that fails to start still removes its folder when dropped.
    let mut server = Server::new("prometheus", "prometheus.log");
    let dir = server.dir.clone();
    let data = dir.join("data.om");
    fs::write(&data, openmetrics()).unwrap();
    let tsdb = dir.join("tsdb");
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&data)
        .arg(&tsdb)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool tsdb create-blocks-from openmetrics failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.join("prometheus.yml");
    fs::write(
        &config,
        "# No scrape target: the data is in the TSDB blocks.\nglobal:\n  scrape_interval: 15s\nscrape_configs: []\n",
    )
    .unwrap();
    let port = server.start(
        "Prometheus",
        &prometheus,
        MAX_LIFETIME_SECONDS,
        |port, _, command| {
            command
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", tsdb.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                // Time retention counts from the newest block; keep the old blocks anyway.
                .arg("--storage.tsdb.retention.time=100y");
        },
        ready,
    );
    PrometheusServer {
        url: format!("http://127.0.0.1:{port}"),
        dir,
        server,
    }
}

/// Whether `/-/ready` answers 200.
fn ready(address: &SocketAddr) -> bool {
    http_probe(
        address,
        b"GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
        |head: &[u8; 12]| head.ends_with(b" 200"),
    )
}

/// The path of `program` on `PATH`; panics saying to install Debian's `prometheus`.
fn on_path(program: &str) -> PathBuf {
    server::on_path(program).unwrap_or_else(|| {
        panic!(
            "`{program}` is not on PATH: these tests run a real Prometheus; install Debian's \
             `prometheus` package, which brings `prometheus` and `promtool` \
             (apt-get install prometheus)"
        )
    })
}
