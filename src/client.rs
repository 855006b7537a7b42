//! `new Credport(options)`: the client and its three resources.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::options::ClientConfig;
use crate::resources::{api_keys::ApiKeys, connections::Connections, tokens::PersonalAccessTokens};
use crate::transport::Transport;

/// The credport client. Connections, API keys and personal access tokens of one site, through
/// the token in `apiKey`.
#[wasm_bindgen]
pub struct Credport {
    transport: Rc<Transport>,
}

#[wasm_bindgen]
impl Credport {
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_optional_param_type = "ClientOptions")] options: JsValue) -> Result<Credport, JsValue> {
        let config = ClientConfig::from_js(&options)?;
        Ok(Credport { transport: Rc::new(Transport::new(config)) })
    }

    /// The site's connections (read-only).
    #[wasm_bindgen(getter)]
    pub fn connections(&self) -> Connections {
        Connections::new(self.transport.clone())
    }

    /// API keys the site issues.
    #[wasm_bindgen(getter, js_name = apiKeys)]
    pub fn api_keys(&self) -> ApiKeys {
        ApiKeys::new(self.transport.clone())
    }

    /// Personal access tokens of the site.
    #[wasm_bindgen(getter, js_name = personalAccessTokens)]
    pub fn personal_access_tokens(&self) -> PersonalAccessTokens {
        PersonalAccessTokens::new(self.transport.clone())
    }
}
