//! `credport/admin`: the admin client, over `/v1/admin/*` with the server's admin token. Built
//! only with the crate's `admin` feature, into a `.wasm` of its own (scripts/build.mjs), so that
//! loading `credport` does not grow with it. Its transport, options, errors, parameters and pager
//! are the SDK's own: only the paths, the token option and the resources are the admin's.

mod api_keys;
mod connect_sessions;
mod connections;
mod events;
mod provider_configs;
mod sites;
mod tokens;
mod webhook_endpoints;

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::decode::Fault;
use crate::errors::Error;
use crate::options::{ClientConfig, TokenOption};
use crate::resources::string_arg;
use crate::transport::Transport;
use crate::wire;

#[wasm_bindgen(typescript_custom_section)]
const ADMIN_OPTIONS_TS: &'static str = r#"
/**
 * Options of `new CredportAdmin(...)`: those of `new Credport(...)`, with the admin token. In a
 * browser page `dangerouslyAllowBrowser: true` is required (the console passes it: the person
 * signing in types the token, and it stays in the tab).
 */
export interface AdminClientOptions extends SharedClientOptions {
  /** The server's admin token. Default: `CREDPORT_ADMIN_TOKEN` where the runtime has `process.env`. */
  adminToken?: string;
}
"#;

/// `new CredportAdmin(options)`'s token and options: `Credport`'s without `credentialsCache`.
const ADMIN_TOKEN: TokenOption = TokenOption {
    name: "adminToken",
    env: "CREDPORT_ADMIN_TOKEN",
    argument: "options.adminToken",
    required: "is required: pass it or set CREDPORT_ADMIN_TOKEN",
    known: &[
        "adminToken",
        "baseUrl",
        "maxRetries",
        "timeoutMs",
        "fetch",
        "dangerouslyAllowBrowser",
        "logLevel",
        "logger",
    ],
};

/// The admin client: every site, and through [`CredportAdmin::site`] one site's connections,
/// provider configurations, personal access tokens, API keys, events and webhook endpoints.
#[wasm_bindgen]
pub struct CredportAdmin {
    transport: Rc<Transport>,
    sites: JsValue,
}

#[wasm_bindgen]
impl CredportAdmin {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "AdminClientOptions")] options: JsValue,
    ) -> Result<CredportAdmin, JsValue> {
        let transport = Rc::new(Transport::new(ClientConfig::from_js(
            &options,
            &ADMIN_TOKEN,
        )?));
        Ok(CredportAdmin {
            sites: sites::Sites::new(transport.clone()).into(),
            transport,
        })
    }

    /// Every site (list, create).
    #[wasm_bindgen(getter, unchecked_return_type = "Sites")]
    pub fn sites(&self) -> JsValue {
        self.sites.clone()
    }

    /// One site's resources. The id is checked here, before any request.
    pub fn site(
        &self,
        #[wasm_bindgen(js_name = "siteId", unchecked_param_type = "string")] site_id: JsValue,
    ) -> Result<SiteAdmin, Error> {
        let path = [
            "/v1/admin/sites/",
            &wire::escape(&string_arg("siteId", &site_id)?),
        ]
        .concat();
        let site = SitePath {
            transport: self.transport.clone(),
            path: Rc::from(path),
        };
        Ok(SiteAdmin {
            connections: connections::AdminConnections::new(site.clone()).into(),
            connect_sessions: connect_sessions::ConnectSessions::new(site.clone()).into(),
            provider_configs: provider_configs::ProviderConfigs::new(site.clone()).into(),
            personal_access_tokens: tokens::AdminPersonalAccessTokens::new(site.clone()).into(),
            api_keys: api_keys::AdminApiKeys::new(site.clone()).into(),
            events: events::AdminEvents::new(site.clone()).into(),
            webhook_endpoints: webhook_endpoints::WebhookEndpoints::new(site).into(),
        })
    }
}

/// One site, as `admin.site(siteId)` returns it: its resources, each made once.
#[wasm_bindgen]
pub struct SiteAdmin {
    connections: JsValue,
    connect_sessions: JsValue,
    provider_configs: JsValue,
    personal_access_tokens: JsValue,
    api_keys: JsValue,
    events: JsValue,
    webhook_endpoints: JsValue,
}

#[wasm_bindgen]
impl SiteAdmin {
    /// The site's connections, with their secret credentials going in (never out).
    #[wasm_bindgen(getter, unchecked_return_type = "AdminConnections")]
    pub fn connections(&self) -> JsValue {
        self.connections.clone()
    }

    /// Connect sessions: a person connects a provider by authorizing at it.
    #[wasm_bindgen(getter, js_name = connectSessions, unchecked_return_type = "ConnectSessions")]
    pub fn connect_sessions(&self) -> JsValue {
        self.connect_sessions.clone()
    }

    /// The site's OAuth2 clients; the client secret is write-only.
    #[wasm_bindgen(getter, js_name = providerConfigs, unchecked_return_type = "ProviderConfigs")]
    pub fn provider_configs(&self) -> JsValue {
        self.provider_configs.clone()
    }

    /// The personal access tokens of any user of the site.
    #[wasm_bindgen(getter, js_name = personalAccessTokens, unchecked_return_type = "AdminPersonalAccessTokens")]
    pub fn personal_access_tokens(&self) -> JsValue {
        self.personal_access_tokens.clone()
    }

    /// The API keys the site issued (list, revoke).
    #[wasm_bindgen(getter, js_name = apiKeys, unchecked_return_type = "AdminApiKeys")]
    pub fn api_keys(&self) -> JsValue {
        self.api_keys.clone()
    }

    /// The site's audit log: every change and every read of a secret, newest first.
    #[wasm_bindgen(getter, unchecked_return_type = "AdminEvents")]
    pub fn events(&self) -> JsValue {
        self.events.clone()
    }

    /// Where the site's events are delivered, signed (list, get, create, update, delete,
    /// deliveries).
    #[wasm_bindgen(getter, js_name = webhookEndpoints, unchecked_return_type = "WebhookEndpoints")]
    pub fn webhook_endpoints(&self) -> JsValue {
        self.webhook_endpoints.clone()
    }
}

/// The transport, and the path of one site below which its resources live
/// (`/v1/admin/sites/{site}`, the id escaped).
#[derive(Clone)]
pub struct SitePath {
    transport: Rc<Transport>,
    path: Rc<str>,
}

impl SitePath {
    /// `{site}/{resource}`.
    fn of(&self, resource: &str) -> String {
        [&*self.path, "/", resource].concat()
    }

    /// `{site}/{resource}/{id}{suffix}`, with `id` (the JS argument named `argument`) checked and
    /// escaped.
    fn one(
        &self,
        resource: &str,
        argument: &str,
        id: &JsValue,
        suffix: &str,
    ) -> Result<String, Error> {
        Ok([
            &*self.path,
            "/",
            resource,
            "/",
            &wire::escape(&string_arg(argument, id)?),
            suffix,
        ]
        .concat())
    }
}

/// An answer without a body (204): read as nothing, whatever it holds.
fn no_content(_text: &str) -> Result<(), Fault> {
    Ok(())
}
