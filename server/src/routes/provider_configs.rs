//! `/v1/admin/sites/{site}/provider_configs`: a site's OAuth2 clients (admin token). The client
//! secret goes in, never out; the server's redirect URI (connect's) comes out with each.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{CreateProviderConfigParams, UpdateProviderConfigParams};

use crate::app::App;
use crate::auth::Admin;
use crate::clock;
use crate::error::ApiError;
use crate::events::Change;
use crate::http::input::{PathParams, Payload};
use crate::http::reply::Reply;
use crate::routes::idempotency;
use crate::store;
use crate::store::Updated;

/// 201; 409 when the site already has a configuration with this key.
pub async fn create(
    State(app): State<App>,
    admin: Admin,
    PathParams(site): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let keys = app.keys.clone();
    let redirect_uri = app.connector.redirect_uri();
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        payload.json::<CreateProviderConfigParams>(),
        move |conn, params, now| {
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                let config = store::provider_configs::create(
                    conn,
                    &keys,
                    &site,
                    &params,
                    &redirect_uri,
                    now,
                )
                .await?;
                let change = Change::provider_config_created(&config);
                admin.context.record(conn, &site, change, now).await?;
                Reply::json(StatusCode::CREATED, &config)
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
    let redirect_uri = app.connector.redirect_uri();
    let configs = app
        .db
        .read(move |conn| {
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                store::provider_configs::list(conn, &site, &redirect_uri).await
            })
        })
        .await?;
    Reply::ok(&configs)
}

pub async fn get(
    State(app): State<App>,
    _admin: Admin,
    PathParams((site, key)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    let redirect_uri = app.connector.redirect_uri();
    let config = app
        .db
        .read(move |conn| {
            Box::pin(
                async move { store::provider_configs::get(conn, &site, &key, &redirect_uri).await },
            )
        })
        .await?;
    Reply::ok(&config)
}

pub async fn update(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, key)): PathParams<(String, String)>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: UpdateProviderConfigParams = payload.json()?;
    let keys = app.keys.clone();
    let redirect_uri = app.connector.redirect_uri();
    let config = app
        .db
        .write(move |conn| {
            Box::pin(async move {
                let now = clock::now();
                store::lock_row(conn, Updated::ProviderConfig, &site, &key).await?;
                let before = store::provider_configs::get(conn, &site, &key, &redirect_uri).await?;
                store::provider_configs::require_secret_for_new_origin(&before, &params)?;
                let after = store::provider_configs::update(
                    conn,
                    &keys,
                    &site,
                    &key,
                    &params,
                    &redirect_uri,
                    now,
                )
                .await?;
                let mut change = Change::new("provider_config.updated", "provider_config", &key)
                    .changes(&before, &after);
                if params.client_secret.is_some() {
                    // Only that it was replaced: the secret itself never appears.
                    change = change.with("client_secret", "replaced");
                }
                admin.context.record(conn, &site, change, now).await?;
                Ok(after)
            })
        })
        .await?;
    Reply::ok(&config)
}

/// 204 No Content. Connections that named it are no longer refreshed.
pub async fn delete(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, key)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    app.db
        .write(move |conn| {
            Box::pin(async move {
                store::provider_configs::delete(conn, &site, &key).await?;
                let change = Change::new("provider_config.deleted", "provider_config", &key);
                admin
                    .context
                    .record(conn, &site, change, clock::now())
                    .await
            })
        })
        .await?;
    Ok(Reply::no_content())
}
