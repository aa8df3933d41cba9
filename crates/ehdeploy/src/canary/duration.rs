//! Durations as Flagger and Prometheus write them: `30s`, `1m`, `1m30s`, `2h`.

use super::CanaryError;

/// Reads a duration into whole seconds: one or more `<integer><unit>` with the units `h`, `m`
/// and `s`, each at most once and in that order (`1h30m`, `90s`), and more than zero. Both
/// Flagger (an analysis `interval`) and Prometheus (a range `[1m]`) read these the same way;
/// fractions (`1.5m`), days and milliseconds are refused, since one or the other does not
/// read them.
///
/// ```
/// use ehdeploy::canary::parse_duration;
/// assert_eq!(parse_duration("1m30s"), Ok(90));
/// assert!(parse_duration("90").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<u64, CanaryError> {
    let fail = |why: &str| CanaryError::Duration {
        text: text.to_string(),
        why: why.to_string(),
    };
    if text.is_empty() {
        return Err(fail("it is empty"));
    }
    let mut rest = text;
    let mut total: u64 = 0;
    // The rank of the last unit read: a unit must be smaller than the one before it.
    let mut last_rank = usize::MAX;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(fail(
                "each part is a whole number followed by `h`, `m` or `s`",
            ));
        }
        let (number, after) = rest.split_at(digits);
        let unit_len = after.len()
            - after
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let (unit, after) = after.split_at(unit_len);
        let (rank, seconds) = match unit {
            "h" => (2, 3600),
            "m" => (1, 60),
            "s" => (0, 1),
            "" => return Err(fail(&format!("`{number}` has no unit (`h`, `m` or `s`)"))),
            other => return Err(fail(&format!("`{other}` is not a unit (`h`, `m` or `s`)"))),
        };
        if rank >= last_rank {
            return Err(fail("the units go `h`, `m`, `s`, each at most once"));
        }
        last_rank = rank;
        let part = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(seconds))
            .ok_or_else(|| fail("it is too long"))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| fail("it is too long"))?;
        rest = after;
    }
    if total == 0 {
        return Err(fail("it must be longer than zero"));
    }
    Ok(total)
}
