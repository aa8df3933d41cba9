//! Registry authentication: the challenges of a `401` (`WWW-Authenticate`), the token
//! server's answer, and the tokens and basic-auth hosts remembered between requests.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::options::Secret;

/// How long a token is kept when the token server does not say (the distribution spec's
/// default).
const DEFAULT_TOKEN_SECONDS: u64 = 60;

/// How long before its expiry a token is no longer sent.
const TOKEN_MARGIN: Duration = Duration::from_secs(5);

/// One authentication challenge of a `401`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Challenge {
    /// `Basic realm=…`: send the user name and password.
    Basic,
    /// `Bearer realm=…,service=…,scope=…`: get a token from the realm.
    Bearer {
        /// The token server's URL.
        realm: String,
        /// The service the token is for.
        service: Option<String>,
        /// The access asked for (`repository:team/app:pull`).
        scope: Option<String>,
    },
    /// A scheme not spoken here (`Negotiate`, …), by name.
    Other(String),
}

/// The challenges of a `401`'s `WWW-Authenticate` values, in order. Each value may hold
/// several challenges (`Basic realm="a", Bearer realm="b"`); parameter values are tokens or
/// quoted strings with `\` escapes.
pub(super) fn challenges<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    let mut out = Vec::new();
    for value in values {
        let mut current: Option<(String, BTreeMap<String, String>)> = None;
        let mut rest = value.trim_start();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix(',') {
                rest = after.trim_start();
                continue;
            }
            let end = rest
                .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            let (token, after) = rest.split_at(end);
            let after = after.trim_start();
            match (after.strip_prefix('='), current.as_mut()) {
                (Some(value), Some((_, params))) => {
                    let (value, remaining) = param_value(value.trim_start());
                    params.insert(token.to_ascii_lowercase(), value);
                    rest = remaining.trim_start();
                }
                _ => {
                    out.extend(current.take().map(challenge));
                    current = Some((token.to_string(), BTreeMap::new()));
                    // A token68 (`Negotiate abc==`) is skipped up to the next comma.
                    rest = match after.strip_prefix('=') {
                        Some(_) => after.find(',').map_or("", |i| &after[i..]),
                        None => after,
                    };
                }
            }
        }
        out.extend(current.map(challenge));
    }
    out
}

/// A parameter's value (a quoted string or a token) and what follows it.
fn param_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find([',', ' ', '\t']).unwrap_or(text.len());
        return (text[..end].to_string(), &text[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, &quoted[i + 1..]),
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    value.push(escaped);
                }
            }
            _ => value.push(c),
        }
    }
    (value, "")
}

fn challenge((scheme, mut params): (String, BTreeMap<String, String>)) -> Challenge {
    if scheme.eq_ignore_ascii_case("basic") {
        Challenge::Basic
    } else if scheme.eq_ignore_ascii_case("bearer") {
        match params.remove("realm") {
            Some(realm) => Challenge::Bearer {
                realm,
                service: params.remove("service"),
                scope: params.remove("scope"),
            },
            None => Challenge::Other("Bearer without a realm".into()),
        }
    } else {
        Challenge::Other(scheme)
    }
}

/// A token server's answer.
#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// A token, until it expires.
#[derive(Debug, Clone)]
pub(super) struct Token {
    /// The token, sent as `Authorization: Bearer <token>`.
    pub(super) value: Secret,
    /// When it is no longer sent.
    expires: Instant,
}

/// The token of a token server's answer (`token`, or OAuth2's `access_token`); why not.
pub(super) fn parse_token(body: &[u8], now: Instant) -> Result<Token, String> {
    let answer: TokenAnswer = serde_json::from_slice(body)
        .map_err(|e| format!("not a token server's JSON answer ({e})"))?;
    let value = answer
        .token
        .filter(|t| !t.is_empty())
        .or(answer.access_token.filter(|t| !t.is_empty()))
        .ok_or("an answer without `token` or `access_token`")?;
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a token with spaces or control characters".into());
    }
    let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(DEFAULT_TOKEN_SECONDS));
    Ok(Token {
        value: Secret::new(value),
        expires: now + lifetime.saturating_sub(TOKEN_MARGIN),
    })
}

/// What is remembered between requests: the tokens, by registry host and repository, and
/// the hosts that asked for basic credentials (sent at once from then on).
#[derive(Debug, Default)]
pub(super) struct Remembered {
    tokens: HashMap<(String, String), Token>,
    basic: HashSet<String>,
}

impl Remembered {
    /// The `Authorization` to send at once to `host` for `repository`: an unexpired token,
    /// else `basic` if the host asked for basic credentials before.
    pub(super) fn authorization(
        &self,
        host: &str,
        repository: &str,
        basic: Option<String>,
        now: Instant,
    ) -> Option<Preset> {
        if let Some(token) = self.tokens.get(&(host.to_string(), repository.to_string())) {
            if token.expires > now {
                return Some(Preset::Bearer(format!("Bearer {}", token.value.expose())));
            }
        }
        if self.basic.contains(host) {
            return basic.map(Preset::Basic);
        }
        None
    }

    /// Keeps `token` for `host` and `repository`.
    pub(super) fn keep_token(&mut self, host: &str, repository: &str, token: Token) {
        self.tokens
            .insert((host.to_string(), repository.to_string()), token);
    }

    /// Remembers that `host` asks for basic credentials.
    pub(super) fn keep_basic(&mut self, host: &str) {
        self.basic.insert(host.to_string());
    }

    /// Forgets the token of `host` and `repository` (refused).
    pub(super) fn forget(&mut self, host: &str, repository: &str) {
        self.tokens
            .remove(&(host.to_string(), repository.to_string()));
    }

    /// How many tokens are kept.
    pub(super) fn tokens(&self) -> usize {
        self.tokens.len()
    }
}

/// An `Authorization` sent before any challenge.
#[derive(Clone)]
pub(super) enum Preset {
    /// A remembered token.
    Bearer(String),
    /// Basic credentials, for a host that asked for them before.
    Basic(String),
}

impl Preset {
    /// The header's value.
    pub(super) fn header(&self) -> &str {
        match self {
            Preset::Bearer(h) | Preset::Basic(h) => h,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn challenges_are_parsed_as_registries_send_them() {
        assert_eq!(
            challenges([
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#
            ]),
            [Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull".into()),
            }]
        );
        assert_eq!(
            challenges([r#"Basic realm="test-realm""#]),
            [Challenge::Basic]
        );
        assert_eq!(
            challenges([
                r#"basic realm="a, b", BEARER realm=https://t/token , scope="x:\"y\":pull""#,
                "Negotiate abc==, Basic"
            ]),
            [
                Challenge::Basic,
                Challenge::Bearer {
                    realm: "https://t/token".into(),
                    service: None,
                    scope: Some("x:\"y\":pull".into()),
                },
                Challenge::Other("Negotiate".into()),
                Challenge::Basic,
            ]
        );
        assert_eq!(
            challenges(["Bearer service=x"]),
            [Challenge::Other("Bearer without a realm".into())]
        );
        assert!(challenges(["", " , "]).is_empty());
    }

    #[test]
    fn tokens_expire_and_are_kept_by_host_and_repository() {
        let now = Instant::now();
        let token = parse_token(br#"{"token":"t1","expires_in":300}"#, now).unwrap();
        assert_eq!(token.value.expose(), "t1");
        let oauth = parse_token(br#"{"access_token":"t2"}"#, now).unwrap();
        assert_eq!(oauth.value.expose(), "t2");
        assert!(parse_token(b"<html>", now).is_err());
        assert!(parse_token(br#"{"token":""}"#, now).is_err());
        assert!(parse_token(br#"{"token":"a b"}"#, now).is_err());
        let mut kept = Remembered::default();
        kept.keep_token("h", "team/app", token);
        let sent = kept.authorization("h", "team/app", None, now).unwrap();
        assert_eq!(sent.header(), "Bearer t1");
        assert!(kept.authorization("h", "team/other", None, now).is_none());
        assert!(kept
            .authorization("h", "team/app", None, now + Duration::from_secs(296))
            .is_none());
        kept.keep_basic("b");
        assert_eq!(
            kept.authorization("b", "x", Some("Basic x".into()), now)
                .unwrap()
                .header(),
            "Basic x"
        );
        kept.forget("h", "team/app");
        assert_eq!(kept.tokens(), 0);
    }
}
