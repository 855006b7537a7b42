//! Scope lists in request bodies: what the model's rules (which name an entry by its index,
//! `scopes[2]`, and never quote it) do not say yet.

use crate::error::ApiError;

/// A personal access token's scopes: at least one (an empty list would be a token that can do
/// nothing, and was once read as "every scope").
pub fn token_scopes(scopes: Option<&[String]>) -> Result<(), ApiError> {
    if scopes.is_some_and(<[String]>::is_empty) {
        return Err(ApiError::invalid(
            "scopes",
            "scopes: must hold at least one scope; leave it out for the default",
        ));
    }
    Ok(())
}
