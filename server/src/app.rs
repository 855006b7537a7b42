//! What every handler shares: the handles the services below were built with. Only `routes/`
//! and start-up see it; services take the handles they need instead.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;

use crate::auth::Authenticator;
use crate::connect::Connector;
use crate::crypto::Keys;
use crate::db::Db;
use crate::refresh::Refresher;

/// The handles, behind one reference count: axum clones a route's state for every request, and
/// every `State` extractor clones it again, so that each request changed one count a few times,
/// not six counts (on two cores the atomic changes alone were a per cent of a request's CPU,
/// docs/performance.md).
#[derive(Clone)]
pub struct App(Arc<Handles>);

pub struct Handles {
    pub db: Arc<Db>,
    pub keys: Arc<Keys>,
    /// Who is calling: tokens, the admin token, rate limits ([`crate::auth`]).
    pub auth: Arc<Authenticator>,
    /// OAuth2 token refreshes: the token endpoint client and the refreshes in flight.
    pub refresher: Arc<Refresher>,
    /// Connect: where the server is, the origins a `return_url` may be on, the token endpoint
    /// client.
    pub connector: Arc<Connector>,
    /// `--dev` or `CREDPORT_WEBHOOK_ALLOW_PRIVATE=true`: webhook endpoints may be `http://` and
    /// on loopback or private addresses.
    pub webhook_allow_private: bool,
}

impl App {
    pub fn new(handles: Handles) -> Self {
        Self(Arc::new(handles))
    }
}

impl Deref for App {
    type Target = Handles;

    fn deref(&self) -> &Handles {
        &self.0
    }
}

impl FromRef<App> for Arc<Authenticator> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.auth)
    }
}
