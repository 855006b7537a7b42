//! `/v1/admin/sites/{site}/events`: the site's audit log (admin token).

use axum::extract::State;
use credport_model::ListEventsParams;

use crate::app::App;
use crate::auth::Admin;
use crate::error::ApiError;
use crate::events;
use crate::http::input::{PathParams, Query};
use crate::http::reply::Reply;
use crate::store;

/// Newest first; `next_cursor` pages back through older events.
pub async fn list(
    State(app): State<App>,
    _admin: Admin,
    PathParams(site): PathParams<String>,
    Query(params): Query<ListEventsParams>,
) -> Result<Reply, ApiError> {
    let page = app
        .db
        .read(move |conn| {
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                events::log::list(conn, &site, &params).await
            })
        })
        .await?;
    Reply::ok(&page)
}
