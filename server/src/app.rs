//! What every handler shares.

use std::sync::Arc;

use crate::crypto::Keys;
use crate::db::Db;
use crate::ratelimit::{Buckets, RateLimiter};
use crate::refresh::Refresher;

#[derive(Clone)]
pub struct App {
    pub db: Arc<Db>,
    pub keys: Arc<Keys>,
    /// The admin token's keyed hash: the token itself is not kept once the server runs.
    pub admin_token_hash: [u8; 32],
    /// `None` when `CREDPORT_RATE_LIMIT` is off.
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// Failed authentications per client address ([`crate::auth`]).
    pub auth_failures: Arc<Buckets>,
    /// OAuth2 token refreshes: the token endpoint client and the refreshes in flight.
    pub refresher: Arc<Refresher>,
    /// `--dev` or `CREDPORT_WEBHOOK_ALLOW_PRIVATE=true`: webhook endpoints may be `http://` and
    /// on loopback or private addresses.
    pub webhook_allow_private: bool,
}
