//! The three resources of the client, and what they share: every method is an `async fn` whose
//! future wasm-bindgen-futures turns into the `Promise` JavaScript gets; a bad argument or bad
//! options reject it before any request.

pub mod api_keys;
pub mod connections;
pub mod credentials_cache;
pub mod pager;
pub mod tokens;

use credport_model::js_json::JsJson;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::decode::Reader;
use crate::errors::Error;
use crate::host::type_name;
use crate::params::whole_unicode;
use crate::transport::Answer;

/// A result as a plain JS object: written by the model's serde types as one JSON text
/// (`camelCase` names in the SDK's build, `null` for absent values) that the engine's
/// `JSON.parse` reads in one crossing, instead of a crossing per field.
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    parse(credport_model::json_text::to_string(value).ok())
}

/// A list as a plain JS object, as [`to_js`], written by the model's code for lists
/// (`credport_model::js_json`: compiled for speed, where a list's size is spent).
pub fn list_to_js<T: JsJson + ?Sized>(list: &T) -> Result<JsValue, Error> {
    parse(list.js_json())
}

/// A 2xx answer as the JS object of what `read` reads from it ([`Answer::read`], [`to_js`]).
pub fn answer_js<T: Serialize>(answer: Answer, read: Reader<T>) -> Result<JsValue, Error> {
    to_js(&answer.read(read)?)
}

/// A 2xx answer holding a list, as [`answer_js`] with [`list_to_js`].
pub fn answer_list_js<T: JsJson>(answer: Answer, read: Reader<T>) -> Result<JsValue, Error> {
    list_to_js(&answer.read(read)?)
}

/// A page's items as JS values, written out as one array (one `JSON.parse` for the page).
pub fn items_of<T>(items: &[T]) -> Result<Vec<JsValue>, Error>
where
    [T]: JsJson,
{
    Ok(list_to_js(items)?
        .unchecked_into::<js_sys::Array>()
        .iter()
        .collect())
}

/// The value of a result's JSON text; not generic, so one copy for every result type.
fn parse(text: Option<String>) -> Result<JsValue, Error> {
    text.and_then(|text| js_sys::JSON::parse(&text).ok())
        .ok_or_else(|| Error::InvalidResponse {
            status: 200,
            request_id: None,
            message: "credport answered with a value JavaScript cannot hold".to_owned(),
        })
}

/// A string argument such as an id or a provider: present, a string, not blank, and whole
/// Unicode ([`whole_unicode`]).
pub fn string_arg(argument: &str, value: &JsValue) -> Result<String, Error> {
    match value.as_string() {
        Some(s) if s.trim().is_empty() => Err(Error::invalid(argument, "must not be empty")),
        Some(s) => whole_unicode(value, &s, || argument.to_owned()).map(|()| s),
        None => Err(Error::invalid(
            argument,
            ["must be a string, got ", &type_name(value)].concat(),
        )),
    }
}
