//! Who is calling: the admin token (for `/v1/admin/*` only) or a personal access token (for
//! every other route). Anything else, including the admin token on a site route and a PAT on an
//! admin route, is 401 `unauthenticated`, with one message whatever the reason.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use credport_model::Scope;

use crate::app::App;
use crate::clock;
use crate::crypto::{self, TOKEN_PREFIX};
use crate::error::ApiError;
use crate::store;

/// The caller of a site route: a usable personal access token.
pub struct Caller {
    pub token_id: String,
    pub site_id: String,
    pub user_id: String,
    pub scopes: Vec<Scope>,
}

impl Caller {
    /// 403 unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::missing_scope(scope))
        }
    }

    /// Whose `Idempotency-Key`s these are.
    pub fn principal(&self) -> String {
        format!("pat:{}", self.token_id)
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        // Malformed tokens never reach the database.
        if !crypto::is_well_formed(token, TOKEN_PREFIX) {
            return Err(ApiError::unauthenticated());
        }
        let hash = app.keys.lookup_hash(token);
        let now = clock::now();
        let owner = app
            .db
            .read_single(move |conn| store::tokens::authenticate(conn, &hash, now))
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        limit(app, &owner.token_id).await?;
        // Reads stay reads: `last_used_at` is written at most once a second per token.
        if owner.last_used_at.is_none_or(|at| at < now) {
            let id = owner.token_id.clone();
            app.db
                .write(move |conn| store::tokens::touch(conn, &id, now))
                .await?;
        }
        Ok(Caller {
            token_id: owner.token_id,
            site_id: owner.site_id,
            user_id: owner.user_id,
            scopes: owner.scopes,
        })
    }
}

/// The caller of an admin route: the admin token.
pub struct Admin;

impl Admin {
    /// Whose `Idempotency-Key`s these are.
    pub fn principal(&self) -> String {
        "admin".to_owned()
    }
}

impl FromRequestParts<App> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        // Compared as keyed hashes, in constant time: neither length nor content leaks.
        if !crypto::hashes_equal(&app.keys.lookup_hash(token), &app.admin_token_hash) {
            return Err(ApiError::unauthenticated());
        }
        limit(app, "admin").await?;
        Ok(Admin)
    }
}

/// The per-token rate limit, keyed by the token's id (never the token itself). Counted after
/// authentication, so that unknown tokens do not fill the limiter with buckets.
async fn limit(app: &App, key: &str) -> Result<(), ApiError> {
    match &app.rate_limiter {
        Some(limiter) => limiter.check(&app.db, key).await,
        None => Ok(()),
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
