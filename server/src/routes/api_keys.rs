//! `/v1/api_keys`: the keys a site issues to its own users and machines.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{
    ApiKey, CreateApiKeyParams, ListApiKeysParams, RevokeApiKeyParams, Scope, UpdateApiKeyParams,
    VerifyApiKeyParams,
};

use crate::app::App;
use crate::auth::Presented;
use crate::clock;
use crate::db::sql::Conn;
use crate::error::ApiError;
use crate::events::{Change, Context};
use crate::http::input::{PathParams, Payload, Query};
use crate::http::reply::Reply;
use crate::routes::idempotency;
use crate::store;
use crate::store::Updated;

/// The token is checked in the write's own transaction, the `Idempotency-Key` claimed in it.
pub async fn create(
    State(app): State<App>,
    presented: Presented,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let scope = Scope::ApiKeysWrite;
    let keys = app.keys.clone();
    idempotency::for_site(
        presented,
        &app.keys,
        scope,
        &payload,
        move |conn, caller, params: CreateApiKeyParams, now| {
            Box::pin(async move {
                let site = &caller.site_id;
                let created = store::api_keys::create(conn, &keys, site, &params, now).await?;
                let key = &created.api_key;
                let change = Change::new("api_key.created", "api_key", &key.id)
                    .with("name", key.name.as_str())
                    .with("subject", key.subject.as_str())
                    .with("scopes", key.scopes.clone());
                caller.context.record(conn, site, change, now).await?;
                Reply::json(StatusCode::CREATED, &created)
            })
        },
    )
    .await
}

/// A page and its count (one statement on PostgreSQL), in the round trip of the token's check.
pub async fn list(
    presented: Presented,
    query: Result<Query<ListApiKeysParams>, ApiError>,
) -> Result<Reply, ApiError> {
    let Query(params) = presented.checked(Scope::ApiKeysRead, query).await?;
    let now = clock::now();
    let (_, list) = presented
        .read_single(Scope::ApiKeysRead, move |conn, site| {
            Box::pin(async move { store::api_keys::list(conn, &site, &params, now).await })
        })
        .await?;
    Reply::ok(&list)
}

/// In the round trip of the token's check.
pub async fn get(
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
) -> Result<Reply, ApiError> {
    let PathParams(id) = presented.checked(Scope::ApiKeysRead, path).await?;
    let now = clock::now();
    let (_, key) = presented
        .read_single(Scope::ApiKeysRead, move |conn, site| {
            Box::pin(async move { store::api_keys::get(conn, &site, &id, now).await })
        })
        .await?;
    Reply::ok(&key)
}

/// The token is checked in the write's own transaction (as for `delete` and `secret`).
pub async fn update(
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let PathParams(id) = presented.checked(Scope::ApiKeysWrite, path).await?;
    let params: UpdateApiKeyParams = presented
        .checked(Scope::ApiKeysWrite, payload.json())
        .await?;
    let (_, key) = presented
        .write(Scope::ApiKeysWrite, move |conn, caller| {
            Box::pin(async move {
                let (now, site) = (clock::now(), &caller.site_id);
                store::lock_row(conn, Updated::ApiKey, site, &id).await?;
                let before = store::api_keys::get(conn, site, &id, now).await?;
                let after = store::api_keys::update(conn, site, &id, &params, now).await?;
                let change =
                    Change::new("api_key.updated", "api_key", &id).changes(&before, &after);
                caller.context.record(conn, site, change, now).await?;
                Ok(after)
            })
        })
        .await?;
    Reply::ok(&key)
}

pub async fn delete(
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
) -> Result<Reply, ApiError> {
    let PathParams(id) = presented.checked(Scope::ApiKeysWrite, path).await?;
    let (_, deleted) = presented
        .write(Scope::ApiKeysWrite, move |conn, caller| {
            Box::pin(async move {
                let site = &caller.site_id;
                let deleted = store::api_keys::delete(conn, site, &id).await?;
                let change = Change::new("api_key.deleted", "api_key", &id);
                caller
                    .context
                    .record(conn, site, change, clock::now())
                    .await?;
                Ok(deleted)
            })
        })
        .await?;
    Reply::ok(&deleted)
}

pub async fn secret(
    State(app): State<App>,
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
) -> Result<Reply, ApiError> {
    let PathParams(id) = presented.checked(Scope::ApiKeysWrite, path).await?;
    let keys = app.keys.clone();
    // A write: the read of a secret is recorded with it.
    let (_, secret) = presented
        .write(Scope::ApiKeysWrite, move |conn, caller| {
            Box::pin(async move {
                let site = &caller.site_id;
                let secret = store::api_keys::secret(conn, &keys, site, &id).await?;
                let change = Change::new("api_key.secret_read", "api_key", &id);
                caller
                    .context
                    .record(conn, site, change, clock::now())
                    .await?;
                Ok(secret)
            })
        })
        .await?;
    Reply::ok(&secret)
}

/// The token is checked in the write's own transaction, the `Idempotency-Key` claimed in it.
pub async fn revoke(
    State(app): State<App>,
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let scope = Scope::ApiKeysWrite;
    let PathParams(id) = presented.checked(scope, path).await?;
    idempotency::for_site(
        presented,
        &app.keys,
        scope,
        &payload,
        move |conn, caller, params: RevokeApiKeyParams, now| {
            Box::pin(async move {
                let site = &caller.site_id;
                let revoked =
                    revoke_recorded(conn, &caller.context, site, &id, &params, now).await?;
                Reply::ok(&revoked)
            })
        },
    )
    .await
}

/// Revokes key `id` of `site` and records `api_key.revoked`, for the site's own route and the
/// admin's. Revoking again changes nothing (the first reason stays), and is no event.
pub(super) async fn revoke_recorded(
    conn: &Conn<'_>,
    context: &Context,
    site: &str,
    id: &str,
    params: &RevokeApiKeyParams,
    now: i64,
) -> Result<ApiKey, ApiError> {
    let (revoked, changed) = store::api_keys::revoke(conn, site, id, params, now).await?;
    if changed {
        let change = Change::new("api_key.revoked", "api_key", id)
            .with("revocation_reason", revoked.revocation_reason.clone());
        context.record(conn, site, change, now).await?;
    }
    Ok(revoked)
}

/// Always 200 for a well-formed request: an unknown, revoked or expired key is a result.
/// A read, though a `POST` (the secret stays out of URLs and logs): an `Idempotency-Key` is
/// accepted and ignored, as a replayed verdict would call a key valid after its revocation.
///
/// On the hot path: the token is checked in the round trip of the key's look-up.
pub async fn verify(
    State(app): State<App>,
    presented: Presented,
    payload: Payload,
) -> Result<Reply, ApiError> {
    // Any non-empty string is a question with an answer: one that was never issued is NOT_FOUND.
    let params: VerifyApiKeyParams = presented
        .checked(Scope::ApiKeysRead, payload.json())
        .await?;
    let keys = app.keys.clone();
    let now = clock::now();
    let (_, (mut result, used)) = presented
        .read_single(Scope::ApiKeysRead, move |conn, site| {
            Box::pin(async move {
                store::api_keys::verify(conn, &keys, &site, params.secret.expose(), now).await
            })
        })
        .await?;
    if let Some(id) = used {
        app.db
            .write(move |conn| {
                Box::pin(async move { store::api_keys::record_use(conn, &id, now).await })
            })
            .await?;
        if let Some(key) = result.api_key.as_mut() {
            key.last_used_at = Some(clock::format(now));
        }
    }
    Reply::ok(&result)
}
