//! `listAll`: an async iterator over every item of a list, fetching one page at a time. `next()`
//! is Rust: it hands out the items of the page in hand, fetches the next page when they run out,
//! and ends after the last page or at the first error. It knows no list: each resource hands it
//! the function that fetches its first page ([`NextPage`]), and each page names the next one.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::Transport;

/// Fetches one page of a list, where the list's previous page left off.
pub type NextPage = Box<
    dyn FnOnce(Rc<Transport>, CallOptions) -> Pin<Box<dyn Future<Output = Result<Page, Error>>>>,
>;

/// One page of a list: its items as JS values, and the fetch of the page after it (`None` after
/// the last).
pub struct Page {
    pub items: Vec<JsValue>,
    pub next: Option<NextPage>,
}

/// What an iteration holds between calls of `next()`.
struct State {
    transport: Rc<Transport>,
    /// The caller's options; each page gets them without the idempotency key (pages are GETs).
    options: CallOptions,
    /// Items received and not yet handed out.
    items: VecDeque<JsValue>,
    /// The next page; `None` after the last or after an error.
    next: Option<NextPage>,
    /// Set by `return()`: a page still being fetched then is dropped, not handed out.
    ended: bool,
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
    /// The iteration of the list whose first page `first` fetches.
    pub fn new(transport: Rc<Transport>, first: NextPage, options: CallOptions) -> Self {
        let state = State {
            transport,
            options: options.for_page(),
            items: VecDeque::new(),
            next: Some(first),
            ended: false,
        };
        Pager {
            state: Rc::new(RefCell::new(state)),
            last: RefCell::new(None),
        }
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
            let value_of =
                Reflect::get(&Object::new(), &"valueOf".into()).unwrap_or(JsValue::UNDEFINED);
            let _ = Reflect::set(&prototype, &key, &value_of);
        }
        pager
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
            state.ended = true;
        }
        Promise::resolve(&result(None))
    }
}

/// The next item, fetching pages as needed.
async fn step(state: &RefCell<State>) -> Result<JsValue, Error> {
    loop {
        let (fetch, transport, options) = {
            let mut state = state
                .try_borrow_mut()
                .map_err(|_| Error::invalid("listAll", "is busy"))?;
            if let Some(item) = state.items.pop_front() {
                return Ok(result(Some(item)));
            }
            // Taken while the page is fetched: an error leaves the iteration ended.
            let Some(fetch) = state.next.take() else {
                return Ok(result(None));
            };
            (fetch, state.transport.clone(), state.options.clone())
        };
        let page = fetch(transport, options).await?;
        let mut state = state
            .try_borrow_mut()
            .map_err(|_| Error::invalid("listAll", "is busy"))?;
        if state.ended {
            return Ok(result(None));
        }
        state.items.extend(page.items);
        state.next = page.next;
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
