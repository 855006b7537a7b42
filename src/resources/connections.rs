//! `client.connections`: read-only access to the site's connections (seed 001).

use std::rc::Rc;

use credport_model::shape::Shape;
use credport_model::validate::parse_rfc3339;
use credport_model::{CONNECTION, CONNECTION_PAGE, LIST_CONNECTIONS_PARAMS, PROVIDER_CREDENTIALS};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::pager::{PageSource, Pager};
use super::send;
use crate::convert::string_arg;
use crate::decode::Values;
use crate::json;
use crate::options::CallOptions;
use crate::params::{optional, Params};
use crate::transport::{Call, Transport};
use crate::wire;

/// The site's connections to third-party services.
#[wasm_bindgen]
pub struct Connections {
    transport: Rc<Transport>,
}

impl Connections {
    pub fn new(transport: Rc<Transport>) -> Self {
        Connections { transport }
    }
}

#[wasm_bindgen]
impl Connections {
    /// One page of connections: `{ count, page, pageSize, next, previous, payload }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ConnectionPage>")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = optional(&params, &LIST_CONNECTIONS_PARAMS).map(|p| list_call(&p));
        send(&self.transport, call, &options, &CONNECTION_PAGE)
    }

    /// Every connection, page after page: `for await (const c of client.connections.listAll())`.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<Connection>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let params = optional(&params, &LIST_CONNECTIONS_PARAMS)?;
        let options = CallOptions::from_js(&options)?;
        Ok(Pager::start(self.transport.clone(), PageSource::Connections(params), options))
    }

    /// One connection by id.
    #[wasm_bindgen(unchecked_return_type = "Promise<Connection>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = string_arg("id", &id).map(|id| Call::get(["/v1/connections/", &wire::escape(&id)].concat()));
        send(&self.transport, call, &options, &CONNECTION)
    }

    /// The secret credentials of the site's active connection to `provider`. Fetch them when
    /// needed rather than storing them.
    #[wasm_bindgen(js_name = getCredentials, unchecked_return_type = "Promise<ProviderCredentials>")]
    pub fn get_credentials(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] provider: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = string_arg("provider", &provider)
            .map(|p| Call::get(["/v1/connections/credentials/", &wire::escape(&p)].concat()));
        send(&self.transport, call, &options, &PROVIDER_CREDENTIALS)
    }
}

/// `GET /v1/connections` with these filters.
pub fn list_call(params: &Params) -> Call {
    Call::get("/v1/connections".to_owned()).with_query(wire::query(params))
}

/// Where `flags` finds the fields it reads among an object's values, found when the SDK is
/// compiled (a lookup by name for every connection of a page cost as much as reading its keys).
const STATUS: Option<usize> = CONNECTION.index_of("status");
const TOKEN_EXPIRES_AT: Option<usize> = CONNECTION.index_of("token_expires_at");
const _: () = assert!(STATUS.is_some() && TOKEN_EXPIRES_AT.is_some(), "flags reads fields the Connection shape has");

/// Adds `isActive` and `isExpired` (seed 001's properties, as of `now_s`, in Unix seconds) to
/// each connection read.
pub fn flags(shape: &Shape, values: &Values, out: &mut Vec<u8>, now_s: &dyn Fn() -> f64) {
    if !std::ptr::eq(shape, &CONNECTION) {
        return;
    }
    // A field's raw value (strings with their quotes); null and absent are `None`.
    let raw = |at: Option<usize>| at.and_then(|i| values.get(i).copied().flatten());
    let text = |raw: &str| json::unescape(raw.strip_prefix('"')?.strip_suffix('"')?);
    let active = raw(STATUS).is_some_and(|r| r == "\"active\"" || text(r).as_deref() == Some("active"));
    let expired = raw(TOKEN_EXPIRES_AT)
        .and_then(text)
        .and_then(|at| parse_rfc3339(&at))
        .is_some_and(|expires| (expires as f64) <= now_s());
    out.extend_from_slice(if active { b",\"isActive\":true" } else { b",\"isActive\":false" });
    out.extend_from_slice(if expired { b",\"isExpired\":true" } else { b",\"isExpired\":false" });
}
