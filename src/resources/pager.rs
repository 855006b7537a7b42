//! `listAll`: an async iterator over every item of a list, fetching one page at a time. `next()`
//! is Rust: it hands out the items of the page in hand, fetches the next page when they run out,
//! and ends after the last page or at the first error.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use credport_model::{ApiKeyList, ConnectionPage, ListApiKeysParams, ListConnectionsParams};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::{api_keys, connections, to_js};
use crate::decode::json;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::Transport;

/// Which list (its path: the site's own, or a site's below `/v1/admin`), and where its next page
/// starts.
enum Source {
    /// Page-numbered (`page`, `next`).
    Connections(String, ListConnectionsParams),
    /// Offset-based (`offset`, `limit`, `totalCount`).
    ApiKeys(String, ListApiKeysParams),
}

/// What an iteration holds between calls of `next()`.
struct State {
    transport: Rc<Transport>,
    /// The caller's options; each page gets them without the idempotency key (pages are GETs).
    options: CallOptions,
    /// Items received and not yet handed out.
    items: VecDeque<JsValue>,
    /// The next page; `None` after the last or after an error.
    next: Option<Source>,
}

/// The async iterator `listAll` returns; its `Symbol.asyncIterator` method returns itself (see
/// [`Pager::into_iterable`]).
#[wasm_bindgen(skip_typescript)]
pub struct Pager {
    state: Rc<RefCell<State>>,
    /// The promise of the last `next()`: a `next()` called before it settled waits for it, so
    /// overlapping calls get successive items and no page is fetched twice.
    last: RefCell<Option<Promise>>,
}

impl Pager {
    pub fn connections(transport: Rc<Transport>, path: String, params: ListConnectionsParams, options: CallOptions) -> Self {
        Pager::new(transport, Source::Connections(path, params), options)
    }

    pub fn api_keys(transport: Rc<Transport>, path: String, params: ListApiKeysParams, options: CallOptions) -> Self {
        Pager::new(transport, Source::ApiKeys(path, params), options)
    }

    /// The pager as the value `listAll` returns: an async iterator that is also async-iterable
    /// (`for await`). wasm-bindgen cannot export a symbol-named method, so the class's prototype
    /// gets one here: `Object.prototype.valueOf` (as every object inherits it), which returns its `this`, so
    /// `pager[Symbol.asyncIterator]()` is the pager itself, with no JavaScript of the SDK's own.
    pub fn into_iterable(self) -> JsValue {
        let pager = JsValue::from(self);
        let prototype = Object::get_prototype_of(&pager);
        let key = js_sys::Symbol::async_iterator();
        if !Reflect::has(&prototype, &key).unwrap_or(true) {
            let value_of = Reflect::get(&Object::new(), &"valueOf".into()).unwrap_or(JsValue::UNDEFINED);
            let _ = Reflect::set(&prototype, &key, &value_of);
        }
        pager
    }

    fn new(transport: Rc<Transport>, source: Source, options: CallOptions) -> Self {
        let state = State { transport, options: options.for_page(), items: VecDeque::new(), next: Some(source) };
        Pager { state: Rc::new(RefCell::new(state)), last: RefCell::new(None) }
    }
}

#[wasm_bindgen]
impl Pager {
    /// The promise of the next `{ value, done }`. Not an `async fn`: the promise of each call
    /// is kept, for the next call to wait on.
    pub fn next(&self) -> Promise {
        let state = self.state.clone();
        let before = self.last.borrow_mut().take();
        let promise = future_to_promise(async move {
            if let Some(before) = before {
                let _ = JsFuture::from(before).await;
            }
            step(&state).await.map_err(JsValue::from)
        });
        *self.last.borrow_mut() = Some(promise.clone());
        promise
    }

    /// Ends the iteration early (`break` in a `for await`).
    #[wasm_bindgen(js_name = return)]
    pub fn finish(&self) -> Promise {
        if let Ok(mut state) = self.state.try_borrow_mut() {
            state.items.clear();
            state.next = None;
        }
        Promise::resolve(&result(None))
    }
}

/// The next item, fetching pages as needed.
async fn step(state: &RefCell<State>) -> Result<JsValue, Error> {
    loop {
        let (source, transport, options) = {
            let mut state = state.try_borrow_mut().map_err(|_| Error::invalid("listAll", "is busy"))?;
            if let Some(item) = state.items.pop_front() {
                return Ok(result(Some(item)));
            }
            // Taken while the page is fetched: an error leaves the iteration ended.
            let Some(source) = state.next.take() else { return Ok(result(None)) };
            (source, state.transport.clone(), state.options.clone())
        };
        let (items, next) = fetch(&transport, source, &options).await?;
        let mut state = state.try_borrow_mut().map_err(|_| Error::invalid("listAll", "is busy"))?;
        state.items.extend(items);
        state.next = next;
    }
}

/// One page of `source`: its items as JS values, and the page after it.
async fn fetch(transport: &Transport, source: Source, options: &CallOptions) -> Result<(Vec<JsValue>, Option<Source>), Error> {
    match source {
        Source::Connections(path, mut params) => {
            let mut page = transport.send(connections::list_call(&path, &params)?, options, json::<ConnectionPage>).await?;
            connections::flag_all(&mut page.payload);
            let items = page.payload.iter().map(to_js).collect::<Result<Vec<_>, _>>()?;
            // A page past the end is empty: stop there even if the server still names a next one.
            let next = page.next.filter(|_| !items.is_empty()).map(|n| {
                params.page = Some(n);
                Source::Connections(path, params)
            });
            Ok((items, next))
        }
        Source::ApiKeys(path, mut params) => {
            let list = transport.send(api_keys::list_call(&path, &params)?, options, json::<ApiKeyList>).await?;
            let limit = u64::from(params.limit.unwrap_or(ListApiKeysParams::DEFAULT_LIMIT));
            let count = list.data.len() as u64;
            let next_offset = u64::from(params.offset.unwrap_or(0)) + count;
            let more = count == limit && next_offset < list.total_count;
            let next = u32::try_from(next_offset).ok().filter(|_| more).map(|offset| {
                params.offset = Some(offset);
                Source::ApiKeys(path, params)
            });
            let items = list.data.iter().map(to_js).collect::<Result<Vec<_>, _>>()?;
            Ok((items, next))
        }
    }
}

/// `{ value, done }` of an async iterator: `Some(item)`, or `None` for the end.
fn result(item: Option<JsValue>) -> JsValue {
    let out = Object::new();
    let done = item.is_none();
    let _ = Reflect::set(&out, &"value".into(), &item.unwrap_or(JsValue::UNDEFINED));
    let _ = Reflect::set(&out, &"done".into(), &done.into());
    out.into()
}
