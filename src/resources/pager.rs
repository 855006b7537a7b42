//! `listAll`: an async iterator over every item of a list, fetching one page at a time.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use credport_model::{ListApiKeysParams, API_KEY_LIST, CONNECTION_PAGE};
use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::{api_keys, connections, fetch_as};
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::Params;
use crate::transport::Transport;

/// Which list, and where the next page starts.
#[derive(Clone)]
pub enum PageSource {
    /// Page-numbered (`page`, `next`).
    Connections(Params),
    /// Offset-based (`offset`, `limit`, `totalCount`).
    ApiKeys(Params),
}

struct State {
    transport: Rc<Transport>,
    options: CallOptions,
    source: PageSource,
    buffer: VecDeque<JsValue>,
    done: bool,
    /// The last `next()` promise: calls are chained so that two `next()`s never fetch one page twice.
    tail: Promise,
}

pub struct Pager;

impl Pager {
    /// A plain async-iterable iterator object: `{ next(), [Symbol.asyncIterator]() }`.
    pub fn start(transport: Rc<Transport>, source: PageSource, options: CallOptions) -> JsValue {
        let state = Rc::new(RefCell::new(State {
            transport,
            options,
            source,
            buffer: VecDeque::new(),
            done: false,
            tail: Promise::resolve(&JsValue::UNDEFINED),
        }));
        let next = Closure::<dyn FnMut() -> Promise>::new(move || {
            let previous = state.borrow().tail.clone();
            let state = state.clone();
            let this_call = {
                let state = state.clone();
                future_to_promise(async move {
                    let _ = JsFuture::from(previous).await;
                    step(&state).await.map_err(JsValue::from)
                })
            };
            state.borrow_mut().tail = this_call.clone();
            this_call
        });
        let iterator = Object::new();
        let _ = Reflect::set(&iterator, &"next".into(), &next.into_js_value());
        // `Object.prototype.valueOf` returns `this`: exactly what `[Symbol.asyncIterator]` of an
        // iterator must do, without a closure that would tie the object to itself.
        let value_of = Reflect::get(&iterator, &"valueOf".into()).unwrap_or(JsValue::UNDEFINED);
        let _ = Reflect::set(&iterator, &js_sys::Symbol::async_iterator(), &value_of);
        iterator.into()
    }
}

/// The next `{ value, done }`, fetching a page when the buffer is empty.
async fn step(state: &Rc<RefCell<State>>) -> Result<JsValue, Error> {
    loop {
        if let Some(item) = state.borrow_mut().buffer.pop_front() {
            return Ok(iter_result(item, false));
        }
        if state.borrow().done {
            return Ok(iter_result(JsValue::UNDEFINED, true));
        }
        fetch_page(state).await?;
    }
}

async fn fetch_page(state: &Rc<RefCell<State>>) -> Result<(), Error> {
    let (transport, source, options) = {
        let s = state.borrow();
        (s.transport.clone(), s.source.clone(), s.options.for_page())
    };
    let (items, next) = match source {
        PageSource::Connections(mut params) => {
            let page = fetch_as(&transport, &connections::list_call(&params), &options, &CONNECTION_PAGE).await?;
            let items = array(&page, "payload");
            // A page past the end is empty: stop there even if the server still names a next one.
            let next = number(&page, "next").filter(|_| items.length() > 0).map(|n| {
                params.set_uint("page", n);
                PageSource::Connections(params)
            });
            (items, next)
        }
        PageSource::ApiKeys(mut params) => {
            let limit = params.uint("limit").unwrap_or(u64::from(ListApiKeysParams::DEFAULT_LIMIT));
            let offset = params.uint("offset").unwrap_or(0);
            let list = fetch_as(&transport, &api_keys::list_call(&params), &options, &API_KEY_LIST).await?;
            let items = array(&list, "data");
            let count = u64::from(items.length());
            let next_offset = offset + count;
            let more = count == limit && number(&list, "totalCount").is_some_and(|total| next_offset < total);
            let next = (more && next_offset <= u64::from(u32::MAX)).then(|| {
                params.set_uint("offset", next_offset);
                PageSource::ApiKeys(params)
            });
            (items, next)
        }
    };
    let mut s = state.borrow_mut();
    s.buffer.extend(items.iter());
    match next {
        Some(source) => s.source = source,
        None => s.done = true,
    }
    Ok(())
}

/// The array in `key` of a decoded page (the decoder has checked that it is one).
fn array(page: &JsValue, key: &str) -> Array {
    Reflect::get(page, &key.into()).ok().and_then(|v| v.dyn_into::<Array>().ok()).unwrap_or_default()
}

/// The whole number in `key` of a decoded page; `None` for null.
fn number(page: &JsValue, key: &str) -> Option<u64> {
    Reflect::get(page, &key.into()).ok()?.as_f64().filter(|n| *n >= 0.0).map(|n| n as u64)
}

fn iter_result(value: JsValue, done: bool) -> JsValue {
    let result = Object::new();
    let _ = Reflect::set(&result, &"value".into(), &value);
    let _ = Reflect::set(&result, &"done".into(), &done.into());
    result.into()
}
