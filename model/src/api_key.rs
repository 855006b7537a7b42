//! API keys a site issues to its own users and machines (seed 004).

use serde::{Deserialize, Serialize};

use crate::json::Json;
use crate::secret::Secret;
use crate::validate::{self, Checked, MAX_LABEL, MAX_TEXT};

/// The default `type` of an API key.
pub const DEFAULT_API_KEY_TYPE: &str = "api_key";

/// An API key, without its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ApiKey {
    pub id: String,
    /// Always `"api_key"`.
    pub object: String,
    /// Default `"api_key"`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// Who the key is for: a user id, a machine, an organisation.
    pub subject: String,
    pub description: Option<String>,
    /// Any JSON the site attaches, passed through unchanged.
    #[cfg_attr(feature = "wasm", tsify(type = "unknown"))]
    pub claims: Option<Json>,
    pub scopes: Vec<String>,
    pub created_by: Option<String>,
    pub revoked: bool,
    pub revocation_reason: Option<String>,
    pub expired: bool,
    /// When the key stops working, if it does.
    pub expiration: Option<String>,
    pub last_used_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The answer to a create: the key and, this once, its secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// The secret (`cpk_…`). Store it now: lists never show it.
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub secret: Secret,
}

/// `POST /v1/api_keys`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CreateApiKeyParams {
    pub name: String,
    pub subject: String,
    /// Default `"api_key"`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wasm", tsify(type = "unknown"))]
    pub claims: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Lifetime in whole seconds, at least 1; absent for a key that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_until_expiration: Option<u64>,
}

impl CreateApiKeyParams {
    pub fn validate(&self) -> Checked {
        validate::label("name", &self.name)?;
        validate::label("subject", &self.subject)?;
        validate::opt_label("type", self.kind.as_deref())?;
        if let Some(description) = &self.description {
            validate::text("description", description, MAX_TEXT)?;
        }
        if let Some(scopes) = &self.scopes {
            validate::scopes("scopes", scopes)?;
        }
        validate::opt_label("created_by", self.created_by.as_deref())?;
        expiration(self.seconds_until_expiration)
    }
}

/// `PATCH /v1/api_keys/{id}`: absent fields stay as they are; `description`, `claims` and
/// `seconds_until_expiration` set to null are cleared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct UpdateApiKeyParams {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable"
    )]
    #[cfg_attr(feature = "wasm", tsify(type = "unknown"))]
    pub claims: Option<Option<Json>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable"
    )]
    #[cfg_attr(feature = "wasm", tsify(type = "string | null"))]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable"
    )]
    #[cfg_attr(feature = "wasm", tsify(type = "number | null"))]
    pub seconds_until_expiration: Option<Option<u64>>,
}

impl UpdateApiKeyParams {
    pub fn validate(&self) -> Checked {
        if let Some(Some(description)) = &self.description {
            validate::text("description", description, MAX_TEXT)?;
        }
        if let Some(scopes) = &self.scopes {
            validate::scopes("scopes", scopes)?;
        }
        validate::opt_label("subject", self.subject.as_deref())?;
        expiration(self.seconds_until_expiration.flatten())
    }

    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A present field, null included: `Some(None)` for null, `Some(Some(v))` for a value.
fn nullable<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(de).map(Some)
}

fn expiration(seconds: Option<u64>) -> Checked {
    match seconds {
        Some(s) => validate::range(
            "seconds_until_expiration",
            s,
            1,
            validate::MAX_SECONDS_UNTIL_EXPIRATION,
        ),
        None => Ok(()),
    }
}

/// `GET /v1/api_keys` filters and paging.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct ListApiKeysParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Also return revoked and expired keys. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_invalid: Option<bool>,
    /// 1..100, default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Keys to skip, default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    /// Matches name or description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

impl ListApiKeysParams {
    pub const DEFAULT_LIMIT: u32 = 10;

    pub fn validate(&self) -> Checked {
        validate::opt_label("subject", self.subject.as_deref())?;
        validate::opt_label("type", self.kind.as_deref())?;
        if let Some(limit) = self.limit {
            validate::range("limit", limit.into(), 1, validate::MAX_PAGE_SIZE.into())?;
        }
        if let Some(query) = &self.query {
            validate::text("query", query, MAX_LABEL)?;
        }
        Ok(())
    }
}

/// A list of API keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ApiKeyList {
    pub data: Vec<ApiKey>,
    /// Keys matching the filters, over all pages.
    pub total_count: u64,
}

/// `DELETE /v1/api_keys/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct DeletedApiKey {
    pub id: String,
    pub object: String,
    pub deleted: bool,
}

/// `GET /v1/api_keys/{id}/secret`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct ApiKeySecret {
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub secret: Secret,
}

/// `POST /v1/api_keys/{id}/revoke`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct RevokeApiKeyParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
}

impl RevokeApiKeyParams {
    pub fn validate(&self) -> Checked {
        match &self.revocation_reason {
            Some(reason) => validate::text("revocation_reason", reason, MAX_TEXT),
            None => Ok(()),
        }
    }
}

/// `POST /v1/api_keys/verify`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyApiKeyParams {
    pub secret: Secret,
}

impl VerifyApiKeyParams {
    pub fn validate(&self) -> Checked {
        crate::shape::secret("secret", self.secret.expose())
    }
}

open_enum! {
    /// The outcome of a verification.
    VerifyCode {
        Valid = "VALID",
        NotFound = "NOT_FOUND",
        Revoked = "REVOKED",
        Expired = "EXPIRED",
    }
}

/// The answer to a verification: an invalid key is a result, not an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct VerifyApiKeyResult {
    pub valid: bool,
    pub code: VerifyCode,
    pub api_key: Option<ApiKey>,
}

use crate::shape::{Field as F, Kind::*, Rule, Shape, U32, U64};

/// The fields of [`ApiKey`], also the first group of [`CREATED_API_KEY`].
const API_KEY_FIELDS: &[F] = &[
    F::required("id", "id", Str),
    F::required("object", "object", Str),
    F::required("type", "type", Str),
    F::required("name", "name", Str),
    F::required("subject", "subject", Str),
    F::optional("description", "description", Str),
    F::optional("claims", "claims", Json),
    F::required("scopes", "scopes", Strs),
    F::optional("created_by", "createdBy", Str),
    F::required("revoked", "revoked", Bool),
    F::optional("revocation_reason", "revocationReason", Str),
    F::required("expired", "expired", Bool),
    F::optional("expiration", "expiration", Str),
    F::optional("last_used_at", "lastUsedAt", Str),
    F::required("created_at", "createdAt", Str),
    F::required("updated_at", "updatedAt", Str),
];

/// [`ApiKey`].
pub static API_KEY: Shape = Shape { name: "ApiKey", groups: &[API_KEY_FIELDS] };

/// [`CreatedApiKey`].
pub static CREATED_API_KEY: Shape = Shape {
    name: "CreatedApiKey",
    groups: &[API_KEY_FIELDS, &[F::required("secret", "secret", Str)]],
};

/// [`ApiKeyList`].
pub static API_KEY_LIST: Shape = Shape {
    name: "ApiKeyList",
    groups: &[&[F::required("data", "data", Many(&API_KEY)), F::required("total_count", "totalCount", U64)]],
};

/// [`DeletedApiKey`].
pub static DELETED_API_KEY: Shape = Shape {
    name: "DeletedApiKey",
    groups: &[&[
        F::required("id", "id", Str),
        F::required("object", "object", Str),
        F::required("deleted", "deleted", Bool),
    ]],
};

/// [`ApiKeySecret`].
pub static API_KEY_SECRET: Shape = Shape { name: "ApiKeySecret", groups: &[&[F::required("secret", "secret", Str)]] };

/// [`VerifyApiKeyResult`].
pub static VERIFY_API_KEY_RESULT: Shape = Shape {
    name: "VerifyApiKeyResult",
    groups: &[&[
        F::required("valid", "valid", Bool),
        F::required("code", "code", Str),
        F::optional("api_key", "apiKey", One(&API_KEY)),
    ]],
};

/// [`CreateApiKeyParams`], with the rules of its `validate`.
pub static CREATE_API_KEY_PARAMS: Shape = Shape {
    name: "CreateApiKeyParams",
    groups: &[&[
        F::required("name", "name", Str).with(Rule::Label),
        F::required("subject", "subject", Str).with(Rule::Label),
        F::optional("type", "type", Str).with(Rule::Label),
        F::optional("description", "description", Str).with(Rule::Text(MAX_TEXT)),
        F::optional("claims", "claims", Json),
        F::optional("scopes", "scopes", Strs).with(Rule::Scopes),
        F::optional("created_by", "createdBy", Str).with(Rule::Label),
        F::optional("seconds_until_expiration", "secondsUntilExpiration", U64).with(Rule::Lifetime),
    ]],
};

/// [`UpdateApiKeyParams`], with the rules of its `validate`.
pub static UPDATE_API_KEY_PARAMS: Shape = Shape {
    name: "UpdateApiKeyParams",
    groups: &[&[
        F::clearable("claims", "claims", Json),
        F::optional("scopes", "scopes", Strs).with(Rule::Scopes),
        F::clearable("description", "description", Str).with(Rule::Text(MAX_TEXT)),
        F::optional("subject", "subject", Str).with(Rule::Label),
        F::clearable("seconds_until_expiration", "secondsUntilExpiration", U64).with(Rule::Lifetime),
    ]],
};

/// [`ListApiKeysParams`], with the rules of its `validate`.
pub static LIST_API_KEYS_PARAMS: Shape = Shape {
    name: "ListApiKeysParams",
    groups: &[&[
        F::optional("subject", "subject", Str).with(Rule::Label),
        F::optional("type", "type", Str).with(Rule::Label),
        F::optional("include_invalid", "includeInvalid", Bool),
        F::optional("limit", "limit", U32).with(Rule::Range(1, validate::MAX_PAGE_SIZE as u64)),
        F::optional("offset", "offset", U32),
        F::optional("query", "query", Str).with(Rule::Text(MAX_LABEL)),
    ]],
};

/// [`RevokeApiKeyParams`], with the rules of its `validate`.
pub static REVOKE_API_KEY_PARAMS: Shape = Shape {
    name: "RevokeApiKeyParams",
    groups: &[&[F::optional("revocation_reason", "revocationReason", Str).with(Rule::Text(MAX_TEXT))]],
};
