//! Resolution of plain YAML scalars, as go-yaml v2 does it (Helm and Helmsman read YAML with it).

use super::node::NodeKind;

/// The value of a plain (unquoted) scalar: null, boolean (YAML 1.1 words such as `yes`, `off`),
/// integer (decimal, `0x`, `0o`, `0b`, leading-zero octal, `_` separators), float
/// (`.inf`, `.nan`, exponents) or else the string itself.
///
/// ```
/// use ehdeploy::source::{resolve_plain_scalar, NodeKind};
/// assert_eq!(resolve_plain_scalar("yes"), NodeKind::Bool(true));
/// assert_eq!(resolve_plain_scalar("0x1F"), NodeKind::Int(31));
/// assert_eq!(resolve_plain_scalar("1.10"), NodeKind::Float(1.1));
/// assert_eq!(resolve_plain_scalar("v1.10"), NodeKind::Str("v1.10".into()));
/// ```
pub fn resolve_plain_scalar(text: &str) -> NodeKind {
    plain_value(text).unwrap_or_else(|| NodeKind::Str(text.to_string()))
}

/// The value of a plain scalar that is not a string: null, boolean, integer or float.
fn plain_value(text: &str) -> Option<NodeKind> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(NodeKind::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Some(NodeKind::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Some(NodeKind::Bool(false))
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(NodeKind::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(NodeKind::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(NodeKind::Float(f64::NAN)),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    // `_` separators are dropped first; most numbers have none, and are read as written.
    let separated;
    let plain = if text.contains('_') {
        separated = text.replace('_', "");
        separated.as_str()
    } else {
        text
    };
    if let Some(i) = parse_int(plain) {
        return Some(NodeKind::Int(i));
    }
    if is_float_syntax(plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Some(NodeKind::Float(f));
        }
    }
    None
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, body) = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, h)
    } else if let Some(b) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, b)
    } else if let Some(o) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, o)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

fn is_float_syntax(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut digits = 0;
    let mut dots = 0;
    for c in mantissa.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            _ => return false,
        }
    }
    if digits == 0 || dots > 1 {
        return false;
    }
    match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_yaml_v2_words_and_numbers() {
        assert_eq!(resolve_plain_scalar("~"), NodeKind::Null);
        assert_eq!(resolve_plain_scalar("Off"), NodeKind::Bool(false));
        assert_eq!(resolve_plain_scalar("1_000"), NodeKind::Int(1000));
        assert_eq!(resolve_plain_scalar("1_0.5"), NodeKind::Float(10.5));
        assert_eq!(resolve_plain_scalar("1_x"), NodeKind::Str("1_x".into()));
        assert_eq!(resolve_plain_scalar("0777"), NodeKind::Int(511));
        assert_eq!(resolve_plain_scalar("-12"), NodeKind::Int(-12));
        assert_eq!(resolve_plain_scalar("1e3"), NodeKind::Float(1000.0));
        assert_eq!(resolve_plain_scalar("0.8.5"), NodeKind::Str("0.8.5".into()));
        assert_eq!(resolve_plain_scalar("512Mi"), NodeKind::Str("512Mi".into()));
        assert_eq!(resolve_plain_scalar("-"), NodeKind::Str("-".into()));
        assert_eq!(
            resolve_plain_scalar("99999999999999999999"),
            NodeKind::Float(1e20)
        );
    }
}
