//! `client.apiKeys`: keys the site issues to its users and machines (seed 004).

use std::rc::Rc;

use credport_model::{
    ApiKey, ApiKeyList, ApiKeySecret, CreateApiKeyParams, CreatedApiKey, DeletedApiKey, ListApiKeysParams,
    RevokeApiKeyParams, Secret, UpdateApiKeyParams, VerifyApiKeyParams, VerifyApiKeyResult,
};
use gloo_net::http::Method;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::pager::{PageSource, Pager};
use super::{as_is, optional, required, send};
use crate::convert::{string_arg, to_js, type_name};
use crate::decode;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::transport::{Call, Transport};
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
        let call = required(params, CreateApiKeyParams::validate)
            .and_then(|p| Ok(Call::with_body(Method::POST, "/v1/api_keys".into(), wire::body(&p)?)));
        send(&self.transport, call, &options, reply_created)
    }

    /// One page of keys: `{ data, totalCount }`. Revoked and expired keys only with `includeInvalid`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ApiKeyList>")]
    pub fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListApiKeysParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = optional(params, ListApiKeysParams::validate).and_then(|p| list_call(&p));
        send(&self.transport, call, &options, as_is::<ApiKeyList>)
    }

    /// Every key, page after page: `for await (const key of client.apiKeys.listAll())`.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<ApiKey>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListApiKeysParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let params = optional(params, ListApiKeysParams::validate)?;
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
        send(&self.transport, key_path(&id, "").map(Call::get), &options, as_is::<ApiKey>)
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
            let p = required(params, UpdateApiKeyParams::validate)?;
            Ok(Call::with_body(Method::PATCH, path, wire::body(&p)?))
        });
        send(&self.transport, call, &options, as_is::<ApiKey>)
    }

    /// Deletes a key for good: `{ id, object, deleted }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<DeletedApiKey>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = key_path(&id, "").map(|path| Call { method: Method::DELETE, ..Call::get(path) });
        send(&self.transport, call, &options, as_is::<DeletedApiKey>)
    }

    /// The key's secret: `{ secret }`.
    #[wasm_bindgen(js_name = getSecret, unchecked_return_type = "Promise<ApiKeySecret>")]
    pub fn get_secret(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        send(&self.transport, key_path(&id, "/secret").map(Call::get), &options, as_is::<ApiKeySecret>)
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
            let p = optional(params, RevokeApiKeyParams::validate)?;
            Ok(Call::with_body(Method::POST, path, wire::body(&p)?))
        });
        send(&self.transport, call, &options, as_is::<ApiKey>)
    }

    /// Checks a secret: `{ valid, code, apiKey }`. An invalid key is a result, not an error.
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyApiKeyResult>")]
    pub fn verify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] secret: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Promise {
        let call = match secret.as_string() {
            Some(secret) => {
                let p = VerifyApiKeyParams { secret: Secret::new(secret) };
                match p.validate() {
                    Ok(()) => wire::body(&p).map(|body| Call::with_body(Method::POST, "/v1/api_keys/verify".into(), body)),
                    Err(e) => Err(Error::invalid("secret", e.message)),
                }
            }
            None => Err(Error::invalid("secret", format!("must be a string, got {}", type_name(&secret)))),
        };
        send(&self.transport, call, &options, as_is::<VerifyApiKeyResult>)
    }
}

/// A created key: the key and its secret read as two plain structs (serde's `flatten` would
/// buffer the whole body and cost the wasm several kilobytes).
fn reply_created(status: u16, request_id: Option<String>, text: &str) -> Result<JsValue, Error> {
    let api_key: ApiKey = decode::success(status, request_id.clone(), text)?;
    let ApiKeySecret { secret } = decode::success(status, request_id, text)?;
    to_js(&CreatedApiKey { api_key, secret })
}

/// `/v1/api_keys/{id}{suffix}` with the id checked and escaped.
fn key_path(id: &JsValue, suffix: &str) -> Result<String, Error> {
    Ok(format!("/v1/api_keys/{}{suffix}", wire::escape(&string_arg("id", id)?)))
}

/// `GET /v1/api_keys` with these filters.
pub fn list_call(params: &ListApiKeysParams) -> Result<Call, Error> {
    Ok(Call::get("/v1/api_keys".to_owned()).with_query(wire::query(params)?))
}
