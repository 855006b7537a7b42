//! Who is calling: the admin token (for `/v1/admin/*` only) or a personal access token (for
//! every other route). Anything else, including the admin token on a site route and a PAT on an
//! admin route, is 401 `unauthenticated`, with one message whatever the reason.
//!
//! Wrong tokens are counted per client address: past a burst of them, the next wrong ones answer
//! 429 instead of 401 until the address earns another try. A right token is still served: with
//! tokens of 190 bits and more, throttling is about load and noise, not about making a guess
//! likely, and refusing right tokens would let one guesser behind a proxy or NAT lock every
//! other client there out.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use credport_model::Scope;

use crate::auth::ratelimit::{Buckets, RateLimiter};
use crate::clock;
use crate::crypto::{self, Keys, TOKEN_PREFIX};
use crate::db::Db;
use crate::error::ApiError;
use crate::events::{Context, Origin};
use crate::store;

pub mod ratelimit;
pub mod scope_lists;

/// How fast a throttled address earns another try.
pub const FAILURES_PER_SECOND: u32 = 1;

/// What authenticating a request needs. The extractors ([`Caller`], [`Admin`]) take it from
/// any router state that can hand it out (`FromRef`), so this layer never sees that state.
pub struct Authenticator {
    pub db: Arc<Db>,
    pub keys: Arc<Keys>,
    /// The admin token's keyed hash: the token itself is not kept once the server runs.
    pub admin_token_hash: [u8; 32],
    /// `None` when `CREDPORT_RATE_LIMIT` is off.
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// Failed authentications per client address.
    pub failures: Buckets,
}

impl Authenticator {
    /// `admin_token` is kept only as its keyed hash; `failure_burst` wrong tokens from one
    /// address are answered 401 before the next are throttled.
    pub fn new(
        db: Arc<Db>,
        keys: Arc<Keys>,
        admin_token: &str,
        rate_limiter: Option<Arc<RateLimiter>>,
        failure_burst: u32,
    ) -> Self {
        Self {
            db,
            admin_token_hash: keys.lookup_hash(admin_token),
            keys,
            rate_limiter,
            failures: Buckets::with_burst(failure_burst, FAILURES_PER_SECOND),
        }
    }
}

/// The address of the client at the other end of the connection, put into every request by
/// [`crate::http::listener`]; wrong tokens are counted per address.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub IpAddr);

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

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    Arc<Authenticator>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let auth = Arc::<Authenticator>::from_ref(state);
        let auth = &*auth;
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        // Malformed tokens never reach the database.
        if !crypto::is_well_formed(token, TOKEN_PREFIX) {
            return Err(failed(auth, parts));
        }
        let hash = auth.keys.lookup_hash(token);
        let now = clock::now();
        let Some(owner) = auth
            .db
            .read_single(move |conn| {
                Box::pin(async move { store::tokens::authenticate(conn, &hash, now).await })
            })
            .await?
        else {
            return Err(failed(auth, parts));
        };
        // All of a user's tokens share one budget: more tokens are not more requests.
        limit(auth, &format!("user:{}:{}", owner.site_id, owner.user_id)).await?;
        // Reads stay reads: `last_used_at` is written at most once a second per token.
        if owner.last_used_at.is_none_or(|at| at < now) {
            let id = owner.token_id.clone();
            auth.db
                .write(move |conn| {
                    Box::pin(async move { store::tokens::touch(conn, &id, now).await })
                })
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

impl<S: Send + Sync> FromRequestParts<S> for Admin
where
    Arc<Authenticator>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let auth = Arc::<Authenticator>::from_ref(state);
        let auth = &*auth;
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        // Compared as keyed hashes, in constant time: neither length nor content leaks.
        if !crypto::hashes_equal(&auth.keys.lookup_hash(token), &auth.admin_token_hash) {
            return Err(failed(auth, parts));
        }
        limit(auth, "admin").await?;
        Ok(Admin {
            context: Context::admin(origin(parts)),
        })
    }
}

/// Where the request came from, as [`crate::http::request_context::layer`] noted it.
fn origin(parts: &Parts) -> Origin {
    parts
        .extensions
        .get::<Origin>()
        .cloned()
        .unwrap_or_default()
}

/// The rate limit, keyed by who is calling (never by the token itself). Counted after
/// authentication, so that unknown tokens do not fill the limiter with buckets.
async fn limit(auth: &Authenticator, key: &str) -> Result<(), ApiError> {
    match &auth.rate_limiter {
        Some(limiter) => limiter.check(&auth.db, key).await,
        None => Ok(()),
    }
}

/// Counts a wrong token against the client address it came from: the 401, or the 429 once the
/// address's budget is spent.
fn failed(auth: &Authenticator, parts: &Parts) -> ApiError {
    // Every connection has an address; a request built without one shares a bucket.
    let key = parts
        .extensions
        .get::<ClientAddr>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.to_string());
    match auth.failures.take(&key) {
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
