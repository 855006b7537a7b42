//! Reading credport's answers: a 2xx body into the type the call promises, an error body into the
//! fields of an `APIError`. Pure functions over the status and the text, so that they can be
//! fuzzed natively: whatever bytes arrive, they return an error, never panic.

use credport_model::ErrorEnvelope;
use serde::de::DeserializeOwned;

use crate::errors::{ApiFailure, Error};
use crate::json_path;

/// A 2xx body as `T`; anything else is an [`Error::InvalidResponse`] naming where it went wrong.
pub fn success<T: DeserializeOwned>(status: u16, request_id: Option<String>, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| {
        let (path, message) = json_path::locate(text, &e);
        let at = if path.is_empty() { String::new() } else { format!(" at {path}") };
        Error::InvalidResponse {
            status,
            request_id,
            message: format!("credport answered {status} with an invalid body{at}: {}", without_values(&message)),
        }
    })
}

/// serde's message without the values it quotes from the body (`invalid type: string "cpk_…",
/// expected a boolean`, `unknown variant `…``): a wrongly typed field may hold a secret, and no
/// error message may ever show one. What was expected, and where, stay.
fn without_values(message: &str) -> String {
    let mut message = message.to_owned();
    // `unknown variant `<value>`, expected …`: the value is written as is, backticks and all, so
    // it ends where serde's own words start, not at the next backtick; without them, everything
    // after the opening backtick goes.
    const VARIANT: &str = "unknown variant `";
    if let Some(start) = message.find(VARIANT) {
        let from = start + VARIANT.len() - 1;
        let rest = message.get(from..).unwrap_or_default();
        let end = ["`, expected ", "`, there are no variants"]
            .iter()
            .find_map(|words| rest.rfind(words))
            .map_or(message.len(), |i| from + i + 1);
        message.replace_range(from.saturating_sub(1)..end, "");
    }
    // `string "<value>"`: Debug-quoted, so a quote inside the value is always escaped.
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        if out.ends_with(' ') {
            out.pop();
        }
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => break,
                _ => {}
            }
        }
    }
    out
}

/// What the server said went wrong. A body that is not credport's error envelope (a proxy's HTML
/// page, a truncated answer) still gives an error with the status.
pub fn failure(
    status: u16,
    status_text: &str,
    request_id: Option<String>,
    headers: Vec<(String, String)>,
    text: &str,
    retry_after_s: Option<f64>,
) -> ApiFailure {
    match serde_json::from_str::<ErrorEnvelope>(text) {
        Ok(ErrorEnvelope { error }) => ApiFailure {
            status,
            code: error.code,
            message: error.message,
            request_id: error.request_id.or(request_id),
            details: error.details,
            headers,
            retry_after: retry_after_s,
        },
        Err(_) => ApiFailure {
            status,
            code: "http_error".to_owned(),
            message: format!("credport answered {status} {status_text} without an error body").trim_end().to_owned(),
            request_id,
            details: None,
            headers,
            retry_after: retry_after_s,
        },
    }
}

/// `Retry-After` as delta-seconds (RFC 9110: a whole number); `None` for anything else (an
/// HTTP date is read by the caller).
pub fn retry_after_seconds(value: &str) -> Option<f64> {
    let digits = value.trim();
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok().map(f64::from)
}

#[cfg(test)]
#[path = "decode_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;
    use credport_model::{ConnectionPage, VerifyApiKeyResult, VerifyCode};

    #[test]
    fn a_missing_field_is_named_with_its_path() {
        let body = r#"{"count":1,"page":1,"page_size":20,"next":null,"previous":null,"payload":[{"id":"c"}]}"#;
        let Err(Error::InvalidResponse { message, .. }) = success::<ConnectionPage>(200, None, body) else {
            panic!("decoded a connection without its fields");
        };
        assert!(message.contains("payload[0]"), "{message}");
        assert!(message.contains("missing field `provider`"), "{message}");
    }

    #[test]
    fn unknown_fields_are_ignored_and_unknown_enum_values_kept() {
        let body = r#"{"valid":false,"code":"SUSPENDED","api_key":null,"new_field":[1,2]}"#;
        let result = success::<VerifyApiKeyResult>(200, None, body).ok();
        assert_eq!(result.map(|r| r.code), Some(VerifyCode::Other("SUSPENDED".into())));
    }

    #[test]
    fn truncated_and_trailing_bodies_are_invalid() {
        assert!(success::<VerifyApiKeyResult>(200, None, r#"{"valid":true,"code":"VALID""#).is_err());
        assert!(success::<VerifyApiKeyResult>(200, None, r#"{"valid":true,"code":"VALID","api_key":null} x"#).is_err());
    }

    #[test]
    fn error_bodies_and_html_pages() {
        let f = failure(404, "Not Found", Some("req_h".into()), vec![], r#"{"error":{"code":"not_found","message":"no such key","request_id":"req_b"}}"#, None);
        assert_eq!((f.code.as_str(), f.message.as_str(), f.request_id.as_deref()), ("not_found", "no such key", Some("req_b")));
        let f = failure(502, "Bad Gateway", Some("req_h".into()), vec![], "<html><body>Bad gateway</body></html>", Some(3.0));
        assert_eq!((f.code.as_str(), f.request_id.as_deref(), f.retry_after), ("http_error", Some("req_h"), Some(3.0)));
        assert!(f.message.contains("502"));
    }

    #[test]
    fn quoted_values_are_left_out_of_messages() {
        assert_eq!(
            without_values(r#"invalid type: string "cpk_\"x\" y", expected a boolean at line 1 column 9"#),
            "invalid type: string, expected a boolean at line 1 column 9"
        );
        assert_eq!(
            without_values("unknown variant `a`, b`, expected one of `x`, `y`"),
            "unknown variant, expected one of `x`, `y`"
        );
        assert_eq!(without_values("unknown variant `secret"), "unknown variant");
        assert_eq!(without_values("missing field `provider`"), "missing field `provider`");
        assert_eq!(without_values("EOF while parsing a string at line 1 column 3"), "EOF while parsing a string at line 1 column 3");
    }

    #[test]
    fn retry_after_seconds_only() {
        assert_eq!(retry_after_seconds(" 3 "), Some(3.0));
        assert_eq!(retry_after_seconds("1.5"), None);
        assert_eq!(retry_after_seconds("+3"), None);
        assert_eq!(retry_after_seconds("-1"), None);
        assert_eq!(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_seconds("NaN"), None);
    }
}
