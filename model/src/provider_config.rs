//! Provider configurations (admin token): the OAuth2 client a site uses to refresh the tokens of
//! its connections, found by a connection's `provider_config_key` (seed 002). In the SDK, the
//! admin client's (the `admin` feature). The client secret is write-only: it is in the create and
//! update parameters, never in a
//! [`ProviderConfig`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::validate::{self, Checked, FieldError};

open_enum! {
    /// How the client authenticates to the token endpoint (RFC 6749 §2.3.1).
    ClientAuthMethod {
        /// HTTP Basic authentication with the client id and secret (the default).
        ClientSecretBasic = "client_secret_basic",
        /// `client_id` and `client_secret` in the form body.
        ClientSecretPost = "client_secret_post",
    }
}

/// A site's OAuth2 client for one provider, as the admin API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ProviderConfig {
    /// Unique in the site; connections name it in `provider_config_key`.
    pub key: String,
    pub provider: String,
    pub token_url: String,
    /// Where a person is sent to authorize a connect (API.md "Connect"); without it the
    /// configuration only refreshes.
    pub authorization_url: Option<String>,
    /// Extra query parameters of the authorization request, such as `access_type=offline`.
    /// A plain object in JS, as every free-form object is (tsify would say `Map`).
    #[cfg_attr(feature = "admin", tsify(type = "Record<string, string>"))]
    pub authorization_params: BTreeMap<String, String>,
    pub client_id: String,
    pub auth_method: ClientAuthMethod,
    /// Sent as `scope` with each refresh when not empty.
    pub scopes: Vec<String>,
    /// A token expiring within this many seconds is refreshed before it is handed out.
    pub refresh_margin_seconds: u32,
    /// Read-only: where the provider sends the person back after a connect,
    /// `{CREDPORT_PUBLIC_URL}/oauth/callback`, the one address to register at the provider. The
    /// server's, not the configuration's (the same for all): answered so that whoever registers it
    /// copies what the server will send, not a guess from the address they reach it by.
    pub redirect_uri: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /v1/admin/sites/{site}/provider_configs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ProviderConfigList {
    pub data: Vec<ProviderConfig>,
    pub total_count: u64,
}

/// The default of `refresh_margin_seconds`: five minutes.
pub const DEFAULT_REFRESH_MARGIN_SECONDS: u32 = 300;
/// The largest `refresh_margin_seconds`: a day.
pub const MAX_REFRESH_MARGIN_SECONDS: u32 = 86_400;
/// Most `authorization_params`.
const MAX_AUTHORIZATION_PARAMS: usize = 32;
/// The query parameters credport writes itself into an authorization request, and
/// `response_mode`, which would send the answer where credport does not read it: neither an
/// `authorization_params` entry nor the authorization URL's own query may name one, in any case
/// (the request would carry it twice, and a provider reading the first would take that one;
/// RFC 6749 §3.1: a parameter is sent once).
const RESERVED_AUTHORIZATION_PARAMS: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
];

/// `name` if it is one of [`RESERVED_AUTHORIZATION_PARAMS`], whatever its case.
fn reserved(name: &str) -> Option<&'static str> {
    RESERVED_AUTHORIZATION_PARAMS
        .into_iter()
        .find(|r| r.eq_ignore_ascii_case(name))
}

/// The refusal of a reserved parameter set in `field`.
fn reserved_error(field: &'static str, name: &str) -> FieldError {
    let why = match name.eq_ignore_ascii_case("scope") {
        true => ": credport sets it (the scopes come from scopes)",
        false => ": credport sets it",
    };
    FieldError::new(field, ["must not set ", name, why].concat())
}

/// An authorization URL whose own query names no reserved parameter.
fn authorization_url(url: Option<&str>) -> Checked {
    const FIELD: &str = "authorization_url";
    validate::opt_secure_url(FIELD, url)?;
    let query = url
        .and_then(|url| url.split('#').next())
        .and_then(|url| url.split_once('?'))
        .map_or("", |(_, query)| query);
    for pair in query.split('&') {
        let name = percent_decoded(pair.split('=').next().unwrap_or_default());
        if let Some(name) = reserved(&name) {
            return Err(reserved_error(FIELD, name));
        }
    }
    Ok(())
}

/// A query parameter's name as a provider reads it: `+` a space, `%xx` its byte.
fn percent_decoded(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                at += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                at += 1;
            }
            _ => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `POST /v1/admin/sites/{site}/provider_configs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CreateProviderConfigParams {
    pub key: String,
    pub provider: String,
    pub token_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// Free-form: its keys are written as they are, not in `snake_case` (a map's keys are data).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "admin", tsify(type = "Record<string, string>"))]
    pub authorization_params: BTreeMap<String, String>,
    pub client_id: String,
    /// Write-only: stored encrypted, never answered.
    #[cfg_attr(feature = "admin", tsify(type = "string"))]
    pub client_secret: Secret,
    /// Default `client_secret_basic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<ClientAuthMethod>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Default 300.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_margin_seconds: Option<u32>,
}

impl CreateProviderConfigParams {
    pub fn validate(&self) -> Checked {
        config_key(&self.key)?;
        validate::label("provider", &self.provider)?;
        validate::secure_url("token_url", &self.token_url)?;
        authorization_url(self.authorization_url.as_deref())?;
        authorization_params(&self.authorization_params)?;
        client_credential("client_id", &self.client_id)?;
        client_credential("client_secret", self.client_secret.expose())?;
        known_auth_method(self.auth_method.as_ref())?;
        validate::scopes("scopes", &self.scopes)?;
        margin(self.refresh_margin_seconds)
    }
}

/// `PATCH /v1/admin/sites/{site}/provider_configs/{key}`: absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct UpdateProviderConfigParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// Replaces the whole object. Free-form: its keys are written as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "admin", tsify(type = "Record<string, string>"))]
    pub authorization_params: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Write-only: stored encrypted, never answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "admin", tsify(type = "string"))]
    pub client_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<ClientAuthMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_margin_seconds: Option<u32>,
}

impl UpdateProviderConfigParams {
    pub fn validate(&self) -> Checked {
        validate::opt_label("provider", self.provider.as_deref())?;
        validate::opt_secure_url("token_url", self.token_url.as_deref())?;
        authorization_url(self.authorization_url.as_deref())?;
        if let Some(params) = &self.authorization_params {
            authorization_params(params)?;
        }
        if let Some(id) = &self.client_id {
            client_credential("client_id", id)?;
        }
        if let Some(secret) = &self.client_secret {
            client_credential("client_secret", secret.expose())?;
        }
        known_auth_method(self.auth_method.as_ref())?;
        if let Some(scopes) = &self.scopes {
            validate::scopes("scopes", scopes)?;
        }
        margin(self.refresh_margin_seconds)
    }
}

/// A key is a label that can stand in a URL path: no `/`.
fn config_key(key: &str) -> Checked {
    validate::label("key", key)?;
    if key.contains('/') {
        return Err(FieldError::new("key", "must not contain /"));
    }
    Ok(())
}

/// A client id or secret: RFC 6749's VSCHAR (printable ASCII), 1 to 512 characters. The
/// message never quotes the value.
fn client_credential(field: &'static str, value: &str) -> Checked {
    if value.is_empty() || value.len() > 512 {
        return Err(FieldError::new(field, "must be 1 to 512 characters"));
    }
    if !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(FieldError::new(
            field,
            "must be printable ASCII (RFC 6749 VSCHAR)",
        ));
    }
    Ok(())
}

fn known_auth_method(method: Option<&ClientAuthMethod>) -> Checked {
    match method {
        Some(m) if !m.is_known() => Err(FieldError::new(
            "auth_method",
            ["must be one of ", &ClientAuthMethod::KNOWN.join(", ")].concat(),
        )),
        _ => Ok(()),
    }
}

/// Extra authorization request parameters: at most [`MAX_AUTHORIZATION_PARAMS`], each name a
/// label that is none of [`RESERVED_AUTHORIZATION_PARAMS`], each value short text.
fn authorization_params(params: &BTreeMap<String, String>) -> Checked {
    const FIELD: &str = "authorization_params";
    if params.len() > MAX_AUTHORIZATION_PARAMS {
        return Err(FieldError::new(
            FIELD,
            [
                "must hold at most ",
                &validate::decimal(MAX_AUTHORIZATION_PARAMS as u64),
                " parameters",
            ]
            .concat(),
        ));
    }
    for (name, value) in params {
        validate::label(FIELD, name)?;
        validate::text(FIELD, value, validate::MAX_URL)?;
        if reserved(name).is_some() {
            return Err(reserved_error(FIELD, name));
        }
    }
    Ok(())
}

fn margin(seconds: Option<u32>) -> Checked {
    seconds.map_or(Ok(()), |s| {
        validate::range(
            "refresh_margin_seconds",
            s.into(),
            0,
            MAX_REFRESH_MARGIN_SECONDS.into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_secret_is_not_in_debug_output() {
        let params: CreateProviderConfigParams = serde_json::from_str(
            r#"{"key":"k","provider":"p","token_url":"https://a.example/t","client_id":"c","client_secret":"s3cr3t-value"}"#,
        )
        .unwrap();
        assert!(params.validate().is_ok());
        assert!(!format!("{params:?}").contains("s3cr3t"));
        let update = UpdateProviderConfigParams {
            client_secret: Some(Secret::new("s3cr3t-value")),
            ..Default::default()
        };
        assert!(!format!("{update:?}").contains("s3cr3t"));
    }

    #[test]
    fn token_urls_are_https_or_loopback_http() {
        for good in [
            "https://oauth2.googleapis.com/token",
            "https://example.com:8443/token?x=1",
            "http://127.0.0.1:9000/token",
            "HTTP://localhost/token",
            "http://[::1]:9000/token",
            "http://127.8.9.10/t",
            "https://example.com:/token",
            "https://bücher.example/token",
            "https://my_host.internal:65535/token",
        ] {
            assert!(validate::secure_url("token_url", good).is_ok(), "{good}");
        }
        for bad in [
            "http://example.com/token",
            "http://10.0.0.1/token",
            "ftp://127.0.0.1/token",
            "oauth2.googleapis.com/token",
            "https://user:pw@example.com/token",
            "https:///token",
            "https://example.com/token#x",
            "http://127.0.0.1.example.com/token",
            "https://example.com:abc/token",
            "https://example.com:0/token",
            "https://example.com:99999/token",
            "https://example.com:443:1/token",
            "https://-_!$&.example/token",
            "https://ex%41mple.com/token",
            "https://[::1/token",
            "https://[::1]x/token",
            "https://[fe80::1%25eth0]/token",
            "",
        ] {
            let error = validate::secure_url("token_url", bad).unwrap_err();
            assert_eq!(error.field, "token_url", "{bad}");
        }
    }

    /// credport's own authorization parameters are set by credport alone, whatever their case,
    /// and wherever else they might come from (the authorization URL's own query included).
    #[test]
    fn credports_own_authorization_parameters_cannot_be_set() {
        let with = |url: &str, name: &str| UpdateProviderConfigParams {
            authorization_url: Some(url.to_owned()),
            authorization_params: Some(BTreeMap::from([(name.to_owned(), "x".to_owned())])),
            ..Default::default()
        };
        let plain = "https://p.example/authorize?tenant=a";
        assert!(with(plain, "access_type").validate().is_ok());
        for name in ["redirect_uri", "Redirect_URI", "STATE", "response_mode"] {
            let error = with(plain, name).validate().unwrap_err();
            assert_eq!(error.field, "authorization_params", "{name}");
            assert_eq!(
                error.message,
                format!("must not set {name}: credport sets it"),
                "only scope's refusal points at scopes"
            );
        }
        let error = with(plain, "Scope").validate().unwrap_err();
        assert!(error.message.ends_with("(the scopes come from scopes)"));
        for url in [
            "https://p.example/authorize?redirect_uri=https://evil.example/cb",
            "https://p.example/authorize?a=1&State=x",
            "https://p.example/authorize?redirect%5Furi=x",
            "https://p.example/authorize?response_mode=form_post",
        ] {
            let error = with(url, "access_type").validate().unwrap_err();
            assert_eq!(error.field, "authorization_url", "{url}");
        }
    }
}
