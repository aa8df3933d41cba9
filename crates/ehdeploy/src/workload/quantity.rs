//! Kubernetes resource quantities.
//!
//! [`Quantity`] follows the Kubernetes quantity grammar as memory values use it:
//!
//! ```text
//! quantity  ::= [ "+" ] number suffix
//! number    ::= digits | digits "." [ digits ] | "." digits
//! suffix    ::= binarySI | decimalSI | exponent
//! binarySI  ::= "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
//! decimalSI ::= "n" | "u" | "m" | "" | "k" | "M" | "G" | "T" | "P" | "E"
//! exponent  ::= ( "e" | "E" ) [ "+" | "-" ] digits
//! ```
//!
//! Memory cannot be negative, so a leading `-` is rejected. The amount is kept exactly as an
//! integer number of nanobytes; like Kubernetes, a non-zero amount finer than one nanobyte is
//! rounded up to one nanobyte. Amounts above the Kubernetes maximum of 2^63-1 bytes are errors
//! (Kubernetes would silently cap them).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Nanobytes per byte.
const NANOS_PER_BYTE: u128 = 1_000_000_000;

/// The largest amount Kubernetes represents: 2^63-1 bytes, in nanobytes.
const MAX_NANOS: u128 = (i64::MAX as u128) * NANOS_PER_BYTE;

/// The suffixes of the grammar, as listed in error messages.
const SUFFIXES: &str =
    "Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E, an exponent such as e6, or none";

/// Why a text is not a valid memory quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// The text is empty.
    #[error("empty quantity: expected a number with an optional suffix, e.g. `512Mi`")]
    Empty,
    /// The text starts with `-`: memory quantities cannot be negative.
    #[error("negative quantity `{0}`: memory quantities must not be negative")]
    Negative(String),
    /// There is no number before the suffix, e.g. `Mi`.
    #[error("quantity `{0}` has no number: expected digits before the suffix, e.g. `512Mi`")]
    MissingNumber(String),
    /// The number part is malformed, e.g. `1.2.3Gi` or `.Gi`.
    #[error(
        "quantity `{0}` has a malformed number: expected digits with at most one decimal point"
    )]
    InvalidNumber(String),
    /// The suffix is not one of the Kubernetes suffixes, e.g. `512MB`.
    #[error("quantity `{input}` has unknown suffix `{suffix}`: expected one of {SUFFIXES}")]
    UnknownSuffix {
        /// The whole text.
        input: String,
        /// The unrecognised suffix.
        suffix: String,
    },
    /// The decimal exponent is malformed, e.g. `1e1.5`.
    #[error("quantity `{input}` has a malformed exponent `{exponent}`: expected an integer such as `e6` or `e-3`")]
    InvalidExponent {
        /// The whole text.
        input: String,
        /// The exponent suffix, including its `e` or `E`.
        exponent: String,
    },
    /// The amount exceeds the Kubernetes maximum of 2^63-1 bytes.
    #[error("quantity `{0}` is too large: Kubernetes quantities are at most 2^63-1 bytes")]
    TooLarge(String),
}

/// A non-negative Kubernetes resource quantity, as used for memory requests and limits.
///
/// Equality, ordering and hashing compare the *amount*: `1000M == 1G` and `1Gi > 1G`.
/// [`Display`](fmt::Display) gives the text it was parsed from.
///
/// ```
/// use ehdeploy::workload::quantity::Quantity;
///
/// let q: Quantity = "512Mi".parse()?;
/// assert_eq!(q.bytes(), 512 * 1024 * 1024);
/// assert_eq!(q.to_string(), "512Mi");
/// assert!("1Gi".parse::<Quantity>()? > "1G".parse::<Quantity>()?);
/// assert_eq!("1000M".parse::<Quantity>()?, "1G".parse::<Quantity>()?);
/// assert!("512MB".parse::<Quantity>().is_err());
/// # Ok::<(), ehdeploy::workload::quantity::QuantityError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Quantity {
    /// The exact amount in nanobytes (non-zero amounts below 1n rounded up to 1n).
    nanos: u128,
    /// The text as written.
    text: String,
}

impl Quantity {
    /// A quantity of exactly `bytes` bytes, as given by a plain integer value.
    ///
    /// Its text is the decimal integer. Unlike parsing, this does not apply the Kubernetes
    /// maximum of 2^63-1 bytes.
    ///
    /// ```
    /// use ehdeploy::workload::quantity::Quantity;
    ///
    /// let q = Quantity::from_bytes(128_974_848);
    /// assert_eq!(q.to_string(), "128974848");
    /// assert_eq!(q, "123Mi".parse()?);
    /// # Ok::<(), ehdeploy::workload::quantity::QuantityError>(())
    /// ```
    pub fn from_bytes(bytes: u64) -> Self {
        Quantity {
            nanos: u128::from(bytes) * NANOS_PER_BYTE,
            text: bytes.to_string(),
        }
    }

    /// The amount in whole bytes, rounded up (`0.5` → `1`).
    pub fn bytes(&self) -> u128 {
        self.nanos.div_ceil(NANOS_PER_BYTE)
    }

    /// The text this quantity was parsed from (the same as its `Display`).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Quantity {
            nanos: parse_nanos(s)?,
            text: s.to_owned(),
        })
    }
}

/// How a suffix scales the number.
enum Scale {
    /// Multiply by 10^n.
    Decimal(i64),
    /// Multiply by 2^n.
    Binary(u32),
}

/// Parses `s` into an exact number of nanobytes.
fn parse_nanos(s: &str) -> Result<u128, QuantityError> {
    if s.is_empty() {
        return Err(QuantityError::Empty);
    }
    if s.starts_with('-') {
        return Err(QuantityError::Negative(s.to_owned()));
    }
    let body = s.strip_prefix('+').unwrap_or(s);

    let int_len = body.bytes().take_while(u8::is_ascii_digit).count();
    let (int_digits, rest) = body.split_at(int_len);
    let (frac_digits, suffix) = match rest.strip_prefix('.') {
        Some(after_point) => {
            let frac_len = after_point.bytes().take_while(u8::is_ascii_digit).count();
            after_point.split_at(frac_len)
        }
        None => ("", rest),
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(if rest.starts_with('.') {
            QuantityError::InvalidNumber(s.to_owned())
        } else {
            QuantityError::MissingNumber(s.to_owned())
        });
    }
    if suffix.starts_with('.') {
        return Err(QuantityError::InvalidNumber(s.to_owned()));
    }

    let scale = match suffix {
        "Ki" => Scale::Binary(10),
        "Mi" => Scale::Binary(20),
        "Gi" => Scale::Binary(30),
        "Ti" => Scale::Binary(40),
        "Pi" => Scale::Binary(50),
        "Ei" => Scale::Binary(60),
        "n" => Scale::Decimal(-9),
        "u" => Scale::Decimal(-6),
        "m" => Scale::Decimal(-3),
        "" => Scale::Decimal(0),
        "k" => Scale::Decimal(3),
        "M" => Scale::Decimal(6),
        "G" => Scale::Decimal(9),
        "T" => Scale::Decimal(12),
        "P" => Scale::Decimal(15),
        "E" => Scale::Decimal(18),
        _ => match suffix.strip_prefix(['e', 'E']) {
            Some(exponent)
                if exponent.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') =>
            {
                Scale::Decimal(parse_exponent(exponent).ok_or_else(|| {
                    QuantityError::InvalidExponent {
                        input: s.to_owned(),
                        exponent: suffix.to_owned(),
                    }
                })?)
            }
            _ => {
                return Err(QuantityError::UnknownSuffix {
                    input: s.to_owned(),
                    suffix: suffix.to_owned(),
                })
            }
        },
    };

    let too_large = || QuantityError::TooLarge(s.to_owned());

    // The number is `mantissa × 10^-frac_len`; drop zeros that carry no value.
    let frac_digits = frac_digits.trim_end_matches('0');
    let mantissa_digits = format!("{int_digits}{frac_digits}");
    let mantissa_digits = mantissa_digits.trim_start_matches('0');
    if mantissa_digits.is_empty() {
        return Ok(0);
    }
    let mantissa = mantissa_digits.parse::<u128>().map_err(|_| too_large())?;
    let frac_len = i64::try_from(frac_digits.len()).map_err(|_| too_large())?;

    // nanos = mantissa × 2^binary × 10^(decimal + 9 - frac_len), rounded up.
    let (binary, decimal) = match scale {
        Scale::Binary(bits) => (bits, 0),
        Scale::Decimal(exp) => (0, exp),
    };
    let power10 = decimal
        .checked_add(9)
        .and_then(|e| e.checked_sub(frac_len))
        .ok_or_else(too_large)?;
    let scaled = mantissa
        .checked_mul(1u128 << binary)
        .ok_or_else(too_large)?;
    let nanos = if power10 >= 0 {
        let factor = u32::try_from(power10)
            .ok()
            .and_then(|p| 10u128.checked_pow(p))
            .ok_or_else(too_large)?;
        scaled.checked_mul(factor).ok_or_else(too_large)?
    } else {
        // Finer than a nanobyte: round up, as Kubernetes does.
        match u32::try_from(power10.unsigned_abs())
            .ok()
            .and_then(|p| 10u128.checked_pow(p))
        {
            Some(divisor) => scaled.div_ceil(divisor),
            None => 1,
        }
    };
    if nanos > MAX_NANOS {
        return Err(too_large());
    }
    Ok(nanos)
}

/// Parses an exponent: an optionally signed decimal integer.
fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Exponents beyond this range are out of range for any non-zero amount anyway.
    let clamped = digits.parse::<i64>().unwrap_or(i64::MAX).min(1_000_000);
    Some(if text.starts_with('-') {
        -clamped
    } else {
        clamped
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const KI: u128 = 1 << 10;
    const MI: u128 = 1 << 20;
    const GI: u128 = 1 << 30;

    fn q(s: &str) -> Quantity {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    #[test]
    fn parses_bytes_exactly() {
        let cases: &[(&str, u128)] = &[
            ("512Mi", 512 * MI),
            ("1Gi", GI),
            ("1G", 1_000_000_000),
            ("500M", 500_000_000),
            ("128974848", 128_974_848),
            ("129e6", 129_000_000),
            ("129E6", 129_000_000),
            ("1e+3", 1000),
            ("0.5Gi", GI / 2),
            ("1.5G", 1_500_000_000),
            ("100k", 100_000),
            ("1Ki", KI),
            ("1Ti", 1 << 40),
            ("1Pi", 1 << 50),
            ("1Ei", 1 << 60),
            ("1T", 1_000_000_000_000),
            ("1P", 1_000_000_000_000_000),
            ("1E", 1_000_000_000_000_000_000),
            ("1500m", 2),
            ("1000m", 1),
            ("1m", 1),
            ("1u", 1),
            ("1n", 1),
            ("0", 0),
            ("0Gi", 0),
            ("0.0", 0),
            ("+1Ki", KI),
            ("1.", 1),
            (".5k", 500),
            ("0.1Ki", 103),
            ("000512Mi", 512 * MI),
            (
                "1.000000000000000000000000000000000000000000G",
                1_000_000_000,
            ),
            ("12e-1", 2),
            ("1e-100", 1),
            ("7Ei", 7 << 60),
            ("9223372036854775807", i64::MAX as u128),
        ];
        for (text, bytes) in cases {
            assert_eq!(q(text).bytes(), *bytes, "{text}");
        }
    }

    #[test]
    fn keeps_sub_byte_amounts_exactly() {
        let cases: &[(&str, u128)] = &[
            ("1m", 1_000_000),
            ("1500m", 1_500_000_000),
            ("1u", 1_000),
            ("1n", 1),
            ("0.1n", 1),
            ("1e-12", 1),
            ("0.5", 500_000_000),
            ("3e-9", 3),
        ];
        for (text, nanos) in cases {
            assert_eq!(q(text).nanos, *nanos, "{text}");
        }
    }

    #[test]
    fn rejects_invalid_text() {
        let cases: &[(&str, QuantityError)] = &[
            ("", QuantityError::Empty),
            ("-1Gi", QuantityError::Negative("-1Gi".into())),
            ("-0", QuantityError::Negative("-0".into())),
            ("Mi", QuantityError::MissingNumber("Mi".into())),
            ("+", QuantityError::MissingNumber("+".into())),
            ("+-1", QuantityError::MissingNumber("+-1".into())),
            (" 1Gi", QuantityError::MissingNumber(" 1Gi".into())),
            ("1.2.3Gi", QuantityError::InvalidNumber("1.2.3Gi".into())),
            (".Gi", QuantityError::InvalidNumber(".Gi".into())),
            ("1..5", QuantityError::InvalidNumber("1..5".into())),
            (
                "512MB",
                QuantityError::UnknownSuffix {
                    input: "512MB".into(),
                    suffix: "MB".into(),
                },
            ),
            (
                "1gi",
                QuantityError::UnknownSuffix {
                    input: "1gi".into(),
                    suffix: "gi".into(),
                },
            ),
            (
                "1K",
                QuantityError::UnknownSuffix {
                    input: "1K".into(),
                    suffix: "K".into(),
                },
            ),
            (
                "1Gi ",
                QuantityError::UnknownSuffix {
                    input: "1Gi ".into(),
                    suffix: "Gi ".into(),
                },
            ),
            (
                "1e",
                QuantityError::UnknownSuffix {
                    input: "1e".into(),
                    suffix: "e".into(),
                },
            ),
            (
                "1e1.5",
                QuantityError::InvalidExponent {
                    input: "1e1.5".into(),
                    exponent: "e1.5".into(),
                },
            ),
            (
                "1e+",
                QuantityError::InvalidExponent {
                    input: "1e+".into(),
                    exponent: "e+".into(),
                },
            ),
            (
                "1Ei5",
                QuantityError::UnknownSuffix {
                    input: "1Ei5".into(),
                    suffix: "Ei5".into(),
                },
            ),
            ("8Ei", QuantityError::TooLarge("8Ei".into())),
            (
                "9223372036854775808",
                QuantityError::TooLarge("9223372036854775808".into()),
            ),
            ("1e30", QuantityError::TooLarge("1e30".into())),
            (
                "1e999999999999999999999",
                QuantityError::TooLarge("1e999999999999999999999".into()),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Quantity>().as_ref(), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn error_messages_name_the_problem() {
        let message = |s: &str| s.parse::<Quantity>().unwrap_err().to_string();
        assert_eq!(
            message("512MB"),
            "quantity `512MB` has unknown suffix `MB`: expected one of Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E, an exponent such as e6, or none"
        );
        assert_eq!(
            message("-1Gi"),
            "negative quantity `-1Gi`: memory quantities must not be negative"
        );
        assert_eq!(
            message("Mi"),
            "quantity `Mi` has no number: expected digits before the suffix, e.g. `512Mi`"
        );
        assert_eq!(
            message(""),
            "empty quantity: expected a number with an optional suffix, e.g. `512Mi`"
        );
        assert_eq!(
            message("1.2.3Gi"),
            "quantity `1.2.3Gi` has a malformed number: expected digits with at most one decimal point"
        );
    }

    #[test]
    fn orders_by_amount() {
        let ordered = [
            "0", "1n", "1m", "1", "1Ki", "100k", "500M", "512Mi", "1G", "1Gi", "1T", "1Ti", "1P",
            "1Pi", "1E", "1Ei",
        ];
        for pair in ordered.windows(2) {
            assert!(q(pair[0]) < q(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        let equal = [
            ("1000M", "1G"),
            ("1G", "1e9"),
            ("1000000k", "1000M"),
            ("0.5Gi", "512Mi"),
            ("1024Ki", "1Mi"),
            ("1.5G", "1500M"),
            ("129e6", "129M"),
            ("1000m", "1"),
        ];
        for (a, b) in equal {
            assert_eq!(q(a), q(b), "{a} == {b}");
            assert_eq!(q(a).cmp(&q(b)), Ordering::Equal, "{a} == {b}");
        }
        assert!(q("1Gi") > q("1G"));
        assert!(q("1G") > q("999999999"));
        assert_eq!(q("1000M").max(q("1Gi")).to_string(), "1Gi");
    }

    #[test]
    fn displays_original_text() {
        for text in [
            "512Mi", "1.5G", "129e6", "0.5Gi", "+1Ki", "000512Mi", "1000m",
        ] {
            assert_eq!(q(text).to_string(), text);
            assert_eq!(q(text).as_str(), text);
        }
    }

    #[test]
    fn from_bytes_is_a_plain_integer() {
        let cases: &[(u64, &str)] = &[
            (0, "0"),
            (128_974_848, "128974848"),
            (u64::MAX, "18446744073709551615"),
        ];
        for (bytes, text) in cases {
            let quantity = Quantity::from_bytes(*bytes);
            assert_eq!(quantity.bytes(), u128::from(*bytes));
            assert_eq!(quantity.to_string(), *text);
        }
        assert_eq!(Quantity::from_bytes(536_870_912), q("512Mi"));
    }
}
