//! DNS host names.
//!
//! [`validate_hostname`] checks a host name the way the platform's ingress and mesh bindings
//! need it (RFC 1123, lowercase, an optional leading wildcard), and [`is_under_domain`] tells
//! whether a host belongs to a domain.

/// The longest host name, in characters.
const MAX_HOSTNAME_LEN: usize = 253;

/// The longest label, in characters.
const MAX_LABEL_LEN: usize = 63;

/// Why a text is not a valid host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostnameError {
    /// The name is empty.
    #[error("empty host name")]
    Empty,
    /// The name is longer than 253 characters.
    #[error("host name `{name}` is {len} characters long; at most 253 are allowed")]
    TooLong {
        /// The host name.
        name: String,
        /// Its length in characters.
        len: usize,
    },
    /// The name ends with a dot.
    #[error("host name `{0}` ends with a dot; write it without the trailing dot")]
    TrailingDot(String),
    /// The name contains uppercase letters.
    #[error("host name `{name}` contains uppercase letters; host names must be lowercase: `{lowercase}`")]
    Uppercase {
        /// The host name.
        name: String,
        /// The same name in lowercase.
        lowercase: String,
    },
    /// The name has an empty label: a leading dot or two dots in a row.
    #[error("host name `{0}` has an empty label (a leading dot or two dots in a row)")]
    EmptyLabel(String),
    /// A label is longer than 63 characters.
    #[error(
        "label `{label}` of host name `{name}` is {len} characters long; at most 63 are allowed"
    )]
    LabelTooLong {
        /// The host name.
        name: String,
        /// The label.
        label: String,
        /// Its length in characters.
        len: usize,
    },
    /// A label contains a character other than `a`-`z`, `0`-`9` and `-`.
    #[error("label `{label}` of host name `{name}` contains `{character}`; only a-z, 0-9 and `-` are allowed")]
    InvalidCharacter {
        /// The host name.
        name: String,
        /// The label.
        label: String,
        /// The first offending character.
        character: char,
    },
    /// A label starts or ends with `-`.
    #[error("label `{label}` of host name `{name}` starts or ends with `-`")]
    LabelHyphen {
        /// The host name.
        name: String,
        /// The label.
        label: String,
    },
    /// A `*` appears anywhere other than as the whole first label followed by a domain.
    #[error(
        "host name `{0}` has a misplaced wildcard; only a single leading `*.` label is allowed"
    )]
    MisplacedWildcard(String),
}

/// Checks that `name` is a valid lowercase RFC 1123 host name.
///
/// Labels are 1 to 63 characters of `a`-`z`, `0`-`9` and `-`, neither starting nor ending with
/// `-`; the whole name is at most 253 characters and has no trailing dot. Uppercase letters are
/// rejected with an error that says so. A single leading `*.` wildcard label is allowed.
///
/// ```
/// use ehdeploy::workload::dns::{validate_hostname, HostnameError};
///
/// assert_eq!(validate_hostname("api.ehealth.example"), Ok(()));
/// assert_eq!(validate_hostname("*.apps.ehealth.example"), Ok(()));
/// assert!(matches!(validate_hostname("API.ehealth.example"), Err(HostnameError::Uppercase { .. })));
/// assert!(validate_hostname("api-.ehealth.example").is_err());
/// ```
pub fn validate_hostname(name: &str) -> Result<(), HostnameError> {
    if name.is_empty() {
        return Err(HostnameError::Empty);
    }
    let len = name.chars().count();
    if len > MAX_HOSTNAME_LEN {
        return Err(HostnameError::TooLong {
            name: name.to_owned(),
            len,
        });
    }
    if name.ends_with('.') {
        return Err(HostnameError::TrailingDot(name.to_owned()));
    }
    if name.chars().any(char::is_uppercase) {
        return Err(HostnameError::Uppercase {
            name: name.to_owned(),
            lowercase: name.to_lowercase(),
        });
    }
    let rest = name.strip_prefix("*.").unwrap_or(name);
    for label in rest.split('.') {
        check_label(name, label)?;
    }
    Ok(())
}

/// Checks one label of `name`.
fn check_label(name: &str, label: &str) -> Result<(), HostnameError> {
    if label.is_empty() {
        return Err(HostnameError::EmptyLabel(name.to_owned()));
    }
    if label.contains('*') {
        return Err(HostnameError::MisplacedWildcard(name.to_owned()));
    }
    if let Some(character) = label
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(HostnameError::InvalidCharacter {
            name: name.to_owned(),
            label: label.to_owned(),
            character,
        });
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(HostnameError::LabelTooLong {
            name: name.to_owned(),
            label: label.to_owned(),
            len: label.len(),
        });
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(HostnameError::LabelHyphen {
            name: name.to_owned(),
            label: label.to_owned(),
        });
    }
    Ok(())
}

/// Whether `host` is `domain` itself or a name below it, compared case-insensitively.
///
/// Leading dots in `domain` are ignored, so `.ehealth.example` and `ehealth.example` mean the
/// same. The match is at a label boundary: `api.ehealth.example` is under `ehealth.example`,
/// `badehealth.example` is not. An empty domain contains nothing.
///
/// ```
/// use ehdeploy::workload::dns::is_under_domain;
///
/// assert!(is_under_domain("api.ehealth.example", "ehealth.example"));
/// assert!(is_under_domain("ehealth.example", ".ehealth.example"));
/// assert!(!is_under_domain("badehealth.example", "ehealth.example"));
/// ```
pub fn is_under_domain(host: &str, domain: &str) -> bool {
    let domain = domain.trim_start_matches('.').as_bytes();
    let host = host.as_bytes();
    if domain.is_empty() {
        return false;
    }
    let Some(split) = host.len().checked_sub(domain.len()) else {
        return false;
    };
    let (head, tail) = host.split_at(split);
    tail.eq_ignore_ascii_case(domain) && (head.is_empty() || head.ends_with(b"."))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_hostnames() {
        let label63 = "a".repeat(63);
        let long_ok = format!("{0}.{0}.{0}.{1}", label63, "b".repeat(61));
        assert_eq!(long_ok.len(), 253);
        let cases = [
            "localhost",
            "a",
            "0",
            "api.ehealth.example",
            "my-app-1.int.ehealth.example",
            "1password.example",
            "a--b.example",
            "xn--bcher-kva.example",
            "*.ehealth.example",
            "*.a",
            label63.as_str(),
            long_ok.as_str(),
        ];
        for name in cases {
            assert_eq!(validate_hostname(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn rejects_invalid_hostnames() {
        let label64 = "a".repeat(64);
        let too_long = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(62));
        let owned = |s: &str| s.to_owned();
        let cases: Vec<(String, HostnameError)> = vec![
            (owned(""), HostnameError::Empty),
            (
                too_long.clone(),
                HostnameError::TooLong {
                    name: too_long.clone(),
                    len: 254,
                },
            ),
            (
                owned("api.example."),
                HostnameError::TrailingDot(owned("api.example.")),
            ),
            (owned("."), HostnameError::TrailingDot(owned("."))),
            (
                owned("API.ehealth.example"),
                HostnameError::Uppercase {
                    name: owned("API.ehealth.example"),
                    lowercase: owned("api.ehealth.example"),
                },
            ),
            (
                owned("*.Example"),
                HostnameError::Uppercase {
                    name: owned("*.Example"),
                    lowercase: owned("*.example"),
                },
            ),
            (
                owned(".example"),
                HostnameError::EmptyLabel(owned(".example")),
            ),
            (
                owned("a..example"),
                HostnameError::EmptyLabel(owned("a..example")),
            ),
            (
                format!("{label64}.example"),
                HostnameError::LabelTooLong {
                    name: format!("{label64}.example"),
                    label: label64.clone(),
                    len: 64,
                },
            ),
            (
                owned("my_app.example"),
                HostnameError::InvalidCharacter {
                    name: owned("my_app.example"),
                    label: owned("my_app"),
                    character: '_',
                },
            ),
            (
                owned("api.exämple"),
                HostnameError::InvalidCharacter {
                    name: owned("api.exämple"),
                    label: owned("exämple"),
                    character: 'ä',
                },
            ),
            (
                owned("a b.example"),
                HostnameError::InvalidCharacter {
                    name: owned("a b.example"),
                    label: owned("a b"),
                    character: ' ',
                },
            ),
            (
                owned("-api.example"),
                HostnameError::LabelHyphen {
                    name: owned("-api.example"),
                    label: owned("-api"),
                },
            ),
            (
                owned("api.example-"),
                HostnameError::LabelHyphen {
                    name: owned("api.example-"),
                    label: owned("example-"),
                },
            ),
            (owned("*"), HostnameError::MisplacedWildcard(owned("*"))),
            (
                owned("*.*.example"),
                HostnameError::MisplacedWildcard(owned("*.*.example")),
            ),
            (
                owned("api.*.example"),
                HostnameError::MisplacedWildcard(owned("api.*.example")),
            ),
            (
                owned("*api.example"),
                HostnameError::MisplacedWildcard(owned("*api.example")),
            ),
            (owned("*."), HostnameError::TrailingDot(owned("*."))),
        ];
        for (name, expected) in cases {
            assert_eq!(validate_hostname(&name), Err(expected), "{name}");
        }
    }

    #[test]
    fn error_messages_name_the_problem() {
        let message = |s: &str| validate_hostname(s).unwrap_err().to_string();
        assert_eq!(
            message("API.ehealth.example"),
            "host name `API.ehealth.example` contains uppercase letters; host names must be lowercase: `api.ehealth.example`"
        );
        assert_eq!(
            message("-api.example"),
            "label `-api` of host name `-api.example` starts or ends with `-`"
        );
        assert_eq!(
            message("api.*.example"),
            "host name `api.*.example` has a misplaced wildcard; only a single leading `*.` label is allowed"
        );
    }

    #[test]
    fn tells_whether_a_host_is_under_a_domain() {
        let cases = [
            ("api.ehealth.example", "ehealth.example", true),
            ("ehealth.example", "ehealth.example", true),
            ("a.b.ehealth.example", "ehealth.example", true),
            ("api.ehealth.example", ".ehealth.example", true),
            ("api.ehealth.example", "..ehealth.example", true),
            ("ehealth.example", ".ehealth.example", true),
            ("API.EHealth.Example", "ehealth.example", true),
            ("api.ehealth.example", "EHEALTH.example", true),
            ("*.ehealth.example", "ehealth.example", true),
            ("badehealth.example", "ehealth.example", false),
            ("ehealth.example.evil", "ehealth.example", false),
            ("example", "ehealth.example", false),
            ("api.ehealth.example", "", false),
            ("api.ehealth.example", ".", false),
            ("", "ehealth.example", false),
            ("", "", false),
            ("äpi.ehealth.example", "ehealth.example", true),
            ("ä", "x", false),
            ("xä", "ä", false),
            ("ä", "x", false),
            ("aä", "x", false),
        ];
        for (host, domain, expected) in cases {
            assert_eq!(
                is_under_domain(host, domain),
                expected,
                "{host} under {domain}"
            );
        }
    }
}
