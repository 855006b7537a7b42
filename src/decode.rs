//! Reading credport's answers: a 2xx body into the model type the call promises, an error body
//! into the fields of an `APIError`. Pure functions over the status and the text (serde_json and
//! the model's serde types), so that they are fuzzed natively: whatever bytes arrive, they return
//! an error, never panic.

use serde::de::DeserializeOwned;

use credport_model::validate::decimal;
use credport_model::{
    ApiKey, ApiKeySecret, CreatedApiKey, CreatedPersonalAccessToken, ErrorEnvelope,
    PersonalAccessToken,
};

use crate::errors::{ApiFailure, Error};

/// Why a 2xx body is not what the API promises: where (a path such as `payload[0].status`, empty
/// for the whole body) and what, in words that never quote a value of the answer.
#[derive(Debug, PartialEq)]
pub struct Fault {
    pub path: String,
    pub message: String,
}

/// How a call's answer is read: serde's derive for most types, two passes for the types that
/// embed another (a created key is a key plus its secret).
pub type Reader<T> = fn(&str) -> Result<T, Fault>;

/// A JSON body as a `T`, the whole text and nothing after it. Where a value is not what the type
/// wants, the path of that value is found afterwards from where serde_json stopped
/// ([`path_at`]): one function for every type, where tracking it while reading (a path-tracking
/// deserializer around every type's own code) cost a sixth of the wasm.
pub fn json<T: DeserializeOwned>(text: &str) -> Result<T, Fault> {
    serde_json::from_str(text).map_err(|e| fault(text, &e))
}

/// The [`Fault`] of serde_json's error `e` reading `text`. Only a value of the wrong shape
/// (`Category::Data`) has a path: a syntax error may stop inside free-form JSON, whose keys are
/// the site's own and not the API's.
fn fault(text: &str, e: &serde_json::Error) -> Fault {
    let path = match e.classify() {
        serde_json::error::Category::Data => path_at(text, offset_of(text, e.line(), e.column())),
        _ => String::new(),
    };
    Fault {
        path,
        message: without_values(&e.to_string()),
    }
}

/// The byte offset of serde_json's `line` (from 1) and `column` (bytes from the line's start).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = match line {
        0 | 1 => 0,
        n => text
            .match_indices('\n')
            .nth(n - 2)
            .map_or(text.len(), |(at, _)| at + 1),
    };
    line_start + column
}

/// Where in the JSON `text` byte `offset` is, as a path (`payload[0].status`, empty for the whole
/// text): the member or element being read there, or the one that ends there (serde_json stops
/// just after a value of the wrong type, and just after the `}` of an object missing a field).
fn path_at(text: &str, offset: usize) -> String {
    /// A container open at the offset: an object's current key (`None` before the first, and
    /// between a `,` and the next key), or an array's current index (`None` before its first
    /// element) and how many elements came before.
    enum Frame<'a> {
        Object {
            key: Option<&'a str>,
            at_key: bool,
        },
        Array {
            current: Option<usize>,
            before: usize,
        },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut bytes = text.bytes().enumerate().take_while(|&(at, _)| at < offset);
    while let Some((at, byte)) = bytes.next() {
        // A value starts here (anything but a key, a separator or white space).
        let value_start = !matches!(
            byte,
            b'}' | b']' | b',' | b':' | b' ' | b'\t' | b'\n' | b'\r'
        );
        let is_key =
            matches!(stack.last(), Some(Frame::Object { at_key: true, .. })) && byte == b'"';
        if value_start && !is_key {
            if let Some(Frame::Array {
                current: current @ None,
                before,
            }) = stack.last_mut()
            {
                *current = Some(*before);
            }
        }
        match byte {
            b'"' => {
                // To the closing quote, past escaped characters.
                let mut escaped = false;
                let mut end = at + 1;
                for (i, b) in bytes.by_ref() {
                    end = i;
                    match (escaped, b) {
                        (false, b'"') => break,
                        (false, b'\\') => escaped = true,
                        _ => escaped = false,
                    }
                }
                if is_key {
                    if let Some(Frame::Object { key, at_key }) = stack.last_mut() {
                        *key = text.get(at + 1..end);
                        *at_key = false;
                    }
                }
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                at_key: true,
            }),
            b'[' => stack.push(Frame::Array {
                current: None,
                before: 0,
            }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, at_key }) => (*key, *at_key) = (None, true),
                Some(Frame::Array { current, before }) => (*current, *before) = (None, *before + 1),
                None => {}
            },
            _ => {}
        }
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Array {
                current: Some(index),
                ..
            } => {
                path.push('[');
                path.push_str(&decimal(*index as u64));
                path.push(']');
            }
            _ => break,
        }
    }
    path
}

/// [`CreatedApiKey`]: the key's fields and its `secret`, read from the same object. (serde's
/// `flatten` would buffer the answer into serde's own tree first, and free-form `claims` kept as
/// raw text cannot be read back out of that tree.)
pub fn created_api_key(text: &str) -> Result<CreatedApiKey, Fault> {
    let api_key: ApiKey = json(text)?;
    let ApiKeySecret { secret } = json(text)?;
    Ok(CreatedApiKey { api_key, secret })
}

/// [`CreatedPersonalAccessToken`], as [`created_api_key`].
pub fn created_personal_access_token(text: &str) -> Result<CreatedPersonalAccessToken, Fault> {
    #[derive(serde::Deserialize)]
    struct Token {
        token: credport_model::Secret,
    }
    let personal_access_token: PersonalAccessToken = json(text)?;
    let Token { token } = json(text)?;
    Ok(CreatedPersonalAccessToken {
        personal_access_token,
        token,
    })
}

/// serde's message without what could quote a value of the answer (it may be a secret) or its
/// position: `invalid type: string "cpk_…", expected a boolean at line 1 column 9` becomes
/// `invalid type: string, expected a boolean`.
fn without_values(message: &str) -> String {
    let message = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head);
    for kind in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(kind) {
            let (unexpected, expected) = rest
                .rsplit_once(", expected ")
                .unwrap_or((rest, "another value"));
            // `string "…"`, `integer `5``, `floating point `1.5``: the words before the value.
            let unexpected = unexpected
                .split([' '])
                .take_while(|w| !w.starts_with(['"', '`']))
                .collect::<Vec<_>>()
                .join(" ");
            return [kind, &unexpected, ", expected ", expected].concat();
        }
    }
    message.to_owned()
}

/// A 2xx answer read with `read`, or an [`Error::InvalidResponse`] naming where it went wrong.
pub fn success<T>(
    status: u16,
    request_id: impl FnOnce() -> Option<String>,
    text: &str,
    read: Reader<T>,
) -> Result<T, Error> {
    read(text).map_err(|Fault { path, message }| {
        let mut text = [
            "credport answered ",
            &decimal(status.into()),
            " with an invalid body",
        ]
        .concat();
        if !path.is_empty() {
            text.push_str(" at ");
            text.push_str(&path);
        }
        text.push_str(": ");
        text.push_str(&message);
        Error::InvalidResponse {
            status,
            request_id: request_id(),
            message: text,
        }
    })
}

/// What the server said went wrong. A body that is not credport's error envelope (a proxy's HTML
/// page, a truncated answer) still gives an error with the status.
pub fn failure(
    status: u16,
    status_text: &str,
    request_id: Option<String>,
    text: &str,
    retry_after_s: Option<f64>,
) -> ApiFailure {
    match json::<ErrorEnvelope>(text) {
        Ok(ErrorEnvelope { error }) => ApiFailure {
            status,
            code: error.code,
            message: error.message,
            request_id: error.request_id.or(request_id),
            details: error.details.map(|details| details.text().to_owned()),
            headers: wasm_bindgen::JsValue::UNDEFINED,
            retry_after: retry_after_s,
        },
        Err(_) => {
            let mut message = ["credport answered ", &decimal(status.into())].concat();
            if !status_text.trim().is_empty() {
                message.push(' ');
                message.push_str(status_text.trim());
            }
            message.push_str(" without an error body");
            ApiFailure {
                status,
                code: "http_error".to_owned(),
                message,
                request_id,
                details: None,
                headers: wasm_bindgen::JsValue::UNDEFINED,
                retry_after: retry_after_s,
            }
        }
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

/// A body's bytes as the text `Response.text()` makes of them: UTF-8 without a leading byte
/// order mark, each invalid sequence read as one U+FFFD. Valid text (every answer credport
/// writes) is taken as it is, not copied.
pub fn text(mut bytes: Vec<u8>) -> String {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
#[path = "decode_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;
    use credport_model::{ConnectionPage, VerifyApiKeyResult};

    #[test]
    fn a_missing_field_is_named_with_its_path() {
        let body = r#"{"count":1,"page":1,"page_size":20,"next":null,"previous":null,"payload":[{"id":"c"}]}"#;
        let Err(Error::InvalidResponse { message, .. }) =
            success(200, || None, body, json::<ConnectionPage>)
        else {
            panic!("accepted")
        };
        assert!(message.contains("payload[0]"), "{message}");
        assert!(message.contains("missing field `provider`"), "{message}");
    }

    #[test]
    fn wrong_types_are_named_without_the_value() {
        let body = r#"{"valid":"cpk_secret_value","code":"VALID","api_key":null}"#;
        let Err(Error::InvalidResponse { message, .. }) =
            success(200, || None, body, json::<VerifyApiKeyResult>)
        else {
            panic!("accepted")
        };
        assert_eq!(message, "credport answered 200 with an invalid body at valid: invalid type: string, expected a boolean");
    }

    #[test]
    fn paths_are_found_where_reading_stopped() {
        let missing = r#"{"count":1,"payload":[{"id":"a","x":[1,{"y":"}"}]},
  {"id":"b"}]}"#;
        let Err(Fault { path, message }) = json::<ConnectionPage>(missing) else {
            panic!("accepted")
        };
        assert_eq!(
            (path.as_str(), message.as_str()),
            ("payload[0]", "missing field `provider`")
        );
        let nested = r#"{"count":1,"page":1,"page_size":20,"next":null,"previous":null,"payload":[{"id":"c","provider":"p",
            "provider_config_key":"k","root_resource_id":null,"root_resource_name":null,"scopes":["a",7],"status":"active"}]}"#;
        assert_eq!(
            json::<ConnectionPage>(nested).err().map(|f| f.path),
            Some("payload[0].scopes[1]".to_owned())
        );
        let object = r#"{"valid":true,"code":"VALID","api_key":[]}"#;
        assert_eq!(
            json::<VerifyApiKeyResult>(object).err().map(|f| f.path),
            Some("api_key".to_owned())
        );
        assert_eq!(
            json::<VerifyApiKeyResult>("[]").err().map(|f| f.path),
            Some(String::new())
        );
        assert_eq!(path_at(r#"{"a":{"b":[1,2,"x"#, 100), "a.b[2]");
    }

    #[test]
    fn truncated_and_trailing_bodies_are_invalid() {
        for body in [
            r#"{"valid":true,"code":"VALID","api_key":nu"#,
            r#"{"valid":true,"code":"VALID","api_key":null} x"#,
            "",
        ] {
            assert!(json::<VerifyApiKeyResult>(body).is_err(), "{body}");
        }
        let ok = json::<VerifyApiKeyResult>(
            r#"{"valid":false,"code":"SOMETHING_NEW","api_key":null,"extra":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(ok.code.as_str(), "SOMETHING_NEW");
    }

    #[test]
    fn created_answers_are_read_in_two_passes() {
        let key = r#"{"id":"ak_1","object":"api_key","type":"api_key","name":"n","subject":"s","description":null,
            "claims":{"Org_ID":[1,{"a":null}]},"scopes":[],"created_by":null,"revoked":false,"revocation_reason":null,
            "expired":false,"expiration":null,"last_used_at":null,"created_at":"t","updated_at":"t","secret":"cpk_x"}"#;
        let created = created_api_key(key).unwrap();
        assert_eq!(created.secret.expose(), "cpk_x");
        assert_eq!(
            created.api_key.claims.as_ref().map(|c| c.text()),
            Some(r#"{"Org_ID":[1,{"a":null}]}"#)
        );
        assert!(created_api_key(&key.replace(r#","secret":"cpk_x""#, "")).is_err());
    }

    #[test]
    fn error_bodies_and_html_pages() {
        let f = failure(
            404,
            "Not Found",
            Some("req_h".into()),
            r#"{"error":{"code":"not_found","message":"no such key","request_id":"req_b","details":{"field":"id"}}}"#,
            None,
        );
        assert_eq!(
            (f.code.as_str(), f.message.as_str(), f.request_id.as_deref()),
            ("not_found", "no such key", Some("req_b"))
        );
        assert_eq!(f.details.as_deref(), Some(r#"{"field":"id"}"#));
        let f = failure(
            502,
            "Bad Gateway",
            Some("req_h".into()),
            "<html><body>Bad gateway</body></html>",
            Some(3.0),
        );
        assert_eq!(
            (f.code.as_str(), f.request_id.as_deref(), f.retry_after),
            ("http_error", Some("req_h"), Some(3.0))
        );
        assert_eq!(
            f.message,
            "credport answered 502 Bad Gateway without an error body"
        );
        let f = failure(500, "", None, r#"{"error":{"message":"no code"}}"#, None);
        assert_eq!(f.code, "http_error");
    }

    #[test]
    fn bodies_are_read_as_response_text_reads_them() {
        assert_eq!(text(b"{\"a\":\"\xC3\xA9\"}".to_vec()), "{\"a\":\"\u{e9}\"}");
        assert_eq!(text(b"\xEF\xBB\xBF{}".to_vec()), "{}");
        for bad in [
            &b"a\xFFb\xC3"[..],
            b"\xE2\x82x\xF0\x9F\x98",
            b"\xC0\xAF\xED\xA0\x80ok",
            b"\xEF\xBB",
        ] {
            assert_eq!(text(bad.to_vec()), String::from_utf8_lossy(bad), "{bad:?}");
        }
    }

    #[test]
    fn retry_after_seconds_only() {
        assert_eq!(retry_after_seconds(" 3 "), Some(3.0));
        for bad in [
            "",
            "-1",
            "1.5",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "9999999999",
        ] {
            assert_eq!(retry_after_seconds(bad), None, "{bad}");
        }
    }
}
