//! The three resources of the client, and what they share: turning a Rust future into the
//! `Promise` a method returns.

pub mod api_keys;
pub mod connections;
pub mod pager;
pub mod tokens;

use std::rc::Rc;

use credport_model::FieldError;
use js_sys::Promise;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use crate::convert::{from_js, to_js};
use crate::decode;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::{Call, Transport};

/// How a method turns the body of a 2xx answer into its JS result: a plain function per result
/// type, so that the async machinery around it exists once.
pub type Reply = fn(u16, Option<String>, &str) -> Result<JsValue, Error>;

/// The reply of a method whose result goes out as it came in.
pub fn as_is<T: DeserializeOwned + Serialize>(status: u16, request_id: Option<String>, text: &str) -> Result<JsValue, Error> {
    to_js(&decode::success::<T>(status, request_id, text)?)
}

/// Sends `call` and resolves with its `reply`; a bad argument or bad options reject at once,
/// before any request.
pub fn send(transport: &Rc<Transport>, call: Result<Call, Error>, options: &JsValue, reply: Reply) -> Promise {
    match (call, CallOptions::from_js(options)) {
        (Ok(call), Ok(options)) => {
            let transport = transport.clone();
            future_to_promise(async move {
                let (status, request_id, text) = transport.exchange(&call, &options).await?;
                Ok(reply(status, request_id, &text)?)
            })
        }
        (Err(e), _) | (_, Err(e)) => rejected(e),
    }
}

/// Optional parameters: `undefined`/`null` for the defaults, else read and checked.
pub fn optional<T: DeserializeOwned + Default>(params: JsValue, validate: fn(&T) -> Result<(), FieldError>) -> Result<T, Error> {
    if params.is_undefined() || params.is_null() {
        return Ok(T::default());
    }
    checked(params, validate)
}

/// Required parameters, read and checked.
pub fn required<T: DeserializeOwned>(params: JsValue, validate: fn(&T) -> Result<(), FieldError>) -> Result<T, Error> {
    if params.is_undefined() || params.is_null() {
        return Err(Error::invalid("params", "is required"));
    }
    checked(params, validate)
}

fn checked<T: DeserializeOwned>(params: JsValue, validate: fn(&T) -> Result<(), FieldError>) -> Result<T, Error> {
    let params: T = from_js("params", params)?;
    validate(&params).map_err(|e| invalid_field("params", e))?;
    Ok(params)
}

/// A promise already rejected with `error`: bad arguments fail before any request.
pub fn rejected(error: Error) -> Promise {
    Promise::reject(&JsValue::from(error))
}

/// A model validation failure, named as the JS argument it came from (`params.pageSize`).
fn invalid_field(argument: &str, error: FieldError) -> Error {
    let mut camel = String::with_capacity(error.field.len());
    let mut upper = false;
    for c in error.field.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                camel.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => camel.push(c),
        }
    }
    Error::invalid(format!("{argument}.{camel}"), error.message)
}
