//! Events of reads, written together. A read of credentials changes nothing, so its event
//! (`credentials.read`) has no transaction of its own to ride in; written one per request, each
//! read would pay a commit (on PostgreSQL a WAL flush) and its round trips. Here the events of
//! the reads of the moment are written in one transaction: the first read commits at once, and
//! those that arrive while a commit is under way go together in the next. Each request still
//! waits for its own event to be committed before it hands out the credentials, so a secret is
//! never answered without its event. PostgreSQL's; SQLite's writer thread groups its commits
//! already (`refresh::read_as_stored` says how each store records a read).

use std::sync::Arc;

use credport_model::Event;
use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::outbox::Subscribers;
use super::{write, Change, Context};
use crate::db::Db;
use crate::error::ApiError;

/// How many batches may be committing at once: a second overlaps the first's round trips
/// (PostgreSQL flushes their commits together), more would only make batches smaller.
const COMMITTERS: usize = 2;
/// The most events in one transaction, so that one stays short.
const MAX_BATCH: usize = 256;

/// The events waiting to be written and the tasks writing them.
pub struct Batches {
    db: Arc<Db>,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Pending>,
    committing: usize,
}

/// One event, whom it goes to, and the request waiting for it to be committed.
struct Pending {
    event: Event,
    subscribers: Subscribers,
    now: i64,
    done: oneshot::Sender<Result<(), ApiError>>,
}

impl Batches {
    pub fn new(db: Arc<Db>) -> Arc<Self> {
        Arc::new(Self {
            db,
            queue: Mutex::default(),
        })
    }

    /// Records `change` in site `site_id` at `now` for `context`, queued for `subscribers`
    /// (read with the credentials); resolves once it is committed.
    pub async fn record(
        self: &Arc<Self>,
        context: &Context,
        subscribers: Subscribers,
        site_id: &str,
        change: Change,
        now: i64,
    ) -> Result<(), ApiError> {
        let event = context.event(site_id, change, now)?;
        let (done, committed) = oneshot::channel();
        let start = {
            let mut queue = self.queue.lock();
            queue.waiting.push(Pending {
                event,
                subscribers,
                now,
                done,
            });
            let start = queue.committing < COMMITTERS;
            queue.committing += usize::from(start);
            start
        };
        if start {
            // A task of its own: the batch holds other requests' events, and must be committed
            // even if this request is dropped meanwhile.
            tokio::spawn(Committer::new(Arc::clone(self)).run());
        }
        committed
            .await
            .unwrap_or_else(|_| Err(ApiError::internal("an event batch ended unwritten")))
    }
}

/// A task writing batches until none is waiting.
struct Committer {
    batches: Arc<Batches>,
    /// Whether it still counts among the committing: cleared when it stops with the queue
    /// locked (so that no event is left waiting with nobody to write it), else by its drop.
    counted: bool,
}

impl Committer {
    fn new(batches: Arc<Batches>) -> Self {
        Self {
            batches,
            counted: true,
        }
    }

    async fn run(mut self) {
        loop {
            let batch: Vec<Pending> = {
                let mut queue = self.batches.queue.lock();
                if queue.waiting.is_empty() {
                    queue.committing -= 1;
                    self.counted = false;
                    return;
                }
                let take = queue.waiting.len().min(MAX_BATCH);
                queue.waiting.drain(..take).collect()
            };
            let (records, waiters): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .map(|p| ((p.event, p.subscribers, p.now), p.done))
                .unzip();
            let result = self
                .batches
                .db
                .write(move |conn| {
                    Box::pin(async move {
                        for (event, subscribers, now) in &records {
                            write(conn, subscribers, event, *now).await?;
                        }
                        Ok(())
                    })
                })
                .await;
            for done in waiters {
                // A request that went away meanwhile no longer waits: nothing to tell it.
                let _ = done.send(result.clone());
            }
        }
    }
}

impl Drop for Committer {
    /// Stopped by a panic: its place is given back for the next read to start another. Events
    /// left waiting with no committer at all fail (their requests answer an error and no
    /// credentials) rather than wait for a read that may never come.
    fn drop(&mut self) {
        if self.counted {
            let mut queue = self.batches.queue.lock();
            queue.committing -= 1;
            if queue.committing == 0 {
                queue.waiting.clear();
            }
        }
    }
}
