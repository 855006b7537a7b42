//! `client.connections`: read-only access to the site's connections (seed 001).

use std::rc::Rc;

use credport_model::validate::parse_rfc3339;
use credport_model::{Connection, ConnectionPage, ConnectionStatus, ListConnectionsParams, ProviderCredentials};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::pager::{PageSource, Pager};
use super::{as_is, optional, send};
use crate::convert::{string_arg, to_js};
use crate::decode;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::Call;
use crate::transport::Transport;
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
        let call = optional(params, ListConnectionsParams::validate).and_then(|p| list_call(&p));
        send(&self.transport, call, &options, reply_page)
    }

    /// Every connection, page after page: `for await (const c of client.connections.listAll())`.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<Connection>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let params = optional(params, ListConnectionsParams::validate)?;
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
        let call = string_arg("id", &id).map(|id| Call::get(format!("/v1/connections/{}", wire::escape(&id))));
        send(&self.transport, call, &options, reply_connection)
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
            .map(|p| Call::get(format!("/v1/connections/credentials/{}", wire::escape(&p))));
        send(&self.transport, call, &options, as_is::<ProviderCredentials>)
    }
}

/// `GET /v1/connections` with these filters.
pub fn list_call(params: &ListConnectionsParams) -> Result<Call, Error> {
    Ok(Call::get("/v1/connections".to_owned()).with_query(wire::query(params)?))
}

fn reply_page(status: u16, request_id: Option<String>, text: &str) -> Result<JsValue, Error> {
    to_js(&annotate_page(decode::success(status, request_id, text)?))
}

fn reply_connection(status: u16, request_id: Option<String>, text: &str) -> Result<JsValue, Error> {
    to_js(&annotate(decode::success(status, request_id, text)?))
}

pub fn annotate_page(mut page: ConnectionPage) -> ConnectionPage {
    page.payload = page.payload.into_iter().map(annotate).collect();
    page
}

/// Sets `isActive` and `isExpired`, seed 001's properties, as of now.
fn annotate(mut connection: Connection) -> Connection {
    connection.is_active = connection.status == ConnectionStatus::Active;
    let now_s = js_sys::Date::now() / 1000.0;
    connection.is_expired = connection
        .token_expires_at
        .as_deref()
        .and_then(parse_rfc3339)
        .is_some_and(|expires| (expires as f64) <= now_s);
    connection
}
