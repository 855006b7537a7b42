//! `/v1/admin/sites/{site}/webhook_endpoints`: where a site's events are delivered (admin
//! token). The signing secret is shown once, in the create answer; a `url` must pass the
//! request-forgery guard ([`crate::events::guard`]) when it is set.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{CreateWebhookEndpointParams, UpdateWebhookEndpointParams};

use crate::app::App;
use crate::auth::Admin;
use crate::clock;
use crate::error::ApiError;
use crate::events::{guard, outbox, signature, Change};
use crate::http::input::{PathParams, Payload};
use crate::http::reply::Reply;
use crate::routes::idempotency;
use crate::store;

/// 400 naming `url` unless the guard lets it through.
async fn check_url(app: &App, url: &str) -> Result<(), ApiError> {
    guard::check_url(url, app.webhook_allow_private)
        .await
        .map_err(|message| ApiError::invalid("url", message))
}

/// 201 with the endpoint and its `secret`.
pub async fn create(
    State(app): State<App>,
    admin: Admin,
    PathParams(site): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: CreateWebhookEndpointParams = payload.json()?;
    check_url(&app, &params.url).await?;
    let keys = app.keys.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                let secret = signature::new_secret()?;
                let created =
                    store::webhook_endpoints::create(conn, &keys, &site, &params, secret, now)
                        .await?;
                let endpoint = &created.endpoint;
                let change =
                    Change::new("webhook_endpoint.created", "webhook_endpoint", &endpoint.id)
                        .with("url", endpoint.url.as_str())
                        .with("types", endpoint.types.clone());
                admin.context.record(conn, &site, change, now).await?;
                Reply::json(StatusCode::CREATED, &created)
            })
        },
    )
    .await
}

pub async fn list(
    State(app): State<App>,
    _admin: Admin,
    PathParams(site): PathParams<String>,
) -> Result<Reply, ApiError> {
    let list = app
        .db
        .read(move |conn| {
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                store::webhook_endpoints::list(conn, &site).await
            })
        })
        .await?;
    Reply::ok(&list)
}

pub async fn get(
    State(app): State<App>,
    _admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    let endpoint = app
        .db
        .read(move |conn| {
            Box::pin(async move { store::webhook_endpoints::get(conn, &site, &id).await })
        })
        .await?;
    Reply::ok(&endpoint)
}

pub async fn update(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: UpdateWebhookEndpointParams = payload.json()?;
    if let Some(url) = &params.url {
        check_url(&app, url).await?;
    }
    let endpoint = app
        .db
        .write(move |conn| {
            Box::pin(async move {
                let now = clock::now();
                let before = store::webhook_endpoints::get(conn, &site, &id).await?;
                let after =
                    store::webhook_endpoints::update(conn, &site, &id, &params, now).await?;
                let change = Change::new("webhook_endpoint.updated", "webhook_endpoint", &id)
                    .changes(&before, &after);
                admin.context.record(conn, &site, change, now).await?;
                Ok(after)
            })
        })
        .await?;
    Reply::ok(&endpoint)
}

/// 204 No Content; its deliveries go with it.
pub async fn delete(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    app.db
        .write(move |conn| {
            Box::pin(async move {
                store::webhook_endpoints::delete(conn, &site, &id).await?;
                let change = Change::new("webhook_endpoint.deleted", "webhook_endpoint", &id);
                admin
                    .context
                    .record(conn, &site, change, clock::now())
                    .await
            })
        })
        .await?;
    Ok(Reply::no_content())
}

/// The endpoint's newest deliveries: each attempt's time, status code, error and next try.
pub async fn deliveries(
    State(app): State<App>,
    _admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    let list = app
        .db
        .read(move |conn| Box::pin(async move { outbox::list(conn, &site, &id).await }))
        .await?;
    Reply::ok(&list)
}
