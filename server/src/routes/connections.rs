//! `/v1/connections`: read-only for site tokens.

use axum::extract::State;
use credport_model::{GetCredentialsParams, ListConnectionsParams, Scope};

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::input::{PathParams, Query};
use crate::http::reply::Reply;
use crate::refresh;
use crate::store;

pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<ListConnectionsParams>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ConnectionsRead)?;
    let page = app
        .db
        .read(move |conn| {
            Box::pin(async move { store::connections::list(conn, &caller.site_id, &params).await })
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
    caller: Caller,
    PathParams(provider): PathParams<String>,
    Query(params): Query<GetCredentialsParams>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::CredentialsRead)?;
    let credentials = refresh::credentials(
        &app.refresher,
        &caller.context,
        caller.site_id,
        provider,
        params.force_refresh.unwrap_or(false),
    )
    .await?;
    Reply::ok(&credentials)
}
