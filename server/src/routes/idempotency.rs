//! `Idempotency-Key` on `POST`: the first successful answer to a (token, key) pair is stored,
//! encrypted, in the same transaction as the writes that produced it, and repeated for 24 hours
//! instead of acting again. The key is claimed by the transaction's first write, so two
//! concurrent requests with one key cannot both act, on one instance or on several sharing a
//! PostgreSQL database: the second one waits for the first one's transaction and replays its
//! record ([`crate::store::idempotency_keys::claim`]).
//!
//! A key reused with another body is 409 whatever that body holds: the record is looked at
//! before the body is judged. Failures are not stored: they changed nothing, so trying again is
//! safe. Expired records are deleted by [`purge_periodically`], not by requests.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use credport_model::Scope;

use crate::auth::{Caller, Presented};
use crate::clock;
use crate::crypto::{self, Keys};
use crate::db::sql::{Conn, TxFuture};
use crate::db::Db;
use crate::error::ApiError;
use crate::http::idempotency_key::IdempotencyKey;
use crate::http::input::{Params, Payload};
use crate::http::reply::Reply;
use crate::store::idempotency_keys::{self, Stored};

/// How often expired records are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Runs a `POST`'s `action` on its parameters (`input`, as the body was read) in one write
/// transaction of its own ([`once`]). Without a key, wrong input is answered at once; with one,
/// only after the key's record: the key reused with another body is 409
/// `idempotency_conflict`, whatever that body holds (API.md).
pub async fn run<P, F>(
    db: &Arc<Db>,
    keys: &Arc<Keys>,
    principal: String,
    key: Option<IdempotencyKey>,
    input: Result<P, ApiError>,
    action: F,
) -> Result<Reply, ApiError>
where
    P: Send + 'static,
    F: for<'c> FnOnce(&'c Conn<'c>, P, i64) -> TxFuture<'c, Reply> + Send + 'static,
{
    let input = if key.is_none() { Ok(input?) } else { input };
    let keys = Arc::clone(keys);
    db.write(move |conn| {
        Box::pin(
            async move { once(conn, &keys, &principal, key, clock::now(), input, action).await },
        )
    })
    .await
}

/// A site `POST`: its token checked, its `Idempotency-Key` claimed and `action` run on its
/// parameters (`payload`'s body, read as `P`) in one transaction ([`Presented::write`]), the
/// record keyed by the token found there. A wrong key or, without a key, wrong input is answered
/// after the token's check ([`Presented::checked`]); with a key, wrong input only after the
/// key's record, as [`run`] says. An error of `action` rolls the claim back with everything
/// else, so the key stays free.
pub async fn for_site<P, F>(
    presented: Presented,
    keys: &Arc<Keys>,
    scope: Scope,
    payload: &Payload,
    action: F,
) -> Result<Reply, ApiError>
where
    P: Params + Send + 'static,
    F: for<'c> FnOnce(&'c Conn<'c>, &'c Caller, P, i64) -> TxFuture<'c, Reply> + Send + 'static,
{
    let key = presented.checked(scope, payload.idempotency_key()).await?;
    let input = payload.json::<P>();
    let input = match key {
        None => Ok(presented.checked(scope, input).await?),
        Some(_) => input,
    };
    let keys = Arc::clone(keys);
    let (_, reply) = presented
        .write(scope, move |conn, caller| {
            Box::pin(async move {
                let principal = caller.principal();
                let act = move |conn, params, now| action(conn, caller, params, now);
                once(conn, &keys, &principal, key, clock::now(), input, act).await
            })
        })
        .await?;
    Ok(reply)
}

/// Runs `action` on `input` in the transaction of `conn`. With a key, answers from the stored
/// record when there is one (409 `idempotency_conflict` if it was for another request), and
/// otherwise stores the action's successful answer before the transaction commits.
async fn once<'c, P, F>(
    conn: &'c Conn<'c>,
    keys: &Keys,
    principal: &str,
    key: Option<IdempotencyKey>,
    now: i64,
    input: Result<P, ApiError>,
    action: F,
) -> Result<Reply, ApiError>
where
    F: FnOnce(&'c Conn<'c>, P, i64) -> TxFuture<'c, Reply>,
{
    let Some(key) = key else {
        return action(conn, input?, now).await;
    };
    if !idempotency_keys::claim(conn, principal, key.key(), key.fingerprint(), now).await? {
        let stored = idempotency_keys::find(conn, principal, key.key(), now)
            .await?
            .ok_or_else(|| ApiError::internal("a claimed idempotency record vanished"))?;
        return replayed(keys, principal, &key, &stored);
    }
    let reply = action(conn, input?, now).await?;
    let aad = idempotency_keys::response_aad(principal, key.key());
    let sealed = keys.encrypt(&aad, &reply.body)?;
    idempotency_keys::record(conn, principal, key.key(), reply.status.as_u16(), sealed).await?;
    Ok(reply)
}

/// The first answer to `key`, stored before this request came, if there is one: for a `POST`
/// that acts, or judges its input, outside the transaction that stores its answer (an admin's
/// refresh calls the provider first; a webhook endpoint's URL is resolved), asked before that;
/// [`run`] then stores the answer, or answers with one stored meanwhile.
/// None without a key.
pub async fn stored_reply(
    db: &Arc<Db>,
    keys: &Keys,
    principal: &str,
    key: Option<&IdempotencyKey>,
) -> Result<Option<Reply>, ApiError> {
    let Some(key) = key else {
        return Ok(None);
    };
    let (owner, name) = (principal.to_owned(), key.key().to_owned());
    let stored = db
        .read(move |conn| {
            Box::pin(async move { idempotency_keys::find(conn, &owner, &name, clock::now()).await })
        })
        .await?;
    stored
        .map(|stored| replayed(keys, principal, key, &stored))
        .transpose()
}

/// The stored answer replayed, or 409 `idempotency_conflict` if it answered another request.
fn replayed(
    keys: &Keys,
    principal: &str,
    key: &IdempotencyKey,
    stored: &Stored,
) -> Result<Reply, ApiError> {
    if !crypto::hashes_equal(&stored.fingerprint, key.fingerprint()) {
        return Err(ApiError::idempotency_conflict());
    }
    let status = u16::try_from(stored.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| ApiError::internal("stored idempotent status is not a status"))?;
    let aad = idempotency_keys::response_aad(principal, key.key());
    Ok(Reply {
        status,
        body: keys.decrypt(&aad, &stored.response)?,
        replayed: true,
    })
}

/// Deletes expired records now and every [`PURGE_EVERY`], for as long as the server runs.
/// A failure is logged and tried again next time; requests never wait for it.
pub async fn purge_periodically(db: Arc<Db>) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        match db
            .write(move |conn| {
                Box::pin(async move { idempotency_keys::purge(conn, clock::now()).await })
            })
            .await
        {
            Ok(deleted) => tracing::debug!(deleted, "expired idempotency records purged"),
            Err(e) => tracing::warn!(error = %e, "expired idempotency records could not be purged"),
        }
    }
}
