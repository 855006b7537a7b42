//! `client.apiKeys`: keys the site issues to its users and machines (seed 004).

use std::rc::Rc;

use credport_model::shape;
use credport_model::{
    API_KEY, API_KEY_LIST, API_KEY_SECRET, CREATED_API_KEY, CREATE_API_KEY_PARAMS, DELETED_API_KEY, LIST_API_KEYS_PARAMS,
    REVOKE_API_KEY_PARAMS, UPDATE_API_KEY_PARAMS, VERIFY_API_KEY_RESULT,
};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::pager::{PageSource, Pager};
use super::send;
use crate::convert::{self, string_arg, type_name};
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::{optional, required, Params};
use crate::transport::{Call, Method, Transport};
use crate::wire;

/// API keys of the site.
#[wasm_bindgen]
pub struct ApiKeys {
    transport: Rc<Transport>,
}

impl ApiKeys {
    pub fn new(transport: Rc<Transport>) -> Self {
        ApiKeys { transport }
    }
}

#[wasm_bindgen]
impl ApiKeys {
    /// Creates a key. The result holds its `secret`, this once.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedApiKey>")]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateApiKeyParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = required(&params, &CREATE_API_KEY_PARAMS)
            .map(|p| Call::with_body(Method::Post, "/v1/api_keys".into(), wire::body(&p)));
        send(&self.transport, call, &options, &CREATED_API_KEY)
    }

    /// One page of keys: `{ data, totalCount }`. Revoked and expired keys only with `includeInvalid`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ApiKeyList>")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListApiKeysParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = optional(&params, &LIST_API_KEYS_PARAMS).map(|p| list_call(&p));
        send(&self.transport, call, &options, &API_KEY_LIST)
    }

    /// Every key, page after page: `for await (const key of client.apiKeys.listAll())`.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<ApiKey>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListApiKeysParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let params = optional(&params, &LIST_API_KEYS_PARAMS)?;
        let options = CallOptions::from_js(&options)?;
        Ok(Pager::start(self.transport.clone(), PageSource::ApiKeys(params), options))
    }

    /// One key by id.
    #[wasm_bindgen(unchecked_return_type = "Promise<ApiKey>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        send(&self.transport, key_path(&id, "").map(Call::get), &options, &API_KEY)
    }

    /// Changes a key's claims, scopes, description, subject or expiry; `null` clears a nullable field.
    #[wasm_bindgen(unchecked_return_type = "Promise<ApiKey>")]
    pub fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UpdateApiKeyParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = key_path(&id, "").and_then(|path| {
            let p = required(&params, &UPDATE_API_KEY_PARAMS)?;
            Ok(Call::with_body(Method::Patch, path, wire::body(&p)))
        });
        send(&self.transport, call, &options, &API_KEY)
    }

    /// Deletes a key for good: `{ id, object, deleted }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<DeletedApiKey>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = key_path(&id, "").map(|path| Call { method: Method::Delete, ..Call::get(path) });
        send(&self.transport, call, &options, &DELETED_API_KEY)
    }

    /// The key's secret: `{ secret }`.
    #[wasm_bindgen(js_name = getSecret, unchecked_return_type = "Promise<ApiKeySecret>")]
    pub fn get_secret(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        send(&self.transport, key_path(&id, "/secret").map(Call::get), &options, &API_KEY_SECRET)
    }

    /// Revokes a key: it fails verification from now on and is listed only with `includeInvalid`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ApiKey>")]
    pub fn revoke(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RevokeApiKeyParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = key_path(&id, "/revoke").and_then(|path| {
            let p = optional(&params, &REVOKE_API_KEY_PARAMS)?;
            Ok(Call::with_body(Method::Post, path, wire::body(&p)))
        });
        send(&self.transport, call, &options, &API_KEY)
    }

    /// Checks a secret: `{ valid, code, apiKey }`. An invalid key is a result, not an error.
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyApiKeyResult>")]
    pub fn verify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] secret: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = verify_body(&secret).map(|body| Call::with_body(Method::Post, "/v1/api_keys/verify".into(), body));
        send(&self.transport, call, &options, &VERIFY_API_KEY_RESULT)
    }
}

/// `{"secret": …}`, the secret checked first.
fn verify_body(secret: &JsValue) -> Result<String, Error> {
    let Some(value) = secret.as_string() else {
        return Err(Error::invalid("secret", ["must be a string, got ", &type_name(secret)].concat()));
    };
    shape::secret("secret", &value).map_err(|e| Error::invalid("secret", e.message))?;
    Ok(["{\"secret\":", &convert::stringify("secret", secret)?, "}"].concat())
}

/// `/v1/api_keys/{id}{suffix}` with the id checked and escaped.
fn key_path(id: &JsValue, suffix: &str) -> Result<String, Error> {
    Ok(["/v1/api_keys/", &wire::escape(&string_arg("id", id)?), suffix].concat())
}

/// `GET /v1/api_keys` with these filters.
pub fn list_call(params: &Params) -> Call {
    Call::get("/v1/api_keys".to_owned()).with_query(wire::query(params))
}
