//! `client.connections`: read-only access to the site's connections (seed 001).

use std::rc::Rc;

use credport_model::validate::parse_rfc3339;
use credport_model::{
    Connection, ConnectionPage, ConnectionStatus, GetCredentialsParams, ListConnectionsParams,
    ProviderCredentials,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::AbortSignal;

use super::credentials_cache::{CredentialsCache, Lookup};
use super::pager::{NextPage, Page, Pager};
use super::{items_of, list_to_js, string_arg, to_js};
use crate::decode::json;
use crate::errors::Error;
use crate::host::{is_record, keys};
use crate::options::CallOptions;
use crate::params::optional;
use crate::timer::unless_aborted;
use crate::transport::{Call, Transport};
use crate::wire;

/// The site's connections to third-party services.
#[wasm_bindgen]
pub struct Connections {
    transport: Rc<Transport>,
    /// The credentials cache, when the client was made with `credentialsCache`.
    cache: Option<Rc<CredentialsCache>>,
}

impl Connections {
    pub fn new(transport: Rc<Transport>, cache: Option<Rc<CredentialsCache>>) -> Self {
        Connections { transport, cache }
    }
}

#[wasm_bindgen]
impl Connections {
    /// One page of connections: `{ count, page, pageSize, next, previous, payload }`.
    #[wasm_bindgen(unchecked_return_type = "ConnectionPage")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListConnectionsParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let mut page = self
            .transport
            .send(list_call(LIST_PATH, &params)?, &options)
            .await?
            .read(json::<ConnectionPage>)?;
        flag_all(&mut page.payload);
        list_to_js(&page)
    }

    /// Every connection, page after page: `for await (const c of client.connections.listAll())`.
    #[wasm_bindgen(js_name = listAll, unchecked_return_type = "AsyncIterableIterator<Connection>")]
    pub fn list_all(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListConnectionsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListConnectionsParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        Ok(Pager::new(
            self.transport.clone(),
            pages_from(LIST_PATH.to_owned(), params),
            options,
        )
        .into_iterable())
    }

    /// One connection by id.
    #[wasm_bindgen(unchecked_return_type = "Connection")]
    pub async fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::get(["/v1/connections/", &wire::escape(&string_arg("id", &id)?)].concat());
        let options = CallOptions::from_js(&options)?;
        let mut connection = self
            .transport
            .send(call, &options)
            .await?
            .read(json::<Connection>)?;
        flag_all(std::slice::from_mut(&mut connection));
        to_js(&connection)
    }

    /// The secret credentials of the site's active connection to `provider`. Fetch them when
    /// needed rather than storing them; the server refreshes an expiring OAuth2 token first, and
    /// `forceRefresh` asks it to refresh now. With `credentialsCache`, answered from memory while
    /// fresh, and concurrent calls for one provider share one request (with the first call's
    /// timeout and retries); each call's own `signal` ends its own wait only.
    #[wasm_bindgen(js_name = getCredentials, unchecked_return_type = "ProviderCredentials")]
    pub async fn get_credentials(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] provider: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "GetCredentialsParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let provider = string_arg("provider", &provider)?;
        let (params, options) = credentials_args(&params, &options)?;
        let force = params.force_refresh == Some(true);
        let Some(cache) = self.cache.clone() else {
            return Ok(to_js(
                &fetch_credentials(&self.transport, &provider, force, &options).await?,
            )?);
        };
        if options.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(Error::Aborted.into());
        }
        // `forceRefresh` replaces any entry.
        let found = match force {
            true => Lookup::Missing,
            false => cache.lookup(&provider),
        };
        let flight = match found {
            Lookup::Fresh(credentials) => return Ok(to_js(&credentials)?),
            Lookup::Pending(flight) => flight,
            // A request the next callers wait for. It is everyone's: it runs with this call's
            // timeout and retries but not its signal, so that one caller's abort ends its own
            // wait only.
            Lookup::Missing => {
                let flight = cache.next_flight();
                let (transport, shared) = (self.transport.clone(), cache.clone());
                let (name, shared_options) = (provider.clone(), options.without_signal());
                let promise = future_to_promise(async move {
                    let answer = fetch_credentials(&transport, &name, force, &shared_options).await;
                    shared.settle(&name, flight, answer.as_ref().ok());
                    Ok(to_js(&answer?)?)
                });
                cache.pending(&provider, flight, &promise);
                promise
            }
        };
        let answer = unless_aborted(JsFuture::from(flight), options.signal.as_ref())
            .await
            .ok_or(Error::Aborted)??;
        // Each caller gets its own object; the flight's own if the entry is gone.
        match cache.lookup(&provider) {
            Lookup::Fresh(credentials) => Ok(to_js(&credentials)?),
            _ => Ok(answer),
        }
    }

    /// Empties the credentials cache: `provider`'s entry, or every entry. Without
    /// `credentialsCache` there is nothing to empty.
    #[wasm_bindgen(js_name = clearCredentialsCache)]
    pub fn clear_credentials_cache(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] provider: JsValue,
    ) -> Result<(), Error> {
        let provider = match provider.is_undefined() || provider.is_null() {
            true => None,
            false => Some(string_arg("provider", &provider)?),
        };
        if let Some(cache) = &self.cache {
            cache.clear(provider.as_deref());
        }
        Ok(())
    }
}

/// `GET /v1/connections/credentials/{provider}`, with `force_refresh=true` when asked.
async fn fetch_credentials(
    transport: &Transport,
    provider: &str,
    force: bool,
    options: &CallOptions,
) -> Result<ProviderCredentials, Error> {
    let mut call = Call::get(["/v1/connections/credentials/", &wire::escape(provider)].concat());
    if force {
        call = call.with_query(wire::query(
            "params",
            &GetCredentialsParams {
                force_refresh: Some(true),
            },
        )?);
    }
    transport
        .send(call, options)
        .await?
        .read(json::<ProviderCredentials>)
}

/// `getCredentials`' parameters and options. A second argument that holds only request options
/// (`{ timeoutMs }`) with no third is taken as the options: the signature before `forceRefresh`
/// was `getCredentials(provider, options)`, and the two sets of names do not meet.
fn credentials_args(
    params: &JsValue,
    options: &JsValue,
) -> Result<(GetCredentialsParams, CallOptions), Error> {
    let only_options = options.is_undefined()
        && is_record(params)
        && keys(params).is_some_and(|keys| {
            keys.length() > 0
                && keys.iter().all(|k| {
                    k.as_string()
                        .is_some_and(|k| CallOptions::KEYS.contains(&k.as_str()))
                })
        });
    if only_options {
        return Ok((
            GetCredentialsParams::default(),
            CallOptions::from_js(params)?,
        ));
    }
    Ok((
        optional(params, GetCredentialsParams::validate)?,
        CallOptions::from_js(options)?,
    ))
}

/// `listAll`'s fetch of the page `params` name (page-numbered: `page`, `next`) of the list at
/// `path` (the site's [`LIST_PATH`], or the admin's path of a site's list).
pub fn pages_from(path: String, mut params: ListConnectionsParams) -> NextPage {
    Box::new(move |transport, options| {
        Box::pin(async move {
            let mut page = transport
                .send(list_call(&path, &params)?, &options)
                .await?
                .read(json::<ConnectionPage>)?;
            flag_all(&mut page.payload);
            let items = items_of(&page.payload)?;
            // A page past the end is empty: stop there even if the server still names a next one.
            let next = page.next.filter(|_| !items.is_empty()).map(|n| {
                params.page = Some(n);
                pages_from(path, params)
            });
            Ok(Page { items, next })
        })
    })
}

/// The site's own connections.
const LIST_PATH: &str = "/v1/connections";

/// `GET {path}` (the site's [`LIST_PATH`], or the admin's path of a site's list) with these filters.
pub fn list_call(path: &str, params: &ListConnectionsParams) -> Result<Call, Error> {
    Ok(Call::get(path.to_owned()).with_query(wire::query("params", params)?))
}

/// Sets `isActive` and `isExpired` (seed 001's properties) on connections just received, every
/// one judged as of the same instant.
pub fn flag_all(connections: &mut [Connection]) {
    let now_s = js_sys::Date::now() / 1000.0;
    for connection in connections {
        connection.is_active = connection.status == ConnectionStatus::Active;
        connection.is_expired = connection
            .token_expires_at
            .as_deref()
            .and_then(parse_rfc3339)
            .is_some_and(|expires| (expires as f64) <= now_s);
    }
}
