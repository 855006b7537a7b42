//! Single-flight inside one process: the refreshes in flight, by connection. The first request
//! that needs a connection refreshed starts the refresh as a task of its own (so a client that
//! hangs up does not cancel it halfway, lease taken); every request that asks meanwhile waits
//! for that task's result instead of starting another.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use super::Settled;
use crate::error::ApiError;

type Outcome = Result<Settled, ApiError>;

#[derive(Default)]
pub struct Flights {
    running: Mutex<HashMap<String, watch::Receiver<Option<Outcome>>>>,
    /// The flights' tasks, which a shutdown waits for ([`Flights::landed`]): a refresh cut off
    /// after the provider rotated the refresh token would lose the new one.
    tasks: TaskTracker,
}

/// Removes a flight from the map when its task ends, however it ends.
struct Landing {
    flights: Arc<Flights>,
    key: String,
}

impl Drop for Landing {
    fn drop(&mut self) {
        self.flights.lock().remove(&self.key);
    }
}

impl Flights {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Receiver<Option<Outcome>>>> {
        // The map stays consistent whatever panicked while holding it: inserts and removes only.
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for every flight in the air to land; called once requests have stopped coming.
    pub async fn landed(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// The outcome of the flight for `key`: the one in flight, or `fly` started as a new one.
    pub async fn join<F>(self: &Arc<Self>, key: &str, fly: F) -> Outcome
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let mut outcome = {
            let mut running = self.lock();
            if let Some(waiting) = running.get(key) {
                waiting.clone()
            } else {
                let (sender, receiver) = watch::channel(None);
                running.insert(key.to_owned(), receiver.clone());
                let landing = Landing {
                    flights: Arc::clone(self),
                    key: key.to_owned(),
                };
                self.tasks.spawn(async move {
                    let outcome = fly.await;
                    // Whoever joins between this send and the landing gets this outcome,
                    // which is as new as what they read before joining.
                    let _ = sender.send(Some(outcome));
                    drop(landing);
                });
                receiver
            }
        };
        let settled = outcome
            .wait_for(Option::is_some)
            .await
            .map_err(|_| ApiError::internal("a token refresh task stopped without a result"))?;
        settled
            .clone()
            .unwrap_or_else(|| Err(ApiError::internal("a token refresh ended without a result")))
    }
}
