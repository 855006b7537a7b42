//! What every handler shares: the handles the services below were built with. Only `routes/`
//! and start-up see it; services take the handles they need instead.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::auth::Authenticator;
use crate::connect::Connector;
use crate::crypto::Keys;
use crate::db::Db;
use crate::refresh::Refresher;

#[derive(Clone)]
pub struct App {
    pub db: Arc<Db>,
    pub keys: Arc<Keys>,
    /// Who is calling: tokens, the admin token, rate limits ([`crate::auth`]).
    pub auth: Arc<Authenticator>,
    /// OAuth2 token refreshes: the token endpoint client and the refreshes in flight.
    pub refresher: Arc<Refresher>,
    /// Connect: where the server is, the origins a `return_url` may be on, the token endpoint
    /// client.
    pub connector: Arc<Connector>,
}

impl FromRef<App> for Arc<Authenticator> {
    fn from_ref(app: &App) -> Self {
        Arc::clone(&app.auth)
    }
}
