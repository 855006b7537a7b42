//! `/v1/personal_access_tokens`: a user's own tokens, as that user sees them.

use axum::extract::State;
use axum::http::StatusCode;
use credport_model::{CreateTokenParams, PersonalAccessToken, Scope};

use crate::app::App;
use crate::auth::Presented;
use crate::clock;
use crate::db::sql::Conn;
use crate::error::ApiError;
use crate::events::Change;
use crate::http::input::{NoParams, PathParams, Payload};
use crate::http::reply::Reply;
use crate::routes::idempotency;
use crate::store;
use crate::store::tokens::NewToken;

/// A token for the caller's own user and site, with no scope the caller lacks, expiring no later
/// than the caller's token. The token is checked in the write's own transaction, the
/// `Idempotency-Key` claimed in it.
pub async fn create(
    State(app): State<App>,
    presented: Presented,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let scope = Scope::TokensWrite;
    let keys = app.keys.clone();
    idempotency::for_site(
        presented,
        &app.keys,
        scope,
        &payload,
        move |conn, caller, params: CreateTokenParams, now| {
            Box::pin(async move {
                let scopes = match params.scopes.as_deref() {
                    None => caller.scopes.clone(),
                    Some(asked) => {
                        let asked = parse_scopes(asked);
                        if let Some(missing) = asked.iter().find(|s| !caller.scopes.contains(s)) {
                            return Err(ApiError::missing_scope(*missing));
                        }
                        asked
                    }
                };
                let new = NewToken {
                    site_id: &caller.site_id,
                    user_id: &caller.user_id,
                    name: &params.name,
                    scopes: &scopes,
                    expires_at: expiry(params.expires_at.as_deref(), caller.expires_at, now)?,
                };
                let created = store::tokens::create(conn, &keys, &new, now).await?;
                let change = Change::token_created(&created.personal_access_token);
                caller
                    .context
                    .record(conn, &caller.site_id, change, now)
                    .await?;
                Reply::json(StatusCode::CREATED, &created)
            })
        },
    )
    .await
}

/// The caller's user's tokens, in the round trip of the token's check.
pub async fn list(presented: Presented) -> Result<Reply, ApiError> {
    let now = clock::now();
    let (_, list) = presented
        .read_own(move |conn, owner| {
            Box::pin(async move {
                store::tokens::list(conn, &owner.site_id, Some(&owner.user_id), now).await
            })
        })
        .await?;
    Reply::ok(&list)
}

/// One of the caller's user's tokens, in the round trip of the token's check.
pub async fn get(
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
) -> Result<Reply, ApiError> {
    // Any token may read its own user's tokens: no scope stands before a wrong path.
    let PathParams(id) = presented.checked(None, path).await?;
    let now = clock::now();
    let (_, token) = presented
        .read_own(move |conn, owner| {
            Box::pin(async move { own(conn, &owner.site_id, &owner.user_id, &id, now).await })
        })
        .await?;
    Reply::ok(&token)
}

/// Revokes a token of the caller's user, the caller's own included. The token is checked in
/// the write's own transaction, the `Idempotency-Key` claimed in it.
pub async fn revoke(
    State(app): State<App>,
    presented: Presented,
    path: Result<PathParams<String>, ApiError>,
    payload: Payload,
) -> Result<Reply, ApiError> {
    let scope = Scope::TokensWrite;
    let PathParams(id) = presented.checked(scope, path).await?;
    idempotency::for_site(
        presented,
        &app.keys,
        scope,
        &payload,
        move |conn, caller, NoParams {}, now| {
            Box::pin(async move {
                let (site, user) = (&caller.site_id, &caller.user_id);
                own(conn, site, user, &id, now).await?;
                let (revoked, changed) = store::tokens::revoke(conn, site, &id, user, now).await?;
                // Revoking again changes nothing, and is no event.
                if changed {
                    let change = token_revoked(&revoked);
                    caller.context.record(conn, site, change, now).await?;
                }
                Reply::ok(&revoked)
            })
        },
    )
    .await
}

/// The event of a revoked token.
pub fn token_revoked(token: &PersonalAccessToken) -> Change {
    Change::new("token.revoked", "personal_access_token", &token.id)
        .with("user_id", token.user_id.as_str())
        .with("revoked_by", token.revoked_by.clone())
}

/// The token `id` if it belongs to the caller's user; another user's answers 404 like a missing
/// one, so that a site token learns nothing of its neighbours.
async fn own(
    conn: &Conn<'_>,
    site_id: &str,
    user_id: &str,
    id: &str,
    now: i64,
) -> Result<PersonalAccessToken, ApiError> {
    let token = store::tokens::get(conn, site_id, id, now).await?;
    if token.user_id == user_id {
        Ok(token)
    } else {
        Err(ApiError::not_found("personal access token"))
    }
}

/// When a new token expires: as asked (in the future, and no later than `ceiling`, the
/// creating token's expiry), or at `ceiling` when not asked. A token never outlives the token
/// that made it.
pub fn expiry(
    asked: Option<&str>,
    ceiling: Option<i64>,
    now: i64,
) -> Result<Option<i64>, ApiError> {
    let Some(asked) = asked else {
        return Ok(ceiling);
    };
    let at = clock::parse(asked).ok_or_else(|| {
        ApiError::invalid("expires_at", "expires_at: must be an RFC 3339 timestamp")
    })?;
    if at <= now {
        return Err(ApiError::invalid(
            "expires_at",
            "expires_at: must be in the future",
        ));
    }
    if let Some(ceiling) = ceiling.filter(|&c| at > c) {
        return Err(ApiError::invalid(
            "expires_at",
            format!(
                "expires_at: must not be after {}, when the token making it expires",
                clock::format(ceiling)
            ),
        ));
    }
    Ok(Some(at))
}

/// Validated scope names as scopes, without repeats, in [`Scope::ALL`] order.
pub fn parse_scopes(names: &[String]) -> Vec<Scope> {
    Scope::ALL
        .into_iter()
        .filter(|scope| names.iter().any(|n| n == scope.as_str()))
        .collect()
}
