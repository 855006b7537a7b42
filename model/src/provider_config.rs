//! Provider configurations (admin token): the OAuth2 client a site uses to refresh the tokens of
//! its connections, found by a connection's `provider_config_key` (seed 002). In the SDK, the
//! admin client's (the `admin` feature). The client secret is write-only: it is in the create and
//! update parameters, never in a
//! [`ProviderConfig`].

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
    pub client_id: String,
    pub auth_method: ClientAuthMethod,
    /// Sent as `scope` with each refresh when not empty.
    pub scopes: Vec<String>,
    /// A token expiring within this many seconds is refreshed before it is handed out.
    pub refresh_margin_seconds: u32,
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
/// The longest `token_url`.
const MAX_URL: usize = 2048;

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
        token_url(&self.token_url)?;
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
        self.token_url.as_deref().map_or(Ok(()), token_url)?;
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

/// A token endpoint: `https://`, or `http://` to a loopback host (local development and tests),
/// because the client secret and refresh tokens travel to it. No user info (a secret in a URL),
/// no fragment.
pub fn token_url(url: &str) -> Checked {
    let refuse = |why: &str| Err(FieldError::new("token_url", why));
    validate::text("token_url", url, MAX_URL)?;
    let lower = url.to_ascii_lowercase();
    let (secure, rest) = match (
        lower.strip_prefix("https://"),
        lower.strip_prefix("http://"),
    ) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => return refuse("must be an https:// URL (or http:// to a loopback host)"),
    };
    if rest.chars().any(|c| c.is_whitespace()) || rest.contains('#') {
        return refuse("must be a URL without spaces or a fragment");
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return refuse("must not hold user info (user:password@)");
    }
    let host = host_of(authority);
    if host.is_empty() {
        return refuse("must name a host");
    }
    if !secure && !is_loopback(host) {
        return refuse("http:// is allowed to a loopback host only (localhost, 127.0.0.1, [::1]); use https://");
    }
    Ok(())
}

/// The host of `host[:port]` or `[v6][:port]`.
fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
        ] {
            assert!(token_url(good).is_ok(), "{good}");
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
            "",
        ] {
            let error = token_url(bad).unwrap_err();
            assert_eq!(error.field, "token_url", "{bad}");
        }
    }
}
