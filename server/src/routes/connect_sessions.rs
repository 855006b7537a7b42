//! `/v1/admin/sites/{site}/connect_sessions` (admin token): a connect is started here and its
//! outcome read here; the flow itself is [`crate::connect`].

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::CreateConnectSessionParams;

use crate::app::App;
use crate::auth::Admin;
use crate::clock;
use crate::connect;
use crate::error::ApiError;
use crate::http::input::{PathParams, Payload};
use crate::http::reply::Reply;
use crate::routes::idempotency;
use crate::store;

/// 201 with the session and its link (shown this once).
pub async fn create(
    State(app): State<App>,
    admin: Admin,
    PathParams(site): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let connector = app.connector.clone();
    let context = admin.context.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        payload.json::<CreateConnectSessionParams>(),
        move |conn, params, now| {
            Box::pin(async move {
                let created =
                    connect::create_session(conn, &connector, &site, &params, &context, now)
                        .await?;
                Reply::json(StatusCode::CREATED, &created)
            })
        },
    )
    .await
}

pub async fn get(
    State(app): State<App>,
    _admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    let session = app
        .db
        .read(move |conn| {
            Box::pin(
                async move { store::connect_sessions::get(conn, &site, &id, clock::now()).await },
            )
        })
        .await?;
    Reply::ok(&session)
}
