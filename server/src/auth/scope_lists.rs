//! Scope lists in request bodies, checked entry by entry so that a 400 names the entry
//! (`scopes[2]`), as a client fixing its input needs. The rules themselves are the model's;
//! this only says where they failed. An unknown scope is not quoted: a client that put a
//! secret in the wrong field would find it in the answer.

use credport_model::validate::{self, MAX_SCOPES};
use credport_model::Scope;

use crate::error::ApiError;

/// A list of free labels (API-key and connection scopes); any length up to [`MAX_SCOPES`],
/// empty included.
pub fn labels(scopes: Option<&[String]>) -> Result<(), ApiError> {
    let Some(scopes) = scopes else {
        return Ok(());
    };
    if scopes.len() > MAX_SCOPES {
        return Err(ApiError::invalid(
            "scopes",
            format!("scopes: must hold at most {MAX_SCOPES} scopes"),
        ));
    }
    for (index, scope) in scopes.iter().enumerate() {
        if let Err(e) = validate::label("scopes", scope) {
            let field = format!("scopes[{index}]");
            return Err(ApiError::invalid(&field, format!("{field}: {}", e.message)));
        }
    }
    Ok(())
}

/// A personal access token's scopes: known scope names, and at least one (an empty list would
/// be a token that can do nothing, and was once read as "every scope").
pub fn token_scopes(scopes: Option<&[String]>) -> Result<(), ApiError> {
    if scopes.is_some_and(<[String]>::is_empty) {
        return Err(ApiError::invalid(
            "scopes",
            "scopes: must hold at least one scope; leave it out for the default",
        ));
    }
    labels(scopes)?;
    let unknown = scopes
        .unwrap_or_default()
        .iter()
        .position(|name| Scope::parse(name).is_none());
    match unknown {
        Some(index) => {
            let field = format!("scopes[{index}]");
            let known = Scope::ALL.map(Scope::as_str).join(", ");
            Err(ApiError::invalid(
                &field,
                format!("{field}: unknown scope; expected one of {known}"),
            ))
        }
        None => Ok(()),
    }
}
