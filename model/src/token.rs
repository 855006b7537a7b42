//! Personal access tokens: what authenticates calls to credport itself (seed 003).

use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::validate::{self, Checked, FieldError};

open_enum! {
    /// State of a personal access token. `EXPIRED` is derived from `expires_at`.
    TokenState {
        Active = "ACTIVE",
        Revoked = "REVOKED",
        Expired = "EXPIRED",
    }
}

/// What a personal access token may do. A token created without scopes gets all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    ConnectionsRead,
    CredentialsRead,
    ApiKeysRead,
    ApiKeysWrite,
    TokensWrite,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::ConnectionsRead,
        Scope::CredentialsRead,
        Scope::ApiKeysRead,
        Scope::ApiKeysWrite,
        Scope::TokensWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ConnectionsRead => "connections:read",
            Scope::CredentialsRead => "credentials:read",
            Scope::ApiKeysRead => "api_keys:read",
            Scope::ApiKeysWrite => "api_keys:write",
            Scope::TokensWrite => "tokens:write",
        }
    }

    pub fn parse(value: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Checks a token's `scopes`: at least one (an empty list would be a token that can do nothing,
/// and was once read as "every scope"), each a known scope, the first that is not named by its
/// index, not its value.
pub fn validate_token_scopes(scopes: &[String]) -> Checked {
    if scopes.is_empty() {
        return Err(FieldError::new(
            "scopes",
            "must hold at least one scope; leave it out for the default",
        ));
    }
    validate::scopes("scopes", scopes)?;
    match scopes.iter().position(|s| Scope::parse(s).is_none()) {
        Some(index) => Err(FieldError::entry(
            "scopes",
            index,
            [
                "is not a known scope; expected one of ",
                &Scope::ALL.map(Scope::as_str).join(", "),
            ]
            .concat(),
        )),
        None => Ok(()),
    }
}

/// A personal access token, without the token itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct PersonalAccessToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub state: TokenState,
    pub scopes: Vec<String>,
    /// The user id that revoked it.
    pub revoked_by: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// The answer to a create: the token and, this once, its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct CreatedPersonalAccessToken {
    #[serde(flatten)]
    pub personal_access_token: PersonalAccessToken,
    /// The token (`cpat_…`). Shown once.
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub token: Secret,
}

/// `POST /v1/personal_access_tokens`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    serde(rename_all = "camelCase")
)]
pub struct CreateTokenParams {
    pub name: String,
    /// RFC 3339; must be in the future. Absent for a token that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// A subset of the caller's scopes; absent for all of the caller's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

impl CreateTokenParams {
    pub fn validate(&self) -> Checked {
        validate::label("name", &self.name)?;
        if let Some(expires_at) = &self.expires_at {
            validate::timestamp("expires_at", expires_at)?;
        }
        match &self.scopes {
            Some(scopes) => validate_token_scopes(scopes),
            None => Ok(()),
        }
    }
}

/// A list of personal access tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "wasm",
    derive(tsify::Tsify),
    tsify(missing_as_null),
    serde(rename_all(serialize = "camelCase"))
)]
pub struct TokenList {
    pub data: Vec<PersonalAccessToken>,
    pub total_count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_entry_is_named_by_its_index_never_quoted() {
        let scopes = ["api_keys:read", "tokens:write", "cpk_live_secret"].map(String::from);
        let error = validate_token_scopes(&scopes).unwrap_err();
        assert_eq!(error.name(), "scopes[2]");
        assert!(!error.to_string().contains("cpk_live_secret"), "{error}");
        assert!(
            error.message.contains("api_keys:read, api_keys:write"),
            "{error}"
        );
        let blank = validate_token_scopes(&["api_keys:read", " "].map(String::from));
        assert_eq!(blank.unwrap_err().name(), "scopes[1]");
    }

    #[test]
    fn an_empty_scope_list_is_refused() {
        let params = CreateTokenParams {
            name: "t".into(),
            scopes: Some(Vec::new()),
            ..Default::default()
        };
        assert_eq!(params.validate().unwrap_err().name(), "scopes");
    }
}
