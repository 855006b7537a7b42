//! Time as the API shows it: whole seconds since the Unix epoch inside the server, RFC 3339 UTC
//! with seconds precision (`2026-11-22T10:00:00Z`) on the wire.

use std::time::{SystemTime, UNIX_EPOCH};

use credport_model::validate;

/// Seconds since the Unix epoch, now. A clock before 1970 reads as 0 rather than failing a request.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Milliseconds since the Unix epoch, now: for the refresh lease and cooldown, which last
/// less than the seconds the API counts in.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The wire form of an instant: `YYYY-MM-DDTHH:MM:SSZ`. Written digit by digit rather than by
/// `format!`: a page of connections shows three instants a row, and the formatting machinery
/// was a tenth of a list request's CPU (`perf`, docs/performance.md).
pub fn format(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if !(0..=9999).contains(&year) {
        // Outside RFC 3339's four-digit years: the general form, never on a real clock.
        return format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
    }
    let mut text = *b"0000-00-00T00:00:00Z";
    for (at, width, value) in [
        (0, 4, year),
        (5, 2, month),
        (8, 2, day),
        (11, 2, hour),
        (14, 2, minute),
        (17, 2, second),
    ] {
        let mut rest = value;
        for digit in text[at..at + width].iter_mut().rev() {
            *digit = b'0' + u8::try_from(rest % 10).unwrap_or(0);
            rest /= 10;
        }
    }
    // Digits, dashes, colons, `T` and `Z`: ASCII, so always UTF-8.
    String::from_utf8(text.to_vec()).unwrap_or_default()
}

/// [`format()`] of an optional instant.
pub fn format_opt(seconds: Option<i64>) -> Option<String> {
    seconds.map(format)
}

/// An already validated RFC 3339 input as seconds (fractions are dropped).
/// `None` only for text that the model's validation would have refused.
pub fn parse(value: &str) -> Option<i64> {
    validate::parse_rfc3339(value)
}

/// The inverse of [`validate::days_from_civil`] (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip_through_the_model_parser() {
        for s in [
            0,
            1_795_341_600,
            951_782_400, /* 2000-02-29 */
            -1,
            4_102_444_799,
        ] {
            assert_eq!(parse(&format(s)), Some(s), "{}", format(s));
        }
        assert_eq!(format(1_795_341_600), "2026-11-22T10:00:00Z");
        assert_eq!(format(0), "1970-01-01T00:00:00Z");
        assert_eq!(format(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(format(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(format(253_402_300_800), "10000-01-01T00:00:00Z");
        assert_eq!(format(-1), "1969-12-31T23:59:59Z");
    }
}
