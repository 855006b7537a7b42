//! `client.personalAccessTokens`: tokens that authenticate calls to credport (seed 003).

use std::rc::Rc;

use credport_model::{CreateTokenParams, PersonalAccessToken, TokenList};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::{answer_js, answer_list_js, string_arg};
use crate::decode::{self, json};
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::required;
use crate::transport::{Call, Transport};
use crate::wire;

/// Personal access tokens of the site.
#[wasm_bindgen]
pub struct PersonalAccessTokens {
    transport: Rc<Transport>,
}

impl PersonalAccessTokens {
    pub fn new(transport: Rc<Transport>) -> Self {
        PersonalAccessTokens { transport }
    }
}

#[wasm_bindgen]
impl PersonalAccessTokens {
    /// Creates a token for the caller's user. The result holds the `token`, shown this once.
    #[wasm_bindgen(unchecked_return_type = "CreatedPersonalAccessToken")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateTokenParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateTokenParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(
            Method::POST,
            "/v1/personal_access_tokens".into(),
            wire::body("params", &params)?,
        );
        answer_js(
            self.transport.send(call, &options).await?,
            decode::created_personal_access_token,
        )
    }

    /// The caller's user's tokens: `{ data, totalCount }`.
    #[wasm_bindgen(unchecked_return_type = "TokenList")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let options = CallOptions::from_js(&options)?;
        let call = Call::get("/v1/personal_access_tokens".into());
        answer_list_js(
            self.transport.send(call, &options).await?,
            json::<TokenList>,
        )
    }

    /// One token by id.
    #[wasm_bindgen(unchecked_return_type = "PersonalAccessToken")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(token_path(&id, "")?);
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.transport.send(call, &options).await?,
            json::<PersonalAccessToken>,
        )
    }

    /// Revokes a token: every call made with it fails from now on.
    #[wasm_bindgen(unchecked_return_type = "PersonalAccessToken")]
    pub async fn revoke(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::with_body(Method::POST, token_path(&id, "/revoke")?, "{}".to_owned());
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.transport.send(call, &options).await?,
            json::<PersonalAccessToken>,
        )
    }
}

fn token_path(id: &JsValue, suffix: &str) -> Result<String, Error> {
    Ok([
        "/v1/personal_access_tokens/",
        &wire::escape(&string_arg("id", id)?),
        suffix,
    ]
    .concat())
}
