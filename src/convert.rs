//! Values across the boundary. Both ways they travel as one JSON string: the engine's
//! `JSON.stringify`/`JSON.parse` on the JS side, serde_json inside wasm. One crossing per value
//! instead of one per field keeps large results cheap, and one JSON codec keeps the wasm small.

use std::cell::RefCell;

use js_sys::{Function, JSON};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::errors::Error;
use crate::json_path;

/// A result as a plain JS object, with the JS field names; absent values arrive as `null` and
/// free-form JSON as plain objects.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Error> {
    let failed = || Error::Connection { message: "could not convert a result".to_owned() };
    let json = serde_json::to_string(value).map_err(|_| failed())?;
    JSON::parse(&json).map_err(|_| failed())
}

/// Stands in, in the JSON text, for a value JSON cannot carry (a function, a symbol, `NaN`,
/// `Infinity`), so that it is refused by name instead of silently dropped or turned into `null`.
const NOT_JSON: &str = "\u{0}credport:not-json";

thread_local! {
    /// The `JSON.stringify` replacer, made once.
    static REPLACER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

fn replacer() -> Function {
    REPLACER.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                Closure::<dyn Fn(JsValue, JsValue) -> JsValue>::new(|_key: JsValue, value: JsValue| {
                    let not_json = value.is_function()
                        || value.is_symbol()
                        || value.as_f64().is_some_and(|n| !n.is_finite());
                    if not_json {
                        JsValue::from_str(NOT_JSON)
                    } else {
                        value
                    }
                })
                .into_js_value()
                .unchecked_into()
            })
            .clone()
    })
}

/// Reads a JS value into `T`; errors name the path under `argument` (`params.pageSize ...`).
/// Unknown keys are refused (the parameter types deny them): a typo such as `pagesize` must not
/// be ignored silently.
pub fn from_js<T: DeserializeOwned>(argument: &str, value: JsValue) -> Result<T, Error> {
    let json = JSON::stringify_with_replacer(&value, &replacer())
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| Error::invalid(argument, "must be plain data (no BigInt, no cycles)"))?;
    if let Some(at) = json.find(NOT_JSON) {
        let path = json_path::at(&json, at, false);
        return Err(Error::invalid(join(argument, &path), "must be plain JSON data (not a function, NaN or Infinity)"));
    }
    serde_json::from_str(&json).map_err(|e| {
        let (path, message) = json_path::locate(&json, &e);
        let message = redact_values(&message);
        if let Some(field) = quoted(&message, "missing field `") {
            Error::invalid(join(argument, &join(&path, field)), "is required")
        } else if let Some(field) = quoted(&message, "unknown field `") {
            let expected = message.split_once(", expected ").map_or(String::new(), |(_, e)| format!("; expected {e}"));
            Error::invalid(join(argument, &join(&path, field)), format!("is not a known field{expected}"))
        } else {
            Error::invalid(join(argument, &path), format!("is not valid: {message}"))
        }
    })
}

/// `a.b`, or whichever of the two is not empty.
fn join(head: &str, tail: &str) -> String {
    match (head.is_empty(), tail.is_empty()) {
        (_, true) => head.to_owned(),
        (true, false) => tail.to_owned(),
        (false, false) => format!("{head}.{tail}"),
    }
}

/// The name in backquotes after `prefix` at the start of `message`.
fn quoted<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
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
    use super::*;

    #[test]
    fn quoted_values_are_dropped() {
        assert_eq!(
            redact_values("invalid type: string \"cpk_secret\", expected a sequence"),
            "invalid type: string, expected a sequence"
        );
        assert_eq!(redact_values("unknown field `scope`"), "unknown field `scope`");
    }

    #[test]
    fn paths_join() {
        assert_eq!(join("params", ""), "params");
        assert_eq!(join("params", "scopes[1]"), "params.scopes[1]");
        assert_eq!(join("", "name"), "name");
        assert_eq!(quoted("missing field `name`", "missing field `"), Some("name"));
    }
}
