//! `admin.site(id).apiKeys`: the API keys a site issued, listed and revoked by the admin.

use credport_model::{ApiKey, ApiKeyList, ListApiKeysParams, RevokeApiKeyParams};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::SitePath;
use crate::decode::json;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::optional;
use crate::resources::api_keys::{list_call, pages_from};
use crate::resources::pager::Pager;
use crate::resources::{answer_js, answer_list_js};
use crate::transport::Call;
use crate::wire;

const RESOURCE: &str = "api_keys";

/// A site's API keys, as the admin sees them.
#[wasm_bindgen]
pub struct AdminApiKeys {
    site: SitePath,
}

impl AdminApiKeys {
    pub fn new(site: SitePath) -> Self {
        AdminApiKeys { site }
    }
}

#[wasm_bindgen]
impl AdminApiKeys {
    /// One page of keys, as `client.apiKeys.list`: `{ data, totalCount }`.
    #[wasm_bindgen(unchecked_return_type = "ApiKeyList")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListApiKeysParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListApiKeysParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = list_call(&self.site.of(RESOURCE), &params)?;
        answer_list_js(
            self.site.transport.send(call, &options).await?,
            json::<ApiKeyList>,
        )
    }

    /// Every key of the site, page after page.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<ApiKey>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListApiKeysParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListApiKeysParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let first = pages_from(self.site.of(RESOURCE), params);
        Ok(Pager::new(self.site.transport.clone(), first, options).into_iterable())
    }

    /// Revokes a key: it fails verification from now on.
    #[wasm_bindgen(unchecked_return_type = "ApiKey")]
    pub async fn revoke(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RevokeApiKeyParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let path = self.site.one(RESOURCE, "id", &id, "/revoke")?;
        let params = optional(&params, RevokeApiKeyParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(Method::POST, path, wire::body("params", &params)?);
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<ApiKey>,
        )
    }
}
