//! `client.personalAccessTokens`: tokens that authenticate calls to credport (seed 003).

use std::rc::Rc;

use credport_model::{CREATED_PERSONAL_ACCESS_TOKEN, CREATE_TOKEN_PARAMS, PERSONAL_ACCESS_TOKEN, TOKEN_LIST};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::send;
use crate::convert::string_arg;
use crate::errors::Error;
use crate::params::required;
use crate::transport::{Call, Method, Transport};
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
        let call = required(&params, &CREATE_TOKEN_PARAMS)
            .map(|p| Call::with_body(Method::Post, "/v1/personal_access_tokens".into(), wire::body(&p)));
        send(&self.transport, call, &options, &CREATED_PERSONAL_ACCESS_TOKEN)
    }

    /// The site's tokens: `{ data, totalCount }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<TokenList>")]
    pub fn list(&self, #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue) -> Promise {
        send(&self.transport, Ok(Call::get("/v1/personal_access_tokens".into())), &options, &TOKEN_LIST)
    }

    /// One token by id.
    #[wasm_bindgen(unchecked_return_type = "Promise<PersonalAccessToken>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        send(&self.transport, token_path(&id, "").map(Call::get), &options, &PERSONAL_ACCESS_TOKEN)
    }

    /// Revokes a token: every call made with it fails from now on.
    #[wasm_bindgen(unchecked_return_type = "Promise<PersonalAccessToken>")]
    pub fn revoke(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = token_path(&id, "/revoke").map(|path| Call::with_body(Method::Post, path, "{}".to_owned()));
        send(&self.transport, call, &options, &PERSONAL_ACCESS_TOKEN)
    }
}

fn token_path(id: &JsValue, suffix: &str) -> Result<String, Error> {
    Ok(["/v1/personal_access_tokens/", &wire::escape(&string_arg("id", id)?), suffix].concat())
}
