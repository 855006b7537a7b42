//! `admin.site(id).webhookEndpoints`: where a site's events are delivered, signed with the
//! endpoint's `whsec_` secret, and the deliveries made to each. The secret is in the create
//! answer only: a receiver is configured with it then, or the endpoint made again.

use credport_model::{
    CreateWebhookEndpointParams, CreatedWebhookEndpoint, UpdateWebhookEndpointParams,
    WebhookDeliveryList, WebhookEndpoint, WebhookEndpointList,
};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::{no_content, SitePath};
use crate::decode::{json, Fault};
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::required;
use crate::resources::answer_js;
use crate::transport::Call;
use crate::wire;

const RESOURCE: &str = "webhook_endpoints";

/// A site's webhook endpoints.
#[wasm_bindgen]
pub struct WebhookEndpoints {
    site: SitePath,
}

impl WebhookEndpoints {
    pub fn new(site: SitePath) -> Self {
        WebhookEndpoints { site }
    }

    /// `{site}/webhook_endpoints/{id}{suffix}`.
    fn path(&self, id: &JsValue, suffix: &str) -> Result<String, Error> {
        self.site.one(RESOURCE, "id", id, suffix)
    }

    /// Sends `call` and answers the endpoint it returns.
    async fn endpoint(&self, call: Call, options: &CallOptions) -> Result<JsValue, Error> {
        answer_js(
            self.site.transport.send(call, options).await?,
            json::<WebhookEndpoint>,
        )
    }
}

#[wasm_bindgen]
impl WebhookEndpoints {
    /// Every endpoint of the site, without secrets: `{ data, totalCount }`.
    #[wasm_bindgen(unchecked_return_type = "WebhookEndpointList")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let options = CallOptions::from_js(&options)?;
        let call = Call::get(self.site.of(RESOURCE));
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<WebhookEndpointList>,
        )
    }

    /// One endpoint by id, without its secret.
    #[wasm_bindgen(unchecked_return_type = "WebhookEndpoint")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(self.path(&id, "")?);
        self.endpoint(call, &CallOptions::from_js(&options)?).await
    }

    /// Adds an endpoint (`types` empty or absent: every event type). The result holds its
    /// signing `secret`, this once.
    #[wasm_bindgen(unchecked_return_type = "CreatedWebhookEndpoint")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateWebhookEndpointParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateWebhookEndpointParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(
            Method::POST,
            self.site.of(RESOURCE),
            wire::body("params", &params)?,
        );
        answer_js(
            self.site.transport.send(call, &options).await?,
            created_endpoint,
        )
    }

    /// Changes an endpoint; absent fields stay as they are. `status: "enabled"` switches on an
    /// endpoint the server disabled after failing deliveries.
    #[wasm_bindgen(unchecked_return_type = "WebhookEndpoint")]
    pub async fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UpdateWebhookEndpointParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let path = self.path(&id, "")?;
        let params = required(&params, UpdateWebhookEndpointParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(Method::PATCH, path, wire::body("params", &params)?);
        self.endpoint(call, &options).await
    }

    /// Deletes an endpoint and its deliveries. Resolves to `undefined`.
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

    /// The endpoint's newest deliveries, each with its attempts, last status code or error and
    /// next try: `{ data }`.
    #[wasm_bindgen(unchecked_return_type = "WebhookDeliveryList")]
    pub async fn deliveries(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(self.path(&id, "/deliveries")?);
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<WebhookDeliveryList>,
        )
    }
}

/// [`CreatedWebhookEndpoint`]: the endpoint's fields and its `secret`, read from the same object
/// in two passes, as `decode::created_api_key` reads a key and its secret (no `flatten` buffering
/// the answer, secret included, into serde's own tree).
fn created_endpoint(text: &str) -> Result<CreatedWebhookEndpoint, Fault> {
    #[derive(serde::Deserialize)]
    struct Secret {
        secret: credport_model::Secret,
    }
    let endpoint: WebhookEndpoint = json(text)?;
    let Secret { secret } = json(text)?;
    Ok(CreatedWebhookEndpoint { endpoint, secret })
}
