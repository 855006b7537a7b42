//! `/v1/api_keys`: the keys a site issues to its own users and machines.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{
    CreateApiKeyParams, ListApiKeysParams, RevokeApiKeyParams, Scope, UpdateApiKeyParams,
    VerifyApiKeyParams,
};

use crate::app::App;
use crate::auth::Caller;
use crate::clock;
use crate::error::ApiError;
use crate::http::input::{PathParams, Payload, Query};
use crate::http::reply::Reply;
use crate::routes::idempotency;
use crate::store;

pub async fn create(
    State(app): State<App>,
    caller: Caller,
    payload: Payload,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ApiKeysWrite)?;
    let params: CreateApiKeyParams = payload.json()?;
    let keys = app.keys.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        caller.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            let created = store::api_keys::create(conn, &keys, &caller.site_id, &params, now)?;
            Reply::json(StatusCode::CREATED, &created)
        },
    )
    .await
}

pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<ListApiKeysParams>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ApiKeysRead)?;
    let list = app
        .db
        .read(move |conn| store::api_keys::list(conn, &caller.site_id, &params, clock::now()))
        .await?;
    Reply::ok(&list)
}

pub async fn get(
    State(app): State<App>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ApiKeysRead)?;
    let key = app
        .db
        .read(move |conn| store::api_keys::get(conn, &caller.site_id, &id, clock::now()))
        .await?;
    Reply::ok(&key)
}

pub async fn update(
    State(app): State<App>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ApiKeysWrite)?;
    let params: UpdateApiKeyParams = payload.json()?;
    let key = app
        .db
        .write(move |conn| {
            store::api_keys::update(conn, &caller.site_id, &id, &params, clock::now())
        })
        .await?;
    Reply::ok(&key)
}

pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ApiKeysWrite)?;
    let deleted = app
        .db
        .write(move |conn| store::api_keys::delete(conn, &caller.site_id, &id))
        .await?;
    Reply::ok(&deleted)
}

pub async fn secret(
    State(app): State<App>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ApiKeysWrite)?;
    let keys = app.keys.clone();
    let secret = app
        .db
        .read(move |conn| store::api_keys::secret(conn, &keys, &caller.site_id, &id))
        .await?;
    Reply::ok(&secret)
}

pub async fn revoke(
    State(app): State<App>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ApiKeysWrite)?;
    let params: RevokeApiKeyParams = payload.json()?;
    idempotency::run(
        &app.db,
        &app.keys,
        caller.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            Reply::ok(&store::api_keys::revoke(
                conn,
                &caller.site_id,
                &id,
                &params,
                now,
            )?)
        },
    )
    .await
}

/// Always 200 for a well-formed request: an unknown, revoked or expired key is a result.
/// A read, though a `POST` (the secret stays out of URLs and logs): an `Idempotency-Key` is
/// accepted and ignored, as a replayed verdict would call a key valid after its revocation.
pub async fn verify(
    State(app): State<App>,
    caller: Caller,
    payload: Payload,
) -> Result<Reply, ApiError> {
    caller.require(Scope::ApiKeysRead)?;
    // Any non-empty string is a question with an answer: one that was never issued is NOT_FOUND.
    let params: VerifyApiKeyParams = payload.json()?;
    let keys = app.keys.clone();
    let result = app
        .db
        .write(move |conn| {
            store::api_keys::verify(
                conn,
                &keys,
                &caller.site_id,
                params.secret.expose(),
                clock::now(),
            )
        })
        .await?;
    Reply::ok(&result)
}
