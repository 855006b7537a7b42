//! `admin.site(id).providerConfigs`: a site's OAuth2 clients, found by a connection's
//! `providerConfigKey`. The `clientSecret` goes in with a create or an update, never comes out.

use credport_model::{
    CreateProviderConfigParams, ProviderConfig, ProviderConfigList, UpdateProviderConfigParams,
};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::{no_content, SitePath};
use crate::decode::json;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::required;
use crate::resources::answer_js;
use crate::transport::Call;
use crate::wire;

const RESOURCE: &str = "provider_configs";

/// A site's provider configurations.
#[wasm_bindgen]
pub struct ProviderConfigs {
    site: SitePath,
}

impl ProviderConfigs {
    pub fn new(site: SitePath) -> Self {
        ProviderConfigs { site }
    }
}

#[wasm_bindgen]
impl ProviderConfigs {
    /// Every configuration of the site, by key: `{ data, totalCount }`.
    #[wasm_bindgen(unchecked_return_type = "ProviderConfigList")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let options = CallOptions::from_js(&options)?;
        let call = Call::get(self.site.of(RESOURCE));
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<ProviderConfigList>,
        )
    }

    /// One configuration by its key.
    #[wasm_bindgen(unchecked_return_type = "ProviderConfig")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(self.site.one(RESOURCE, "key", &key, "")?);
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<ProviderConfig>,
        )
    }

    /// Adds a configuration; a key the site already has is a `ConflictError`.
    #[wasm_bindgen(unchecked_return_type = "ProviderConfig")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateProviderConfigParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateProviderConfigParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(
            Method::POST,
            self.site.of(RESOURCE),
            wire::body("params", &params)?,
        );
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<ProviderConfig>,
        )
    }

    /// Changes a configuration; absent fields stay as they are. A `tokenUrl` on another origin
    /// needs its `clientSecret` in the same update (a `BadRequestError` otherwise): the stored
    /// one is not sent to a new host.
    #[wasm_bindgen(unchecked_return_type = "ProviderConfig")]
    pub async fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UpdateProviderConfigParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let path = self.site.one(RESOURCE, "key", &key, "")?;
        let params = required(&params, UpdateProviderConfigParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(Method::PATCH, path, wire::body("params", &params)?);
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<ProviderConfig>,
        )
    }

    /// Deletes a configuration. Resolves to `undefined`.
    pub async fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<(), Error> {
        let call = Call::delete(self.site.one(RESOURCE, "key", &key, "")?);
        self.site
            .transport
            .send(call, &CallOptions::from_js(&options)?)
            .await?
            .read(no_content)
    }
}
