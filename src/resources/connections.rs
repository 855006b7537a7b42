//! `client.connections`: read-only access to the site's connections (seed 001).

use std::rc::Rc;

use credport_model::validate::parse_rfc3339;
use credport_model::{Connection, ConnectionPage, ConnectionStatus, ListConnectionsParams, ProviderCredentials};
use wasm_bindgen::prelude::*;

use super::pager::Pager;
use super::{string_arg, to_js};
use crate::decode::json;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::optional;
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
    #[wasm_bindgen(unchecked_return_type = "ConnectionPage")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListConnectionsParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let mut page = self.transport.send(list_call(&params)?, &options, json::<ConnectionPage>).await?;
        flag_all(&mut page.payload);
        to_js(&page)
    }

    /// Every connection, page after page: `for await (const c of client.connections.listAll())`.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<Connection>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListConnectionsParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        Ok(Pager::connections(self.transport.clone(), params, options).into_iterable())
    }

    /// One connection by id.
    #[wasm_bindgen(unchecked_return_type = "Connection")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(["/v1/connections/", &wire::escape(&string_arg("id", &id)?)].concat());
        let options = CallOptions::from_js(&options)?;
        let mut connection = self.transport.send(call, &options, json::<Connection>).await?;
        flag_all(std::slice::from_mut(&mut connection));
        to_js(&connection)
    }

    /// The secret credentials of the site's active connection to `provider`. Fetch them when
    /// needed rather than storing them.
    #[wasm_bindgen(js_name = getCredentials, unchecked_return_type = "ProviderCredentials")]
    pub async fn get_credentials(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] provider: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(["/v1/connections/credentials/", &wire::escape(&string_arg("provider", &provider)?)].concat());
        let options = CallOptions::from_js(&options)?;
        to_js(&self.transport.send(call, &options, json::<ProviderCredentials>).await?)
    }
}

/// `GET /v1/connections` with these filters.
pub fn list_call(params: &ListConnectionsParams) -> Result<Call, Error> {
    Ok(Call::get("/v1/connections".to_owned()).with_query(wire::query("params", params)?))
}

/// Sets `isActive` and `isExpired` (seed 001's properties) on connections just received, every
/// one judged as of the same instant.
pub fn flag_all(connections: &mut [Connection]) {
    let now_s = js_sys::Date::now() / 1000.0;
    for connection in connections {
        connection.is_active = connection.status == ConnectionStatus::Active;
        connection.is_expired = connection
            .token_expires_at
            .as_deref()
            .and_then(parse_rfc3339)
            .is_some_and(|expires| (expires as f64) <= now_s);
    }
}
