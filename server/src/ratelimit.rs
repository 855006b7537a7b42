//! The optional per-token rate limit (`CREDPORT_RATE_LIMIT` requests per second): a token
//! bucket per caller that holds one second's worth of requests.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::error::ApiError;

/// Buckets kept before idle ones are dropped; a full bucket and a missing one behave the same.
const PRUNE_ABOVE: usize = 10_000;

pub struct RateLimiter {
    per_second: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
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
        let limiter = RateLimiter::new(2);
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
