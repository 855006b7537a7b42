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
use futures_util::future::{join, BoxFuture};

pub use crate::auth::known_sites::Known;
use crate::auth::known_sites::{KnownSites, KNOWN_TOKENS};
use crate::auth::ratelimit::{Buckets, RateLimiter};
use crate::clock;
use crate::crypto::{self, Keys, TOKEN_PREFIX};
use crate::db::sql::{Conn, TxFuture};
use crate::db::Db;
use crate::error::ApiError;
use crate::events::{Context, Origin};
use crate::store;
use crate::store::tokens::TokenOwner;

mod known_sites;
pub mod ratelimit;

/// How fast a throttled address earns another try.
pub const FAILURES_PER_SECOND: u32 = 1;

/// What authenticating a request needs. The extractors ([`Presented`], [`Admin`]) take it from
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
    /// Whose each token seen usable lately is ([`Presented::read_single`], [`Presented::write`]).
    known: KnownSites,
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
            known: KnownSites::with_capacity(KNOWN_TOKENS),
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

    /// The owner of a usable token, acting through the request from `origin`.
    fn acting(owner: TokenOwner, origin: Origin) -> Self {
        Self {
            context: Context::token(&owner.token_id, &owner.user_id, origin),
            token_id: owner.token_id,
            site_id: owner.site_id,
            user_id: owner.user_id,
            scopes: owner.scopes,
            expires_at: owner.expires_at,
        }
    }
}

/// A personal access token as a request presents it: well-formed, not yet checked against the
/// store. Every site route checks it in the round trip of its own work: a read's
/// ([`Presented::read_single`]) or a write's transaction ([`Presented::write`]). Every request
/// is still checked against the token's row as it is then (revoked, expired, its scopes), in
/// the same snapshot as what it reads, and what it read or wrote is dropped unless the check
/// passed; [`Presented::authenticate`] checks it in a round trip of its own, for a token seen
/// for the first time (whose site the work needs) and for the answer to wrong input.
#[derive(Clone)]
pub struct Presented {
    auth: Arc<Authenticator>,
    hash: [u8; 32],
    origin: Origin,
    /// Whose wrong tokens these would be ([`failed`]).
    client: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for Presented
where
    Arc<Authenticator>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let auth = Arc::<Authenticator>::from_ref(state);
        let token = bearer(&parts.headers).ok_or_else(ApiError::unauthenticated)?;
        let client = client_address(parts);
        // Malformed tokens never reach the database.
        if !crypto::is_well_formed(token, TOKEN_PREFIX) {
            return Err(failed(&auth, client));
        }
        Ok(Self {
            hash: auth.keys.lookup_hash(token),
            origin: origin(parts),
            client,
            auth,
        })
    }
}

impl Presented {
    /// The caller, checked in a round trip of its own. Only a token seen for the first time and
    /// wrong input come this way, so its state is boxed: inline, it made the future of every
    /// request that might (all of them) several kilobytes larger, and each is moved into a box
    /// of its own when axum calls the handler (`perf`: copies of futures were 2–4 % of a
    /// request's CPU; docs/performance.md).
    fn authenticate(self) -> BoxFuture<'static, Result<Caller, ApiError>> {
        Box::pin(async move {
            let now = clock::now();
            match self.owner(now).await? {
                Some(owner) => self.admit(owner, now).await,
                None => Err(failed(&self.auth, self.client)),
            }
        })
    }

    /// Whose the token is, if it is usable at `now`, in a round trip of its own.
    async fn owner(&self, now: i64) -> Result<Option<TokenOwner>, ApiError> {
        let hash = self.hash;
        self.auth
            .db
            .read_single(move |conn| {
                Box::pin(async move { store::tokens::authenticate(conn, &hash, now).await })
            })
            .await
    }

    /// The answer to a known token that its user's rate limit refused (`limited`): the token is
    /// checked first, so that a revoked or expired one is answered 401 as every dead token is,
    /// never with its user's budget (which would say whose it was, and that they are active).
    fn limited(self, limited: ApiError) -> BoxFuture<'static, ApiError> {
        Box::pin(async move {
            match self.owner(clock::now()).await {
                Ok(Some(_)) => limited,
                Ok(None) => {
                    self.auth.known.forget(&self.hash);
                    failed(&self.auth, self.client)
                }
                Err(e) => e,
            }
        })
    }

    /// The request's own input (its query, path or body, as its extractor read it) or, when
    /// that is wrong, the error to answer once the token is checked: a wrong token or a missing
    /// scope (`None` where any token may ask) answers first, whatever else is wrong.
    pub async fn checked<T>(
        &self,
        scope: impl Into<Option<Scope>>,
        input: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let Err(wrong) = input else {
            return input;
        };
        let scope = scope.into();
        Err(match self.clone().authenticate().await {
            Ok(caller) => scope
                .and_then(|scope| caller.require(scope).err())
                .unwrap_or(wrong),
            Err(e) => e,
        })
    }

    /// `work`, a read of the caller's site whose statements need no snapshot in common (each
    /// is one of its own: [`Db::read_single`]), answered only for a usable token that carries
    /// `scope`. The work needs the token's site. Once a token has been seen, its site is known (a
    /// token never moves to another site), so the check and the work go out together: on
    /// PostgreSQL one round trip where there were two. A token seen for the first time is
    /// checked first.
    pub async fn read_single<T, F>(self, scope: Scope, work: F) -> Result<(Caller, T), ApiError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Conn<'c>, String) -> TxFuture<'c, T> + Send + 'static,
    {
        self.read_as_owner(Some(scope), move |conn, owner| work(conn, owner.site_id))
            .await
    }

    /// [`Presented::read_single`] of what the token's own user may read with any scope (its
    /// tokens): the work is given the token's site and user.
    pub async fn read_own<T, F>(self, work: F) -> Result<(Caller, T), ApiError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Conn<'c>, Known) -> TxFuture<'c, T> + Send + 'static,
    {
        self.read_as_owner(None, work).await
    }

    async fn read_as_owner<T, F>(
        self,
        scope: Option<Scope>,
        work: F,
    ) -> Result<(Caller, T), ApiError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Conn<'c>, Known) -> TxFuture<'c, T> + Send + 'static,
    {
        let require = |caller: &Caller| scope.map_or(Ok(()), |scope| caller.require(scope));
        let db = Arc::clone(&self.auth.db);
        let Some(known) = self.auth.known.get(&self.hash) else {
            let caller = self.authenticate().await?;
            require(&caller)?;
            let owner = Known {
                site_id: caller.site_id.clone(),
                user_id: caller.user_id.clone(),
            };
            let out = db.read_single(move |conn| work(conn, owner)).await?;
            return Ok((caller, out));
        };
        let hash = self.hash;
        let now = clock::now();
        let checked = db
            .read_single(move |conn| {
                Box::pin(async move {
                    // Polled in this order, so the check goes out first and the work with it.
                    let (owner, out) = join(
                        store::tokens::authenticate(conn, &hash, now),
                        work(conn, known),
                    )
                    .await;
                    // What a refused token's work found (or failed on) is never looked at.
                    Ok(owner?.map(|owner| (owner, out)))
                })
            })
            .await?;
        let Some((owner, out)) = checked else {
            self.auth.known.forget(&self.hash);
            return Err(failed(&self.auth, self.client));
        };
        let caller = self.admit(owner, now).await?;
        require(&caller)?;
        Ok((caller, out?))
    }

    /// `work`, a write in the caller's site, with the token checked in the same transaction
    /// (on SQLite, the same hand-over to the writer thread): `work` runs only for a usable
    /// token that carries `scope`, and is given the [`Caller`] (its site, and its [`Context`]
    /// for the events). A token seen before is counted against its user's rate limit before the
    /// transaction (whose a token is never changes), so that a request refused for it writes
    /// nothing, and forgotten if the transaction refuses it; one seen for the first time is
    /// checked first, as [`Presented::authenticate`] does. The token's `last_used_at` (once a
    /// second) is written after the work, in its transaction, and so is rolled back with it
    /// when the work fails: the next request that succeeds writes it.
    pub async fn write<T, F>(self, scope: Scope, work: F) -> Result<(Caller, T), ApiError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c Conn<'c>, &'c Caller) -> TxFuture<'c, T> + Send + 'static,
    {
        let db = Arc::clone(&self.auth.db);
        let Some(known) = self.auth.known.get(&self.hash) else {
            let caller = self.authenticate().await?;
            caller.require(scope)?;
            return db
                .write(move |conn| {
                    Box::pin(async move {
                        let out = work(conn, &caller).await?;
                        Ok((caller, out))
                    })
                })
                .await;
        };
        if let Err(limited) = limit(&self.auth, || budget(&known.site_id, &known.user_id)).await {
            return Err(self.limited(limited).await);
        }
        let (hash, origin, now) = (self.hash, self.origin.clone(), clock::now());
        let checked = db
            .write(move |conn| {
                Box::pin(async move {
                    let owner = store::tokens::authenticate(conn, &hash, now).await?;
                    let Some(owner) = owner.filter(|o| o.site_id == known.site_id) else {
                        return Ok(Err(Refusal::Unusable));
                    };
                    if !owner.scopes.contains(&scope) {
                        return Ok(Err(Refusal::MissingScope));
                    }
                    let touch = needs_touch(&owner, now).then(|| owner.token_id.clone());
                    let caller = Caller::acting(owner, origin);
                    let out = work(conn, &caller).await?;
                    // After the work, and skipped if another transaction holds the token's row
                    // (`touch`): a token revoking another of its user's tokens while that one
                    // revokes it would otherwise hold its own row and wait for the other's.
                    if let Some(token_id) = touch {
                        store::tokens::touch(conn, &token_id, now).await?;
                    }
                    Ok(Ok((caller, out)))
                })
            })
            .await?;
        checked.map_err(|refusal| match refusal {
            Refusal::MissingScope => ApiError::missing_scope(scope),
            Refusal::Unusable => {
                self.auth.known.forget(&self.hash);
                failed(&self.auth, self.client)
            }
        })
    }

    /// The caller of a usable token, counted against the rate limit.
    async fn admit(self, owner: TokenOwner, now: i64) -> Result<Caller, ApiError> {
        let auth = &*self.auth;
        auth.known
            .remember(self.hash, &owner.site_id, &owner.user_id);
        limit(auth, || budget(&owner.site_id, &owner.user_id)).await?;
        if needs_touch(&owner, now) {
            let id = owner.token_id.clone();
            auth.db
                .write(move |conn| {
                    Box::pin(async move { store::tokens::touch(conn, &id, now).await })
                })
                .await?;
        }
        Ok(Caller::acting(owner, self.origin))
    }
}

/// Why the token's check in [`Presented::write`]'s transaction refused it; nothing is written
/// unless the token is usable and carries the scope.
enum Refusal {
    /// Unknown, revoked or expired.
    Unusable,
    /// Usable, without the scope.
    MissingScope,
}

/// The rate limit's key for a user: all of a user's tokens share one budget, so more tokens are
/// not more requests.
fn budget(site_id: &str, user_id: &str) -> String {
    format!("user:{site_id}:{user_id}")
}

/// Reads stay reads: `last_used_at` is written at most once a second per token.
fn needs_touch(owner: &TokenOwner, now: i64) -> bool {
    owner.last_used_at.is_none_or(|at| at < now)
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
            return Err(failed(auth, client_address(parts)));
        }
        limit(auth, || "admin".to_owned()).await?;
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

/// The rate limit, keyed by who is calling (never by the token itself), the key made only when
/// the limit is on. Counted after authentication, so that unknown tokens do not fill the limiter
/// with buckets.
async fn limit(auth: &Authenticator, key: impl FnOnce() -> String) -> Result<(), ApiError> {
    match &auth.rate_limiter {
        Some(limiter) => limiter.check(&auth.db, &key()).await,
        None => Ok(()),
    }
}

/// Counts a wrong token against the client address it came from: the 401, or the 429 once the
/// address's budget is spent.
fn failed(auth: &Authenticator, client: Option<IpAddr>) -> ApiError {
    // A request built without an address shares a bucket.
    let client = client.map_or_else(|| "unknown".to_owned(), |address| address.to_string());
    match auth.failures.take(&client) {
        Ok(()) => ApiError::unauthenticated(),
        Err(seconds) => ApiError::authentication_throttled(seconds),
    }
}

/// Whose wrong tokens a request's would be: its client address. Every connection has one.
fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ClientAddr>().map(|c| c.0)
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values.next()?.to_str().ok()?;
    // Two credentials could be judged as two callers (a proxy reading the last one): neither is
    // taken.
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
