//! Token buckets: the optional rate limit (`CREDPORT_RATE_LIMIT` requests per second per user,
//! a bucket that holds one second's worth) and the throttle of failed authentications per client
//! address ([`crate::auth`]). On PostgreSQL the rate limit's buckets are in the database
//! ([`crate::store::rate_limits`]), so that several instances count each user once; on SQLite,
//! which one instance serves, and for the throttle (a guard against noise each instance keeps
//! for itself), they are in memory, where counting costs no write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::db::sql::Dialect;
use crate::db::Db;
use crate::error::ApiError;
use crate::store::rate_limits;

/// How often idle buckets are deleted from the database.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// The rate limit of `CREDPORT_RATE_LIMIT`.
pub enum RateLimiter {
    /// SQLite: this process's buckets.
    InProcess(Buckets),
    /// PostgreSQL: the buckets every instance shares.
    Shared { per_second: u32 },
}

impl RateLimiter {
    /// The limiter for `db`'s store.
    pub fn new(db: &Db, per_second: u32) -> Self {
        match db.dialect() {
            Dialect::Sqlite => Self::InProcess(Buckets::new(per_second)),
            Dialect::Postgres => Self::Shared { per_second },
        }
    }

    /// Takes one request from `caller`'s bucket, or answers 429 with the whole seconds until
    /// one is there again.
    pub async fn check(&self, db: &Db, caller: &str) -> Result<(), ApiError> {
        match self {
            Self::InProcess(buckets) => buckets.check(caller),
            Self::Shared { per_second } => {
                let (caller, per_second) = (caller.to_owned(), *per_second);
                let wait_ms = db
                    .write(move |conn| {
                        Box::pin(async move {
                            rate_limits::take(conn, &caller, per_second, now_ms()).await
                        })
                    })
                    .await?;
                match wait_ms {
                    None => Ok(()),
                    // Retry-After counts whole seconds: round up, and never say 0.
                    Some(ms) => Err(ApiError::rate_limited(
                        u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1),
                    )),
                }
            }
        }
    }
}

/// Deletes idle shared buckets every [`PURGE_EVERY`], for as long as the server runs.
pub async fn purge_periodically(db: Arc<Db>) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        if let Err(e) = db
            .write(move |conn| Box::pin(async move { rate_limits::purge(conn, now_ms()).await }))
            .await
        {
            tracing::warn!(error = %e, "idle rate-limit buckets could not be purged");
        }
    }
}

/// Milliseconds since the Unix epoch: the shared buckets' clock.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Buckets kept before idle ones are dropped; a full bucket and a missing one behave the same.
const PRUNE_ABOVE: usize = 10_000;

/// In-process token buckets, one per key.
pub struct Buckets {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Buckets {
    /// `per_second` requests a second, in bursts of as many.
    pub fn new(per_second: u32) -> Self {
        Self::with_burst(per_second, per_second)
    }

    /// `per_second` requests a second, in bursts of up to `burst`.
    pub fn with_burst(burst: u32, per_second: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `caller`'s bucket, or answers 429 with the whole seconds until
    /// one is there again.
    pub fn check(&self, caller: &str) -> Result<(), ApiError> {
        self.take_at(caller, Instant::now())
            .map_err(ApiError::rate_limited)
    }

    /// Takes one request from `key`'s bucket, or gives the whole seconds until one is there.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        // The map is consistent after any panic (entries are replaced whole): keep using it.
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let (per_second, burst) = (self.per_second, self.burst);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.refilled(now, per_second, burst) < burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        bucket.tokens = bucket.refilled(now, per_second, burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(self.seconds_until_one(bucket.tokens))
    }

    /// Retry-After counts whole seconds: round up, and never say 0.
    fn seconds_until_one(&self, tokens: f64) -> u64 {
        (((1.0 - tokens) / self.per_second).ceil() as u64).max(1)
    }
}

impl Bucket {
    fn refilled(&self, now: Instant, per_second: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        (self.tokens + elapsed * per_second).min(burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_the_rate_then_refuses_until_refilled() {
        let limiter = Buckets::new(2);
        let t0 = Instant::now();
        assert!(limiter.take_at("a", t0).is_ok());
        assert!(limiter.take_at("a", t0).is_ok());
        let refused = limiter.take_at("a", t0).unwrap_err();
        assert_eq!(refused, 1, "whole seconds, never 0");
        let once = Buckets::new(1);
        assert!(once.check("a").is_ok());
        assert_eq!(once.check("a").unwrap_err().status().as_u16(), 429);
        assert!(limiter.take_at("b", t0).is_ok(), "buckets are per caller");
        assert!(limiter
            .take_at("a", t0 + Duration::from_millis(600))
            .is_ok());
    }

    #[test]
    fn a_burst_larger_than_the_rate_refills_at_the_rate() {
        let limiter = Buckets::with_burst(3, 1);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take_at("a", t0).is_ok());
        }
        assert_eq!(limiter.take_at("a", t0), Err(1));
        assert!(limiter
            .take_at("a", t0 + Duration::from_millis(500))
            .is_err());
        assert!(limiter
            .take_at("a", t0 + Duration::from_millis(1600))
            .is_ok());
    }
}
