//! `admin.site(id).connectSessions`: a connection made by a person authorizing at the provider
//! (API.md "Connect"). A backend (or the console) creates a session, sends the person's browser
//! to its `url`, and reads the outcome from the session or from the `returnUrl` they come back to.

use credport_model::{ConnectSession, CreateConnectSessionParams};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::SitePath;
use crate::decode::{created_connect_session, json};
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::{check_json, required};
use crate::resources::to_js;
use crate::transport::Call;
use crate::wire;

const RESOURCE: &str = "connect_sessions";

/// A site's connect sessions.
#[wasm_bindgen]
pub struct ConnectSessions {
    site: SitePath,
}

impl ConnectSessions {
    pub fn new(site: SitePath) -> Self {
        ConnectSessions { site }
    }
}

#[wasm_bindgen]
impl ConnectSessions {
    /// Starts a connect with the site's provider configuration `providerConfigKey` (or
    /// re-authorizes `connectionId`). The answer's `url` is opened in the person's browser; it
    /// works once, for 10 minutes.
    #[wasm_bindgen(unchecked_return_type = "CreatedConnectSession")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateConnectSessionParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateConnectSessionParams::validate)?;
        if let Some(metadata) = &params.metadata {
            check_json("params.metadata", metadata.value())?;
        }
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(Method::POST, self.site.of(RESOURCE), wire::body("params", &params)?);
        to_js(&self.site.transport.send(call, &options, created_connect_session).await?)
    }

    /// One session: `status` (`pending`, `succeeded` with `connectionId`, `failed` with `error`,
    /// `expired`).
    #[wasm_bindgen(unchecked_return_type = "ConnectSession")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(self.site.one(RESOURCE, "id", &id, "")?);
        let options = CallOptions::from_js(&options)?;
        to_js(&self.site.transport.send(call, &options, json::<ConnectSession>).await?)
    }
}
