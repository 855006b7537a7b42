//! The input rules of the API, checked by the server (400 naming the field) and by the SDK before
//! it sends anything (`InvalidArgumentError` naming the argument).

use std::fmt;

/// One rule broken by one field. `field` is the wire (`snake_case`) name; `entry` the index of the
/// entry of the list `field` that broke it, where one did (named `scopes[2]`, never quoted: it
/// may be a secret put in the wrong field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub entry: Option<usize>,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            entry: None,
            message: message.into(),
        }
    }

    /// The error of the entry `index` of the list `field`.
    pub fn entry(field: &'static str, index: usize, message: impl Into<String>) -> Self {
        Self {
            entry: Some(index),
            ..Self::new(field, message)
        }
    }

    /// What broke the rule: `field`, or `field[entry]`.
    pub fn name(&self) -> String {
        match self.entry {
            Some(index) => [self.field, "[", &decimal(index as u64), "]"].concat(),
            None => self.field.to_owned(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message)
    }
}

impl std::error::Error for FieldError {}

pub type Checked = Result<(), FieldError>;

/// Longest name, subject, provider or similar short label, in characters.
pub const MAX_LABEL: usize = 256;
/// Longest description or revocation reason, in characters.
pub const MAX_TEXT: usize = 4096;
/// Most scopes on one key or token.
pub const MAX_SCOPES: usize = 100;
/// Longest accepted expiry for an API key: ten years.
pub const MAX_SECONDS_UNTIL_EXPIRATION: u64 = 10 * 365 * 24 * 3600;
/// Longest URL accepted (`token_url`, `authorization_url`, `return_url`).
pub const MAX_URL: usize = 2048;
/// Largest page size of any list.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A required label: not blank, at most [`MAX_LABEL`] characters, no white space at either end,
/// no control characters (newlines and tabs included) and no format characters (bidi overrides, zero-width characters). Each
/// of those makes a name look like another one: `prod` and `prod ` would be two keys of one
/// subject that no one can tell apart.
pub fn label(field: &'static str, value: &str) -> Checked {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.trim() != value {
        return Err(FieldError::new(
            field,
            "must not begin or end with white space",
        ));
    }
    text(field, value, MAX_LABEL)?;
    // Free text may hold newlines and tabs; a name may not (`prod` and `prod\tx` print alike).
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters such as newlines or tabs",
        ));
    }
    if value.chars().any(is_format) {
        return Err(FieldError::new(
            field,
            "must not contain format characters such as bidi overrides or zero-width characters",
        ));
    }
    Ok(())
}

/// Unicode's format characters (general category Cf, Unicode 16).
const FORMAT_CHARACTERS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

fn is_format(c: char) -> bool {
    FORMAT_CHARACTERS
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// An optional label: when present, as [`label`].
pub fn opt_label(field: &'static str, value: Option<&str>) -> Checked {
    value.map_or(Ok(()), |v| label(field, v))
}

/// Free text of at most `max` characters without control characters other than newlines and tabs.
pub fn text(field: &'static str, value: &str, max: usize) -> Checked {
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            ["must be at most ", &decimal(max as u64), " characters"].concat(),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A URL that secrets or codes travel to: `https://`, or `http://` to a loopback host (local
/// development and tests). No user info (a secret in a URL), no fragment.
pub fn secure_url(field: &'static str, url: &str) -> Checked {
    if http_url(field, url)?.is_some_and(|host| !is_loopback(&host)) {
        return Err(FieldError::new(
            field,
            "http:// is allowed to a loopback host only (localhost, 127.0.0.1, [::1]); use https://",
        ));
    }
    Ok(())
}

/// The URL the SDK's paths are appended to (`baseUrl`): an [`http_url`] without a query. `http://`
/// to any host stays allowed, as it always was for the SDK (a service name in a container network).
pub fn base_url(field: &'static str, url: &str) -> Checked {
    http_url(field, url)?;
    if url.contains('?') {
        return Err(FieldError::new(
            field,
            "must be a URL without a query: the API's paths are appended to it",
        ));
    }
    Ok(())
}

/// An `http://` or `https://` URL naming a host (and a port from 1 to 65535, if any), without
/// spaces, a fragment or user info (a secret in a URL): `Some(host)` if it is `http://`, for the
/// caller to judge (whether it is a loopback host is not judged here, so that a caller that
/// takes any host does not carry an IP address parser).
pub fn http_url(field: &'static str, url: &str) -> Result<Option<String>, FieldError> {
    let refuse = |why: &str| Err(FieldError::new(field, why));
    text(field, url, MAX_URL)?;
    let lower = url.to_ascii_lowercase();
    let (secure, rest) = match (
        lower.strip_prefix("https://"),
        lower.strip_prefix("http://"),
    ) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => return refuse("must be an http:// or https:// URL"),
    };
    if rest.chars().any(|c| c.is_whitespace()) || rest.contains('#') {
        return refuse("must be a URL without spaces or a fragment");
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return refuse("must not hold user info (user:password@)");
    }
    let (host, port) = split_authority(authority);
    if host.is_empty() {
        return refuse("must name a host");
    }
    if !is_host(authority, host) {
        return refuse("must name a host of letters, digits, '-' and '.' (or an IP address)");
    }
    if port.is_some_and(|p| !p.is_empty() && !matches!(p.parse::<u16>(), Ok(1..))) {
        return refuse("must have a port from 1 to 65535");
    }
    Ok((!secure).then(|| host.to_owned()))
}

/// The host and the port (after its `:`, possibly empty: the scheme's default) of
/// `host[:port]` or `[v6][:port]`; an authority with more after its host keeps it as the port,
/// which then fails the port's check.
fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, rest) = v6.split_once(']').unwrap_or((v6, ""));
        return (
            host,
            rest.strip_prefix(':')
                .or((!rest.is_empty()).then_some(rest)),
        );
    }
    match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// Whether `host` (of `authority`) can be a server's name: an IPv6 literal's hex digits,
/// colons and dots, or a name's letters (any script: an internationalised name), digits, `-`,
/// `.` and `_`. Characters a URL parser would read otherwise (`\\`, `%`, `!`, `$`, …) are refused.
fn is_host(authority: &str, host: &str) -> bool {
    if authority.starts_with('[') {
        return authority.contains(']')
            && host
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    host.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') || !c.is_ascii())
}

/// [`secure_url`] of an optional field.
pub fn opt_secure_url(field: &'static str, url: Option<&str>) -> Checked {
    url.map_or(Ok(()), |u| secure_url(field, u))
}

/// The origin (`scheme://host[:port]`, lower case, the scheme's default port left out) of a URL
/// [`secure_url`] accepted.
pub fn origin(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://").unwrap_or(("", &lower));
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(authority);
    let authority = authority.strip_suffix(':').unwrap_or(authority);
    [scheme, "://", authority].concat()
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A list of scopes: each a label, no more than [`MAX_SCOPES`]; an entry's error names it.
pub fn scopes(field: &'static str, values: &[String]) -> Checked {
    if values.len() > MAX_SCOPES {
        return Err(FieldError::new(
            field,
            ["must hold at most ", &decimal(MAX_SCOPES as u64), " scopes"].concat(),
        ));
    }
    values.iter().enumerate().try_for_each(|(index, s)| {
        label(field, s).map_err(|e| FieldError::entry(field, index, e.message))
    })
}

/// An API-key secret as a caller hands it over to be verified: any text but an empty one. Its
/// length is not checked: whatever a service's own client presented is a question with an
/// answer (`NOT_FOUND` for anything never issued), never an error the service must catch
/// (SDK.md: an invalid key is a result); the body limit bounds it.
pub fn secret(field: &'static str, value: &str) -> Checked {
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    Ok(())
}

/// Longest `Idempotency-Key`, in characters (its rule's message says 255).
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// An `Idempotency-Key` (API.md): 1 to [`MAX_IDEMPOTENCY_KEY`] printable ASCII characters, not
/// starting or ending with a space. HTTP drops spaces around a header's value, so such a key
/// would reach the server as another key (a blank one as an empty one, which it refuses).
pub fn idempotency_key(field: &'static str, key: &str) -> Checked {
    let printable = key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    let spaced = key.starts_with(' ') || key.ends_with(' ');
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !printable || spaced {
        return Err(FieldError::new(
            field,
            "must be 1 to 255 printable ASCII characters, not starting or ending with a space",
        ));
    }
    Ok(())
}

/// The bounds of the whole-number inputs, by wire name, for a value that cannot be read as one:
/// of the wrong type, with a fraction, or out of its type's range (`-1`). The server and the SDK
/// both say these rather than the type's range; a value read is checked by its rule ([`range`]).
/// `offset` is bounded by its type only.
pub fn whole_number_range(field: &str) -> Option<(u64, u64)> {
    let page_size = u64::from(MAX_PAGE_SIZE);
    Some(match field {
        "seconds_until_expiration" => (1, MAX_SECONDS_UNTIL_EXPIRATION),
        "refresh_margin_seconds" => (0, crate::MAX_REFRESH_MARGIN_SECONDS.into()),
        "limit" | "page_size" => (1, page_size),
        "page" => (1, u64::from(u32::MAX) / page_size),
        "offset" => (0, u64::from(u32::MAX)),
        _ => return None,
    })
}

/// A whole number within `min..=max`.
pub fn range(field: &'static str, value: u64, min: u64, max: u64) -> Checked {
    if value < min || value > max {
        return Err(FieldError::new(
            field,
            [
                "must be between ",
                &decimal(min),
                " and ",
                &decimal(max),
                ", got ",
                &decimal(value),
            ]
            .concat(),
        ));
    }
    Ok(())
}

/// `n` in decimal. The messages above are built without `core::fmt`: in the SDK's WebAssembly,
/// its machinery costs kilobytes every user downloads.
pub fn decimal(n: u64) -> String {
    let mut digits = Vec::with_capacity(20);
    let mut rest = n;
    loop {
        digits.push(b'0' + (rest % 10) as u8);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits.iter().rev().map(|&d| char::from(d)).collect()
}

/// An RFC 3339 timestamp such as `2026-11-22T10:00:00Z` or `2026-11-22T12:00:00.5+02:00`, in
/// years 0001 to 9999 once converted to UTC (so that every answer can write it back as RFC 3339:
/// `9999-12-31T23:30:00-01:00` would be year 10000 in UTC). Checks the shape and field ranges;
/// the server turns it into an instant.
pub fn timestamp(field: &'static str, value: &str) -> Checked {
    match parse_rfc3339(value) {
        None => Err(FieldError::new(
            field,
            "must be an RFC 3339 timestamp such as 2026-11-22T10:00:00Z",
        )),
        Some(seconds) if !(FIRST_SECOND..=LAST_SECOND).contains(&seconds) => Err(FieldError::new(
            field,
            "must lie in years 0001 to 9999 once converted to UTC",
        )),
        Some(_) => Ok(()),
    }
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in seconds since the Unix epoch.
const FIRST_SECOND: i64 = -62_135_596_800;
const LAST_SECOND: i64 = 253_402_300_799;

/// Seconds since the Unix epoch of an RFC 3339 timestamp, or `None` when it is not one.
pub fn parse_rfc3339(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let sep_ok = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    if !sep_ok || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut rest = b.get(19..)?;
    if let Some((b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = frac.get(n..)?;
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from((a - b'0') * 10 + (b - b'0')))
            };
            let (hh, mm) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if hh > 23 || mm > 59 {
                return None;
            }
            let secs = hh * 3600 + mm * 60;
            if *sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idempotency_key_is_what_http_carries_as_it_is() {
        assert!(idempotency_key("k", "a b-1_~").is_ok());
        assert!(idempotency_key("k", &"k".repeat(255)).is_ok());
        for bad in ["", "   ", " a", "a ", "é", "a\tb", &"k".repeat(256)] {
            assert!(idempotency_key("k", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_accepts_the_documented_shapes() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-22T10:00:00Z"), Some(1_795_341_600));
        assert_eq!(
            parse_rfc3339("2026-11-22T12:00:00.250+02:00"),
            Some(1_795_341_600)
        );
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn rfc3339_rejects_what_is_not_a_timestamp() {
        for bad in [
            "",
            "2026-11-22",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-22T10:00:00",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:00:00.Z",
            "2026-11-22T10:00:00+2:00",
            "２０２６-11-22T10:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps_stay_in_years_1_to_9999_in_utc() {
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Some(FIRST_SECOND));
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59Z"), Some(LAST_SECOND));
        assert!(timestamp("t", "0001-01-01T00:00:00Z").is_ok());
        assert!(timestamp("t", "9999-12-31T23:59:59Z").is_ok());
        for bad in [
            "9999-12-31T23:30:00-01:00",
            "0001-01-01T00:30:00+01:00",
            "0000-06-01T00:00:00Z",
        ] {
            assert_eq!(timestamp("t", bad).unwrap_err().field, "t", "{bad}");
        }
    }

    #[test]
    fn labels_refuse_format_characters() {
        for bad in [
            "a\u{202E}b",
            "zero\u{200B}width",
            "\u{FEFF}bom",
            "tag\u{E0041}",
        ] {
            assert!(label("name", bad).is_err(), "{bad:?}");
        }
        assert!(label("name", "ok – naïve 😀").is_ok());
        for spaced in [
            "prod ",
            " prod",
            "prod\u{3000}",
            "\tprod",
            "pr\nod",
            "pr\tod",
        ] {
            assert!(label("name", spaced).is_err(), "{spaced:?}");
        }
        assert!(label("name", "two words").is_ok());
    }

    #[test]
    fn labels_and_ranges_name_the_field() {
        assert_eq!(label("name", "  ").unwrap_err().field, "name");
        assert!(label("name", "ключ 🔑").is_ok());
        assert!(label("name", "a\u{0}b").is_err());
        assert!(label("name", &"x".repeat(MAX_LABEL + 1)).is_err());
        for n in [0, 7, 10, 4096, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
        assert_eq!(
            range("limit", 0, 1, 100).unwrap_err().to_string(),
            "limit: must be between 1 and 100, got 0"
        );
    }
}
