//! `/v1/admin/*`: the admin token's routes. Sites, their connections with secret credentials,
//! the personal access tokens of any user of a site, and its API keys (list, revoke). The reads a
//! site token makes of its own site (`/v1/connections`, `/v1/api_keys`) the admin makes of any
//! site here, through the same store calls and with the same query and page shapes.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{
    CreateAdminTokenParams, CreateConnectionParams, CreateSiteParams, ListApiKeysParams,
    ListConnectionsParams, ListSiteTokensParams, RevokeApiKeyParams, Scope, UpdateConnectionParams,
    REVOKED_BY_ADMIN,
};
use futures_util::future::try_join;

use super::tokens::{expiry, parse_scopes, token_revoked};
use crate::app::App;
use crate::auth::Admin;
use crate::clock;
use crate::error::ApiError;
use crate::events::outbox::Subscribers;
use crate::events::Change;
use crate::http::input::{NoParams, PathParams, Payload, Query};
use crate::http::reply::Reply;
use crate::refresh;
use crate::routes::idempotency;
use crate::store;
use crate::store::tokens::NewToken;
use crate::store::Updated;

pub async fn create_site(
    State(app): State<App>,
    admin: Admin,
    payload: Payload,
) -> Result<Reply, ApiError> {
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        payload.json::<CreateSiteParams>(),
        move |conn, params, now| {
            Box::pin(async move {
                let site = store::sites::create(conn, &params, now).await?;
                let change = Change::site_created(&site);
                admin.context.record(conn, &site.id, change, now).await?;
                Reply::json(StatusCode::CREATED, &site)
            })
        },
    )
    .await
}

/// Every site: `{"data": [site], "total_count"}`.
pub async fn list_sites(State(app): State<App>, _admin: Admin) -> Result<Reply, ApiError> {
    let sites = app
        .db
        .read(|conn| Box::pin(store::sites::list(conn)))
        .await?;
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
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                store::connections::list(conn, &site, &params).await
            })
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
        .read(move |conn| Box::pin(async move { store::connections::get(conn, &site, &id).await }))
        .await?;
    Reply::ok(&connection)
}

pub async fn create_connection(
    State(app): State<App>,
    admin: Admin,
    PathParams(site): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let keys = app.keys.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        payload.json::<CreateConnectionParams>(),
        move |conn, params, now| {
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                let connection =
                    store::connections::create(conn, &keys, &site, &params, now).await?;
                let change = Change::connection_created(&connection);
                admin.context.record(conn, &site, change, now).await?;
                Reply::json(StatusCode::CREATED, &connection)
            })
        },
    )
    .await
}

pub async fn update_connection(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let params: UpdateConnectionParams = payload.json()?;
    let keys = app.keys.clone();
    let connection = app
        .db
        .write(move |conn| {
            Box::pin(async move {
                let now = clock::now();
                store::lock_row(conn, Updated::Connection, &site, &id).await?;
                let (before, subscribers) = try_join(
                    store::connections::get(conn, &site, &id),
                    Subscribers::of(conn, &site),
                )
                .await?;
                let after =
                    store::connections::update(conn, &keys, &site, &id, &params, now).await?;
                let mut change =
                    Change::new("connection.updated", "connection", &id).changes(&before, &after);
                if params.credentials.is_some() {
                    // The secret fields themselves never appear: only that they were replaced.
                    change = change.with("credential_fields", "replaced");
                }
                admin
                    .context
                    .record_for(conn, &subscribers, &site, change, now)
                    .await?;
                Ok(after)
            })
        })
        .await?;
    Reply::ok(&connection)
}

/// Refreshes the connection's token now, whatever its expiry, and answers the connection. The
/// refresh calls the provider, outside any transaction, so an `Idempotency-Key`'s answer is
/// looked up before it and stored after it: a repeat answers the first refresh's connection
/// without refreshing again. One that comes before the first's answer is stored (while it runs,
/// or after a first whose client hung up before the end) refreshes again, which only renews the
/// token; two at once share one refresh.
pub async fn refresh_connection(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let key = payload.idempotency_key()?;
    let principal = admin.principal();
    let stored = idempotency::stored_reply(&app.db, &app.keys, &principal, key.as_ref());
    if let Some(first) = stored.await? {
        return Ok(first);
    }
    // After the key's record, as every POST reads its body ([`idempotency::run`]).
    let NoParams {} = payload.json()?;
    refresh::refresh_now(&app.refresher, &admin.context, site.clone(), id.clone()).await?;
    idempotency::run(
        &app.db,
        &app.keys,
        principal,
        key,
        Ok(NoParams {}),
        move |conn, NoParams {}, _| {
            Box::pin(async move { Reply::ok(&store::connections::get(conn, &site, &id).await?) })
        },
    )
    .await
}

/// 204 No Content.
pub async fn delete_connection(
    State(app): State<App>,
    admin: Admin,
    PathParams((site, id)): PathParams<(String, String)>,
) -> Result<Reply, ApiError> {
    app.db
        .write(move |conn| {
            Box::pin(async move {
                let gone = store::connections::get(conn, &site, &id).await?;
                store::connections::delete(conn, &site, &id).await?;
                let change = Change::new("connection.deleted", "connection", &id)
                    .with("provider", gone.provider.as_str());
                admin
                    .context
                    .record(conn, &site, change, clock::now())
                    .await
            })
        })
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
    let keys = app.keys.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        payload.json::<CreateAdminTokenParams>(),
        move |conn, params, now| {
            Box::pin(async move {
                let scopes = match params.scopes.as_deref() {
                    None => Scope::ALL.to_vec(),
                    Some(asked) => parse_scopes(asked),
                };
                store::sites::require(conn, &site).await?;
                let new = NewToken {
                    site_id: &site,
                    user_id: &params.user_id,
                    name: &params.name,
                    scopes: &scopes,
                    expires_at: expiry(params.expires_at.as_deref(), None, now)?,
                };
                let created = store::tokens::create(conn, &keys, &new, now).await?;
                admin
                    .context
                    .record(
                        conn,
                        &site,
                        Change::token_created(&created.personal_access_token),
                        now,
                    )
                    .await?;
                Reply::json(StatusCode::CREATED, &created)
            })
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
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                store::tokens::list(conn, &site, params.user_id.as_deref(), clock::now()).await
            })
        })
        .await?;
    Reply::ok(&list)
}

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
        payload.json::<NoParams>(),
        move |conn, NoParams {}, now| {
            Box::pin(async move {
                let (revoked, changed) =
                    store::tokens::revoke(conn, &site, &id, REVOKED_BY_ADMIN, now).await?;
                // Revoking again changes nothing, and is no event.
                if changed {
                    admin
                        .context
                        .record(conn, &site, token_revoked(&revoked), now)
                        .await?;
                }
                Reply::ok(&revoked)
            })
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
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                store::api_keys::list(conn, &site, &params, clock::now()).await
            })
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
    idempotency::run(
        &app.db,
        &app.keys,
        admin.principal(),
        payload.idempotency_key()?,
        payload.json::<RevokeApiKeyParams>(),
        move |conn, params, now| {
            Box::pin(async move {
                store::sites::require(conn, &site).await?;
                let revoked = super::api_keys::revoke_recorded(
                    conn,
                    &admin.context,
                    &site,
                    &id,
                    &params,
                    now,
                )
                .await?;
                Reply::ok(&revoked)
            })
        },
    )
    .await
}
