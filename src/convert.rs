//! Values across the boundary: JS arguments into Rust (with the argument's path in every error),
//! Rust results out to plain JS objects.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::Error;

/// A result as a plain JS object: written as JSON (with the JS field names) inside wasm and
/// handed over in one piece to the engine's `JSON.parse`. One crossing of the boundary per
/// result, instead of one per field, keeps a 100-item list cheap; absent values arrive as `null`
/// and free-form JSON as plain objects.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, Error> {
    let json = serde_json::to_string(value).map_err(|e| Error::Connection { message: format!("could not convert a result: {e}") })?;
    js_sys::JSON::parse(&json).map_err(|_| Error::Connection { message: "could not convert a result".to_owned() })
}

/// Reads a JS value into `T`; errors name the path under `argument` (`params.pageSize ...`).
/// A key `T` does not have is refused too: a typo such as `pagesize` must not be ignored silently.
pub fn from_js<T: DeserializeOwned>(argument: &str, value: JsValue) -> Result<T, Error> {
    if let (Some(object), Some(fields)) = (value.dyn_ref::<js_sys::Object>(), struct_fields::<T>()) {
        if !value.is_function() && !js_sys::Array::is_array(&value) {
            for key in js_sys::Object::keys(object).iter().filter_map(|k| k.as_string()) {
                if !fields.contains(&key.as_str()) {
                    return Err(Error::invalid(
                        format!("{argument}.{key}"),
                        format!("is not a known field; expected one of {}", fields.join(", ")),
                    ));
                }
            }
        }
    }
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

/// The field names of a struct `T`, as serde reads them; `None` for anything else.
fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut fields = None;
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// A deserializer that only records the field list serde hands to `deserialize_struct`.
struct FieldNames<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(de::Error::custom("field names recorded"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
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
