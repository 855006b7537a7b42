//! The event log's SQL: writing an event, reading a site's events newest first by keyset
//! (`seq`, which only grows, so a page boundary never moves while events are added), and
//! removing events older than the retention in small batches.

use std::sync::Arc;
use std::time::Duration;

use credport_model::{ActorType, Event, EventActor, EventPage, EventTarget, ListEventsParams};

use crate::clock;
use crate::db::sql::{Conn, Row, Value};
use crate::db::Db;
use crate::error::ApiError;

/// How many old rows one retention transaction deletes: short transactions that never hold the
/// writer long.
const PURGE_BATCH: i64 = 500;
/// How often the retention runs.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// The default of `CREDPORT_EVENT_RETENTION_DAYS`.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

const COLUMNS: &str = "seq, id, site_id, type, at, actor_type, actor_token_id, actor_user_id, \
    target_type, target_id, request_id, client_address, user_agent, data";

/// Writes `event`; on PostgreSQL the insert goes out with the transaction's next statement
/// ([`Conn::execute_deferred`]): recording adds no round trip of its own.
pub async fn insert(conn: &Conn<'_>, event: &Event, at: i64) -> Result<(), ApiError> {
    let data = event.data.as_ref().map(serde_json::to_string).transpose()?;
    conn.execute_deferred(
        "INSERT INTO events (id, site_id, type, at, actor_type, actor_token_id, actor_user_id,
            target_type, target_id, request_id, client_address, user_agent, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        &[
            event.id.as_str().into(),
            event.site_id.as_str().into(),
            event.kind.as_str().into(),
            at.into(),
            event.actor.kind.as_str().into(),
            event.actor.token_id.as_deref().into(),
            event.actor.user_id.as_deref().into(),
            event.target.kind.as_str().into(),
            event.target.id.as_str().into(),
            event.request_id.as_deref().into(),
            event.client_address.as_deref().into(),
            event.user_agent.as_deref().into(),
            data.into(),
        ],
    )
    .await
}

fn from_row(row: &Row) -> Result<Event, ApiError> {
    Ok(Event {
        id: row.text(1)?,
        site_id: row.text(2)?,
        kind: row.text(3)?,
        at: clock::format(row.int(4)?),
        actor: EventActor {
            kind: ActorType::from(row.str(5)?),
            token_id: row.opt_text(6)?,
            user_id: row.opt_text(7)?,
        },
        target: EventTarget {
            kind: row.text(8)?,
            id: row.text(9)?,
        },
        request_id: row.opt_text(10)?,
        client_address: row.opt_text(11)?,
        user_agent: row.opt_text(12)?,
        data: row.opt_str(13)?.map(serde_json::from_str).transpose()?,
    })
}

/// A cursor names the `seq` below which the next page starts.
fn cursor(seq: i64) -> String {
    format!("ev{seq}")
}

fn parse_cursor(text: &str) -> Result<i64, ApiError> {
    text.strip_prefix("ev")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ApiError::invalid(
                "cursor",
                "cursor: must be a next_cursor from an earlier page",
            )
        })
}

/// One page of the site's events, newest first.
pub async fn list(
    conn: &Conn<'_>,
    site_id: &str,
    params: &ListEventsParams,
) -> Result<EventPage, ApiError> {
    let limit = i64::from(params.limit.unwrap_or(ListEventsParams::DEFAULT_LIMIT));
    let before = params.cursor.as_deref().map(parse_cursor).transpose()?;
    let since = crate::store::opt_input_instant("since", params.since.as_deref())?;
    let until = crate::store::opt_input_instant("until", params.until.as_deref())?;
    // The casts tell PostgreSQL the parameters' types, which `IS NULL` alone does not.
    let mut rows = conn
        .query(
            &format!(
                "SELECT {COLUMNS} FROM events
             WHERE site_id = ?1
               AND (CAST(?2 AS TEXT) IS NULL OR type = ?2)
               AND (CAST(?3 AS TEXT) IS NULL OR target_id = ?3)
               AND (CAST(?4 AS BIGINT) IS NULL OR at >= ?4)
               AND (CAST(?5 AS BIGINT) IS NULL OR at < ?5)
               AND (CAST(?6 AS BIGINT) IS NULL OR seq < ?6)
             ORDER BY seq DESC LIMIT ?7"
            ),
            &[
                site_id.into(),
                params.kind.as_deref().into(),
                params.target_id.as_deref().into(),
                since.into(),
                until.into(),
                before.into(),
                Value::Int(limit + 1),
            ],
            |row| Ok((row.int(0)?, from_row(row)?)),
        )
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = match rows.last() {
        Some((seq, _)) if more => Some(cursor(*seq)),
        _ => None,
    };
    let data = rows.into_iter().map(|(_, event)| event).collect();
    Ok(EventPage { data, next_cursor })
}

/// Deletes up to [`PURGE_BATCH`] events and finished deliveries older than `before`
/// (seconds); how many it deleted.
async fn purge_batch(conn: &Conn<'_>, before: i64) -> Result<u64, ApiError> {
    // The oldest events by `seq` (no index on `at`: one less page per change); `at` grows with
    // `seq`, so once none of the oldest is old enough, none is. The newest is kept, however old:
    // SQLite numbers a new row after the largest it holds, and with the table empty `seq`
    // would start again under the cursors already handed out.
    let events = conn
        .execute(
            "DELETE FROM events WHERE seq IN
            (SELECT seq FROM events ORDER BY seq LIMIT ?2) AND at < ?1
            AND seq < (SELECT MAX(seq) FROM events)",
            &[before.into(), PURGE_BATCH.into()],
        )
        .await?;
    let deliveries = conn
        .execute(
            "DELETE FROM webhook_deliveries WHERE seq IN
            (SELECT seq FROM webhook_deliveries
             WHERE created_at < ?1 AND status <> 'pending' ORDER BY seq LIMIT ?2)",
            &[before.into(), PURGE_BATCH.into()],
        )
        .await?;
    Ok(events + deliveries)
}

/// Removes what is older than `retention_days`, batch after batch, now and every
/// [`PURGE_EVERY`] for as long as the server runs. A failure is logged and tried again next time.
pub async fn purge_periodically(db: Arc<Db>, retention_days: u32) {
    let mut every = tokio::time::interval(PURGE_EVERY);
    loop {
        every.tick().await;
        let before = clock::now() - i64::from(retention_days) * 86_400;
        let mut total = 0;
        loop {
            match db
                .write(move |conn| Box::pin(async move { purge_batch(conn, before).await }))
                .await
            {
                Ok(0) => break,
                Ok(deleted) => total += deleted,
                Err(e) => {
                    tracing::warn!(error = %e, "old events could not be removed");
                    break;
                }
            }
            // Between batches, requests get the writer.
            tokio::task::yield_now().await;
        }
        if total > 0 {
            tracing::info!(deleted = total, retention_days, "old events removed");
        }
    }
}
