//! `new Credport(options)`: the client and its three resources.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::options::{ClientConfig, API_KEY};
use crate::resources::credentials_cache::CredentialsCache;
use crate::resources::{api_keys::ApiKeys, connections::Connections, tokens::PersonalAccessTokens};
use crate::transport::Transport;

/// The credport client: connections, API keys and personal access tokens of one site, through
/// the token in `apiKey`.
#[wasm_bindgen]
pub struct Credport {
    // The resources are made once, as JS objects, so that `client.connections` is the same object
    // on every access instead of a new wasm allocation waiting for the garbage collector.
    connections: JsValue,
    api_keys: JsValue,
    personal_access_tokens: JsValue,
}

#[wasm_bindgen]
impl Credport {
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue,
    ) -> Result<Credport, JsValue> {
        let config = ClientConfig::from_js(&options, &API_KEY)?;
        let cache = config
            .credentials_max_age_ms
            .map(|max_age_ms| Rc::new(CredentialsCache::new(max_age_ms)));
        let transport = Rc::new(Transport::new(config));
        Ok(Credport {
            connections: Connections::new(transport.clone(), cache).into(),
            api_keys: ApiKeys::new(transport.clone()).into(),
            personal_access_tokens: PersonalAccessTokens::new(transport).into(),
        })
    }

    /// The site's connections (read-only).
    #[wasm_bindgen(getter, unchecked_return_type = "Connections")]
    pub fn connections(&self) -> JsValue {
        self.connections.clone()
    }

    /// API keys the site issues.
    #[wasm_bindgen(getter, js_name = apiKeys, unchecked_return_type = "ApiKeys")]
    pub fn api_keys(&self) -> JsValue {
        self.api_keys.clone()
    }

    /// Personal access tokens of the site.
    #[wasm_bindgen(getter, js_name = personalAccessTokens, unchecked_return_type = "PersonalAccessTokens")]
    pub fn personal_access_tokens(&self) -> JsValue {
        self.personal_access_tokens.clone()
    }
}
