//! `/v1/admin/*`: the admin token's routes. Sites, their connections with secret credentials,
//! the personal access tokens of any user of a site, and its API keys (list, revoke). The reads a
//! site token makes of its own site (`/v1/connections`, `/v1/api_keys`) the admin makes of any
//! site here, through the same store calls and with the same query and page shapes.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{
    CreateAdminTokenParams, CreateConnectionParams, CreateSiteParams, ListApiKeysParams,
    ListConnectionsParams, ListSiteTokensParams, RevokeApiKeyParams, Scope, UpdateConnectionParams,
};

use super::tokens::{expiry, parse_scopes};
use crate::app::App;
use crate::auth::Admin;
use crate::clock;
use crate::error::ApiError;
use crate::http::input::{PathParams, Payload, Query};
use crate::http::reply::Reply;
use crate::refresh;
use crate::routes::idempotency;
use crate::store;
use crate::store::tokens::NewToken;

pub async fn create_site(
    State(app): State<App>,
    admin: Admin,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: CreateSiteParams = payload.json()?;
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            Reply::json(
                StatusCode::CREATED,
                &store::sites::create(conn, &params, now)?,
            )
        },
    )
    .await
}

/// Every site: `{"data": [site], "total_count"}`.
pub async fn list_sites(State(app): State<App>, _admin: Admin) -> Result<Reply, ApiError> {
    let sites = app.db.read(store::sites::list).await?;
    Reply::ok(&sites)
}

/// One page of the site's connections: the query and page shape of `GET /v1/connections`.
pub async fn list_connections(
    State(app): State<App>,
    _admin: Admin,
    PathParams(site): PathParams<String>,
    Query(params): Query<ListConnectionsParams>,
) -> Result<Reply, ApiError> {
    let page = app
        .db
        .read(move |conn| {
            store::sites::require(conn, &site)?;
            store::connections::list(conn, &site, &params)
        })
        .await?;
    Reply::ok(&page)
}

pub async fn get_connection(
    State(app): State<App>,
    _admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    let connection = app
        .db
        .read(move |conn| store::connections::get(conn, &site, &id))
        .await?;
    Reply::ok(&connection)
}

pub async fn create_connection(
    State(app): State<App>,
    admin: Admin,
    PathParams(site): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: CreateConnectionParams = payload.json()?;
    let keys = app.keys.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            store::sites::require(conn, &site)?;
            let connection = store::connections::create(conn, &keys, &site, &params, now)?;
            Reply::json(StatusCode::CREATED, &connection)
        },
    )
    .await
}

pub async fn update_connection(
    State(app): State<App>,
    _admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: UpdateConnectionParams = payload.json()?;
    let keys = app.keys.clone();
    let connection = app
        .db
        .write(move |conn| {
            store::connections::update(conn, &keys, &site, &id, &params, clock::now())
        })
        .await?;
    Reply::ok(&connection)
}

/// Refreshes the connection's token now, whatever its expiry, and answers the connection. An
/// `Idempotency-Key` is checked and otherwise ignored: a repeat refreshes again, which is safe.
pub async fn refresh_connection(
    State(app): State<App>,
    _admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    payload.idempotency_key()?;
    refresh::refresh_now(&app.refresher, site.clone(), id.clone()).await?;
    let connection = app
        .db
        .read(move |conn| store::connections::get(conn, &site, &id))
        .await?;
    Reply::ok(&connection)
}

/// 204 No Content.
pub async fn delete_connection(
    State(app): State<App>,
    _admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    app.db
        .write(move |conn| store::connections::delete(conn, &site, &id))
        .await?;
    Ok(Reply::no_content())
}

/// A token for any user of the site; without `scopes` it gets all of them.
pub async fn create_token(
    State(app): State<App>,
    admin: Admin,
    PathParams(site): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: CreateAdminTokenParams = payload.json()?;
    let scopes = match params.scopes.as_deref() {
        None => Scope::ALL.to_vec(),
        Some(asked) => parse_scopes(asked),
    };
    let keys = app.keys.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            store::sites::require(conn, &site)?;
            let new = NewToken {
                site_id: &site,
                user_id: &params.user_id,
                name: &params.name,
                scopes: &scopes,
                expires_at: expiry(params.expires_at.as_deref(), None, now)?,
            };
            Reply::json(
                StatusCode::CREATED,
                &store::tokens::create(conn, &keys, &new, now)?,
            )
        },
    )
    .await
}

/// Any user's tokens in the site (site tokens see only their own user's).
pub async fn list_tokens(
    State(app): State<App>,
    _admin: Admin,
    PathParams(site): PathParams<String>,
    Query(params): Query<ListSiteTokensParams>,
) -> Result<Reply, ApiError> {
    let list = app
        .db
        .read(move |conn| {
            store::sites::require(conn, &site)?;
            store::tokens::list(conn, &site, params.user_id.as_deref(), clock::now())
        })
        .await?;
    Reply::ok(&list)
}

/// What `revoked_by` says of a token the admin revoked (a site token puts its user id there).
const REVOKED_BY_ADMIN: &str = "admin";

/// Revokes any token of the site.
pub async fn revoke_token(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            Reply::ok(&store::tokens::revoke(
                conn,
                &site,
                &id,
                REVOKED_BY_ADMIN,
                now,
            )?)
        },
    )
    .await
}

/// The site's API keys: the query and shape of `GET /v1/api_keys`.
pub async fn list_api_keys(
    State(app): State<App>,
    _admin: Admin,
    PathParams(site): PathParams<String>,
    Query(params): Query<ListApiKeysParams>,
) -> Result<Reply, ApiError> {
    let list = app
        .db
        .read(move |conn| {
            store::sites::require(conn, &site)?;
            store::api_keys::list(conn, &site, &params, clock::now())
        })
        .await?;
    Reply::ok(&list)
}

/// Revokes one of the site's API keys, as `POST /v1/api_keys/{id}/revoke` does.
pub async fn revoke_api_key(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: RevokeApiKeyParams = payload.json()?;
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        move |conn, now| Reply::ok(&store::api_keys::revoke(conn, &site, &id, &params, now)?),
    )
    .await
}
