//! Administration calls (admin token): sites, connections with their secret credentials, and a
//! site's personal access tokens. In the SDK only the admin client (`credport/admin`, the
//! `admin` feature) reads and writes them, so their JavaScript names and declarations come with
//! that feature alone.

use serde::{Deserialize, Serialize};

use crate::connection::{ConnectionStatus, CredentialType};
use crate::json::JsonObjectInput;
#[cfg(not(feature = "wasm"))]
use crate::object_only::object_only;
use crate::token::validate_token_scopes;
use crate::validate::{self, Checked, FieldError};

/// `POST /v1/admin/sites`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CreateSiteParams {
    pub name: String,
}

impl CreateSiteParams {
    pub fn validate(&self) -> Checked {
        validate::label("name", &self.name)
    }
}

/// A site: the tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

/// `GET /v1/admin/sites`: every site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct SiteList {
    pub data: Vec<Site>,
    pub total_count: u64,
}

/// A connection's credentials as the admin sets them, secrets included.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CredentialsInput {
    #[serde(rename = "type")]
    pub kind: CredentialType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The provider's secret fields (`access_token`, `refresh_token`, `api_key`, …), keys as given.
    #[serde(default)]
    #[cfg_attr(feature = "admin", tsify(type = "Record<string, unknown>"))]
    pub fields: JsonObjectInput,
}

impl std::fmt::Debug for CredentialsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsInput")
            .field("type", &self.kind)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl CredentialsInput {
    fn validate(&self) -> Checked {
        if !self.kind.is_known() {
            return Err(FieldError::new(
                "credentials.type",
                format!("must be one of {}", CredentialType::KNOWN.join(", ")),
            ));
        }
        if let Some(at) = &self.expires_at {
            validate::timestamp("credentials.expires_at", at)?;
        }
        Ok(())
    }
}

/// `POST /v1/admin/sites/{site}/connections`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CreateConnectionParams {
    pub provider: String,
    pub provider_config_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_resource_name: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Default `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<String>,
    #[cfg_attr(not(feature = "wasm"), serde(deserialize_with = "object_only"))]
    pub credentials: CredentialsInput,
    #[serde(default)]
    #[cfg_attr(feature = "admin", tsify(type = "Record<string, unknown>"))]
    pub metadata: JsonObjectInput,
}

impl CreateConnectionParams {
    pub fn validate(&self) -> Checked {
        validate::label("provider", &self.provider)?;
        validate::label("provider_config_key", &self.provider_config_key)?;
        validate::opt_label("root_resource_id", self.root_resource_id.as_deref())?;
        validate::opt_label("root_resource_name", self.root_resource_name.as_deref())?;
        validate::scopes("scopes", &self.scopes)?;
        known_status(self.status.as_ref())?;
        if let Some(at) = &self.token_expires_at {
            validate::timestamp("token_expires_at", at)?;
        }
        self.credentials.validate()
    }
}

/// `PATCH /v1/admin/sites/{site}/connections/{id}`: absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct UpdateConnectionParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_resource_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<String>,
    /// New credentials: clear `refreshError`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(feature = "wasm"), serde(deserialize_with = "object_only"))]
    pub credentials: Option<CredentialsInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "admin", tsify(type = "Record<string, unknown>"))]
    pub metadata: Option<JsonObjectInput>,
}

impl UpdateConnectionParams {
    pub fn validate(&self) -> Checked {
        validate::opt_label("provider_config_key", self.provider_config_key.as_deref())?;
        validate::opt_label("root_resource_id", self.root_resource_id.as_deref())?;
        validate::opt_label("root_resource_name", self.root_resource_name.as_deref())?;
        if let Some(scopes) = &self.scopes {
            validate::scopes("scopes", scopes)?;
        }
        known_status(self.status.as_ref())?;
        if let Some(at) = &self.token_expires_at {
            validate::timestamp("token_expires_at", at)?;
        }
        self.credentials
            .as_ref()
            .map_or(Ok(()), CredentialsInput::validate)
    }
}

fn known_status(status: Option<&ConnectionStatus>) -> Checked {
    match status {
        Some(s) if !s.is_known() => Err(FieldError::new(
            "status",
            format!("must be one of {}", ConnectionStatus::KNOWN.join(", ")),
        )),
        _ => Ok(()),
    }
}

/// `POST /v1/admin/sites/{site}/personal_access_tokens`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CreateAdminTokenParams {
    pub user_id: String,
    pub name: String,
    /// Absent for all scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// RFC 3339; absent for a token that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// What `revoked_by` says of a token the admin revoked (a site's token puts its user's id
/// there): no user may be called this, or the two would read the same.
pub const REVOKED_BY_ADMIN: &str = "admin";

impl CreateAdminTokenParams {
    pub fn validate(&self) -> Checked {
        validate::label("user_id", &self.user_id)?;
        if self.user_id == REVOKED_BY_ADMIN {
            return Err(FieldError::new(
                "user_id",
                "must not be admin: revoked_by says admin of the admin's revocations",
            ));
        }
        validate::label("name", &self.name)?;
        if let Some(at) = &self.expires_at {
            validate::timestamp("expires_at", at)?;
        }
        self.scopes.as_deref().map_or(Ok(()), validate_token_scopes)
    }
}

/// `GET /v1/admin/sites/{site}/personal_access_tokens`: the query string.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "admin",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct ListSiteTokensParams {
    /// Only this user's tokens; every user's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

impl ListSiteTokensParams {
    pub fn validate(&self) -> Checked {
        validate::opt_label("user_id", self.user_id.as_deref())
    }
}
