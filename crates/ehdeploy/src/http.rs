//! What the crate's blocking HTTP clients share (the Prometheus client of canary analysis, the
//! OCI registry client of image signatures): the agent's settings, attempts retried with
//! backoff, what a failure of `ureq` means, and bounded reads of answers.
//!
//! Each client maps these onto its own errors with their stable codes.

use std::time::Duration;

/// The time waited before the first retry; it doubles after each, up to [`MAX_BACKOFF`].
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between two attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How much of an error answer's body is read (to find the server's error, or to quote it).
pub(crate) const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// How many characters of an unexpected body an error quotes.
const QUOTED_CHARS: usize = 200;

/// The agent settings both clients use: `timeout` for a whole attempt (connecting to reading
/// the answer's body), statuses as answers (not errors), ehdeploy's user agent. The caller
/// adds its own (TLS roots, redirects) and builds it.
pub(crate) fn agent_config(
    timeout: Duration,
) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("ehdeploy/", env!("CARGO_PKG_VERSION")))
}

/// A failed attempt: the error, and whether another attempt may succeed.
pub(crate) struct Failure<E> {
    /// What failed.
    pub(crate) error: E,
    /// Whether trying again may succeed (a connection error, a timeout, a 5xx status).
    pub(crate) retry: bool,
}

impl<E> Failure<E> {
    /// A failure that another attempt would repeat.
    #[cfg_attr(not(feature = "prometheus"), allow(dead_code))]
    pub(crate) fn fatal(error: E) -> Failure<E> {
        Failure {
            error,
            retry: false,
        }
    }
}

/// Runs `attempt`, and runs it again after a failure that may be retried, at most `retries`
/// more times, after 100 ms, then 200 ms, doubling up to 2 s between attempts. The value, or
/// the last failure's error with the number of attempts made.
pub(crate) fn with_retries<T, E>(
    retries: u32,
    mut attempt: impl FnMut() -> Result<T, Failure<E>>,
) -> Result<T, (E, u32)> {
    let mut attempts: u32 = 0;
    let mut backoff = FIRST_BACKOFF;
    loop {
        attempts += 1;
        match attempt() {
            Ok(value) => return Ok(value),
            Err(failure) if failure.retry && attempts <= retries => {
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(failure) => return Err((failure.error, attempts)),
        }
    }
}

/// What a failure of `ureq` (below the HTTP status) means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Transport {
    /// The attempt took longer than its timeout; worth another attempt.
    Timeout,
    /// No connection could be made or kept: refused, host not found, reset; `retry` says
    /// whether another attempt may succeed (not after a TLS failure).
    Unreachable {
        /// What the connection failed with.
        why: String,
        /// Whether another attempt may succeed.
        retry: bool,
        /// Whether it is a TLS failure (a certificate not trusted, a server not speaking TLS).
        tls: bool,
    },
    /// The body is larger than the limit it was read with.
    TooLarge,
    /// The answer is not HTTP, or its redirects failed.
    Protocol(String),
}

impl Transport {
    /// Whether another attempt may succeed.
    pub(crate) fn retry(&self) -> bool {
        match self {
            Transport::Timeout => true,
            Transport::Unreachable { retry, .. } => *retry,
            Transport::TooLarge | Transport::Protocol(_) => false,
        }
    }
}

/// What `error` means.
pub(crate) fn transport(error: ureq::Error) -> Transport {
    let unreachable = |why: String, retry: bool| Transport::Unreachable {
        why,
        retry,
        tls: false,
    };
    let tls = |why: String| Transport::Unreachable {
        why: format!("TLS: {why}"),
        retry: false,
        tls: true,
    };
    match error {
        ureq::Error::Timeout(_) => Transport::Timeout,
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => Transport::Timeout,
        // rustls reports a failed handshake (an untrusted certificate, a peer that does not
        // speak TLS) as an I/O error of kind InvalidData: another attempt would fail alike.
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => tls(e.to_string()),
        ureq::Error::Io(e) => unreachable(e.to_string(), true),
        ureq::Error::HostNotFound => unreachable("the host was not found (DNS)".into(), true),
        ureq::Error::ConnectionFailed => unreachable("the connection failed".into(), true),
        ureq::Error::BodyExceedsLimit(_) => Transport::TooLarge,
        ureq::Error::Protocol(e) => Transport::Protocol(format!("not an HTTP answer: {e}")),
        ureq::Error::Tls(e) => tls(e.to_string()),
        ureq::Error::Rustls(e) => tls(e.to_string()),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            Transport::Protocol(format!("{error} (redirects)"))
        }
        other => unreachable(other.to_string(), false),
    }
}

/// The body of `response`, at most `limit` bytes: a larger one is [`Transport::TooLarge`],
/// and reading stops one byte past the limit, whatever `Content-Length` says.
pub(crate) fn read_body(
    response: &mut ureq::http::Response<ureq::Body>,
    limit: u64,
) -> Result<Vec<u8>, Transport> {
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(transport)
}

/// The first [`ERROR_BODY_LIMIT`] bytes (at most `limit`) of an error answer's body: what
/// could be read, enough to explain the status.
pub(crate) fn error_body(response: &mut ureq::http::Response<ureq::Body>, limit: u64) -> Vec<u8> {
    let mut body = Vec::new();
    let _ = std::io::Read::read_to_end(
        &mut std::io::Read::take(response.body_mut().as_reader(), ERROR_BODY_LIMIT.min(limit)),
        &mut body,
    );
    body
}

/// The first characters of a body, for a message.
pub(crate) fn quote(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(QUOTED_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn failures_are_retried_only_when_they_may_pass() {
        let mut calls = 0;
        let out: Result<u32, (&str, u32)> = with_retries(2, || {
            calls += 1;
            Err(Failure {
                error: "down",
                retry: true,
            })
        });
        assert_eq!(out, Err(("down", 3)));
        assert_eq!(calls, 3);
        let mut calls = 0;
        let out: Result<u32, (&str, u32)> = with_retries(5, || {
            calls += 1;
            Err(Failure::fatal("bad"))
        });
        assert_eq!(out, Err(("bad", 1)));
        let mut calls = 0;
        let out: Result<u32, (&str, u32)> = with_retries(2, || {
            calls += 1;
            if calls < 2 {
                Err(Failure {
                    error: "503",
                    retry: true,
                })
            } else {
                Ok(calls)
            }
        });
        assert_eq!(out, Ok(2));
    }

    #[test]
    fn transport_failures_are_classified() {
        assert_eq!(
            transport(ureq::Error::Timeout(ureq::Timeout::Global)),
            Transport::Timeout
        );
        assert!(transport(ureq::Error::ConnectionFailed).retry());
        assert!(!transport(ureq::Error::BodyExceedsLimit(10)).retry());
        let tls = transport(ureq::Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "invalid peer certificate: UnknownIssuer",
        )));
        assert!(
            matches!(&tls, Transport::Unreachable { tls: true, retry: false, why } if why.contains("UnknownIssuer")),
            "{tls:?}"
        );
        assert_eq!(quote("é".repeat(300).as_bytes()).chars().count(), 200);
    }
}
