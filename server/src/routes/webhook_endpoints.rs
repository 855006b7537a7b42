//! `/v1/admin/sites/{site}/webhook_endpoints`: where a site's events are delivered (admin
//! token). The signing secret is shown once, in the create answer; a `url` must pass the
//! request-forgery guard ([`crate::events::guard`]) when it is set.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{CreateWebhookEndpointParams, UpdateWebhookEndpointParams, WebhookEndpoint};

use crate::app::App;
use crate::auth::Admin;
use crate::clock;
use crate::error::ApiError;
use crate::events::{guard, outbox, signature, Change};
use crate::http::input::{PathParams, Payload};
use crate::http::reply::Reply;
use crate::routes::idempotency;
use crate::store;
use crate::store::Updated;

/// An endpoint's URL as its events show it: the origin, and `/…` for a path or query, which may
/// hold the receiver's own token (Slack's and Discord's webhook URLs do). An event goes to the
/// site's other endpoints and into the log; the URL itself only to the admin who asks for it.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) if parsed.path() == "/" && parsed.query().is_none() => {
            parsed.origin().ascii_serialization() + "/"
        }
        Ok(parsed) => parsed.origin().ascii_serialization() + "/…",
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// `endpoint` as its events show it ([`shown_url`]).
fn shown(endpoint: &WebhookEndpoint) -> WebhookEndpoint {
    WebhookEndpoint {
        url: shown_url(&endpoint.url),
        ..endpoint.clone()
    }
}

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
    let (key, principal) = (payload.idempotency_key()?, admin.principal());
    // The URL's address is judged before the transaction (a name to resolve), so a stored
    // answer is looked for first: a key reused with another body is 409 whatever its URL.
    let stored = idempotency::stored_reply(&app.db, &app.keys, &principal, key.as_ref());
    if let Some(first) = stored.await? {
        return Ok(first);
    }
    let params: CreateWebhookEndpointParams = payload.json()?;
    check_url(&app, &params.url).await?;
    let keys = app.keys.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        principal,
        key,
        Ok(params),
        move |conn, params, now| {
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                let secret = signature::new_secret()?;
                let created =
                    store::webhook_endpoints::create(conn, &keys, &site, &params, secret, now)
                        .await?;
                let endpoint = &created.endpoint;
                let change =
                    Change::new("webhook_endpoint.created", "webhook_endpoint", &endpoint.id)
                        .with("url", shown_url(&endpoint.url))
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
                store::lock_row(conn, Updated::WebhookEndpoint, &site, &id).await?;
                let before = store::webhook_endpoints::get(conn, &site, &id).await?;
                let after =
                    store::webhook_endpoints::update(conn, &site, &id, &params, now).await?;
                let mut change = Change::new("webhook_endpoint.updated", "webhook_endpoint", &id)
                    .changes(&shown(&before), &shown(&after));
                if before.url != after.url && shown_url(&before.url) == shown_url(&after.url) {
                    change = change.with("url", "replaced");
                }
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
