//! Events: the audit log of every change and every read of a secret (API.md "Events"), as the
//! admin API lists them and as webhooks deliver them. An event never holds a secret: a token
//! appears at most as its id.

use serde::{Deserialize, Serialize};

use crate::json::Json;
use crate::validate::{self, Checked, FieldError, MAX_PAGE_SIZE};

/// Every type of event the server records (docs/events.md has what each holds): what a webhook
/// endpoint may subscribe to, so that a mistyped type is refused rather than never matched.
pub const EVENT_TYPES: [&str; 26] = [
    "site.created",
    "connection.created",
    "connection.updated",
    "connection.deleted",
    "connection.refreshed",
    "connection.refresh_failed",
    "connection.invalidated",
    "credentials.read",
    "provider_config.created",
    "provider_config.updated",
    "provider_config.deleted",
    "api_key.created",
    "api_key.updated",
    "api_key.revoked",
    "api_key.deleted",
    "api_key.secret_read",
    "token.created",
    "token.revoked",
    "webhook_endpoint.created",
    "webhook_endpoint.updated",
    "webhook_endpoint.deleted",
    "webhook_endpoint.disabled",
    "connect.created",
    "connect.opened",
    "connect.succeeded",
    "connect.failed",
];

open_enum! {
    /// Who made the change or read the secret.
    ActorType {
        /// The admin token.
        Admin = "admin",
        /// A personal access token (its id and its user's id are in the actor).
        Token = "token",
        /// credport-server itself: a refresh, a webhook endpoint disabled after failing.
        Server = "server",
    }
}

// The wire leaves an absent value out; the SDK's values have it as `null`, as every other
// absent value of theirs (SDK.md): the fields below are skipped only outside the SDK. (A
// missing `Option` reads as `None` without `#[serde(default)]`, which would make tsify declare
// the field optional.)

/// Who acted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct EventActor {
    #[serde(rename = "type")]
    pub kind: ActorType,
    #[cfg_attr(not(feature = "wasm"), serde(skip_serializing_if = "Option::is_none"))]
    pub token_id: Option<String>,
    #[cfg_attr(not(feature = "wasm"), serde(skip_serializing_if = "Option::is_none"))]
    pub user_id: Option<String>,
}

/// What the event is about: `{"type": "connection", "id": "conn_…"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct EventTarget {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// One event. `type` is an open set (`connection.created`, `credentials.read`, …): a type this
/// version does not know is kept as received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub at: String,
    pub site_id: String,
    pub actor: EventActor,
    pub target: EventTarget,
    #[cfg_attr(not(feature = "wasm"), serde(skip_serializing_if = "Option::is_none"))]
    pub request_id: Option<String>,
    #[cfg_attr(not(feature = "wasm"), serde(skip_serializing_if = "Option::is_none"))]
    pub client_address: Option<String>,
    #[cfg_attr(not(feature = "wasm"), serde(skip_serializing_if = "Option::is_none"))]
    pub user_agent: Option<String>,
    /// What changed, by name (`{"status": {"from": "active", "to": "invalid"}}`); never a secret.
    #[cfg_attr(not(feature = "wasm"), serde(skip_serializing_if = "Option::is_none"))]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown> | null"))]
    pub data: Option<Json>,
}

/// `GET /v1/admin/sites/{site}/events`: newest first; `next_cursor` asks for the older ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct EventPage {
    pub data: Vec<Event>,
    pub next_cursor: Option<String>,
}

/// The filters and paging of `GET /v1/admin/sites/{site}/events`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct ListEventsParams {
    /// Only events of this type (`connection.updated`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only events about this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Only events before this instant (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// 1..100, default 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The `next_cursor` of the page before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// The longest cursor: a cursor is a short token the server made.
const MAX_CURSOR: usize = 64;

impl ListEventsParams {
    pub const DEFAULT_LIMIT: u32 = 20;

    pub fn validate(&self) -> Checked {
        validate::opt_label("type", self.kind.as_deref())?;
        validate::opt_label("target_id", self.target_id.as_deref())?;
        if let Some(since) = &self.since {
            validate::timestamp("since", since)?;
        }
        if let Some(until) = &self.until {
            validate::timestamp("until", until)?;
        }
        if let Some(limit) = self.limit {
            validate::range("limit", limit.into(), 1, MAX_PAGE_SIZE.into())?;
        }
        if let Some(cursor) = &self.cursor {
            let ok = !cursor.is_empty()
                && cursor.len() <= MAX_CURSOR
                && cursor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok {
                return Err(FieldError::new(
                    "cursor",
                    "must be a next_cursor from an earlier page",
                ));
            }
        }
        Ok(())
    }
}
