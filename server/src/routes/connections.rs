//! `/v1/connections`: read-only for site tokens.

use axum::extract::State;
use credport_model::{GetCredentialsParams, ListConnectionsParams, Scope};

use crate::app::App;
use crate::auth::Presented;
use crate::error::ApiError;
use crate::http::input::{PathParams, Query};
use crate::http::reply::Reply;
use crate::refresh;
use crate::store;

/// On the hot path: the token is checked in the round trip of the page's read.
pub async fn list(
    presented: Presented,
    query: Result<Query<ListConnectionsParams>, ApiError>,
) -> Result<Reply, ApiError> {
    let Query(params) = presented.checked(Scope::ConnectionsRead, query).await?;
    let (_, page) = presented
        .read_single(Scope::ConnectionsRead, move |conn, site| {
            Box::pin(async move { store::connections::list(conn, &site, &params).await })
        })
        .await?;
    Reply::ok(&page)
}

/// In the round trip of the token's check.
pub async fn get(
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
) -> Result<Reply, ApiError> {
    let PathParams(id) = presented.checked(Scope::ConnectionsRead, path).await?;
    let (_, connection) = presented
        .read_single(Scope::ConnectionsRead, move |conn, site| {
            Box::pin(async move { store::connections::get(conn, &site, &id).await })
        })
        .await?;
    Reply::ok(&connection)
}

/// The credentials, refreshed first when the token is about to expire (or `force_refresh`).
pub async fn credentials(
    State(app): State<App>,
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
    query: Result<Query<GetCredentialsParams>, ApiError>,
) -> Result<Reply, ApiError> {
    let PathParams(provider) = presented.checked(Scope::CredentialsRead, path).await?;
    let Query(params) = presented.checked(Scope::CredentialsRead, query).await?;
    let credentials = refresh::credentials(
        &app.refresher,
        presented,
        provider,
        params.force_refresh.unwrap_or(false),
    )
    .await?;
    Reply::ok(&credentials)
}
