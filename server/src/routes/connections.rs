//! `/v1/connections`: read-only for site tokens.

use axum::extract::State;
use credport_model::{GetCredentialsParams, ListConnectionsParams, Scope};

use crate::app::App;
use crate::auth::{Caller, Presented};
use crate::error::ApiError;
use crate::http::input::{PathParams, Query};
use crate::http::reply::Reply;
use crate::refresh;
use crate::store;

/// On the hot path: the token is checked in the round trip of the page's read.
pub async fn list(
    presented: Presented,
    Query(params): Query<ListConnectionsParams>,
) -> Result<Reply, ApiError> {
    let (_, page) = presented
        .read_single(Scope::ConnectionsRead, move |conn, site| {
            Box::pin(async move { store::connections::list(conn, &site, &params).await })
        })
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
        .read(move |conn| {
            Box::pin(async move { store::connections::get(conn, &caller.site_id, &id).await })
        })
        .await?;
    Reply::ok(&connection)
}

/// The credentials, refreshed first when the token is about to expire (or `force_refresh`).
pub async fn credentials(
    State(app): State<App>,
    presented: Presented,
    PathParams(provider): PathParams<String>,
    Query(params): Query<GetCredentialsParams>,
) -> Result<Reply, ApiError> {
    let credentials = refresh::credentials(
        &app.refresher,
        presented,
        provider,
        params.force_refresh.unwrap_or(false),
    )
    .await?;
    Reply::ok(&credentials)
}
