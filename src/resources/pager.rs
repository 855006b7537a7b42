//! `listAll`: an async iterator over every item of a list, fetching one page at a time.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use credport_model::{ApiKeyList, ConnectionPage, ListApiKeysParams, ListConnectionsParams};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::{api_keys, connections};
use crate::convert::to_js;
use crate::decode;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::Transport;

/// Which list, and where the next page starts.
#[derive(Clone)]
pub enum PageSource {
    /// Page-numbered (`page`, `next`).
    Connections(ListConnectionsParams),
    /// Offset-based (`offset`, `limit`, `totalCount`).
    ApiKeys(ListApiKeysParams),
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
            let (status, request_id, text) = transport.exchange(&connections::list_call(&params)?, &options).await?;
            let page: ConnectionPage = decode::success(status, request_id, &text)?;
            let page = connections::annotate_page(page);
            let items = page.payload.iter().map(to_js).collect::<Result<Vec<_>, _>>()?;
            // A page past the end is empty: stop there even if the server still names a next one.
            let next = page.next.filter(|_| !items.is_empty()).map(|n| {
                params.page = Some(n);
                PageSource::Connections(params)
            });
            (items, next)
        }
        PageSource::ApiKeys(mut params) => {
            let limit = params.limit.unwrap_or(ListApiKeysParams::DEFAULT_LIMIT);
            let offset = u64::from(params.offset.unwrap_or(0));
            let (status, request_id, text) = transport.exchange(&api_keys::list_call(&params)?, &options).await?;
            let list: ApiKeyList = decode::success(status, request_id, &text)?;
            let items = list.data.iter().map(to_js).collect::<Result<Vec<_>, _>>()?;
            let next_offset = offset + items.len() as u64;
            let full_page = items.len() as u64 == u64::from(limit);
            let next = u32::try_from(next_offset).ok().filter(|_| full_page && next_offset < list.total_count).map(|o| {
                params.offset = Some(o);
                PageSource::ApiKeys(params)
            });
            (items, next)
        }
    };
    let mut s = state.borrow_mut();
    s.buffer.extend(items);
    match next {
        Some(source) => s.source = source,
        None => s.done = true,
    }
    Ok(())
}

fn iter_result(value: JsValue, done: bool) -> JsValue {
    let result = Object::new();
    let _ = Reflect::set(&result, &"value".into(), &value);
    let _ = Reflect::set(&result, &"done".into(), &done.into());
    result.into()
}
