//! A small, blocking Prometheus HTTP API client for canary analysis: instant and range queries
//! whose answer is one number (or none) per time, as the checks of [`super::decide`] need.
//!
//! Behind the cargo feature `prometheus` (it brings `ureq`, with rustls for HTTPS).

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::Sample;
use crate::http::{
    agent_config, error_body, quote, read_body, transport, with_retries, Failure, Transport,
};

/// How a [`Prometheus`] client talks to the server.
///
/// Each attempt of a query may take at most `timeout`, from connecting to reading the whole
/// answer. An attempt that could not connect (refused, DNS), that timed out, or that got a
/// 5xx status without Prometheus's error document is tried again, up to `retries` more
/// times, after 100 ms, then 200 ms, doubling up to 2 s between attempts: a query takes at
/// most `(retries + 1) × timeout` plus those waits. A 4xx status and an error that
/// Prometheus reports about the query are never retried: the same query would fail again.
#[derive(Clone, PartialEq, Eq)]
pub struct PrometheusOptions {
    /// The longest time one attempt may take, answer body included (default 10 s).
    pub timeout: Duration,
    /// How many times a failed attempt is tried again on a connection error, a timeout or a
    /// 5xx status (default 2, so three attempts at most).
    pub retries: u32,
    /// A bearer token, sent as `Authorization: Bearer <token>` (default none). A base URL
    /// with `user:password@` sends HTTP basic credentials instead; give one or the other.
    pub bearer_token: Option<String>,
    /// The largest answer body read, in bytes (default 16 MiB); a larger one is
    /// [`PrometheusError::TooLarge`], and reading stops there.
    pub max_body: u64,
}

impl std::fmt::Debug for PrometheusOptions {
    /// The options, with the bearer token hidden.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusOptions")
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "<hidden>"),
            )
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl Default for PrometheusOptions {
    fn default() -> PrometheusOptions {
        PrometheusOptions {
            timeout: Duration::from_secs(10),
            retries: 2,
            bearer_token: None,
            max_body: 16 * 1024 * 1024,
        }
    }
}

/// Why a query gave no sample. Each variant has a stable code ([`PrometheusError::code`]);
/// each message names the URL asked (without credentials) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrometheusError {
    /// The base URL is not `http://` or `https://` with a host, or has a query or fragment
    /// (`bad-url`).
    #[error("`{url}` is not a Prometheus base URL: {why}; give the server's base URL, such as http://127.0.0.1:9090 or https://prometheus.example/prefix")]
    BadUrl {
        /// The URL as given, without credentials.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// No connection could be made: refused, host not found, reset, a TLS failure
    /// (`unreachable`).
    #[error("Prometheus at {url} is unreachable after {attempts} attempt(s): {why}; check the URL and that Prometheus is running and reachable from here")]
    Unreachable {
        /// The URL asked, without credentials.
        url: String,
        /// What the connection failed with.
        why: String,
        /// The attempts made.
        attempts: u32,
    },
    /// An attempt took longer than [`PrometheusOptions::timeout`] (`timeout`).
    #[error("Prometheus at {url} did not answer within {} ms, {attempts} attempt(s); check that it is not overloaded, or give the query more time (the timeout option)", timeout.as_millis())]
    Timeout {
        /// The URL asked, without credentials.
        url: String,
        /// The timeout of each attempt.
        timeout: Duration,
        /// The attempts made.
        attempts: u32,
    },
    /// The server answered with a status other than 2xx, and not with Prometheus's error
    /// document (`http-status`).
    #[error("Prometheus at {url} answered HTTP {status} after {attempts} attempt(s): {body:?}; check that the URL is Prometheus's base URL (a proxy's prefix included) and, for 401/403, the credentials")]
    HttpStatus {
        /// The URL asked, without credentials.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The first 200 characters of the body.
        body: String,
        /// The attempts made.
        attempts: u32,
    },
    /// The answer is not Prometheus's JSON envelope, or has an unexpected shape, or a value
    /// that is not a number (`bad-response`).
    #[error("{url} did not answer as the Prometheus HTTP API does: {why}; check that the URL is Prometheus's (or a compatible server's) base URL")]
    BadResponse {
        /// The URL asked, without credentials.
        url: String,
        /// What is wrong with the answer.
        why: String,
    },
    /// Prometheus refused or failed the query (`status: error`), such as a PromQL syntax
    /// error (`query-error`).
    #[error("Prometheus at {url} failed the query ({error_type}): {error}; fix the query (try it in Prometheus's web UI)")]
    QueryError {
        /// Prometheus's `errorType` (`bad_data`, `execution`, `timeout`, …).
        error_type: String,
        /// Prometheus's `error`.
        error: String,
        /// The URL asked, without credentials.
        url: String,
    },
    /// The query gave several series where one number is needed (`ambiguous`).
    #[error("the query to {url} gave {series} series where one number is needed; aggregate it to one series, such as with sum(…) or sum(…) by nothing")]
    Ambiguous {
        /// The URL asked, without credentials.
        url: String,
        /// The number of series.
        series: usize,
    },
    /// The answer's body is larger than [`PrometheusOptions::max_body`] (`too-large`).
    #[error("the answer of {url} is larger than {max_body} bytes; narrow the query (aggregate it, shorten the range) or raise the max_body option")]
    TooLarge {
        /// The URL asked, without credentials.
        url: String,
        /// The largest body read.
        max_body: u64,
    },
}

impl PrometheusError {
    /// The stable code of the error: `bad-url`, `unreachable`, `timeout`, `http-status`,
    /// `bad-response`, `query-error`, `ambiguous` or `too-large`.
    pub fn code(&self) -> &'static str {
        match self {
            PrometheusError::BadUrl { .. } => "bad-url",
            PrometheusError::Unreachable { .. } => "unreachable",
            PrometheusError::Timeout { .. } => "timeout",
            PrometheusError::HttpStatus { .. } => "http-status",
            PrometheusError::BadResponse { .. } => "bad-response",
            PrometheusError::QueryError { .. } => "query-error",
            PrometheusError::Ambiguous { .. } => "ambiguous",
            PrometheusError::TooLarge { .. } => "too-large",
        }
    }

    /// Sets the number of attempts made, where the error tells it.
    fn with_attempts(mut self, made: u32) -> PrometheusError {
        match &mut self {
            PrometheusError::Unreachable { attempts, .. }
            | PrometheusError::Timeout { attempts, .. }
            | PrometheusError::HttpStatus { attempts, .. } => *attempts = made,
            _ => {}
        }
        self
    }
}

/// A client of one Prometheus server's HTTP API (`/api/v1/query`, `/api/v1/query_range`).
///
/// Blocking; one client may be shared between threads and reuses its connections.
///
/// ```no_run
/// use ehdeploy::canary::{Prometheus, PrometheusOptions, Sample};
/// let prometheus = Prometheus::new("http://127.0.0.1:9090", PrometheusOptions::default())?;
/// let now = jiff::Timestamp::now();
/// match prometheus.instant("sum(rate(http_requests_total[1m]))", now)? {
///     Sample::Value(v) => println!("{v} requests per second"),
///     _ => println!("no data"),
/// }
/// # Ok::<(), ehdeploy::canary::PrometheusError>(())
/// ```
#[derive(Clone)]
pub struct Prometheus {
    /// The base URL as given, without a trailing slash.
    url: String,
    /// The base URL without credentials, for messages.
    shown: String,
    options: PrometheusOptions,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Prometheus {
    /// The client, without credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prometheus")
            .field("url", &self.shown)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Prometheus {
    /// A client of the Prometheus whose base URL is `url`: `http://` or `https://`, a host,
    /// an optional port and path prefix (`http://127.0.0.1:9090`,
    /// `https://prom.example/prefix`), without query or fragment. Credentials in the URL
    /// (`https://user:password@host`) are sent as HTTP basic credentials and never shown in
    /// messages; they cannot be combined with a bearer token. The environment's `HTTP_PROXY`,
    /// `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` are followed. HTTPS trusts the Mozilla root
    /// certificates (webpki-roots), not the system's. Nothing is sent yet.
    pub fn new(url: &str, options: PrometheusOptions) -> Result<Prometheus, PrometheusError> {
        let shown = without_credentials(url);
        let bad = |why: &str| PrometheusError::BadUrl {
            url: shown.clone(),
            why: why.to_string(),
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(bad("it has no scheme (http:// or https://)"));
        };
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(bad(&format!("the scheme `{scheme}` is not http or https")));
        }
        if url.contains('?') {
            return Err(bad(
                "it has a query (`?…`); queries are added by the client",
            ));
        }
        if url.contains('#') {
            return Err(bad("it has a fragment (`#…`)"));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains white space or control characters"));
        }
        let uri: ureq::http::Uri = url
            .parse()
            .map_err(|e: ureq::http::uri::InvalidUri| bad(&e.to_string()))?;
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("it has no host"));
        }
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') && options.bearer_token.is_some() {
            return Err(bad(
                "it has credentials and a bearer token is given too; give one of them",
            ));
        }
        if let Some(token) = &options.bearer_token {
            if token.is_empty() || token.chars().any(|c| c.is_control() || c == ' ') {
                return Err(bad(
                    "the bearer token is empty or has spaces or control characters",
                ));
            }
        }
        let url = url.trim_end_matches('/').to_string();
        let shown = shown.trim_end_matches('/').to_string();
        let agent = agent_config(options.timeout).build().new_agent();
        Ok(Prometheus {
            url,
            shown,
            options,
            agent,
        })
    }

    /// The value of `query` at `at` (`GET /api/v1/query?query=…&time=…`): a scalar, or an
    /// instant vector of at most one series. An empty vector, and `NaN` (a success rate
    /// without requests), are [`Sample::NoData`].
    ///
    /// Several series are [`PrometheusError::Ambiguous`]: aggregate the query (`sum(…)`).
    /// A range vector or a string is [`PrometheusError::BadResponse`].
    pub fn instant(&self, query: &str, at: Timestamp) -> Result<Sample, PrometheusError> {
        let endpoint = "/api/v1/query";
        let data = self.get(endpoint, &[("query", query), ("time", &seconds(at))])?;
        let url = self.endpoint(endpoint);
        parse_instant(data, &url)
    }

    /// The values of `query` from `start` to `end` every `step_seconds`
    /// (`GET /api/v1/query_range`): one sample per time `start`, `start + step`, … up to
    /// `end` included, in order. Each is the value of the one series at that time, or
    /// [`Sample::NoData`] where it has no point or `NaN`; all are no data when the answer
    /// has no series.
    ///
    /// Several series are [`PrometheusError::Ambiguous`]: aggregate the query (`sum(…)`).
    /// A step of 0 is refused as Prometheus refuses it ([`PrometheusError::QueryError`],
    /// `bad_data`), without asking. Times are sent to the millisecond, as Prometheus keeps them.
    pub fn range(
        &self,
        query: &str,
        start: Timestamp,
        end: Timestamp,
        step_seconds: u64,
    ) -> Result<Vec<(Timestamp, Sample)>, PrometheusError> {
        let endpoint = "/api/v1/query_range";
        let url = self.endpoint(endpoint);
        let refuse = |error: &str| PrometheusError::QueryError {
            error_type: "bad_data".into(),
            error: format!("{error} (refused before asking)"),
            url: url.clone(),
        };
        if step_seconds == 0 {
            return Err(refuse("the step must be at least 1 second"));
        }
        let step_ms = i64::try_from(step_seconds)
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .ok_or_else(|| refuse("the step is too large"))?;
        let step = SignedDuration::from_millis(step_ms);
        let data = self.get(
            endpoint,
            &[
                ("query", query),
                ("start", &seconds(start)),
                ("end", &seconds(end)),
                ("step", &step_seconds.to_string()),
            ],
        )?;
        let points = parse_range(data, &url)?;
        let mut samples = Vec::new();
        let mut at = start;
        let mut k: i64 = 0;
        while at <= end {
            let key = start
                .as_millisecond()
                .saturating_add(k.saturating_mul(step_ms));
            let value = points.get(&key).copied();
            samples.push((at, Sample::from_value(value)));
            let Ok(next) = at.checked_add(step) else {
                break;
            };
            at = next;
            k += 1;
        }
        Ok(samples)
    }

    /// The base URL as given, without a trailing slash (credentials included, if it has
    /// them).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL of `endpoint` for messages: without credentials and query.
    fn endpoint(&self, endpoint: &str) -> String {
        format!("{}{endpoint}", self.shown)
    }

    /// `GET` of `endpoint` with `params`, retried as the options say; Prometheus's `data`.
    fn get(&self, endpoint: &str, params: &[(&str, &str)]) -> Result<Data, PrometheusError> {
        with_retries(self.options.retries, || self.attempt(endpoint, params))
            .map_err(|(error, attempts)| error.with_attempts(attempts))
    }

    /// One attempt of `get`.
    fn attempt(
        &self,
        endpoint: &str,
        params: &[(&str, &str)],
    ) -> Result<Data, Failure<PrometheusError>> {
        let shown = self.endpoint(endpoint);
        let mut request = self
            .agent
            .get(format!("{}{endpoint}", self.url))
            .header("Accept", "application/json");
        if let Some(token) = &self.options.bearer_token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        for (name, value) in params {
            request = request.query(*name, *value);
        }
        let mut response = request
            .call()
            .map_err(|e| self.failure(transport(e), &shown))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            let body = read_body(&mut response, self.options.max_body)
                .map_err(|e| self.failure(e, &shown))?;
            return parse_envelope(&body, &shown).map_err(Failure::fatal);
        }
        // An error answer: Prometheus's error document (not retried), or any other body.
        let body = error_body(&mut response, self.options.max_body);
        if let Ok(Envelope {
            status,
            error_type: Some(error_type),
            error: Some(error),
            ..
        }) = serde_json::from_slice::<Envelope>(&body)
        {
            if status == "error" {
                return Err(Failure::fatal(PrometheusError::QueryError {
                    error_type,
                    error,
                    url: shown,
                }));
            }
        }
        Err(Failure {
            error: PrometheusError::HttpStatus {
                url: shown,
                status,
                body: quote(&body),
                attempts: 1,
            },
            retry: status >= 500,
        })
    }

    /// The error (and whether to retry) for a failure below HTTP.
    fn failure(&self, failure: Transport, url: &str) -> Failure<PrometheusError> {
        let url = url.to_string();
        let retry = failure.retry();
        let error = match failure {
            Transport::Timeout => PrometheusError::Timeout {
                url,
                timeout: self.options.timeout,
                attempts: 1,
            },
            Transport::Unreachable { why, .. } => PrometheusError::Unreachable {
                url,
                why,
                attempts: 1,
            },
            Transport::TooLarge => PrometheusError::TooLarge {
                url,
                max_body: self.options.max_body,
            },
            Transport::Protocol(why) => PrometheusError::BadResponse { url, why },
        };
        Failure { error, retry }
    }
}

/// Prometheus's JSON envelope.
#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// The `data` of a query's answer.
#[derive(Debug, Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

/// One point: `[<unix seconds>, "<number>"]`.
type Point = (f64, String);

/// One series of an instant vector.
#[derive(Deserialize)]
struct InstantSeries {
    #[serde(default)]
    value: Option<Point>,
    #[serde(default)]
    histogram: Option<serde_json::Value>,
}

/// One series of a range vector.
#[derive(Deserialize)]
struct RangeSeries {
    #[serde(default)]
    values: Vec<Point>,
    #[serde(default)]
    histograms: Option<serde_json::Value>,
}

/// The `data` of a successful answer, or why there is none.
fn parse_envelope(body: &[u8], url: &str) -> Result<Data, PrometheusError> {
    let bad = |why: String| PrometheusError::BadResponse {
        url: url.to_string(),
        why,
    };
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        bad(format!(
            "not Prometheus's JSON envelope ({e}), starting {:?}",
            quote(body)
        ))
    })?;
    match envelope.status.as_str() {
        "success" => envelope
            .data
            .ok_or_else(|| bad("`status` is `success` without `data`".into())),
        "error" => Err(PrometheusError::QueryError {
            error_type: envelope.error_type.unwrap_or_else(|| "unknown".into()),
            error: envelope.error.unwrap_or_default(),
            url: url.to_string(),
        }),
        other => Err(bad(format!(
            "`status` is `{other}`, neither `success` nor `error`"
        ))),
    }
}

/// The sample of an instant query's `data`.
fn parse_instant(data: Data, url: &str) -> Result<Sample, PrometheusError> {
    let bad = |why: String| PrometheusError::BadResponse {
        url: url.to_string(),
        why,
    };
    match data.result_type.as_str() {
        "scalar" => {
            let point: Point = serde_json::from_value(data.result)
                .map_err(|e| bad(format!("a scalar that is not [time, \"number\"]: {e}")))?;
            Ok(Sample::from_value(Some(number(&point.1, url)?)))
        }
        "vector" => {
            let series: Vec<InstantSeries> = serde_json::from_value(data.result)
                .map_err(|e| bad(format!("a vector of unexpected shape: {e}")))?;
            match series.as_slice() {
                [] => Ok(Sample::NoData),
                [one] => match (&one.value, &one.histogram) {
                    (Some(point), _) => Ok(Sample::from_value(Some(number(&point.1, url)?))),
                    (None, Some(_)) => Err(bad(
                        "a native histogram, not a number: take a quantile or a count of it"
                            .into(),
                    )),
                    (None, None) => Err(bad("a series without a value".into())),
                },
                several => Err(PrometheusError::Ambiguous {
                    url: url.to_string(),
                    series: several.len(),
                }),
            }
        }
        "matrix" => Err(bad(
            "a range vector (`…[5m]`) where an instant query needs a number: apply rate(), avg_over_time() or such to it".into(),
        )),
        "string" => Err(bad("a string, not a number".into())),
        other => Err(bad(format!("an unknown resultType `{other}`"))),
    }
}

/// The points, by millisecond, of a range query's one series (none for no series).
fn parse_range(data: Data, url: &str) -> Result<HashMap<i64, f64>, PrometheusError> {
    let bad = |why: String| PrometheusError::BadResponse {
        url: url.to_string(),
        why,
    };
    if data.result_type != "matrix" {
        return Err(bad(format!(
            "a range query answered `{}`, not a matrix",
            data.result_type
        )));
    }
    let series: Vec<RangeSeries> = serde_json::from_value(data.result)
        .map_err(|e| bad(format!("a matrix of unexpected shape: {e}")))?;
    let mut points = HashMap::new();
    match series.as_slice() {
        [] => {}
        [one] => {
            if one.values.is_empty() && one.histograms.is_some() {
                return Err(bad(
                    "native histograms, not numbers: take a quantile or a count of them".into(),
                ));
            }
            for (time, value) in &one.values {
                if !time.is_finite() {
                    return Err(bad(format!("a point at time {time}")));
                }
                // Prometheus keeps milliseconds; its floats round-trip to them.
                let ms = (time * 1000.0).round() as i64;
                points.insert(ms, number(value, url)?);
            }
        }
        several => {
            return Err(PrometheusError::Ambiguous {
                url: url.to_string(),
                series: several.len(),
            })
        }
    }
    Ok(points)
}

/// A sample's value as Prometheus writes it: a decimal, `NaN`, `+Inf` or `-Inf`.
fn number(text: &str, url: &str) -> Result<f64, PrometheusError> {
    let finite = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    let value = match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ if finite => text.parse::<f64>().ok(),
        _ => None,
    };
    value.ok_or_else(|| PrometheusError::BadResponse {
        url: url.to_string(),
        why: format!("the value {text:?} is not a number"),
    })
}

/// A time as Prometheus takes it: unix seconds, to the millisecond.
fn seconds(at: Timestamp) -> String {
    let ms = at.as_millisecond();
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// `url` without `user:password@`.
fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    const URL: &str = "http://prom/api/v1/query";

    fn data(json: &str) -> Data {
        parse_envelope(json.as_bytes(), URL).unwrap()
    }

    fn instant(json: &str) -> Result<Sample, PrometheusError> {
        parse_instant(data(json), URL)
    }

    #[test]
    fn scalars_and_vectors_of_one_series_are_values() {
        let scalar =
            r#"{"status":"success","data":{"resultType":"scalar","result":[1795170000,"99.9"]}}"#;
        assert_eq!(instant(scalar).unwrap(), Sample::Value(99.9));
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795170000.5,"-1.5e3"]}]}}"#;
        assert_eq!(instant(vector).unwrap(), Sample::Value(-1500.0));
        let inf = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1,"+Inf"]}]}}"#;
        assert_eq!(instant(inf).unwrap(), Sample::Value(f64::INFINITY));
    }

    #[test]
    fn empty_vectors_and_nan_are_no_data() {
        let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(instant(empty).unwrap(), Sample::NoData);
        let nan = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#;
        assert_eq!(instant(nan).unwrap(), Sample::NoData);
        let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}}"#;
        assert_eq!(instant(scalar).unwrap(), Sample::NoData);
    }

    #[test]
    fn several_series_are_ambiguous() {
        let two = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}"#;
        let error = instant(two).unwrap_err();
        assert_eq!(error.code(), "ambiguous");
        assert!(error.to_string().contains("2 series"), "{error}");
        assert!(error.to_string().contains("sum("), "{error}");
    }

    #[test]
    fn wrong_shapes_are_bad_responses() {
        for json in [
            r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"infinity"]}]}}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":{"a":1}}}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}}"#,
            r#"{"status":"success","data":{"resultType":"scalar","result":[1]}}"#,
            r#"{"status":"success","data":{"resultType":"other","result":[]}}"#,
        ] {
            let error = instant(json).unwrap_err();
            assert_eq!(error.code(), "bad-response", "{json}: {error}");
            assert!(error.to_string().contains(URL), "{error}");
        }
        for body in [
            "",
            "<html>",
            r#"{"status":"success"}"#,
            r#"{"status":"pending","data":{"resultType":"vector","result":[]}}"#,
            r#"{"data":{"resultType":"vector","result":[]}}"#,
        ] {
            let error = parse_envelope(body.as_bytes(), URL).unwrap_err();
            assert_eq!(error.code(), "bad-response", "{body}: {error}");
        }
    }

    #[test]
    fn error_envelopes_are_query_errors() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#;
        let error = parse_envelope(body.as_bytes(), URL).unwrap_err();
        assert_eq!(
            error,
            PrometheusError::QueryError {
                error_type: "bad_data".into(),
                error: "parse error at char 4".into(),
                url: URL.into(),
            }
        );
        assert_eq!(error.code(), "query-error");
    }

    #[test]
    fn range_points_are_keyed_by_millisecond() {
        let json = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1795169100,"1"],[1795169160.5,"NaN"],[1795169220.001,"3"]]}]}}"#;
        let points = parse_range(data(json), URL).unwrap();
        assert_eq!(points.get(&1_795_169_100_000), Some(&1.0));
        assert!(points.get(&1_795_169_160_500).unwrap().is_nan());
        assert_eq!(points.get(&1_795_169_220_001), Some(&3.0));
        let empty = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(parse_range(data(empty), URL).unwrap().is_empty());
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(
            parse_range(data(vector), URL).unwrap_err().code(),
            "bad-response"
        );
        let two = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"a":"1"},"values":[]},{"metric":{"a":"2"},"values":[]},{"metric":{"a":"3"},"values":[]}]}}"#;
        assert_eq!(
            parse_range(data(two), URL).unwrap_err(),
            PrometheusError::Ambiguous {
                url: URL.into(),
                series: 3
            }
        );
    }

    #[test]
    fn times_are_unix_seconds_to_the_millisecond() {
        let t: Timestamp = "2026-11-20T10:00:00Z".parse().unwrap();
        assert_eq!(seconds(t), "1795168800.000");
        let t: Timestamp = "2026-11-20T10:00:00.25Z".parse().unwrap();
        assert_eq!(seconds(t), "1795168800.250");
        let t: Timestamp = "1969-12-31T23:59:59.5Z".parse().unwrap();
        assert_eq!(seconds(t), "-1.500");
    }

    #[test]
    fn urls_are_checked_and_normalised() {
        let ok = |url: &str| Prometheus::new(url, PrometheusOptions::default()).unwrap();
        assert_eq!(ok("http://127.0.0.1:9090/").url(), "http://127.0.0.1:9090");
        assert_eq!(
            ok("https://prom.example/prefix/").url(),
            "https://prom.example/prefix"
        );
        assert_eq!(ok("HTTP://[::1]:9090").url(), "HTTP://[::1]:9090");
        let bad = |url: &str, options: PrometheusOptions| {
            let error = Prometheus::new(url, options).unwrap_err();
            assert_eq!(error.code(), "bad-url", "{url}: {error}");
            assert!(!error.to_string().contains("secret"), "{error}");
            error
        };
        for url in [
            "ftp://x",
            "http://127.0.0.1:9090/?q",
            "http://127.0.0.1:9090/#top",
            "127.0.0.1:9090",
            "",
            "http://",
            "http:///path",
            "http://a b/",
            "http://u:secret@h:9090?x",
        ] {
            bad(url, PrometheusOptions::default());
        }
        let with_token = PrometheusOptions {
            bearer_token: Some("t".into()),
            ..Default::default()
        };
        bad("https://u:secret@prom", with_token);
        let spaced = PrometheusOptions {
            bearer_token: Some("a b".into()),
            ..Default::default()
        };
        bad("https://prom", spaced);
    }

    #[test]
    fn credentials_are_never_shown() {
        assert_eq!(
            without_credentials("https://u:secret@prom.example/x@y"),
            "https://prom.example/x@y"
        );
        assert_eq!(without_credentials("http://h:1/p"), "http://h:1/p");
        let p = Prometheus::new("https://u:secret@prom/", PrometheusOptions::default()).unwrap();
        assert_eq!(p.url(), "https://u:secret@prom");
        assert_eq!(p.endpoint("/api/v1/query"), "https://prom/api/v1/query");
        let debug = format!("{p:?}");
        assert!(!debug.contains("secret"), "{debug}");
        let options = PrometheusOptions {
            bearer_token: Some("secret".into()),
            ..Default::default()
        };
        let p = Prometheus::new("https://prom/", options).unwrap();
        let debug = format!("{p:?}");
        assert!(
            !debug.contains("secret") && debug.contains("<hidden>"),
            "{debug}"
        );
    }

    #[test]
    fn codes_are_stable() {
        let url = String::from("u");
        let all = [
            PrometheusError::BadUrl {
                url: url.clone(),
                why: String::new(),
            },
            PrometheusError::Unreachable {
                url: url.clone(),
                why: String::new(),
                attempts: 1,
            },
            PrometheusError::Timeout {
                url: url.clone(),
                timeout: Duration::from_secs(1),
                attempts: 1,
            },
            PrometheusError::HttpStatus {
                url: url.clone(),
                status: 500,
                body: String::new(),
                attempts: 1,
            },
            PrometheusError::BadResponse {
                url: url.clone(),
                why: String::new(),
            },
            PrometheusError::QueryError {
                error_type: String::new(),
                error: String::new(),
                url: url.clone(),
            },
            PrometheusError::Ambiguous {
                url: url.clone(),
                series: 2,
            },
            PrometheusError::TooLarge { url, max_body: 1 },
        ];
        let codes: Vec<_> = all.iter().map(PrometheusError::code).collect();
        assert_eq!(
            codes,
            [
                "bad-url",
                "unreachable",
                "timeout",
                "http-status",
                "bad-response",
                "query-error",
                "ambiguous",
                "too-large"
            ]
        );
    }
}
