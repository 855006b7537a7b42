//! The shape of requests on the wire: `snake_case` bodies and query strings, escaped path segments.
//!
//! Request parameter types read `camelCase` from JavaScript; their fields are all top-level, and
//! free-form values (`claims`) sit below the top level, so renaming the top-level keys is exactly
//! the translation to the wire and never touches data the user owns.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::errors::Error;

/// `pageSize` → `page_size`.
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The wire form of a parameters object: top-level keys in `snake_case`, absent fields left out.
pub fn fields<T: Serialize>(params: &T) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(params) {
        Ok(Value::Object(map)) => Ok(map.into_iter().map(|(k, v)| (snake_case(&k), v)).collect()),
        Ok(_) | Err(_) => Err(Error::invalid("params", "must be an object")),
    }
}

/// A JSON request body.
pub fn body<T: Serialize>(params: &T) -> Result<String, Error> {
    Ok(Value::Object(fields(params)?).to_string())
}

/// A query string (without `?`) from a parameters object; null and absent fields are left out.
pub fn query<T: Serialize>(params: &T) -> Result<String, Error> {
    let mut out = String::new();
    for (key, value) in fields(params)? {
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s,
            other => other.to_string(),
        };
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&escape(&key));
        out.push('=');
        out.push_str(&escape(&text));
    }
    Ok(out)
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so an id can never change the
/// path it is put in (`../admin`, `?`, `#`).
pub fn escape(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    // `.` and `..` alone are path navigation even when left unescaped.
    match out.as_str() {
        "." => "%2E".into(),
        ".." => "%2E%2E".into(),
        _ => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_snake_case_and_values_stay() {
        let params = serde_json::json!({"pageSize": 5, "includeInvalid": true, "claims": {"orgId": 1}, "type": "x"});
        let map = fields(&params).unwrap_or_default();
        assert_eq!(map.get("page_size"), Some(&Value::from(5)));
        assert_eq!(map.get("include_invalid"), Some(&Value::from(true)));
        assert_eq!(map.get("claims"), Some(&serde_json::json!({"orgId": 1})));
        assert_eq!(map.get("type"), Some(&Value::from("x")));
    }

    #[test]
    fn query_and_path_escape() {
        let q = query(&serde_json::json!({"query": "a b&c=d", "limit": 10, "subject": null})).unwrap_or_default();
        assert_eq!(q, "limit=10&query=a%20b%26c%3Dd");
        assert_eq!(escape("../admin"), "..%2Fadmin");
        assert_eq!(escape(".."), "%2E%2E");
        assert_eq!(escape("ключ"), "%D0%BA%D0%BB%D1%8E%D1%87");
    }
}
