//! `admin.site(id).personalAccessTokens`: the tokens of any user of a site.

use credport_model::{
    CreateAdminTokenParams, ListSiteTokensParams, PersonalAccessToken, TokenList,
};
use gloo_net::http::Method;
use wasm_bindgen::prelude::*;

use super::SitePath;
use crate::decode::{self, json};
use crate::errors::Error;
use crate::options::CallOptions;
use crate::params::{optional, required};
use crate::resources::{answer_js, answer_list_js};
use crate::transport::Call;
use crate::wire;

const RESOURCE: &str = "personal_access_tokens";

/// A site's personal access tokens, as the admin manages them.
#[wasm_bindgen]
pub struct AdminPersonalAccessTokens {
    site: SitePath,
}

impl AdminPersonalAccessTokens {
    pub fn new(site: SitePath) -> Self {
        AdminPersonalAccessTokens { site }
    }
}

#[wasm_bindgen]
impl AdminPersonalAccessTokens {
    /// The site's tokens, newest first, of every user or of `userId`: `{ data, totalCount }`.
    #[wasm_bindgen(unchecked_return_type = "TokenList")]
    pub async fn list(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ListSiteTokensParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = optional(&params, ListSiteTokensParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::get(self.site.of(RESOURCE)).with_query(wire::query("params", &params)?);
        answer_list_js(
            self.site.transport.send(call, &options).await?,
            json::<TokenList>,
        )
    }

    /// Creates a token for any user of the site (every scope unless `scopes` says otherwise).
    /// The result holds the `token`, shown this once.
    #[wasm_bindgen(unchecked_return_type = "CreatedPersonalAccessToken")]
    pub async fn create(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreateAdminTokenParams")] params: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let params = required(&params, CreateAdminTokenParams::validate)?;
        let options = CallOptions::from_js(&options)?;
        let call = Call::with_body(
            Method::POST,
            self.site.of(RESOURCE),
            wire::body("params", &params)?,
        );
        answer_js(
            self.site.transport.send(call, &options).await?,
            decode::created_personal_access_token,
        )
    }

    /// Revokes any token of the site (`revokedBy` is `"admin"`).
    #[wasm_bindgen(unchecked_return_type = "PersonalAccessToken")]
    pub async fn revoke(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestOptions")] options: JsValue,
    ) -> Result<JsValue, Error> {
        let call = Call::with_body(
            Method::POST,
            self.site.one(RESOURCE, "id", &id, "/revoke")?,
            "{}".to_owned(),
        );
        let options = CallOptions::from_js(&options)?;
        answer_js(
            self.site.transport.send(call, &options).await?,
            json::<PersonalAccessToken>,
        )
    }
}
