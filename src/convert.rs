//! Values across the boundary: JS arguments into Rust (with the argument's path in every error),
//! Rust results out to plain JS objects.

use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::JsValue;

use crate::errors::Error;

/// How results reach JS: plain objects (not `Map`s) for free-form JSON, `null` for absent values.
const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true).serialize_maps_as_objects(true);

pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Error> {
    value.serialize(&SERIALIZER).map_err(|e| Error::Connection { message: format!("could not convert a result: {e}") })
}

/// Reads a JS value into `T`; errors name the path under `argument` (`params.pageSize ...`).
pub fn from_js<T: DeserializeOwned>(argument: &str, value: JsValue) -> Result<T, Error> {
    let de = serde_wasm_bindgen::Deserializer::from(value);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." || path.is_empty() { argument.to_owned() } else { format!("{argument}.{path}") };
        let inner = e.into_inner().to_string();
        // Errors raised on the JS side arrive as `Error: …` / `TypeError: …`.
        let inner = inner.split_once(": ").filter(|(kind, _)| kind.ends_with("Error")).map_or(inner.as_str(), |(_, m)| m);
        let inner = redact_values(inner);
        match inner.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
            Some(field) => Error::invalid(format!("{at}.{field}"), "is required"),
            None => Error::invalid(at, format!("is not valid: {inner}")),
        }
    })
}

/// A string argument such as an id or a provider: present, a string, not blank.
pub fn string_arg(argument: &str, value: &JsValue) -> Result<String, Error> {
    match value.as_string() {
        Some(s) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(Error::invalid(argument, "must not be empty")),
        None => Err(Error::invalid(argument, format!("must be a string, got {}", type_name(value)))),
    }
}

/// The JavaScript type of a value, for messages (never the value itself: it may be a secret).
pub fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if js_sys::Array::is_array(value) {
        "array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_else(|| "unknown".into())
    }
}

/// serde quotes the offending value (`invalid type: string "cpk_…", expected …`); a misplaced
/// secret must not end up in an error message, so the quoted part goes.
fn redact_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(" \"") {
        let (head, tail) = rest.split_at(start);
        out.push_str(head);
        match tail.get(2..).and_then(|t| t.find('"').map(|end| (t, end))) {
            Some((t, end)) => rest = t.get(end + 1..).unwrap_or(""),
            None => {
                rest = tail;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoted_values_are_dropped() {
        assert_eq!(
            super::redact_values("invalid type: string \"cpk_secret\", expected a sequence"),
            "invalid type: string, expected a sequence"
        );
        assert_eq!(super::redact_values("unknown field `scope`"), "unknown field `scope`");
    }
}
