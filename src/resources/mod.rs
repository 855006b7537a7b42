//! The three resources of the client, and what they share: turning a checked call into the
//! `Promise` a method returns.

pub mod api_keys;
pub mod connections;
pub mod pager;
pub mod tokens;

use std::rc::Rc;

use credport_model::shape::Shape;
use js_sys::Promise;
use wasm_bindgen::JsValue;

use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::{Call, Transport};

/// Sends `call` and resolves with its answer read as `shape`; a bad argument or bad options
/// reject at once, before any request.
pub fn send(transport: &Rc<Transport>, call: Result<Call, Error>, options: &JsValue, shape: &'static Shape) -> Promise {
    match (call, CallOptions::from_js(options)) {
        (Ok(call), Ok(options)) => transport.send(call, options, shape),
        (Err(e), _) | (_, Err(e)) => rejected(e),
    }
}

/// A promise already rejected with `error`: bad arguments fail before any request.
pub fn rejected(error: Error) -> Promise {
    Promise::reject(&JsValue::from(error))
}
