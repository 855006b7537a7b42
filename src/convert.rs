//! Values across the boundary. Both ways they travel as one JSON string: the engine's
//! `JSON.stringify`/`JSON.parse` on the JS side, the SDK's scanner inside wasm. One crossing per
//! value instead of one per field keeps large results cheap.

use wasm_bindgen::prelude::*;

use crate::errors::Error;

/// A result's JSON text (UTF-8, with the JS field names) as a plain JS object.
pub fn parse(json: &[u8]) -> Result<JsValue, Error> {
    parse_json(json).map_err(|_| Error::Connection { message: "could not convert a result".to_owned() })
}

/// Stands in, in the JSON text, for a value JSON cannot carry (a function, a symbol, `NaN`,
/// `Infinity`), so that it is refused by name instead of silently dropped or turned into `null`:
/// `stringify` in `host.js` writes `"\u0000credport:not-json"` for it; this is its text
/// between the quotes.
pub const NOT_JSON: &str = "\\u0000credport:not-json";

#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// `JSON.parse` of UTF-8 text read straight from wasm memory.
    #[wasm_bindgen(catch, js_name = parseJson)]
    fn parse_json(json: &[u8]) -> Result<JsValue, JsValue>;
    /// `JSON.stringify` with the replacer that marks values JSON cannot carry.
    #[wasm_bindgen(catch, js_name = stringify)]
    fn stringify_marked(value: &JsValue) -> Result<Option<String>, JsValue>;
}

/// The JSON text of the JS argument named `argument`; values JSON cannot carry are written as
/// [`NOT_JSON`] for the reader to refuse by path.
pub fn stringify(argument: &str, value: &JsValue) -> Result<String, Error> {
    stringify_marked(value)
        .ok()
        .flatten()
        .ok_or_else(|| Error::invalid(argument, "must be plain data (no BigInt, no cycles)"))
}

/// A string argument such as an id or a provider: present, a string, not blank.
pub fn string_arg(argument: &str, value: &JsValue) -> Result<String, Error> {
    match value.as_string() {
        Some(s) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(Error::invalid(argument, "must not be empty")),
        None => Err(Error::invalid(argument, ["must be a string, got ", &type_name(value)].concat())),
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
