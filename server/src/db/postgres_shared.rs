//! The pooled PostgreSQL connections that single-statement reads share.
//!
//! A read whose statements each stand alone (a token's check, `verify`'s key, a credentials
//! read, a page of connections: [`super::postgres::PgDb::single_read`]) leaves nothing on its
//! connection: no transaction, no session state. Such reads need not have a connection of their
//! own, and sharing one is what makes them cheap. tokio-postgres pipelines the statements of every
//! task using a client: its connection task writes all that is queued in one `send` and reads the
//! answers of many in one `recv`, where a connection per request costs a system call each way,
//! and a wake-up, per statement. On two cores a PostgreSQL request took 10–32 % less of the
//! server's CPU and 18–33 % less of PostgreSQL's (docs/performance.md).
//!
//! The price: a shared connection's statements run one after another in its backend, so a read
//! waiting on a lock (only an `ACCESS EXCLUSIVE` one blocks a plain `SELECT`: a migration's
//! `ALTER TABLE`, an operator's `LOCK TABLE`) holds up the reads behind it, for at most the
//! session's `lock_timeout`. Transactions never use these connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::db::postgres_pool::{Object, Pool};
use parking_lot::Mutex;

use crate::error::ApiError;

/// How many of the pool's connections the single-statement reads share: one per two cores (a
/// backend runs its statements one at a time, so more cores want more of them; fewer share
/// more), at most a quarter of the pool, and none from a pool of under four, whose connections
/// the transactions need.
pub fn count(pool_size: usize, cores: usize) -> usize {
    (cores / 2).max(1).min(pool_size / 4)
}

/// The shared connections, taken from the pool when first needed and held; one that has closed
/// (the database restarted, the backend was ended) is put back and another taken in its place.
pub struct Shared {
    slots: Vec<Mutex<Option<Arc<Object>>>>,
    next: AtomicUsize,
}

impl Shared {
    pub fn new(count: usize) -> Self {
        Self {
            slots: (0..count).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// The next shared connection in turn, or `None` when there are none (a small pool).
    pub async fn client(&self, pool: &Pool) -> Option<Result<Arc<Object>, ApiError>> {
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = self.slots.get(turn.checked_rem(self.slots.len())?)?;
        let held = slot.lock().clone().filter(|client| !client.is_closed());
        if let Some(client) = held {
            return Some(Ok(client));
        }
        // Two reads may find the slot empty at once: each takes a connection, the last one
        // stays, and the other goes back to the pool when its read is done.
        Some(pool.get().await.map_err(ApiError::from).map(|client| {
            let client = Arc::new(client);
            *slot.lock() = Some(Arc::clone(&client));
            client
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_two_cores_and_at_most_a_quarter_of_the_pool() {
        assert_eq!(count(16, 1), 1);
        assert_eq!(count(16, 2), 1);
        assert_eq!(count(32, 16), 8);
        assert_eq!(count(32, 64), 8);
        assert_eq!(count(4, 8), 1);
        assert_eq!(count(3, 8), 0);
        assert_eq!(count(1, 2), 0);
    }
}
