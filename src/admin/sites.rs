//! `admin.sites`: the tenants.

use std::rc::Rc;

use credport_model::{CreateSiteParams, Site, SiteList};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use crate::decode::json;
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::required;
use crate::resources::answer_js;
use crate::transport::{Call, Transport};
use crate::wire;

const PATH: &str = "/v1/admin/sites";

/// Every site of the server.
#[wasm_bindgen]
pub struct Sites {
    transport: Rc<Transport>,
}

impl Sites {
    pub fn new(transport: Rc<Transport>) -> Self {
        Sites { transport }
    }
}

#[wasm_bindgen]
impl Sites {
    /// Every site, oldest first: `{ data, totalCount }`.
    #[wasm_bindgen(unchecked_return_type = "SiteList")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.transport
                .send(Call::get(PATH.to_owned()), &options)
                .await?,
            json::<SiteList>,
        )
    }

    /// Creates a site.
    #[wasm_bindgen(unchecked_return_type = "Site")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateSiteParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateSiteParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(
            Method::POST,
            PATH.to_owned(),
            wire::body("params", &params)?,
        );
        answer_js(self.transport.send(call, &options).await?, json::<Site>)
    }
}
