//! Requests on the wire: JSON bodies and query strings from the model's parameter types, and
//! escaped path segments.
//!
//! With the SDK's build the model's parameter types carry their JavaScript (`camelCase`) names, so
//! that tsify declares them as JavaScript writes them; the wire's names are the `snake_case` ones
//! they were made from (`rename_all = "camelCase"`), written back here: `pageSize` is `page_size`.
//! Free-form values (`claims`) are written as raw JSON and keep their keys.

use serde::Serialize;

use credport_model::json_text::snake_case;

use crate::errors::Error;

/// The JSON body of `params`, its field names as the wire has them.
pub fn body<T: Serialize>(argument: &str, params: &T) -> Result<String, Error> {
    credport_model::json_text::to_wire_string(params)
        .map_err(|_| Error::invalid(argument, "must be plain data (no BigInt, no cycles)"))
}

/// The query string (without `?`) of `params`; absent members are left out.
pub fn query<T: Serialize>(argument: &str, params: &T) -> Result<String, Error> {
    let query = serde_urlencoded::to_string(params)
        .map_err(|_| Error::invalid(argument, "must be plain data"))?;
    // Keys are field names (ASCII identifiers, never escaped); values are left as they are.
    Ok(query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => [snake_case(key).as_str(), "=", value].concat(),
            None => snake_case(pair),
        })
        .collect::<Vec<_>>()
        .join("&"))
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
    use credport_model::{
        ConnectionStatus, ListApiKeysParams, ListConnectionsParams, UpdateApiKeyParams,
    };

    #[test]
    fn bodies_have_wire_names() {
        let update = UpdateApiKeyParams {
            scopes: Some(vec!["a".into()]),
            description: Some(None),
            seconds_until_expiration: Some(Some(60)),
            ..Default::default()
        };
        assert_eq!(
            body("params", &update).unwrap(),
            r#"{"scopes":["a"],"description":null,"seconds_until_expiration":60}"#
        );
    }

    #[test]
    fn queries_have_wire_names_and_escape_values() {
        let list = ListConnectionsParams {
            page_size: Some(5),
            status: Some(ConnectionStatus::Active),
            ..Default::default()
        };
        assert_eq!(query("params", &list).unwrap(), "page_size=5&status=active");
        let keys = ListApiKeysParams {
            query: Some("a b&c=dé".into()),
            include_invalid: Some(true),
            ..Default::default()
        };
        assert_eq!(
            query("params", &keys).unwrap(),
            "include_invalid=true&query=a+b%26c%3Dd%C3%A9"
        );
        assert_eq!(query("params", &ListApiKeysParams::default()).unwrap(), "");
    }

    #[test]
    fn path_segments_escape() {
        assert_eq!(escape("../admin"), "..%2Fadmin");
        assert_eq!(escape(".."), "%2E%2E");
        assert_eq!(escape("ключ"), "%D0%BA%D0%BB%D1%8E%D1%87");
    }
}
