//! `/v1/personal_access_tokens`: a site's tokens, as their users see them.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{CreateTokenParams, Scope};

use crate::app::App;
use crate::auth::Caller;
use crate::clock;
use crate::error::ApiError;
use crate::idempotency;
use crate::input::{PathParams, Payload};
use crate::reply::Reply;
use crate::store;
use crate::store::tokens::NewToken;

/// A token for the caller's own user and site, with no scope the caller lacks.
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    payload: Payload,
) -> Result<Reply, ApiError> {
    caller.require(Scope::TokensWrite)?;
    let params: CreateTokenParams = payload.json()?;
    let scopes = match params.scopes.as_deref() {
        None | Some([]) => caller.scopes.clone(),
        Some(asked) => {
            let asked = parse_scopes(asked);
            if let Some(missing) = asked.iter().find(|s| !caller.scopes.contains(s)) {
                return Err(ApiError::missing_scope(*missing));
            }
            asked
        }
    };
    let keys = app.keys.clone();
    idempotency::run(
        &app.db,
        &app.keys,
        caller.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            let new = NewToken {
                site_id: &caller.site_id,
                user_id: &caller.user_id,
                name: &params.name,
                scopes: &scopes,
                expires_at: params.expires_at.as_deref(),
            };
            Reply::json(
                StatusCode::CREATED,
                &store::tokens::create(conn, &keys, &new, now)?,
            )
        },
    )
    .await
}

pub async fn list(State(app): State<App>, caller: Caller) -> Result<Reply, ApiError> {
    let list = app
        .db
        .read(move |conn| store::tokens::list(conn, &caller.site_id, clock::now()))
        .await?;
    Reply::ok(&list)
}

pub async fn get(
    State(app): State<App>,
    caller: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Reply, ApiError> {
    let token = app
        .db
        .read(move |conn| store::tokens::get(conn, &caller.site_id, &id, clock::now()))
        .await?;
    Reply::ok(&token)
}

/// Revokes any token of the caller's site, the caller's own included.
pub async fn revoke(
    State(app): State<App>,
    caller: Caller,
    PathParams(id): PathParams<String>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    caller.require(Scope::TokensWrite)?;
    idempotency::run(
        &app.db,
        &app.keys,
        caller.principal(),
        payload.idempotency_key()?,
        move |conn, now| {
            Reply::ok(&store::tokens::revoke(
                conn,
                &caller.site_id,
                &id,
                &caller.user_id,
                now,
            )?)
        },
    )
    .await
}

/// Validated scope names as scopes, without repeats, in [`Scope::ALL`] order.
pub fn parse_scopes(names: &[String]) -> Vec<Scope> {
    Scope::ALL
        .into_iter()
        .filter(|scope| names.iter().any(|n| n == scope.as_str()))
        .collect()
}
