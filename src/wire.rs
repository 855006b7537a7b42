//! The shape of requests on the wire: JSON bodies and query strings from checked parameters,
//! escaped path segments.

use crate::json;
use crate::params::Params;

/// A JSON request body.
pub fn body(params: &Params) -> String {
    let mut out = String::from("{");
    for (name, value) in params.members() {
        if out.len() > 1 {
            out.push(',');
        }
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        out.push_str(value);
    }
    out.push('}');
    out
}

/// A query string (without `?`); null members are left out.
pub fn query(params: &Params) -> String {
    let mut out = String::new();
    for (name, value) in params.members() {
        let text = match value {
            "null" => continue,
            quoted if quoted.starts_with('"') => {
                json::unescape(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default()).unwrap_or_default()
            }
            other => other.to_owned(),
        };
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&escape(name));
        out.push('=');
        out.push_str(&escape(&text));
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so an id can never change the
/// path it is put in (`../admin`, `?`, `#`).
pub fn escape(segment: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            for nibble in [byte >> 4, byte & 0xF] {
                out.push(HEX.get(usize::from(nibble)).map_or('0', |&h| char::from(h)));
            }
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
    use crate::params::from_json;
    use credport_model::{CREATE_API_KEY_PARAMS, LIST_API_KEYS_PARAMS};

    #[test]
    fn names_become_wire_names_and_values_stay() {
        let params = from_json(
            "params",
            r#"{"name":"n","subject":"s","claims":{"orgId":[1,{"a,b":"c:\\\"d"}]},"type":"x","secondsUntilExpiration":60}"#,
            &CREATE_API_KEY_PARAMS,
        );
        assert_eq!(
            params.map(|p| body(&p)).ok().as_deref(),
            Some(r#"{"name":"n","subject":"s","claims":{"orgId":[1,{"a,b":"c:\\\"d"}]},"type":"x","seconds_until_expiration":60}"#)
        );
    }

    #[test]
    fn query_and_path_escape() {
        let params = from_json("params", r#"{"query":"a b&c=d\u00e9","limit":10,"subject":null}"#, &LIST_API_KEYS_PARAMS);
        assert_eq!(params.map(|p| query(&p)).ok().as_deref(), Some("query=a%20b%26c%3Dd%C3%A9&limit=10"));
        assert_eq!(escape("../admin"), "..%2Fadmin");
        assert_eq!(escape(".."), "%2E%2E");
        assert_eq!(escape("ключ"), "%D0%BA%D0%BB%D1%8E%D1%87");
    }
}
