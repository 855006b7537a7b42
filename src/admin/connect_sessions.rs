//! `admin.site(id).connectSessions`: a person connects a provider by authorizing at it (API.md
//! "Connect"). A backend makes a session and sends its `url` to the person's browser; the session
//! says how it ended.

use credport_model::{ConnectSession, CreateConnectSessionParams, CreatedConnectSession};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::SitePath;
use crate::decode::{json, Fault};
use crate::errors::Error;
use crate::host::type_name;
use crate::options::CallOptions;
use crate::params::{check_json, required};
use crate::resources::answer_js;
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
    /// Makes a session: `{ id, url, status: "pending", expiresAt, … }`. `url` works once, for 10
    /// minutes; with `connectionId` the session re-authorizes that connection.
    #[wasm_bindgen(unchecked_return_type = "CreatedConnectSession")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateConnectSessionParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateConnectSessionParams::validate)?;
        if let Some(metadata) = &params.metadata {
            let value = metadata.value();
            if !crate::host::is_record(value) {
                let got = type_name(value);
                return Err(Error::invalid(
                    "params.metadata",
                    ["must be an object, got ", &got].concat(),
                ));
            }
            check_json("params.metadata", value)?;
        }
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(
            Method::POST,
            self.site.of(RESOURCE),
            wire::body("params", &params)?,
        );
        answer_js(
            self.site.transport.send(call, &options).await?,
            created_session,
        )
    }

    /// The session as it stands: `pending`, `succeeded` (with `connectionId`), `failed` (with
    /// `error`) or `expired`.
    #[wasm_bindgen(unchecked_return_type = "ConnectSession")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(self.site.one(RESOURCE, "id", &id, "")?);
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<ConnectSession>,
        )
    }
}

/// [`CreatedConnectSession`]: the session's fields and its `url`, read from the same object in
/// two passes, as `decode::created_api_key` reads a key and its secret (serde's `flatten` cannot
/// carry the session's raw `metadata`).
fn created_session(text: &str) -> Result<CreatedConnectSession, Fault> {
    #[derive(serde::Deserialize)]
    struct Url {
        url: String,
    }
    let session: ConnectSession = json(text)?;
    let Url { url } = json(text)?;
    Ok(CreatedConnectSession { session, url })
}
