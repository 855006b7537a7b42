//! `admin.site(id).connections`: a site's connections, made and changed with their secret
//! credentials (which no answer ever holds).

use credport_model::{
    Connection, ConnectionPage, CreateConnectionParams, CredentialsInput, ListConnectionsParams,
    UpdateConnectionParams,
};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::{no_content, SitePath};
use crate::decode::json;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::{check_json, optional, required};
use crate::resources::connections::{flag_all, list_call, pages_from};
use crate::resources::pager::Pager;
use crate::resources::{list_to_js, to_js};
use crate::transport::Call;
use crate::wire;

const RESOURCE: &str = "connections";

/// A site's connections, as the admin manages them.
#[wasm_bindgen]
pub struct AdminConnections {
    site: SitePath,
}

impl AdminConnections {
    pub fn new(site: SitePath) -> Self {
        AdminConnections { site }
    }

    /// `{site}/connections/{id}{suffix}`.
    fn path(&self, id: &JsValue, suffix: &str) -> Result<String, Error> {
        self.site.one(RESOURCE, "id", id, suffix)
    }

    /// Sends `call` and answers the connection it returns, with `isActive` and `isExpired`.
    async fn connection(&self, call: Call, options: &CallOptions) -> Result<JsValue, Error> {
        let mut connection = self
            .site
            .transport
            .send(call, options)
            .await?
            .read(json::<Connection>)?;
        flag_all(std::slice::from_mut(&mut connection));
        to_js(&connection)
    }
}

#[wasm_bindgen]
impl AdminConnections {
    /// One page: `{ count, page, pageSize, next, previous, payload }`, as `client.connections.list`.
    #[wasm_bindgen(unchecked_return_type = "ConnectionPage")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListConnectionsParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = list_call(&self.site.of(RESOURCE), &params)?;
        let mut page = self
            .site
            .transport
            .send(call, &options)
            .await?
            .read(json::<ConnectionPage>)?;
        flag_all(&mut page.payload);
        list_to_js(&page)
    }

    /// Every connection of the site, page after page.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<Connection>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListConnectionsParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let first = pages_from(self.site.of(RESOURCE), params);
        Ok(Pager::new(self.site.transport.clone(), first, options).into_iterable())
    }

    /// One connection by id.
    #[wasm_bindgen(unchecked_return_type = "Connection")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(self.path(&id, "")?);
        self.connection(call, &CallOptions::from_js(&options)?)
            .await
    }

    /// Adds a connection with its credentials (stored encrypted; the answer holds their status only).
    #[wasm_bindgen(unchecked_return_type = "Connection")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateConnectionParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateConnectionParams::validate)?;
        check_json("params.metadata", params.metadata.value())?;
        check_credentials(Some(&params.credentials))?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(
            Method::POST,
            self.site.of(RESOURCE),
            wire::body("params", &params)?,
        );
        self.connection(call, &options).await
    }

    /// Changes a connection; absent fields stay as they are. New `credentials` clear `refreshError`.
    #[wasm_bindgen(unchecked_return_type = "Connection")]
    pub async fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UpdateConnectionParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let path = self.path(&id, "")?;
        let params = required(&params, UpdateConnectionParams::validate)?;
        if let Some(metadata) = &params.metadata {
            check_json("params.metadata", metadata.value())?;
        }
        check_credentials(params.credentials.as_ref())?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(Method::PATCH, path, wire::body("params", &params)?);
        self.connection(call, &options).await
    }

    /// Deletes a connection and its credentials. Resolves to `undefined`.
    pub async fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<(), Error> {
        let call = Call::delete(self.path(&id, "")?);
        self.site
            .transport
            .send(call, &CallOptions::from_js(&options)?)
            .await?
            .read(no_content)
    }

    /// Refreshes an OAuth2 connection's token now, whatever its expiry; answers the connection.
    #[wasm_bindgen(unchecked_return_type = "Connection")]
    pub async fn refresh(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::with_body(Method::POST, self.path(&id, "/refresh")?, "{}".to_owned());
        self.connection(call, &CallOptions::from_js(&options)?)
            .await
    }
}

/// Credential `fields`, if given, must be plain JSON data.
fn check_credentials(credentials: Option<&CredentialsInput>) -> Result<(), Error> {
    credentials.map_or(Ok(()), |c| {
        check_json("params.credentials.fields", c.fields.value())
    })
}
