//! A gate a test closes to hold a stand-in's answers: a request is recorded when it arrives
//! and answered only once the gate opens again, so a test can act while the server waits.

use tokio::sync::watch;

/// Open unless a test [`hold`](Gate::hold)s it.
pub struct Gate(watch::Sender<bool>);

impl Gate {
    pub fn open() -> Gate {
        Gate(watch::Sender::new(true))
    }

    pub fn hold(&self) {
        self.0.send_replace(false);
    }

    pub fn release(&self) {
        self.0.send_replace(true);
    }

    /// A waiter to await after the request is recorded and the stand-in's lock let go.
    pub fn passage(&self) -> impl std::future::Future<Output = ()> {
        let mut open = self.0.subscribe();
        async move {
            let _ = open.wait_for(|open| *open).await;
        }
    }
}
