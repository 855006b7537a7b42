//! Who is calling: the admin token (for `/v1/admin/*` only) or a personal access token (for
//! every other route). Anything else, including the admin token on a site route and a PAT on an
//! admin route, is 401 `unauthenticated`, with one message whatever the reason.
//!
//! Wrong tokens are counted per client address: past a burst of them, the next wrong ones answer
//! 429 instead of 401 until the address earns another try. A right token is still served: with
//! tokens of 190 bits and more, throttling is about load and noise, not about making a guess
//! likely, and refusing right tokens would let one guesser behind a proxy or NAT lock every
//! other client there out.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use credport_model::Scope;

use crate::app::App;
use crate::clock;
use crate::crypto::{self, TOKEN_PREFIX};
use crate::error::ApiError;
use crate::events::{Context, Origin};
use crate::listener::ClientAddr;
use crate::ratelimit::Buckets;
use crate::store;

/// Wrong tokens one client address may present in a burst before it is throttled; tokens are
/// 40 random characters and the admin token at least 32, so this is about load and noise, not
/// about making a guess likely.
pub const FAILURE_BURST: u32 = 30;
/// How fast a throttled address earns another try.
pub const FAILURES_PER_SECOND: u32 = 1;

/// The limiter of failed authentications per client address.
pub fn failure_limiter() -> Buckets {
    Buckets::with_burst(FAILURE_BURST, FAILURES_PER_SECOND)
}

/// The caller of a site route: a usable personal access token.
pub struct Caller {
    pub token_id: String,
    pub site_id: String,
    pub user_id: String,
    pub scopes: Vec<Scope>,
    /// When the caller's token expires (seconds since the epoch); tokens it makes expire no later.
    pub expires_at: Option<i64>,
    /// This token acting through this request, for the events it records.
    pub context: Context,
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
            return Err(failed(app, parts));
        }
        let hash = app.keys.lookup_hash(token);
        let now = clock::now();
        let Some(owner) = app
            .db
            .read_single(move |conn| store::tokens::authenticate(conn, &hash, now))
            .await?
        else {
            return Err(failed(app, parts));
        };
        // All of a user's tokens share one budget: more tokens are not more requests.
        limit(app, &format!("user:{}:{}", owner.site_id, owner.user_id)).await?;
        // Reads stay reads: `last_used_at` is written at most once a second per token.
        if owner.last_used_at.is_none_or(|at| at < now) {
            let id = owner.token_id.clone();
            app.db
                .write(move |conn| store::tokens::touch(conn, &id, now))
                .await?;
        }
        let context = Context::token(&owner.token_id, &owner.user_id, origin(parts));
        Ok(Caller {
            context,
            token_id: owner.token_id,
            site_id: owner.site_id,
            user_id: owner.user_id,
            scopes: owner.scopes,
            expires_at: owner.expires_at,
        })
    }
}

/// The caller of an admin route: the admin token.
pub struct Admin {
    /// The admin acting through this request, for the events it records.
    pub context: Context,
}

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
            return Err(failed(app, parts));
        }
        limit(app, "admin").await?;
        Ok(Admin {
            context: Context::admin(origin(parts)),
        })
    }
}

/// Where the request came from, as [`crate::request_context::layer`] noted it.
fn origin(parts: &Parts) -> Origin {
    parts
        .extensions
        .get::<Origin>()
        .cloned()
        .unwrap_or_default()
}

/// The rate limit, keyed by who is calling (never by the token itself). Counted after
/// authentication, so that unknown tokens do not fill the limiter with buckets.
async fn limit(app: &App, key: &str) -> Result<(), ApiError> {
    match &app.rate_limiter {
        Some(limiter) => limiter.check(&app.db, key).await,
        None => Ok(()),
    }
}

/// Counts a wrong token against the client address it came from: the 401, or the 429 once the
/// address's budget is spent.
fn failed(app: &App, parts: &Parts) -> ApiError {
    // Every connection has an address; a request built without one shares a bucket.
    let key = parts
        .extensions
        .get::<ClientAddr>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.to_string());
    match app.auth_failures.take(&key) {
        Ok(()) => ApiError::unauthenticated(),
        Err(seconds) => ApiError::authentication_throttled(seconds),
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
