//! The rate limit's token buckets in the database, shared by every instance on one PostgreSQL
//! (see [`crate::auth::ratelimit`]; PostgreSQL's SQL only). One upsert per request refills the caller's bucket for the time
//! since it was last counted, takes a request from it if one is there, and hands back the
//! verdict: atomic under concurrency from any number of instances.

use crate::db::sql::Conn;
use crate::error::ApiError;

/// The bucket after the refill: thousandths of a request, at most a second's worth.
const REFILLED: &str = "LEAST(CAST(?2 AS BIGINT) * 1000,
    rate_limits.milli_tokens + GREATEST(0, ?3 - rate_limits.updated_ms) * ?2)";

/// Takes one request from `caller`'s bucket of `per_second` requests a second, at `now_ms`.
/// `Ok(None)` when allowed, else the milliseconds until one request is there again.
pub async fn take(
    conn: &Conn<'_>,
    caller: &str,
    per_second: u32,
    now_ms: i64,
) -> Result<Option<i64>, ApiError> {
    // A bucket lost in a crash of PostgreSQL only forgets a second of counting: no need to wait
    // for the WAL to reach the disk on every request.
    conn.execute("SET LOCAL synchronous_commit = off", &[])
        .await?;
    let (allowed, milli_tokens) = conn.query_one(
        &format!(
            "INSERT INTO rate_limits (caller, milli_tokens, updated_ms, allowed)
             VALUES (?1, CAST(?2 AS BIGINT) * 1000 - 1000, ?3, TRUE)
             ON CONFLICT (caller) DO UPDATE SET
                milli_tokens = CASE WHEN {REFILLED} >= 1000 THEN {REFILLED} - 1000 ELSE {REFILLED} END,
                allowed = {REFILLED} >= 1000,
                updated_ms = GREATEST(rate_limits.updated_ms, ?3)
             RETURNING allowed, milli_tokens"
        ),
        &[caller.into(), per_second.into(), now_ms.into()],
        |row| Ok((row.bool(0)?, row.int(1)?)),
    ).await?;
    if allowed {
        return Ok(None);
    }
    let missing = 1000 - milli_tokens;
    Ok(Some(missing / i64::from(per_second.max(1))))
}

/// Deletes buckets not counted for a minute: a full bucket and a missing one behave the same.
pub async fn purge(conn: &Conn<'_>, now_ms: i64) -> Result<u64, ApiError> {
    conn.execute(
        "DELETE FROM rate_limits WHERE updated_ms < ?1",
        &[(now_ms - 60_000).into()],
    )
    .await
}
