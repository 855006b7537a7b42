//! `Idempotency-Key` on `POST`: the first successful answer to a (token, key) pair is stored,
//! encrypted, in the same transaction as the writes that produced it, and repeated for 24 hours
//! instead of acting again. Because the writer connection is serialised, two concurrent requests
//! with one key cannot both act: the second one finds the first one's record.
//!
//! Failures are not stored: they changed nothing, so trying again is safe.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::clock;
use crate::crypto::{self, Keys};
use crate::db::Db;
use crate::error::ApiError;
use crate::reply::Reply;

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// How long a stored answer is replayed.
pub const RETENTION_SECONDS: i64 = 24 * 3600;
const MAX_KEY_LEN: usize = 255;

/// A validated `Idempotency-Key` and the fingerprint of the request that carried it.
pub struct IdempotencyKey {
    key: String,
    /// SHA-256 of method, path and body: the same key with another request is a conflict.
    fingerprint: [u8; 32],
}

impl IdempotencyKey {
    /// `None` without the header; 400 naming `Idempotency-Key` unless it is 1 to 255 printable
    /// ASCII characters.
    pub fn from_request(
        headers: &HeaderMap,
        method: &Method,
        path: &str,
        body: &[u8],
    ) -> Result<Option<Self>, ApiError> {
        let mut values = headers.get_all(HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        let bad = || {
            ApiError::invalid(
                "Idempotency-Key",
                format!("Idempotency-Key: must be one header of 1 to {MAX_KEY_LEN} printable ASCII characters"),
            )
        };
        let key = value.to_str().map_err(|_| bad())?;
        let printable = key.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if values.next().is_some() || key.is_empty() || key.len() > MAX_KEY_LEN || !printable {
            return Err(bad());
        }
        let mut hash = Sha256::new();
        for part in [method.as_str().as_bytes(), path.as_bytes(), body] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Ok(Some(Self {
            key: key.to_owned(),
            fingerprint: hash.finalize().into(),
        }))
    }
}

/// Runs a `POST`'s `action` in one write transaction. With a key, answers from the stored
/// record when there is one (409 `idempotency_conflict` if it was for another request), and
/// otherwise stores the action's successful answer before committing.
pub async fn run<F>(
    db: &Arc<Db>,
    keys: &Arc<Keys>,
    principal: String,
    key: Option<IdempotencyKey>,
    action: F,
) -> Result<Reply, ApiError>
where
    F: FnOnce(&Connection, i64) -> Result<Reply, ApiError> + Send + 'static,
{
    let keys = Arc::clone(keys);
    db.write(move |conn| {
        let now = clock::now();
        let Some(key) = key else {
            return action(conn, now);
        };
        conn.execute(
            "DELETE FROM idempotency_keys WHERE created_at <= ?1",
            [now - RETENTION_SECONDS],
        )?;
        let aad = format!("idempotency_keys.response:{principal}:{}", key.key);
        let stored: Option<(Vec<u8>, u16, Vec<u8>)> = conn
            .query_row(
                "SELECT request_hash, status, response FROM idempotency_keys
                 WHERE principal = ?1 AND key = ?2",
                params![principal, key.key],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        if let Some((fingerprint, status, response)) = stored {
            if !crypto::hashes_equal(&fingerprint, &key.fingerprint) {
                return Err(ApiError::idempotency_conflict());
            }
            let status = StatusCode::from_u16(status)
                .map_err(|_| ApiError::internal("stored idempotent status is not a status"))?;
            return Ok(Reply {
                status,
                body: keys.decrypt(&aad, &response)?,
                replayed: true,
            });
        }
        let reply = action(conn, now)?;
        conn.execute(
            "INSERT INTO idempotency_keys (principal, key, request_hash, status, response, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                principal,
                key.key,
                &key.fingerprint[..],
                reply.status.as_u16(),
                keys.encrypt(&aad, &reply.body)?,
                now
            ],
        )?;
        Ok(reply)
    })
    .await
}
