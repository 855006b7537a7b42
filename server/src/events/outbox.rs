//! The webhook outbox: a row per event and endpoint, written in the event's transaction, so an
//! event that was committed is delivered even if the server stops right after. Deliverers take
//! due rows under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances sharing a
//! database never take the same row), and write each attempt's outcome back only while they
//! still hold it.

use credport_model::{Event, WebhookDelivery, WebhookDeliveryList, WebhookDeliveryStatus};

use super::{Change, Context};
use crate::clock;
use crate::crypto::{self, Keys};
use crate::db::sql::{Conn, Dialect, Row};
use crate::error::ApiError;
use crate::store::webhook_endpoints;

/// An endpoint that has failed for this long (seconds), without a success, is disabled.
pub const DISABLE_AFTER: i64 = 5 * 86_400;
/// Deliveries listed for an endpoint: the newest.
const LISTED: i64 = 100;

/// Whether an endpoint subscribed to `types` wants an event of type `kind`: every type when
/// `types` is empty; else one entry equal to it, or a family (`connection.*`) holding it.
pub fn wants(types: &[String], kind: &str) -> bool {
    types.is_empty()
        || types.iter().any(|t| match t.strip_suffix('*') {
            Some(family) => kind.starts_with(family),
            None => t == kind,
        })
}

/// A site's enabled webhook endpoints and the types each wants: whom an event of the site is
/// queued for.
pub struct Subscribers(Vec<(String, Vec<String>)>);

impl Subscribers {
    /// Those of site `site_id`. A transaction that knows its site before it knows its change
    /// reads them alongside its first read, in the same round trip, and records with
    /// [`Context::record_for`].
    pub async fn of(conn: &Conn<'_>, site_id: &str) -> Result<Self, ApiError> {
        webhook_endpoints::enabled(conn, site_id).await.map(Self)
    }
}

/// One delivery of an event to an endpoint, if the endpoint still exists and is enabled (it may
/// have been disabled since its subscribers were read), followed by `$lock`.
macro_rules! enqueue_sql {
    ($lock:literal) => {
        concat!(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload,
                status, next_attempt_at_ms, created_at)
             SELECT ?1, id, ?3, ?4, ?5, 'pending', ?6, ?7 FROM webhook_endpoints
             WHERE id = ?2 AND status = 'enabled'",
            $lock
        )
    };
}
const ENQUEUE: &str = enqueue_sql!("");
/// [`ENQUEUE`] with the endpoint's row locked as it is read ([`enqueue`]).
const ENQUEUE_POSTGRES: &str = enqueue_sql!(" FOR KEY SHARE");

/// Queues `event` for each of `subscribers` that wants it. The inserts are deferred: on
/// PostgreSQL they go out with the transaction's next statement or its `COMMIT`.
///
/// Each insert takes its endpoint from the table, not from `subscribers` alone: on PostgreSQL
/// the subscribers may have been read in an earlier transaction (a credentials read's events
/// are committed in shared batches), and an endpoint deleted since then gets no delivery
/// rather than failing its foreign key, and with it every event of the batch. On PostgreSQL the
/// endpoint's row is read `FOR KEY SHARE`, so that one whose deletion has not committed yet is
/// waited for and then skipped; read plainly, it was found, and the foreign key's own check,
/// which waits, failed the transaction once the deletion committed.
pub async fn enqueue(
    conn: &Conn<'_>,
    subscribers: &Subscribers,
    event: &Event,
    now: i64,
) -> Result<(), ApiError> {
    let mut body = None;
    for (endpoint_id, types) in &subscribers.0 {
        if !wants(types, &event.kind) {
            continue;
        }
        let payload = match &body {
            Some(payload) => payload,
            None => body.insert(serde_json::to_string(event)?),
        };
        let insert = match conn.dialect() {
            Dialect::Postgres => ENQUEUE_POSTGRES,
            Dialect::Sqlite => ENQUEUE,
        };
        conn.execute_deferred(
            insert,
            &[
                crypto::new_id("whd_")?.into(),
                endpoint_id.as_str().into(),
                event.id.as_str().into(),
                event.kind.as_str().into(),
                payload.as_str().into(),
                clock::now_ms().into(),
                now.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// A delivery taken by a deliverer: what to send, where, signed with what.
pub struct Due {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: usize,
    pub url: String,
    /// The endpoint's signing secret (`whsec_…`). Not `Debug`.
    pub secret: String,
    /// The lease it was taken under: the one claim's, so that only this attempt writes its
    /// outcome, even against another task of the same instance that took it again after the
    /// lease ran out.
    pub holder: String,
}

/// Takes up to `max` due deliveries for `holder` until `lease_until_ms`, of enabled endpoints
/// only: a disabled endpoint gets nothing (its deliveries wait, and go out if it is enabled
/// again), whether it was disabled before its deliveries were queued, meanwhile, or while one
/// was in flight.
pub async fn claim(
    conn: &Conn<'_>,
    keys: &Keys,
    holder: &str,
    now_ms: i64,
    lease_until_ms: i64,
    max: i64,
) -> Result<Vec<Due>, ApiError> {
    let skip_locked = match conn.dialect() {
        Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let rows = conn
        .query(
            &format!(
                "UPDATE webhook_deliveries SET lease_until_ms = ?3, lease_holder = ?2
             WHERE seq IN (SELECT seq FROM webhook_deliveries
                 WHERE status = 'pending' AND next_attempt_at_ms <= ?1
                   AND (lease_until_ms IS NULL OR lease_until_ms <= ?1)
                   AND endpoint_id IN
                       (SELECT id FROM webhook_endpoints WHERE status = 'enabled')
                 ORDER BY next_attempt_at_ms LIMIT ?4 {skip_locked})
             RETURNING id, endpoint_id, event_id, payload, attempts"
            ),
            &[
                now_ms.into(),
                holder.into(),
                lease_until_ms.into(),
                max.into(),
            ],
            |row| {
                Ok((
                    row.text(0)?,
                    row.text(1)?,
                    row.text(2)?,
                    row.text(3)?,
                    usize::try_from(row.int(4)?).unwrap_or(usize::MAX),
                ))
            },
        )
        .await?;
    let mut due = Vec::with_capacity(rows.len());
    for (id, endpoint_id, event_id, payload, attempts) in rows {
        // One endpoint this instance cannot sign for must not hold up the others' deliveries:
        // its delivery stays leased until the lease runs out, for an instance that can.
        let Some((url, secret)) = webhook_endpoints::target(conn, keys, &endpoint_id).await? else {
            tracing::warn!(delivery_id = %id, endpoint_id = %endpoint_id,
                "this instance cannot read the endpoint's signing secret; left to another");
            continue;
        };
        due.push(Due {
            id,
            endpoint_id,
            event_id,
            payload,
            attempts,
            url,
            secret,
            holder: holder.to_owned(),
        });
    }
    Ok(due)
}

/// How one attempt ended.
pub enum Outcome {
    /// A 2xx answer.
    Delivered(u16),
    /// Another answer (its status), or none (a timeout, a refused address, no connection).
    Failed { status: Option<u16>, error: String },
}

/// Writes the outcome of the attempt at `due`: done, or due again after
/// `retry_after_ms` (`None`: no retries left, the delivery has failed). An endpoint without a
/// success for [`DISABLE_AFTER`] is disabled, with an event saying so. Nothing is written once
/// the lease was lost to another deliverer.
///
/// The endpoint's row is locked first, then the delivery's: the order in which an endpoint's
/// `DELETE` takes them (its own row, then its deliveries' by the cascade), and in which another
/// outcome of the same endpoint does. In the other order, a delivery's outcome and the
/// endpoint's deletion waited on each other on PostgreSQL.
pub async fn finish(
    conn: &Conn<'_>,
    due: &Due,
    outcome: &Outcome,
    retry_after_ms: Option<i64>,
) -> Result<(), ApiError> {
    webhook_endpoints::lock(conn, &due.endpoint_id).await?;
    let now = clock::now();
    let (status, code, error, next) = match outcome {
        Outcome::Delivered(code) => ("succeeded", Some(*code), None, None),
        Outcome::Failed { status, error } => match retry_after_ms {
            Some(wait) => (
                "pending",
                *status,
                Some(error.as_str()),
                Some(clock::now_ms() + wait),
            ),
            None => ("failed", *status, Some(error.as_str()), None),
        },
    };
    let written = conn
        .execute(
            // A delivery failed meanwhile (its endpoint was disabled by another attempt's
            // outcome) stays failed unless this attempt got it through. The casts tell
            // PostgreSQL the parameters' types, which a `CASE` does not.
            "UPDATE webhook_deliveries SET
            status = CASE WHEN status = 'failed' AND CAST(?3 AS TEXT) = 'pending' THEN 'failed'
                ELSE CAST(?3 AS TEXT) END,
            attempts = attempts + 1, last_attempt_at = ?4, last_status_code = ?5,
            last_error = ?6,
            next_attempt_at_ms = CASE WHEN status = 'failed' THEN NULL
                ELSE CAST(?7 AS BIGINT) END,
            lease_until_ms = NULL, lease_holder = NULL
         WHERE id = ?1 AND lease_holder = ?2",
            &[
                due.id.as_str().into(),
                due.holder.as_str().into(),
                status.into(),
                now.into(),
                code.into(),
                error.into(),
                next.into(),
            ],
        )
        .await?;
    if written == 0 {
        return Ok(());
    }
    match outcome {
        Outcome::Delivered(_) => webhook_endpoints::succeeded(conn, &due.endpoint_id).await,
        Outcome::Failed { .. } => {
            let Some((site_id, failing_since)) =
                webhook_endpoints::failed(conn, &due.endpoint_id, now).await?
            else {
                return Ok(());
            };
            if now - failing_since < DISABLE_AFTER {
                return Ok(());
            }
            webhook_endpoints::disable(conn, &due.endpoint_id, now).await?;
            conn.execute(
                "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at_ms = NULL,
                    last_error = COALESCE(last_error, 'the endpoint was disabled')
                 WHERE endpoint_id = ?1 AND status = 'pending'",
                &[due.endpoint_id.as_str().into()],
            )
            .await?;
            let change = Change::new(
                "webhook_endpoint.disabled",
                "webhook_endpoint",
                &due.endpoint_id,
            )
            .with("reason", "no delivery succeeded for 5 days")
            .with(
                "status",
                serde_json::json!({"from": "enabled", "to": "disabled"}),
            );
            Context::server(None)
                .record(conn, &site_id, change, now)
                .await
        }
    }
}

fn delivery_from_row(row: &Row) -> Result<WebhookDelivery, ApiError> {
    Ok(WebhookDelivery {
        id: row.text(0)?,
        event_id: row.text(1)?,
        event_type: row.text(2)?,
        status: WebhookDeliveryStatus::from(row.str(3)?),
        attempts: u32::try_from(row.int(4)?).unwrap_or(u32::MAX),
        last_attempt_at: clock::format_opt(row.opt_int(5)?),
        last_status_code: row.opt_int(6)?.and_then(|c| u16::try_from(c).ok()),
        last_error: row.opt_text(7)?,
        next_attempt_at: row.opt_int(8)?.map(|ms| clock::format(ms.div_euclid(1000))),
        created_at: clock::format(row.int(9)?),
    })
}

/// The endpoint's newest deliveries; 404 for an endpoint the site does not have.
pub async fn list(
    conn: &Conn<'_>,
    site_id: &str,
    endpoint_id: &str,
) -> Result<WebhookDeliveryList, ApiError> {
    webhook_endpoints::get(conn, site_id, endpoint_id).await?;
    let data = conn
        .query(
            "SELECT id, event_id, event_type, status, attempts, last_attempt_at,
                last_status_code, last_error, next_attempt_at_ms, created_at
             FROM webhook_deliveries WHERE endpoint_id = ?1 ORDER BY seq DESC LIMIT ?2",
            &[endpoint_id.into(), LISTED.into()],
            delivery_from_row,
        )
        .await?;
    Ok(WebhookDeliveryList { data })
}

#[cfg(test)]
mod tests {
    use credport_model::{ActorType, EventActor, EventTarget};

    use super::*;
    use crate::db::Db;

    /// Site `site_1` with an enabled endpoint for each of `ids`, its secret no key reads.
    async fn site_with_endpoints(conn: &Conn<'_>, ids: &[&str]) -> Result<(), ApiError> {
        conn.execute("INSERT INTO sites VALUES ('site_1', 's', 0)", &[])
            .await?;
        for id in ids {
            conn.execute(
                "INSERT INTO webhook_endpoints (id, site_id, url, types, status, secret,
                    created_at, updated_at)
                 VALUES (?1, 'site_1', 'https://example.com/', '[]', 'enabled', X'00', 0, 0)",
                &[(*id).into()],
            )
            .await?;
        }
        Ok(())
    }

    /// An endpoint whose secret this instance cannot read (a key being rolled out) holds up no
    /// other endpoint's delivery: the claim takes the others'.
    #[tokio::test]
    async fn an_unreadable_secret_holds_up_no_other_delivery() {
        let (_dir, db) = Db::temporary().await;
        let keys = std::sync::Arc::new(Keys::new(&[7; 32]));
        let taken = db
            .write(move |conn| {
                Box::pin(async move {
                    site_with_endpoints(conn, &["we_unreadable"]).await?;
                    let params = credport_model::CreateWebhookEndpointParams {
                        url: "https://example.com/readable".into(),
                        types: None,
                        description: None,
                    };
                    let secret = "whsec_c2VjcmV0".to_owned();
                    let readable =
                        webhook_endpoints::create(conn, &keys, "site_1", &params, secret, 0)
                            .await?;
                    for (id, endpoint) in [
                        ("whd_1", "we_unreadable"),
                        ("whd_2", readable.endpoint.id.as_str()),
                    ] {
                        conn.execute(
                            "INSERT INTO webhook_deliveries (id, endpoint_id, event_id,
                                event_type, payload, status, next_attempt_at_ms, created_at)
                             VALUES (?1, ?2, 'ev_1', 't', '{}', 'pending', 0, 0)",
                            &[id.into(), endpoint.into()],
                        )
                        .await?;
                    }
                    claim(conn, &keys, "dlv_1", 1, 30_001, 10).await
                })
            })
            .await
            .unwrap();
        let taken: Vec<_> = taken.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(taken, ["whd_2"]);
    }

    /// Subscribers read before their endpoint was deleted, as a credentials read's are on
    /// PostgreSQL: the event is queued for the endpoints still there, and its write goes through.
    #[tokio::test]
    async fn an_endpoint_deleted_after_its_subscribers_were_read_gets_no_delivery() {
        let (_dir, db) = Db::temporary().await;
        db.write(|conn| Box::pin(site_with_endpoints(conn, &["we_kept", "we_gone"])))
            .await
            .unwrap();
        let subscribers = db
            .read_single(|conn| Box::pin(Subscribers::of(conn, "site_1")))
            .await
            .unwrap();
        assert_eq!(subscribers.0.len(), 2);
        db.write(|conn| {
            Box::pin(async move {
                let sql = "DELETE FROM webhook_endpoints WHERE id = 'we_gone'";
                conn.execute(sql, &[]).await.map(drop)
            })
        })
        .await
        .unwrap();

        let event = Event {
            id: "ev_1".into(),
            kind: "credentials.read".into(),
            at: "2026-12-07T00:00:00Z".into(),
            site_id: "site_1".into(),
            actor: EventActor {
                kind: ActorType::Server,
                token_id: None,
                user_id: None,
            },
            target: EventTarget {
                kind: "connection".into(),
                id: "conn_1".into(),
            },
            request_id: None,
            client_address: None,
            user_agent: None,
            data: None,
        };
        let queued = db
            .write(move |conn| {
                Box::pin(async move {
                    enqueue(conn, &subscribers, &event, 0).await?;
                    let sql = "SELECT endpoint_id FROM webhook_deliveries";
                    conn.query(sql, &[], |row| row.text(0)).await
                })
            })
            .await
            .unwrap();
        assert_eq!(queued, ["we_kept"]);
    }

    #[test]
    fn types_match_exactly_or_by_family() {
        let types = vec!["connection.*".to_owned(), "api_key.created".to_owned()];
        assert!(wants(&types, "connection.updated"));
        assert!(wants(&types, "api_key.created"));
        assert!(!wants(&types, "api_key.revoked"));
        assert!(wants(&[], "token.created"));
    }
}
