//! `admin.site(id).events`: the site's audit log (API.md "Events"), newest first, paged by the
//! server's `next_cursor` rather than by offset, so a page stays stable while events are added.

use credport_model::{EventPage, ListEventsParams};
use wasm_bindgen::prelude::*;

use super::SitePath;
use crate::decode::json;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::optional;
use crate::resources::pager::{NextPage, Page, Pager};
use crate::resources::{answer_js, items_of};
use crate::transport::Call;
use crate::wire;

const RESOURCE: &str = "events";

/// A site's events.
#[wasm_bindgen]
pub struct AdminEvents {
    site: SitePath,
}

impl AdminEvents {
    pub fn new(site: SitePath) -> Self {
        AdminEvents { site }
    }
}

#[wasm_bindgen]
impl AdminEvents {
    /// One page, newest first: `{ data, nextCursor }`. Pass `nextCursor` as `cursor` for the
    /// older events; it is `null` on the last page.
    #[wasm_bindgen(unchecked_return_type = "EventPage")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListEventsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListEventsParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = page_call(&self.site.of(RESOURCE), &params)?;
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<EventPage>,
        )
    }

    /// Every event the filters select, newest first, page after page.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<Event>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListEventsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListEventsParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let first = pages_from(self.site.of(RESOURCE), params);
        Ok(Pager::new(self.site.transport.clone(), first, options).into_iterable())
    }
}

/// `listAll`'s fetch of the page `params` name; the next one starts at the page's `next_cursor`.
fn pages_from(path: String, mut params: ListEventsParams) -> NextPage {
    Box::new(move |transport, options| {
        Box::pin(async move {
            let page = transport
                .send(page_call(&path, &params)?, &options)
                .await?
                .read(json::<EventPage>)?;
            let items = items_of(&page.data)?;
            // An empty page ends the list even if the server still names a cursor.
            let next = page
                .next_cursor
                .filter(|_| !items.is_empty())
                .map(|cursor| {
                    params.cursor = Some(cursor);
                    pages_from(path, params)
                });
            Ok(Page { items, next })
        })
    })
}

/// `GET {site}/events` with these filters.
fn page_call(path: &str, params: &ListEventsParams) -> Result<Call, Error> {
    Ok(Call::get(path.to_owned()).with_query(wire::query("params", params)?))
}
