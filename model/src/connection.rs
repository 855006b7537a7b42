//! Connections: a site's authenticated links to third-party services (seeds 000, 001, 002).

use serde::{Deserialize, Serialize};

use crate::json::JsonObject;
use crate::validate::{self, Checked};

open_enum! {
    /// Health of a connection.
    ConnectionStatus {
        /// Working.
        Active = "active",
        /// Switched off.
        Inactive = "inactive",
        /// Its credentials no longer work.
        Invalid = "invalid",
    }
}

open_enum! {
    /// How a connection authenticates to its provider.
    CredentialType {
        OAuth2 = "oauth2",
        OAuth1 = "oauth1",
        ApiKey = "api_key",
        Basic = "basic",
        Custom = "custom",
    }
}

/// The state of a connection's credentials: never the secrets themselves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct CredentialsStatus {
    #[serde(rename = "type")]
    pub kind: CredentialType,
    pub expires_at: Option<String>,
}

/// Why the server's last refresh of a connection's token was refused for good (the provider's
/// OAuth2 error code, such as `invalid_grant`): never a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct RefreshError {
    pub code: String,
    pub message: String,
    pub at: String,
}

// tsify leaves out fields that are never deserialised; the two flags the SDK derives are added
// to the declaration here (TypeScript merges the two interface declarations).
#[cfg(feature = "wasm")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const CONNECTION_FLAGS_TS: &'static str = r#"
export interface Connection {
    /** `status` is `"active"` (seed 001's `is_active`). */
    isActive: boolean;
    /** `tokenExpiresAt` had passed when the connection was received (seed 001's `is_expired`). */
    isExpired: boolean;
}
"#;

/// A site's connection to a third-party provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct Connection {
    pub id: String,
    /// Provider code, e.g. `google`, `shopify`, `konigle_pay`.
    pub provider: String,
    /// The integration configuration this connection belongs to, e.g. `google-prod`.
    pub provider_config_key: String,
    /// Authorised resource id (an account id, an email).
    pub root_resource_id: Option<String>,
    /// Authorised resource name (an account name).
    pub root_resource_name: Option<String>,
    /// OAuth scopes authorised for this connection.
    pub scopes: Vec<String>,
    pub status: ConnectionStatus,
    /// When the access token expires, if it does.
    pub token_expires_at: Option<String>,
    pub credentials: CredentialsStatus,
    /// The site's own key-value data, passed through unchanged.
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
    pub metadata: JsonObject,
    /// When the server last refreshed the access token, if it ever did.
    pub last_refreshed_at: Option<String>,
    /// Set when the provider refused a refresh for good (the connection is then `invalid`);
    /// cleared when an admin sets new credentials.
    pub refresh_error: Option<RefreshError>,
    pub created_at: String,
    pub updated_at: String,
    /// `status` is `active` (seed 001's `is_active`). Computed by the SDK, never sent.
    #[cfg(feature = "wasm")]
    #[serde(skip_deserializing, default)]
    pub is_active: bool,
    /// `tokenExpiresAt` has passed (seed 001's `is_expired`). Computed by the SDK when it receives
    /// the connection, never sent.
    #[cfg(feature = "wasm")]
    #[serde(skip_deserializing, default)]
    pub is_expired: bool,
}

/// One page of connections (`GET /v1/connections`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ConnectionPage {
    /// Connections matching the filters, over all pages.
    pub count: u64,
    pub page: u32,
    pub page_size: u32,
    /// The next page number, or null on the last page.
    pub next: Option<u32>,
    /// The previous page number, or null on the first page.
    pub previous: Option<u32>,
    pub payload: Vec<Connection>,
}

/// Filters and paging of `GET /v1/connections`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct ListConnectionsParams {
    /// Page number, from 1. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// 1..100, default 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectionStatus>,
}

impl ListConnectionsParams {
    pub const DEFAULT_PAGE_SIZE: u32 = 20;

    pub fn validate(&self) -> Checked {
        if let Some(page) = self.page {
            validate::range(
                "page",
                page.into(),
                1,
                (u32::MAX / validate::MAX_PAGE_SIZE).into(),
            )?;
        }
        if let Some(size) = self.page_size {
            validate::range("page_size", size.into(), 1, validate::MAX_PAGE_SIZE.into())?;
        }
        validate::opt_label("provider", self.provider.as_deref())?;
        validate::opt_label("status", self.status.as_ref().map(ConnectionStatus::as_str))
    }
}

/// Options of `GET /v1/connections/credentials/{provider}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct GetCredentialsParams {
    /// Refresh an OAuth2 connection's token now, whatever its expiry. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_refresh: Option<bool>,
}

impl GetCredentialsParams {
    pub fn validate(&self) -> Checked {
        Ok(())
    }
}

/// A provider's credentials (`GET /v1/connections/credentials/{provider}`): secrets.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ProviderCredentials {
    pub provider: String,
    #[serde(rename = "type")]
    pub kind: CredentialType,
    pub expires_at: Option<String>,
    /// Provider-specific secret fields (`access_token`, `api_key`, `username`, ...), unchanged.
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
    pub fields: JsonObject,
}

impl std::fmt::Debug for ProviderCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderCredentials")
            .field("provider", &self.provider)
            .field("type", &self.kind)
            .field("expires_at", &self.expires_at)
            .field("fields", &"[redacted]")
            .finish()
    }
}
