//! `client.personalAccessTokens`: tokens that authenticate calls to credport (seed 003).

use std::rc::Rc;

use credport_model::{CreateTokenParams, CreatedPersonalAccessToken, PersonalAccessToken, Secret, TokenList};
use gloo_net::http::Method;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::{as_is, required, send};
use crate::convert::{string_arg, to_js};
use crate::decode;
use crate::errors::Error;
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
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedPersonalAccessToken>")]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateTokenParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = required(params, CreateTokenParams::validate)
            .and_then(|p| Ok(Call::with_body(Method::POST, "/v1/personal_access_tokens".into(), wire::body(&p)?)));
        send(&self.transport, call, &options, reply_created)
    }

    /// The site's tokens: `{ data, totalCount }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenList>")]
    pub fn list(&self, #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue) -> Promise {
        send(&self.transport, Ok(Call::get("/v1/personal_access_tokens".into())), &options, as_is::<TokenList>)
    }

    /// One token by id.
    #[wasm_bindgen(unchecked_return_type = "Promise<PersonalAccessToken>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        send(&self.transport, token_path(&id, "").map(Call::get), &options, as_is::<PersonalAccessToken>)
    }

    /// Revokes a token: every call made with it fails from now on.
    #[wasm_bindgen(unchecked_return_type = "Promise<PersonalAccessToken>")]
    pub fn revoke(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = token_path(&id, "/revoke").map(|path| Call::with_body(Method::POST, path, "{}".to_owned()));
        send(&self.transport, call, &options, as_is::<PersonalAccessToken>)
    }
}

/// A created token: the token object and its value read as two plain structs (see
/// `api_keys::reply_created`).
fn reply_created(status: u16, request_id: Option<String>, text: &str) -> Result<JsValue, Error> {
    let personal_access_token: PersonalAccessToken = decode::success(status, request_id.clone(), text)?;
    let TokenValue { token } = decode::success(status, request_id, text)?;
    to_js(&CreatedPersonalAccessToken { personal_access_token, token })
}

/// The `token` field of a create answer.
#[derive(serde::Deserialize)]
struct TokenValue {
    token: Secret,
}

fn token_path(id: &JsValue, suffix: &str) -> Result<String, Error> {
    Ok(format!("/v1/personal_access_tokens/{}{suffix}", wire::escape(&string_arg("id", id)?)))
}
