//! Administration calls (admin token): sites, connections with their secret credentials, and a
//! site's first personal access tokens. Not exposed by the SDK.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::connection::{ConnectionStatus, CredentialType};
use crate::token::validate_token_scopes;
use crate::validate::{self, Checked, FieldError};

/// `POST /v1/admin/sites`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
pub struct Site {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

/// A connection's credentials as the admin sets them, secrets included.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsInput {
    #[serde(rename = "type")]
    pub kind: CredentialType,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub fields: Map<String, Value>,
}

impl std::fmt::Debug for CredentialsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsInput")
            .field("type", &self.kind)
            .field("expires_at", &self.expires_at)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
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
pub struct CreateConnectionParams {
    pub provider: String,
    pub provider_config_key: String,
    #[serde(default)]
    pub root_resource_id: Option<String>,
    #[serde(default)]
    pub root_resource_name: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub status: Option<ConnectionStatus>,
    #[serde(default)]
    pub token_expires_at: Option<String>,
    pub credentials: CredentialsInput,
    #[serde(default)]
    pub metadata: Map<String, Value>,
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
pub struct UpdateConnectionParams {
    #[serde(default)]
    pub provider_config_key: Option<String>,
    #[serde(default)]
    pub root_resource_id: Option<String>,
    #[serde(default)]
    pub root_resource_name: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub status: Option<ConnectionStatus>,
    #[serde(default)]
    pub token_expires_at: Option<String>,
    #[serde(default)]
    pub credentials: Option<CredentialsInput>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
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
pub struct CreateAdminTokenParams {
    pub user_id: String,
    pub name: String,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

impl CreateAdminTokenParams {
    pub fn validate(&self) -> Checked {
        validate::label("user_id", &self.user_id)?;
        validate::label("name", &self.name)?;
        if let Some(at) = &self.expires_at {
            validate::timestamp("expires_at", at)?;
        }
        self.scopes.as_deref().map_or(Ok(()), validate_token_scopes)
    }
}
