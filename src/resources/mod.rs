//! The three resources of the client, and what they share: turning an exchange into the
//! `Promise` a method returns.

pub mod api_keys;
pub mod connections;
pub mod pager;
pub mod tokens;

use std::cell::Cell;
use std::rc::Rc;

use credport_model::shape::Shape;
use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use crate::convert;
use crate::decode;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::{Call, Transport};

/// Sends `call` and resolves with its answer read as `shape`; a bad argument or bad options
/// reject at once, before any request.
pub fn send(transport: &Rc<Transport>, call: Result<Call, Error>, options: &JsValue, shape: &'static Shape) -> Promise {
    match (call, CallOptions::from_js(options)) {
        (Ok(call), Ok(options)) => {
            let transport = transport.clone();
            future_to_promise(async move { Ok(fetch_as(&transport, &call, &options, shape).await?) })
        }
        (Err(e), _) | (_, Err(e)) => rejected(e),
    }
}

/// Sends `call` and reads its answer as `shape`, into a plain JS object.
pub async fn fetch_as(transport: &Transport, call: &Call, options: &CallOptions, shape: &'static Shape) -> Result<JsValue, Error> {
    let (status, request_id, text) = transport.exchange(call, options).await?;
    // One clock reading per answer, and only if a connection in it has an expiry: every
    // connection of a page is judged as of the same instant.
    let now = Cell::new(None);
    let now_s = || {
        let at = now.get().unwrap_or_else(|| js_sys::Date::now() / 1000.0);
        now.set(Some(at));
        at
    };
    let flags = |shape: &Shape, values: &decode::Values, out: &mut String| connections::flags(shape, values, out, &now_s);
    let json = decode::success(status, request_id, &text, shape, Some(&flags))?;
    convert::parse(&json)
}

/// A promise already rejected with `error`: bad arguments fail before any request.
pub fn rejected(error: Error) -> Promise {
    Promise::reject(&JsValue::from(error))
}
