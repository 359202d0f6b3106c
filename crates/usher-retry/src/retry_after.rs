//! Parsing the HTTP `Retry-After` field (RFC 9110, section 10.2.3) into a
//! delay.

use crate::errors::RetryAfterError;

/// The longest wait a `Retry-After` can impose: 24 hours, in milliseconds.
///
/// A server may ask for any delay, and a wrong or hostile one could park a
/// job for years. 24 hours covers what providers actually ask for (a daily
/// quota resets within a day) and is the longest delay of any schedule here;
/// a job told to wait longer tries again after 24 hours, which costs one
/// request and fetches a fresh `Retry-After`.
pub const RETRY_AFTER_CAP_MS: u64 = 86_400_000;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
const DAY_NAMES: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];

/// Parses a `Retry-After` value into milliseconds to wait from `now_ms`
/// (Unix milliseconds), between 0 and [`RETRY_AFTER_CAP_MS`].
///
/// Two forms are understood, after trimming spaces and tabs:
///
/// * delta-seconds, one or more ASCII digits (`120`); any number of digits
///   is accepted, and a value past the cap is the cap;
/// * an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), exactly as RFC 9110
///   writes it: case-sensitive names, two-digit fields, `GMT`. The day name
///   must be one of the seven but is not checked against the date, since the
///   date alone says when. A date in the past means no wait.
///
/// RFC 9110 also asks recipients to accept the obsolete RFC 850 and asctime
/// date forms; they are refused here as [`RetryAfterError::Malformed`]. No
/// provider we call sends them, and a caller that gets an error waits what
/// its schedule says, which is safe.
///
/// # Errors
///
/// [`RetryAfterError::Empty`] for an empty value and
/// [`RetryAfterError::Malformed`] for anything else not in the two forms,
/// including a date that does not exist (`31 Feb`).
pub fn parse_retry_after(value: &str, now_ms: i64) -> Result<u64, RetryAfterError> {
    let value = value.trim_matches([' ', '\t']).as_bytes();
    if value.is_empty() {
        return Err(RetryAfterError::Empty);
    }
    if value.iter().all(u8::is_ascii_digit) {
        return Ok(delta_seconds_ms(value));
    }
    let at_ms = imf_fixdate_ms(value).ok_or(RetryAfterError::Malformed)?;
    let wait = (at_ms - i128::from(now_ms)).clamp(0, i128::from(RETRY_AFTER_CAP_MS));
    Ok(wait as u64)
}

/// Delta-seconds in milliseconds, saturating at the cap however many digits
/// there are.
fn delta_seconds_ms(digits: &[u8]) -> u64 {
    let cap_seconds = RETRY_AFTER_CAP_MS / 1_000;
    let mut seconds: u64 = 0;
    for d in digits {
        seconds = seconds * 10 + u64::from(d - b'0');
        if seconds >= cap_seconds {
            return RETRY_AFTER_CAP_MS;
        }
    }
    seconds * 1_000
}

/// An IMF-fixdate as Unix milliseconds, or `None` if it is not one.
fn imf_fixdate_ms(v: &[u8]) -> Option<i128> {
    // "Sun, 06 Nov 1994 08:49:37 GMT" is always 29 bytes.
    if v.len() != 29
        || &v[3..5] != b", "
        || v[7] != b' '
        || v[11] != b' '
        || v[16] != b' '
        || v[19] != b':'
        || v[22] != b':'
        || &v[25..] != b" GMT"
    {
        return None;
    }
    DAY_NAMES.iter().position(|d| *d == &v[0..3])?;
    let month = MONTHS.iter().position(|m| *m == &v[8..11])? as u32 + 1;
    let day = digits(&v[5..7])?;
    let year = digits(&v[12..16])?;
    let hour = digits(&v[17..19])?;
    let minute = digits(&v[20..22])?;
    // 60 is a leap second, which RFC 5322's grammar allows.
    let second = digits(&v[23..25])?;
    if day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let seconds = i128::from(days) * 86_400 + i128::from(hour * 3_600 + minute * 60 + second);
    Some(seconds * 1_000)
}

/// A fixed-width run of ASCII digits as a number.
fn digits(v: &[u8]) -> Option<u32> {
    v.iter().try_fold(0u32, |n, d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

const fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

const fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// RFC 9110's own example date, in Unix milliseconds.
    const RFC_EXAMPLE_MS: i64 = 784_111_777_000;

    #[test]
    fn the_rfc_example_date_is_exact() {
        let v = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(parse_retry_after(v, RFC_EXAMPLE_MS), Ok(0));
        assert_eq!(parse_retry_after(v, RFC_EXAMPLE_MS - 1_500), Ok(1_500));
    }

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(0, 1, 1), -719_528);
    }

    #[test]
    fn february_follows_the_leap_rules() {
        let at = |d: &str| parse_retry_after(d, 0).is_ok();
        assert!(at("Tue, 29 Feb 2000 00:00:00 GMT"));
        assert!(!at("Thu, 29 Feb 1900 00:00:00 GMT"));
        assert!(at("Thu, 29 Feb 2024 00:00:00 GMT"));
        assert!(!at("Sat, 29 Feb 2025 00:00:00 GMT"));
    }
}
