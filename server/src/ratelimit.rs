//! The optional per-token rate limit (`CREDPORT_RATE_LIMIT` requests per second): a token
//! bucket per caller that holds one second's worth of requests. On PostgreSQL the buckets are
//! in the database ([`crate::store::rate_limits`]), so that several instances count each caller
//! once; on SQLite, which one instance serves, they are in memory, where counting costs no write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::db::Db;
use crate::error::ApiError;
use crate::sql::Dialect;
use crate::store::rate_limits;

/// Buckets kept before idle ones are dropped; a full bucket and a missing one behave the same.
const PRUNE_ABOVE: usize = 10_000;
/// How often idle buckets are deleted from the database.
const PURGE_EVERY: Duration = Duration::from_secs(60);

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
                    .write(move |conn| rate_limits::take(conn, &caller, per_second, now_ms()))
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
        if let Err(e) = db.write(|conn| rate_limits::purge(conn, now_ms())).await {
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

/// In-process token buckets.
pub struct Buckets {
    per_second: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Buckets {
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `caller`'s bucket, or answers 429 with the whole seconds until
    /// one is there again.
    pub fn check(&self, caller: &str) -> Result<(), ApiError> {
        self.check_at(caller, Instant::now())
    }

    fn check_at(&self, caller: &str, now: Instant) -> Result<(), ApiError> {
        // The map is consistent after any panic (entries are replaced whole): keep using it.
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            let per_second = self.per_second;
            buckets.retain(|_, b| b.refilled(now, per_second) < per_second);
        }
        let bucket = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: self.per_second,
            updated: now,
        });
        bucket.tokens = bucket.refilled(now, self.per_second);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - bucket.tokens) / self.per_second;
        // Retry-After counts whole seconds: round up, and never say 0.
        Err(ApiError::rate_limited((wait.ceil() as u64).max(1)))
    }
}

impl Bucket {
    fn refilled(&self, now: Instant, per_second: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        (self.tokens + elapsed * per_second).min(per_second)
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
        assert!(limiter.check_at("a", t0).is_ok());
        assert!(limiter.check_at("a", t0).is_ok());
        let refused = limiter.check_at("a", t0).unwrap_err();
        assert_eq!(refused.status().as_u16(), 429);
        assert!(limiter.check_at("b", t0).is_ok(), "buckets are per caller");
        assert!(limiter
            .check_at("a", t0 + Duration::from_millis(600))
            .is_ok());
    }
}
