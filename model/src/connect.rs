//! Connect sessions (API.md "Connect", admin token): a person makes a connection by authorizing
//! at the provider (OAuth2 authorization code with PKCE); credport-server is the OAuth client.
//! The admin makes a session, opens its `url` in the person's browser, and reads the outcome
//! from the session (or from the `return_url` the person is sent back to).

use serde::{Deserialize, Serialize};

use crate::json::{JsonInput, JsonObject};
use crate::validate::{self, Checked};

open_enum! {
    /// Where a connect session stands.
    ConnectSessionStatus {
        /// Made, and its link not yet followed to the end.
        Pending = "pending",
        /// The connection is made (or re-authorized): `connection_id` names it.
        Succeeded = "succeeded",
        /// The provider refused, the person denied, or the code exchange failed: `error` says which.
        Failed = "failed",
        /// Nobody finished it in time.
        Expired = "expired",
    }
}

/// Why a connect session failed: the provider's OAuth2 error code (`access_denied`,
/// `invalid_grant`, …) or credport's own (`exchange_failed`, `issuer_mismatch`, …). Never a
/// secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ConnectError {
    pub code: String,
    pub message: String,
}

/// A connect session, as `GET /v1/admin/sites/{site}/connect_sessions/{id}` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ConnectSession {
    pub id: String,
    pub status: ConnectSessionStatus,
    pub provider_config_key: String,
    /// The connection to re-authorize, or the one made once the session succeeded.
    pub connection_id: Option<String>,
    /// Where the person is sent back to, if anywhere.
    pub return_url: Option<String>,
    /// Given to the connection the session makes.
    #[cfg_attr(feature = "admin", tsify(type = "Record<string, unknown>"))]
    pub metadata: JsonObject,
    /// Set once the session failed.
    pub error: Option<ConnectError>,
    /// When a pending session expires: 10 minutes after it was made, moved to 10 minutes after
    /// its link was opened.
    pub expires_at: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The answer to `POST /v1/admin/sites/{site}/connect_sessions`: the session and, this once,
/// the link to open in the person's browser (it works once, for 10 minutes). The link is a
/// secret: `Debug` leaves it out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct CreatedConnectSession {
    #[serde(flatten)]
    pub session: ConnectSession,
    /// `{CREDPORT_PUBLIC_URL}/oauth/connect/…`.
    pub url: String,
}

impl std::fmt::Debug for CreatedConnectSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedConnectSession")
            .field("session", &self.session)
            .field("url", &"[redacted]")
            .finish()
    }
}

/// `POST /v1/admin/sites/{site}/connect_sessions`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CreateConnectSessionParams {
    /// The site's provider configuration to authorize with; it needs an `authorization_url`.
    pub provider_config_key: String,
    /// Re-authorize this connection of the site (new credentials, `refresh_error` cleared,
    /// status `active`) instead of making a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// Where to send the person afterwards: `https://` (or `http://` on a loopback host) on the
    /// server's own origin or one of `CREDPORT_CORS_ORIGINS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// An object, given to the connection the session makes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "admin", tsify(type = "Record<string, unknown>"))]
    pub metadata: Option<JsonInput>,
}

impl CreateConnectSessionParams {
    /// The rules the SDK can check too; the server adds that `metadata` is an object and that
    /// `return_url`'s origin is one it allows.
    pub fn validate(&self) -> Checked {
        validate::label("provider_config_key", &self.provider_config_key)?;
        validate::opt_label("connection_id", self.connection_id.as_deref())?;
        validate::opt_secure_url("return_url", self.return_url.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::{ConnectSession, ConnectSessionStatus, CreatedConnectSession};

    #[test]
    fn debug_leaves_the_link_out() {
        let created = CreatedConnectSession {
            session: ConnectSession {
                id: "cs_1".into(),
                status: ConnectSessionStatus::Pending,
                provider_config_key: "google-prod".into(),
                connection_id: None,
                return_url: None,
                metadata: (&serde_json::Map::new()).try_into().unwrap(),
                error: None,
                expires_at: "2026-12-07T00:10:00Z".into(),
                created_at: "2026-12-07T00:00:00Z".into(),
                updated_at: "2026-12-07T00:00:00Z".into(),
            },
            url: "http://127.0.0.1:8787/oauth/connect/the-one-time-link".into(),
        };
        let shown = format!("{created:?}");
        assert!(
            shown.contains("cs_1") && !shown.contains("the-one-time-link"),
            "{shown}"
        );
    }
}
