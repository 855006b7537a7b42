//! The shape of requests on the wire: `snake_case` bodies and query strings, escaped path segments.
//!
//! Request parameter types read `camelCase` from JavaScript; their fields are all top-level, and
//! free-form values (`claims`) sit below the top level, so renaming the top-level keys is exactly
//! the translation to the wire and never touches data the user owns.

use serde::Serialize;

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

/// The wire form of a parameters object as `(snake_case key, JSON text of the value)`, absent
/// fields left out. serde_json writes the object; its top-level members are then split off the
/// text, so no JSON tree is built.
pub fn fields<T: Serialize>(params: &T) -> Result<Vec<(String, String)>, Error> {
    let not_object = || Error::invalid("params", "must be an object");
    let text = serde_json::to_string(params).map_err(|_| not_object())?;
    let members = members(&text).ok_or_else(not_object)?;
    Ok(members.into_iter().map(|(key, value)| (snake_case(&key), value.to_owned())).collect())
}

/// The top-level members of a compact JSON object written by serde_json, with each value's text.
fn members(object: &str) -> Option<Vec<(String, &str)>> {
    let inner = object.strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let key_len = value_len(rest)?;
        let key: String = serde_json::from_str(rest.get(..key_len)?).ok()?;
        rest = rest.get(key_len..)?.strip_prefix(':')?;
        let len = value_len(rest)?;
        out.push((key, rest.get(..len)?));
        rest = rest.get(len..)?;
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    Some(out)
}

/// The length of the JSON value at the start of `text`: up to the first `,` (or the end) outside
/// strings and nested brackets.
fn value_len(text: &str) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, b) in text.bytes().enumerate() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'{' | b'[') => depth += 1,
            (false, _, b'}' | b']') => depth = depth.checked_sub(1)?,
            (false, _, b',' | b':') if depth == 0 => return Some(i),
            _ => {}
        }
    }
    Some(text.len())
}

/// A JSON request body.
pub fn body<T: Serialize>(params: &T) -> Result<String, Error> {
    let mut out = String::from("{");
    for (i, (key, value)) in fields(params)?.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(&key).map_err(|_| Error::invalid("params", "must be an object"))?);
        out.push(':');
        out.push_str(&value);
    }
    out.push('}');
    Ok(out)
}

/// A query string (without `?`) from a parameters object; null and absent fields are left out.
pub fn query<T: Serialize>(params: &T) -> Result<String, Error> {
    let mut out = String::new();
    for (key, value) in fields(params)? {
        let text = match value.as_str() {
            "null" => continue,
            quoted if quoted.starts_with('"') => serde_json::from_str::<String>(quoted).unwrap_or_default(),
            other => other.to_owned(),
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
        let params = serde_json::json!({"pageSize": 5, "includeInvalid": true, "claims": {"orgId": [1, {"a,b": "c:\\\"d"}]}, "type": "x"});
        let body = body(&params).unwrap_or_default();
        let back: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(
            back,
            serde_json::json!({"page_size": 5, "include_invalid": true, "claims": {"orgId": [1, {"a,b": "c:\\\"d"}]}, "type": "x"})
        );
        assert!(fields(&5).is_err());
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
