//! `client.apiKeys`: keys the site issues to its users and machines (seed 004).

use std::rc::Rc;

use credport_model::validate;
use credport_model::{
    ApiKey, ApiKeyList, ApiKeySecret, CreateApiKeyParams, DeletedApiKey, JsonInput,
    ListApiKeysParams, RevokeApiKeyParams, UpdateApiKeyParams, VerifyApiKeyResult,
};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::pager::{NextPage, Page, Pager};
use super::{answer_js, answer_list_js, items_of, string_arg};
use crate::decode::{self, json};
use crate::errors::Error;
use crate::host::type_name;
use crate::options::CallOptions;
use crate::params::{check_json, optional, required};
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
    #[wasm_bindgen(unchecked_return_type = "CreatedApiKey")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateApiKeyParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateApiKeyParams::validate)?;
        check_claims(params.claims.as_ref())?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(
            Method::POST,
            "/v1/api_keys".into(),
            wire::body("params", &params)?,
        );
        answer_js(
            self.transport.send(call, &options).await?,
            decode::created_api_key,
        )
    }

    /// One page of keys: `{ data, totalCount }`. Revoked and expired keys only with `includeInvalid`.
    #[wasm_bindgen(unchecked_return_type = "ApiKeyList")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListApiKeysParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListApiKeysParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        answer_list_js(
            self.transport
                .send(list_call(LIST_PATH, &params)?, &options)
                .await?,
            json::<ApiKeyList>,
        )
    }

    /// Every key, page after page: `for await (const key of client.apiKeys.listAll())`.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<ApiKey>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListApiKeysParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListApiKeysParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        Ok(Pager::new(
            self.transport.clone(),
            pages_from(LIST_PATH.to_owned(), params),
            options,
        )
        .into_iterable())
    }

    /// One key by id.
    #[wasm_bindgen(unchecked_return_type = "ApiKey")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(key_path(&id, "")?);
        let options = CallOptions::from_js(&options)?;
        answer_js(self.transport.send(call, &options).await?, json::<ApiKey>)
    }

    /// Changes a key's claims, scopes, description, subject or expiry; `null` clears a nullable field.
    #[wasm_bindgen(unchecked_return_type = "ApiKey")]
    pub async fn update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UpdateApiKeyParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let path = key_path(&id, "")?;
        let params = required(&params, UpdateApiKeyParams::validate)?;
        check_claims(params.claims.as_ref().and_then(Option::as_ref))?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(Method::PATCH, path, wire::body("params", &params)?);
        answer_js(self.transport.send(call, &options).await?, json::<ApiKey>)
    }

    /// Deletes a key for good: `{ id, object, deleted }`.
    #[wasm_bindgen(unchecked_return_type = "DeletedApiKey")]
    pub async fn delete(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::delete(key_path(&id, "")?);
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.transport.send(call, &options).await?,
            json::<DeletedApiKey>,
        )
    }

    /// The key's secret: `{ secret }`.
    #[wasm_bindgen(js_name = getSecret, unchecked_return_type = "ApiKeySecret")]
    pub async fn get_secret(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(key_path(&id, "/secret")?);
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.transport.send(call, &options).await?,
            json::<ApiKeySecret>,
        )
    }

    /// Revokes a key: it fails verification from now on and is listed only with `includeInvalid`.
    #[wasm_bindgen(unchecked_return_type = "ApiKey")]
    pub async fn revoke(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RevokeApiKeyParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let path = key_path(&id, "/revoke")?;
        let params = optional(&params, RevokeApiKeyParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(Method::POST, path, wire::body("params", &params)?);
        answer_js(self.transport.send(call, &options).await?, json::<ApiKey>)
    }

    /// Checks a secret: `{ valid, code, apiKey }`. An invalid key is a result, not an error.
    #[wasm_bindgen(unchecked_return_type = "VerifyApiKeyResult")]
    pub async fn verify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] secret: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let Some(secret) = secret.as_string() else {
            return Err(Error::invalid(
                "secret",
                ["must be a string, got ", &type_name(&secret)].concat(),
            ));
        };
        validate::secret("secret", &secret).map_err(|e| Error::invalid("secret", e.message))?;
        let options = CallOptions::from_js(&options)?;
        let body = wire::body(
            "secret",
            &credport_model::VerifyApiKeyParams {
                secret: credport_model::Secret::new(secret),
            },
        )?;
        let call = Call::with_body(Method::POST, "/v1/api_keys/verify".into(), body);
        answer_js(
            self.transport.send(call, &options).await?,
            json::<VerifyApiKeyResult>,
        )
    }
}

/// `claims`, if given, must be plain JSON data.
fn check_claims(claims: Option<&JsonInput>) -> Result<(), Error> {
    claims.map_or(Ok(()), |claims| check_json("params.claims", claims.value()))
}

/// `/v1/api_keys/{id}{suffix}` with the id checked and escaped.
fn key_path(id: &JsValue, suffix: &str) -> Result<String, Error> {
    Ok([
        "/v1/api_keys/",
        &wire::escape(&string_arg("id", id)?),
        suffix,
    ]
    .concat())
}

/// `listAll`'s fetch of the page `params` name (offset-based: `offset`, `limit`, `totalCount`) of
/// the list at `path` (the site's [`LIST_PATH`], or the admin's path of a site's list).
pub fn pages_from(path: String, mut params: ListApiKeysParams) -> NextPage {
    Box::new(move |transport, options| {
        Box::pin(async move {
            let list = transport
                .send(list_call(&path, &params)?, &options)
                .await?
                .read(json::<ApiKeyList>)?;
            let limit = u64::from(params.limit.unwrap_or(ListApiKeysParams::DEFAULT_LIMIT));
            let count = list.data.len() as u64;
            let next_offset = u64::from(params.offset.unwrap_or(0)) + count;
            let more = count == limit && next_offset < list.total_count;
            let next = u32::try_from(next_offset)
                .ok()
                .filter(|_| more)
                .map(|offset| {
                    params.offset = Some(offset);
                    pages_from(path, params)
                });
            let items = items_of(&list.data)?;
            Ok(Page { items, next })
        })
    })
}

/// The site's own keys.
const LIST_PATH: &str = "/v1/api_keys";

/// `GET {path}` (the site's [`LIST_PATH`], or the admin's path of a site's list) with these filters.
pub fn list_call(path: &str, params: &ListApiKeysParams) -> Result<Call, Error> {
    Ok(Call::get(path.to_owned()).with_query(wire::query("params", params)?))
}
