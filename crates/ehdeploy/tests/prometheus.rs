//! The Prometheus client of canary analysis against a real Prometheus (Debian's `prometheus`
//! package; see `support/prometheus.rs` for the data and its exact values), and against
//! hostile fake servers for the failures a real one does not make on demand:
//!
//! - instant queries of the built-in success rate and duration of each scenario at T0+20m:
//!   healthy 99.9 % and 120 ms, erroring 80 %, slow 1500 ms, idle no data (NaN, and an empty
//!   answer); a custom query's rate; a scalar; no data where a rate has one sample;
//! - range queries: one sample per step at exactly the times asked, no data where the series
//!   has no point or NaN, all no data for an empty answer;
//! - each error with its code: `unreachable`, `timeout` (within its bound), `bad-response`,
//!   `http-status` (5xx retried, 4xx not), `query-error`, `ambiguous`, `too-large`, `bad-url`;
//!   every message names the URL, never its credentials.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/prometheus.rs"]
mod prometheus_server;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ehdeploy::canary::{
    render_query, Metric, Prometheus, PrometheusError, PrometheusOptions, Sample, REQUEST_DURATION,
    REQUEST_SUCCESS_RATE,
};
use jiff::Timestamp;
use prometheus_server::{
    shared, ERRORING, ERRORING_SUCCESS_RATE, HEALTHY, HEALTHY_P99_MS, HEALTHY_SUCCESS_RATE, IDLE,
    NAMESPACE, REQUESTS_PER_SECOND, SLOW, SLOW_P99_MS, T0, T0_UNIX,
};

/// The tolerance of exact comparisons: the data's rates are exact, up to float rounding.
const TOLERANCE: f64 = 1e-6;

/// T0 plus `seconds`.
fn at(seconds: i64) -> Timestamp {
    let t0: Timestamp = T0.parse().unwrap();
    assert_eq!(t0.as_second(), T0_UNIX);
    Timestamp::from_second(T0_UNIX + seconds).unwrap()
}

/// The PromQL of a built-in metric of `workload`, over 1m.
fn builtin(metric: &str, workload: &str) -> String {
    let metric = Metric {
        name: metric.into(),
        ..Default::default()
    };
    render_query(&metric, NAMESPACE, workload, "1m").unwrap()
}

fn client(url: &str) -> Prometheus {
    Prometheus::new(url, PrometheusOptions::default()).unwrap()
}

#[track_caller]
fn assert_value(sample: &Sample, expected: f64, what: &str) {
    match sample {
        Sample::Value(v) => assert!(
            (v - expected).abs() <= TOLERANCE * expected.abs().max(1.0),
            "{what}: {v}, expected {expected}"
        ),
        other => panic!("{what}: {other:?}, expected {expected}"),
    }
}

#[test]
fn instant_queries_of_the_built_in_metrics() {
    let server = shared();
    let prometheus = client(&server.url);
    let t = at(20 * 60);
    let rate = |w: &str| {
        prometheus
            .instant(&builtin(REQUEST_SUCCESS_RATE, w), t)
            .unwrap()
    };
    let p99 = |w: &str| {
        prometheus
            .instant(&builtin(REQUEST_DURATION, w), t)
            .unwrap()
    };

    assert_value(&rate(HEALTHY), HEALTHY_SUCCESS_RATE, "healthy success rate");
    assert_value(
        &rate(ERRORING),
        ERRORING_SUCCESS_RATE,
        "erroring success rate",
    );
    assert_value(&rate(SLOW), HEALTHY_SUCCESS_RATE, "slow success rate");
    // No traffic: 0 / 0 is NaN, which is no data.
    assert_eq!(rate(IDLE), Sample::NoData, "idle success rate");

    assert_value(&p99(HEALTHY), HEALTHY_P99_MS, "healthy duration");
    assert_value(&p99(ERRORING), HEALTHY_P99_MS, "erroring duration");
    let slow = p99(SLOW);
    assert!(matches!(slow, Sample::Value(v) if v > 500.0), "{slow:?}");
    assert_value(&slow, SLOW_P99_MS, "slow duration");
    // No buckets at all: an empty vector, which is no data.
    assert_eq!(p99(IDLE), Sample::NoData, "idle duration");

    // A custom template, rendered as the analysis renders it.
    let requests = Metric {
        name: "requests".into(),
        query: Some(
            "sum(rate(istio_requests_total{destination_workload_namespace=\"{{ namespace }}\",destination_workload=\"{{ target }}\"}[{{ interval }}]))".into(),
        ),
        ..Default::default()
    };
    let query = render_query(&requests, NAMESPACE, HEALTHY, "2m").unwrap();
    assert_value(
        &prometheus.instant(&query, t).unwrap(),
        REQUESTS_PER_SECOND,
        "healthy requests/s",
    );
    // A scalar.
    assert_value(&prometheus.instant("1 + 1.5", t).unwrap(), 2.5, "scalar");
    // At T0 a 1m window holds one sample: rate() has no value.
    assert_eq!(
        prometheus
            .instant(&builtin(REQUEST_SUCCESS_RATE, HEALTHY), at(0))
            .unwrap(),
        Sample::NoData
    );
}

#[test]
fn range_queries_give_one_sample_per_step() {
    let server = shared();
    let prometheus = client(&server.url);
    let (start, end) = (at(5 * 60), at(20 * 60));
    let range = |metric: &str, w: &str| {
        prometheus
            .range(&builtin(metric, w), start, end, 60)
            .unwrap()
    };
    let times: Vec<Timestamp> = (0..16).map(|k| at(5 * 60 + 60 * k)).collect();
    for (metric, workload, expected) in [
        (REQUEST_SUCCESS_RATE, HEALTHY, Some(HEALTHY_SUCCESS_RATE)),
        (REQUEST_SUCCESS_RATE, ERRORING, Some(ERRORING_SUCCESS_RATE)),
        (REQUEST_SUCCESS_RATE, SLOW, Some(HEALTHY_SUCCESS_RATE)),
        (REQUEST_DURATION, HEALTHY, Some(HEALTHY_P99_MS)),
        (REQUEST_DURATION, SLOW, Some(SLOW_P99_MS)),
        // NaN at every step.
        (REQUEST_SUCCESS_RATE, IDLE, None),
        // An empty matrix.
        (REQUEST_DURATION, IDLE, None),
    ] {
        let samples = range(metric, workload);
        assert_eq!(samples.len(), 16, "{metric} {workload}");
        let got: Vec<Timestamp> = samples.iter().map(|(t, _)| *t).collect();
        assert_eq!(got, times, "{metric} {workload}");
        for (t, sample) in &samples {
            match expected {
                Some(v) => assert_value(sample, v, &format!("{metric} {workload} at {t}")),
                None => assert_eq!(sample, &Sample::NoData, "{metric} {workload} at {t}"),
            }
        }
    }

    // The edges of the data: no point before T0+1m nor after T0+30m, values in between.
    let query = builtin(REQUEST_SUCCESS_RATE, ERRORING);
    let head = prometheus.range(&query, at(-120), at(120), 60).unwrap();
    let tail = prometheus
        .range(&query, at(28 * 60), at(33 * 60), 60)
        .unwrap();
    let shape = |samples: &[(Timestamp, Sample)]| -> Vec<(i64, Option<f64>)> {
        samples
            .iter()
            .map(|(t, s)| {
                let v = match s {
                    Sample::Value(v) => Some((v * 1000.0).round() / 1000.0),
                    Sample::NoData => None,
                    Sample::Error(e) => panic!("{e}"),
                };
                (t.as_second() - T0_UNIX, v)
            })
            .collect()
    };
    assert_eq!(
        shape(&head),
        [
            (-120, None),
            (-60, None),
            (0, None),
            (60, Some(80.0)),
            (120, Some(80.0))
        ]
    );
    assert_eq!(
        shape(&tail),
        [
            (1680, Some(80.0)),
            (1740, Some(80.0)),
            (1800, Some(80.0)),
            (1860, None),
            (1920, None),
            (1980, None)
        ]
    );
    // A step that does not divide the range: the last time is at most `end`.
    let odd = prometheus
        .range(&query, at(5 * 60), at(6 * 60 + 30), 60)
        .unwrap();
    assert_eq!(odd.len(), 2);
    assert_eq!(odd[1].0, at(6 * 60));
}

#[test]
fn bad_promql_is_a_query_error() {
    let server = shared();
    let prometheus = client(&server.url);
    let error = prometheus
        .instant("sum(rate(istio_requests_total[1m]", at(20 * 60))
        .unwrap_err();
    assert_eq!(error.code(), "query-error", "{error}");
    let PrometheusError::QueryError { error_type, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(error_type, "bad_data");
    assert!(error.to_string().contains(&server.url), "{error}");
    let error = prometheus.range("rate(", at(0), at(60), 15).unwrap_err();
    assert_eq!(error.code(), "query-error", "{error}");
    // A step of 0 is refused before asking.
    let error = prometheus.range("1", at(0), at(60), 0).unwrap_err();
    assert_eq!(error.code(), "query-error", "{error}");
}

#[test]
fn several_series_are_ambiguous() {
    let server = shared();
    let prometheus = client(&server.url);
    // healthy, erroring and slow have a 200 and a 500 series; idle a 200 one.
    let error = prometheus
        .instant("istio_requests_total", at(20 * 60))
        .unwrap_err();
    assert_eq!(
        error,
        PrometheusError::Ambiguous {
            url: format!("{}/api/v1/query", server.url),
            series: 7
        }
    );
    assert!(error.to_string().contains("sum("), "{error}");
    let error = prometheus
        .range(
            "sum by (destination_workload) (rate(istio_requests_total[1m]))",
            at(5 * 60),
            at(6 * 60),
            60,
        )
        .unwrap_err();
    assert_eq!(error.code(), "ambiguous", "{error}");
}

// ---- hostile peers ----

/// A fake server on 127.0.0.1: every connection is counted, its request head kept, and
/// answered by `respond` on a thread of its own. It lives until the test binary ends.
struct Fake {
    url: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

fn fake(respond: fn(&mut TcpStream)) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (count, heads) = (connections.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let heads = heads.clone();
            std::thread::spawn(move || {
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                heads
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                respond(&mut stream);
            });
        }
    });
    Fake {
        url,
        connections,
        requests,
    }
}

fn answer(stream: &mut TcpStream, status: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn options(timeout_ms: u64, retries: u32) -> PrometheusOptions {
    PrometheusOptions {
        timeout: Duration::from_millis(timeout_ms),
        retries,
        ..Default::default()
    }
}

#[test]
fn options_default_as_documented() {
    let options = PrometheusOptions::default();
    assert_eq!(options.timeout, Duration::from_secs(10));
    assert_eq!(options.retries, 2);
    assert_eq!(options.bearer_token, None);
    assert_eq!(options.max_body, 16 * 1024 * 1024);
}

#[test]
fn a_closed_port_is_unreachable() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://reader:secret@127.0.0.1:{port}");
    let prometheus = Prometheus::new(&url, options(2000, 1)).unwrap();
    let started = Instant::now();
    let error = prometheus.instant("1", at(0)).unwrap_err();
    assert_eq!(error.code(), "unreachable", "{error}");
    let message = error.to_string();
    assert!(
        message.contains(&format!("http://127.0.0.1:{port}/api/v1/query")),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
    assert!(message.contains("2 attempt"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_server_that_never_answers_times_out_within_the_bound() {
    let server = fake(|_| std::thread::sleep(Duration::from_secs(5)));
    let prometheus = Prometheus::new(&server.url, options(500, 1)).unwrap();
    let started = Instant::now();
    let error = prometheus.instant("1", at(0)).unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(error.code(), "timeout", "{error}");
    assert!(error.to_string().contains(&server.url), "{error}");
    // Two attempts of 500 ms and a 100 ms wait.
    assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn garbage_is_a_bad_response() {
    let server = fake(|s| answer(s, "200 OK", "this is not JSON"));
    let with_token = PrometheusOptions {
        bearer_token: Some("t0ken".into()),
        ..options(2000, 2)
    };
    let prometheus = Prometheus::new(&server.url, with_token).unwrap();
    let error = prometheus.instant("up", at(0)).unwrap_err();
    assert_eq!(error.code(), "bad-response", "{error}");
    assert!(error.to_string().contains("this is not JSON"), "{error}");
    // Not retried, and asked as the API wants.
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    let head = server.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(
        head.starts_with("get /api/v1/query?query=up&time=1795168800.000 "),
        "{head}"
    );
    assert!(head.contains("\r\naccept: application/json\r\n"), "{head}");
    assert!(
        head.contains("\r\nauthorization: bearer t0ken\r\n"),
        "{head}"
    );

    // Not even HTTP.
    let server = fake(|s| {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\r\n");
    });
    let error = client(&server.url).instant("up", at(0)).unwrap_err();
    assert_eq!(error.code(), "bad-response", "{error}");
    // JSON, but a value that is no number.
    let server = fake(|s| {
        answer(
            s,
            "200 OK",
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"many"]}]}}"#,
        )
    });
    let error = client(&server.url).instant("up", at(0)).unwrap_err();
    assert_eq!(error.code(), "bad-response", "{error}");
}

#[test]
fn a_5xx_is_retried_then_an_http_status_error() {
    let server = fake(|s| answer(s, "500 Internal Server Error", &"oops ".repeat(100)));
    let prometheus = Prometheus::new(&server.url, options(2000, 2)).unwrap();
    let error = prometheus.instant("up", at(0)).unwrap_err();
    assert_eq!(error.code(), "http-status", "{error}");
    let PrometheusError::HttpStatus {
        status,
        body,
        attempts,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!((*status, *attempts), (500, 3));
    assert_eq!(body.chars().count(), 200);
    assert_eq!(server.connections.load(Ordering::SeqCst), 3);
}

#[test]
fn a_4xx_is_not_retried() {
    let server = fake(|s| answer(s, "404 Not Found", "404 page not found"));
    let prometheus = Prometheus::new(&server.url, options(2000, 2)).unwrap();
    let error = prometheus.instant("up", at(0)).unwrap_err();
    assert_eq!(error.code(), "http-status", "{error}");
    assert!(error.to_string().contains("HTTP 404"), "{error}");
    assert!(error.to_string().contains("404 page not found"), "{error}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);

    // Prometheus's own error document is a query error, not retried either (even as a 503).
    let server = fake(|s| {
        answer(
            s,
            "503 Service Unavailable",
            r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#,
        )
    });
    let prometheus = Prometheus::new(&server.url, options(2000, 2)).unwrap();
    let error = prometheus.instant("up", at(0)).unwrap_err();
    assert_eq!(error.code(), "query-error", "{error}");
    assert!(error.to_string().contains("query timed out"), "{error}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn an_endless_body_is_too_large() {
    let server = fake(|s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        );
        let chunk = [b' '; 65536];
        // At most 1 GiB; it stops as soon as the client hangs up.
        for _ in 0..16384 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let small = PrometheusOptions {
        max_body: 4096,
        ..options(5000, 2)
    };
    let prometheus = Prometheus::new(&server.url, small).unwrap();
    let started = Instant::now();
    let error = prometheus.instant("up", at(0)).unwrap_err();
    assert_eq!(error.code(), "too-large", "{error}");
    assert!(error.to_string().contains("4096 bytes"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn urls_other_than_http_bases_are_refused() {
    for url in [
        "ftp://x",
        "http://127.0.0.1:9090/?q",
        "http://127.0.0.1:9090/#x",
    ] {
        let error = Prometheus::new(url, PrometheusOptions::default()).unwrap_err();
        assert_eq!(error.code(), "bad-url", "{url}: {error}");
        assert!(error.to_string().contains(url), "{error}");
    }
    let prometheus = client("https://prometheus.example/prefix/");
    assert_eq!(prometheus.url(), "https://prometheus.example/prefix");
}
