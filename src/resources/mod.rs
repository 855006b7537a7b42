//! The three resources of the client, and what they share: every method is an `async fn` whose
//! future wasm-bindgen-futures turns into the `Promise` JavaScript gets; a bad argument or bad
//! options reject it before any request.

pub mod api_keys;
pub mod connections;
pub mod credentials_cache;
pub mod pager;
pub mod tokens;

use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::errors::Error;
use crate::host::type_name;

/// Results as plain JS objects: `camelCase` names (the model's serde names in the SDK's build),
/// `null` for absent values, objects rather than `Map`s.
const RESULTS: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true).serialize_maps_as_objects(true);

/// A result, written out as a plain JS object.
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    value.serialize(&RESULTS).map_err(|_| Error::InvalidResponse {
        status: 200,
        request_id: None,
        message: "credport answered with a value JavaScript cannot hold".to_owned(),
    })
}

/// A string argument such as an id or a provider: present, a string, not blank.
pub fn string_arg(argument: &str, value: &JsValue) -> Result<String, Error> {
    match value.as_string() {
        Some(s) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(Error::invalid(argument, "must not be empty")),
        None => Err(Error::invalid(argument, ["must be a string, got ", &type_name(value)].concat())),
    }
}
