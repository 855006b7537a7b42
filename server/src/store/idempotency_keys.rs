//! The stored answers of `Idempotency-Key` requests (see [`crate::routes::idempotency`]).

use crate::db::sql::Conn;
use crate::error::ApiError;

/// How long a stored answer is replayed.
pub const RETENTION_SECONDS: i64 = 24 * 3600;

/// A stored first answer.
pub struct Stored {
    pub fingerprint: Vec<u8>,
    pub status: i64,
    /// Ciphertext.
    pub response: Vec<u8>,
}

/// The associated data a recorded reply is sealed with.
pub fn response_aad(principal: &str, key: &str) -> String {
    format!("idempotency_keys.response:{principal}:{key}")
}

/// Claims (`principal`, `key`) for this request: true when it is ours to act on, false when a
/// live record exists. The claim is a row written first in the request's transaction: a
/// concurrent request with the same key (on this instance or another) waits on that row until
/// this transaction ends, then finds the answer, or, if this one rolled back, claims it itself.
/// A record past [`RETENTION_SECONDS`] counts as absent and is taken over.
pub async fn claim(
    conn: &Conn<'_>,
    principal: &str,
    key: &str,
    fingerprint: &[u8],
    now: i64,
) -> Result<bool, ApiError> {
    let claimed = conn.execute(
        "INSERT INTO idempotency_keys (principal, key, request_hash, status, response, created_at)
         VALUES (?1, ?2, ?3, 0, ?4, ?5)
         ON CONFLICT (principal, key) DO UPDATE SET
            request_hash = excluded.request_hash, status = 0, response = excluded.response,
            created_at = excluded.created_at
         WHERE idempotency_keys.created_at <= ?6",
        &[
            principal.into(),
            key.into(),
            fingerprint.into(),
            Vec::new().into(),
            now.into(),
            (now - RETENTION_SECONDS).into(),
        ],
    ).await?;
    Ok(claimed == 1)
}

/// The live record of (`principal`, `key`) at `now`: committed, within [`RETENTION_SECONDS`].
pub async fn find(
    conn: &Conn<'_>,
    principal: &str,
    key: &str,
    now: i64,
) -> Result<Option<Stored>, ApiError> {
    conn.query_opt(
        "SELECT request_hash, status, response FROM idempotency_keys
         WHERE principal = ?1 AND key = ?2 AND created_at > ?3",
        &[
            principal.into(),
            key.into(),
            (now - RETENTION_SECONDS).into(),
        ],
        |row| {
            Ok(Stored {
                fingerprint: row.blob(0)?,
                status: row.int(1)?,
                response: row.blob(2)?,
            })
        },
    )
    .await
}

/// Fills the claimed record with the answer.
pub async fn record(
    conn: &Conn<'_>,
    principal: &str,
    key: &str,
    status: u16,
    response: Vec<u8>,
) -> Result<(), ApiError> {
    conn.execute(
        "UPDATE idempotency_keys SET status = ?3, response = ?4 WHERE principal = ?1 AND key = ?2",
        &[principal.into(), key.into(), status.into(), response.into()],
    )
    .await?;
    Ok(())
}

/// Deletes the records past [`RETENTION_SECONDS`]; the number deleted.
pub async fn purge(conn: &Conn<'_>, now: i64) -> Result<u64, ApiError> {
    conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at <= ?1",
        &[(now - RETENTION_SECONDS).into()],
    )
    .await
}
