//! `/v1/connections`: read-only for site tokens.

use axum::extract::State;
use credport_model::{ListConnectionsParams, Scope};
use serde::Deserialize;

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::input::{Params, PathParams, Query};
use crate::refresh;
use crate::reply::Reply;
use crate::store;

pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<ListConnectionsParams>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ConnectionsRead)?;
    let page = app
        .db
        .read(move |conn| store::connections::list(conn, &caller.site_id, &params))
        .await?;
    Reply::ok(&page)
}

pub async fn get(
    State(app): State<App>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ConnectionsRead)?;
    let connection = app
        .db
        .read(move |conn| store::connections::get(conn, &caller.site_id, &id))
        .await?;
    Reply::ok(&connection)
}

/// The query of `GET /v1/connections/credentials/{provider}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsQuery {
    /// Refresh a refreshable connection's token now, whatever its expiry.
    #[serde(default)]
    force_refresh: bool,
}

impl Params for CredentialsQuery {
    fn check(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

/// The credentials, refreshed first when the token is about to expire (or `force_refresh`).
pub async fn credentials(
    State(app): State<App>,
    caller: Caller,
    PathParams(provider): PathParams<String>,
    Query(query): Query<CredentialsQuery>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::CredentialsRead)?;
    let credentials =
        refresh::credentials(&app, caller.site_id, provider, query.force_refresh).await?;
    Reply::ok(&credentials)
}
