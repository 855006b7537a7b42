//! `listAll`: an async iterator over every item of a list, fetching one page at a time. The
//! iterator is an async generator in `exchange.js` (`pages`); the [`Pager`] it reads says which
//! page comes next.

use std::rc::Rc;

use credport_model::{ListApiKeysParams, API_KEY_LIST, CONNECTION_PAGE};
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;

use super::{api_keys, connections};
use crate::options::CallOptions;
use crate::params::Params;
use crate::transport::Transport;

/// Which list, and where the next page starts.
pub enum PageSource {
    /// Page-numbered (`page`, `next`).
    Connections(Params),
    /// Offset-based (`offset`, `limit`, `totalCount`).
    ApiKeys(Params),
}

/// The pages of one `listAll`.
#[wasm_bindgen(skip_typescript)]
pub struct Pager {
    transport: Rc<Transport>,
    /// The caller's options; each page gets them without the idempotency key (pages are GETs).
    options: CallOptions,
    /// The next page; `None` after the last.
    next: Option<PageSource>,
}

impl Pager {
    /// The async-iterable iterator over the items of `source`'s pages.
    pub fn start(transport: Rc<Transport>, source: PageSource, options: CallOptions) -> JsValue {
        pages(Pager { transport, options, next: Some(source) })
    }
}

#[wasm_bindgen]
impl Pager {
    /// The promise of the next page; `undefined` after the last.
    pub fn fetch(&self) -> Option<Promise> {
        let options = self.options.for_page();
        Some(match self.next.as_ref()? {
            PageSource::Connections(params) => self.transport.send(connections::list_call(params), options, &CONNECTION_PAGE),
            PageSource::ApiKeys(params) => self.transport.send(api_keys::list_call(params), options, &API_KEY_LIST),
        })
    }

    /// The items of `page` (the last `fetch()`'s result), and which page comes after it.
    pub fn items(&mut self, page: JsValue) -> Array {
        let Some(source) = self.next.take() else { return Array::new() };
        let (items, next) = match source {
            PageSource::Connections(mut params) => {
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
                let items = array(&page, "data");
                let count = u64::from(items.length());
                let next_offset = offset + count;
                let more = count == limit && number(&page, "totalCount").is_some_and(|total| next_offset < total);
                let next = (more && next_offset <= u64::from(u32::MAX)).then(|| {
                    params.set_uint("offset", next_offset);
                    PageSource::ApiKeys(params)
                });
                (items, next)
            }
        };
        self.next = next;
        items
    }
}

#[wasm_bindgen(module = "/src/exchange.js")]
extern "C" {
    /// The async generator over the items of `pager`'s pages.
    fn pages(pager: Pager) -> JsValue;
}

/// The array in `key` of a decoded page (the decoder has checked that it is one).
fn array(page: &JsValue, key: &str) -> Array {
    Reflect::get(page, &key.into()).ok().and_then(|v| v.dyn_into::<Array>().ok()).unwrap_or_default()
}

/// The whole number in `key` of a decoded page; `None` for null.
fn number(page: &JsValue, key: &str) -> Option<u64> {
    Reflect::get(page, &key.into()).ok()?.as_f64().filter(|n| *n >= 0.0).map(|n| n as u64)
}
