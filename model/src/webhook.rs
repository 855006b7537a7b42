//! Webhook endpoints (admin token): where a site's events are delivered, signed as the Standard
//! Webhooks specification says, and the deliveries made to them. The signing secret (`whsec_…`)
//! is in the create answer only.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::validate::{self, Checked, FieldError, MAX_TEXT};

open_enum! {
    /// Whether events are delivered to an endpoint.
    WebhookEndpointStatus {
        Enabled = "enabled",
        /// Switched off by the admin, or by the server after failing for five days.
        Disabled = "disabled",
    }
}

open_enum! {
    /// Where one event's delivery to one endpoint stands.
    WebhookDeliveryStatus {
        /// Not yet answered with a 2xx: tried again at `next_attempt_at`.
        Pending = "pending",
        Succeeded = "succeeded",
        /// Every retry failed (about 28 hours of them), or the endpoint was disabled.
        Failed = "failed",
    }
}

/// A webhook endpoint, without its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    /// The event types delivered (`connection.updated`, or `connection.*`); empty: every type.
    pub types: Vec<String>,
    pub description: Option<String>,
    pub status: WebhookEndpointStatus,
    pub created_at: String,
    pub updated_at: String,
}

/// The answer to a create: the endpoint and, this once, its signing secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct CreatedWebhookEndpoint {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_` and the base64 key: give it to `verifyWebhook`. Lists never show it.
    #[cfg_attr(feature = "admin", tsify(type = "string"))]
    pub secret: Secret,
}

/// `GET /v1/admin/sites/{site}/webhook_endpoints`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct WebhookEndpointList {
    pub data: Vec<WebhookEndpoint>,
    pub total_count: u64,
}

/// One event's delivery to one endpoint: its last attempt and its next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct WebhookDelivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: WebhookDeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    pub last_attempt_at: Option<String>,
    /// The receiver's HTTP status at the last attempt, if it answered.
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed, in the server's words.
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
}

/// `GET /v1/admin/sites/{site}/webhook_endpoints/{id}/deliveries`: newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct WebhookDeliveryList {
    pub data: Vec<WebhookDelivery>,
}

/// The longest endpoint `url`.
pub const MAX_WEBHOOK_URL: usize = 2048;
/// The most entries of `types`.
pub const MAX_WEBHOOK_TYPES: usize = 50;

/// `POST /v1/admin/sites/{site}/webhook_endpoints`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CreateWebhookEndpointParams {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl CreateWebhookEndpointParams {
    pub fn validate(&self) -> Checked {
        url(&self.url)?;
        self.types.as_deref().map_or(Ok(()), types)?;
        description(self.description.as_deref())
    }
}

/// `PATCH /v1/admin/sites/{site}/webhook_endpoints/{id}`: absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct UpdateWebhookEndpointParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `enabled` switches a disabled endpoint back on; `disabled` stops deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WebhookEndpointStatus>,
}

impl UpdateWebhookEndpointParams {
    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    pub fn validate(&self) -> Checked {
        self.url.as_deref().map_or(Ok(()), url)?;
        self.types.as_deref().map_or(Ok(()), types)?;
        description(self.description.as_deref())?;
        match &self.status {
            Some(WebhookEndpointStatus::Other(_)) => {
                Err(FieldError::new("status", "must be enabled or disabled"))
            }
            _ => Ok(()),
        }
    }
}

/// An absolute `http(s)://` URL without spaces or control characters; whether its scheme and
/// host are allowed is the server's rule (API.md: `https://`, no private address).
fn url(value: &str) -> Checked {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let host_present = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
    if !host_present
        || value.len() > MAX_WEBHOOK_URL
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(FieldError::new(
            "url",
            "must be an https:// URL of at most 2048 characters",
        ));
    }
    Ok(())
}

/// Event types ([`crate::EVENT_TYPES`]), families of them (`connection.*`), or `*` (all).
fn types(values: &[String]) -> Checked {
    if values.len() > MAX_WEBHOOK_TYPES {
        return Err(FieldError::new("types", "must hold at most 50 types"));
    }
    for (index, value) in values.iter().enumerate() {
        // `connection.*` names the types that begin `connection.`; `*` all of them.
        let known = match value.strip_suffix('*') {
            Some(family) => {
                (family.is_empty() || family.ends_with('.'))
                    && crate::EVENT_TYPES.iter().any(|t| t.starts_with(family))
            }
            None => crate::EVENT_TYPES.contains(&value.as_str()),
        };
        if !known {
            return Err(FieldError::entry(
                "types",
                index,
                "must be an event type such as connection.updated, a family such as \
                 connection.*, or *",
            ));
        }
    }
    Ok(())
}

fn description(value: Option<&str>) -> Checked {
    value.map_or(Ok(()), |d| validate::text("description", d, MAX_TEXT))
}
