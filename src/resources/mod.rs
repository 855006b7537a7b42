//! The three resources of the client, and what they share: turning a Rust future into the
//! `Promise` a method returns.

pub mod api_keys;
pub mod connections;
pub mod pager;
pub mod tokens;

use std::future::Future;
use std::rc::Rc;

use credport_model::FieldError;
use js_sys::Promise;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use crate::convert::{from_js, to_js};
use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::{Call, Transport};

/// Sends `call` and resolves with the decoded `T` passed through `then`; a bad argument or bad
/// options reject at once, before any request.
pub fn send<T, U>(transport: &Rc<Transport>, call: Result<Call, Error>, options: &JsValue, then: fn(T) -> U) -> Promise
where
    T: DeserializeOwned + 'static,
    U: Serialize + 'static,
{
    match (call, CallOptions::from_js(options)) {
        (Ok(call), Ok(options)) => {
            let transport = transport.clone();
            promise(async move { transport.send::<T>(call, &options).await.map(then) })
        }
        (Err(e), _) | (_, Err(e)) => rejected(e),
    }
}

/// The identity, for calls whose result goes out as it came in.
pub fn as_is<T>(value: T) -> T {
    value
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

/// Runs a call as a `Promise` of its plain-object result; failures reject with the SDK's errors.
pub fn promise<T, F>(call: F) -> Promise
where
    T: Serialize,
    F: Future<Output = Result<T, Error>> + 'static,
{
    future_to_promise(async move {
        let value = call.await?;
        Ok(to_js(&value)?)
    })
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
