//! OAuth2 token refresh (API.md "OAuth2 token refresh"): a refreshable connection whose token
//! expires within its configuration's margin (or has expired, or a refresh is forced) is
//! refreshed before its credentials are handed out.
//!
//! One refresh per connection at a time, however many requests ask:
//! - in one process, the requests share one task ([`flights`]);
//! - across instances on one database, that task first takes the lease in the connection's row
//!   (a conditional `UPDATE`, expiring after the call's timeout and some slack, so a crashed
//!   instance does not block the connection for long); an instance that finds the lease taken
//!   polls the row until the holder has written its result (or given the lease back), and
//!   answers with that. No transaction stays open during the call to the token endpoint.
//!
//! The result is written back only onto the version of the row the refresh started from, so an
//! admin's `PATCH` of the credentials (or of what the refresh used: the token's expiry, the
//! provider configuration) made meanwhile wins; a change of anything else (metadata, names,
//! status) keeps the refresh's tokens, which a provider that rotates refresh tokens would not
//! give again. A refusal for good marks the connection `invalid`; a passing failure changes
//! nothing but the cooldown, kept in the row so that every instance holds off calling that token
//! endpoint again for [`COOLDOWN`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use credport_model::{ConnectionStatus, ProviderCredentials, RefreshError, Scope};
use futures_util::future::try_join;

use crate::auth::{Caller, Presented};
use crate::clock;
use crate::crypto;
use crate::crypto::Keys;
use crate::db::sql::Dialect;
use crate::db::Db;
use crate::error::ApiError;
use crate::events::batch::Batches;
use crate::events::outbox::Subscribers;
use crate::events::{Change, Context};
use crate::ops::metrics::{self, Event};
use crate::store;
use crate::store::refreshes::{self, Refreshed, Stored};

mod flights;
pub mod token_endpoint;

/// How long a failing token endpoint is left alone, for one connection.
pub const COOLDOWN: Duration = Duration::from_secs(30);
/// How often an instance waiting for another's refresh looks at the row.
const POLL: Duration = Duration::from_millis(100);
/// How long a lease outlives the call's timeout: the write-back after it, tried again while
/// the lease lasts ([`WRITE_BACK_WAITS`]). One try can wait 5 s for a PostgreSQL connection and
/// 5 s for a row lock.
const LEASE_SLACK: Duration = Duration::from_secs(15);
/// The waits before each new try of storing what a refresh got, while the lease lasts: by then
/// the provider may have rotated the refresh token, and what is not stored is lost for good.
const WRITE_BACK_WAITS: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

/// What refreshes need: the database and keys, the token endpoint client and the flights.
pub struct Refresher {
    db: Arc<Db>,
    keys: Arc<Keys>,
    http: reqwest::Client,
    timeout: Duration,
    flights: Arc<flights::Flights>,
    /// Where the events of credentials answered as stored are written.
    batches: Arc<Batches>,
}

impl Refresher {
    /// `timeout` bounds each call to a token endpoint.
    pub fn new(db: Arc<Db>, keys: Arc<Keys>, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            batches: Batches::new(Arc::clone(&db)),
            db,
            keys,
            http: token_endpoint::http_client(timeout)?,
            timeout,
            flights: Arc::default(),
        })
    }

    /// Waits for the refreshes still running to store what they got; a shutdown calls it once
    /// the requests have finished (a refresh outlives a client that hung up).
    pub async fn landed(&self) {
        self.flights.landed().await;
    }
}

/// How a refresh ended for the requests that waited for it.
#[derive(Clone)]
pub enum Settled {
    /// The connection's credentials now: refreshed, or as another refresh or an admin left them.
    Credentials(ProviderCredentials),
    /// The token endpoint failed (now or moments ago): nothing was changed.
    Passing { retry_after: u64, why: String },
}

/// `GET /v1/connections/credentials/{provider}`: the credentials of the site's active
/// connection for `provider`, refreshed first when they need it or `forced`, for a token that
/// carries `credentials:read`. Credentials are handed out only once their read is recorded
/// (`credentials.read`): answered as stored, with the read ([`read_as_stored`]), else in a
/// transaction of its own after the refresh.
pub async fn credentials(
    refresher: &Arc<Refresher>,
    presented: Presented,
    provider: String,
    forced: bool,
) -> Result<ProviderCredentials, ApiError> {
    let (caller, stored, recorded) = read_as_stored(refresher, presented, provider, forced).await?;
    if recorded {
        return stored.answer();
    }
    // Boxed: a read that needs a refresh first is rare, and inline the refresh's state (the
    // token endpoint's request) was most of every credentials read's future, 11 KB moved into
    // axum's box on each request (docs/performance.md).
    Box::pin(refreshed(refresher, caller, stored, forced)).await
}

/// The credentials after a refresh (or as stored, when the refresh is passing and they have not
/// expired), their read recorded in a transaction of its own.
async fn refreshed(
    refresher: &Arc<Refresher>,
    caller: Caller,
    stored: Stored,
    forced: bool,
) -> Result<ProviderCredentials, ApiError> {
    let now = clock::now();
    let reader = caller.context;
    let site_id = caller.site_id;
    let answer = match refresh(
        refresher,
        reader.on_behalf(),
        site_id.clone(),
        &stored,
        forced,
    )
    .await?
    {
        Settled::Credentials(credentials) => credentials,
        Settled::Passing { .. } if !forced && !stored.expired(now) => stored.answer()?,
        Settled::Passing { retry_after, why } => {
            return Err(ApiError::refresh_failed(retry_after, &why))
        }
    };
    refresher
        .db
        .write(move |conn| {
            Box::pin(async move {
                reader
                    .record(conn, &site_id, credentials_read(&stored), clock::now())
                    .await
            })
        })
        .await?;
    Ok(answer)
}

/// The caller, and the stored credentials of its site's connection for `provider`, with their
/// read recorded when they are to be answered as stored (`true`); not recorded when they need a
/// refresh first.
///
/// How the read and its event are written depends on the store. On SQLite one writer thread
/// commits the writes of the moment in groups already, and reading there is a few cached look-ups:
/// the token's check, the read and its event go as one write, one hand-over to that thread
/// ([`Presented::write`]; a token seen for the first time is checked on the request's own thread
/// first). On PostgreSQL the read is a read, in the round trip of the token's check
/// ([`Presented::read_single`]), and its event is committed with those of the reads of the moment
/// ([`Batches`]): one commit, and one WAL flush, for many reads. (Measured both ways on each
/// store: the other way cost SQLite a fifth of its reads per second, and PostgreSQL's per-read
/// commit was over the events budget; docs/events.md.)
async fn read_as_stored(
    refresher: &Arc<Refresher>,
    presented: Presented,
    provider: String,
    forced: bool,
) -> Result<(Caller, Stored, bool), ApiError> {
    let keys = Arc::clone(&refresher.keys);
    let as_stored = move |stored: &Stored, now| {
        stored.refreshable().is_none() || !(forced || stored.expiring(now))
    };
    if refresher.db.dialect() == Dialect::Sqlite {
        let (caller, (stored, recorded)) = presented
            .write(Scope::CredentialsRead, move |conn, caller| {
                Box::pin(async move {
                    let site = &caller.site_id;
                    let (stored, subscribers) = try_join(
                        store::connections::credentials(conn, &keys, site, &provider),
                        Subscribers::of(conn, site),
                    )
                    .await?;
                    let now = clock::now();
                    let recorded = as_stored(&stored, now);
                    if recorded {
                        let read = credentials_read(&stored);
                        caller
                            .context
                            .record_for(conn, &subscribers, site, read, now)
                            .await?;
                    }
                    Ok((stored, recorded))
                })
            })
            .await?;
        return Ok((caller, stored, recorded));
    }
    // The connection and the site's subscribers need no snapshot in common: no `BEGIN` and
    // `COMMIT` around them, three statements in one round trip with the token's check.
    let (caller, (stored, subscribers)) = presented
        .read_single(Scope::CredentialsRead, move |conn, site| {
            Box::pin(async move {
                try_join(
                    store::connections::credentials(conn, &keys, &site, &provider),
                    Subscribers::of(conn, &site),
                )
                .await
            })
        })
        .await?;
    let now = clock::now();
    let recorded = as_stored(&stored, now);
    if recorded {
        refresher
            .batches
            .record(
                &caller.context,
                subscribers,
                &caller.site_id,
                credentials_read(&stored),
                now,
            )
            .await?;
    }
    Ok((caller, stored, recorded))
}

/// The event of handing out a connection's credentials (which ones, never what they hold).
fn credentials_read(stored: &Stored) -> Change {
    Change::new("credentials.read", "connection", &stored.connection_id)
        .with("provider", stored.provider.as_str())
}

/// `POST /v1/admin/sites/{site}/connections/{id}/refresh`: refreshes now, whatever the expiry.
pub async fn refresh_now(
    refresher: &Arc<Refresher>,
    asker: &Context,
    site_id: String,
    id: String,
) -> Result<(), ApiError> {
    let keys = Arc::clone(&refresher.keys);
    let (site, connection) = (site_id.clone(), id.clone());
    let stored = refresher
        .db
        .read(move |conn| {
            Box::pin(async move { refreshes::by_id(conn, &keys, &site, &connection).await })
        })
        .await?
        .ok_or_else(|| ApiError::not_found("connection"))?;
    if stored.status != ConnectionStatus::Active {
        return Err(ApiError::conflict(
            "only an active connection is refreshed; an invalid one needs new credentials",
        ));
    }
    if stored.refreshable().is_none() {
        return Err(ApiError::conflict(
            "this connection cannot be refreshed: it needs oauth2 credentials with a \
             refresh_token, and the site a provider configuration under its provider_config_key",
        ));
    }
    match refresh(refresher, asker.on_behalf(), site_id, &stored, true).await? {
        Settled::Credentials(_) => Ok(()),
        Settled::Passing { retry_after, why } => Err(ApiError::refresh_failed(retry_after, &why)),
    }
}

/// Joins this process's refresh of the connection, or starts it; `context` (the server, for
/// the request that asked) records its outcome.
async fn refresh(
    refresher: &Arc<Refresher>,
    context: Context,
    site_id: String,
    seen: &Stored,
    forced: bool,
) -> Result<Settled, ApiError> {
    let flight = Flight {
        refresher: Arc::clone(refresher),
        context,
        site_id,
        connection_id: seen.connection_id.clone(),
        seen_version: seen.version,
        forced,
    };
    refresher
        .flights
        .join(&seen.connection_id, flight.fly())
        .await
}

/// One refresh of one connection, as a request that found it needing one saw it.
struct Flight {
    refresher: Arc<Refresher>,
    context: Context,
    site_id: String,
    connection_id: String,
    seen_version: i64,
    forced: bool,
}

impl Flight {
    async fn fly(self) -> Result<Settled, ApiError> {
        let holder = crypto::new_id("lease_")?;
        let (stored, client, lease_ends) = match self.take_lease(&holder).await? {
            Ok(leased) => leased,
            Err(settled) => return Ok(settled),
        };
        let refresh_token = stored.refresh_token().unwrap_or_default();
        let scopes = stored.refresh_scopes(&client);
        let answer =
            token_endpoint::refresh(&self.refresher.http, &client, refresh_token, &scopes).await;
        let now = clock::now();
        let id = self.connection_id.clone();
        let keys = Arc::clone(&self.refresher.keys);
        let (context, site) = (self.context.clone(), self.site_id.clone());
        match answer {
            token_endpoint::Answer::Tokens(tokens) => {
                let expires_at = tokens.expires_in.map(|s| now + s);
                let mut fields = stored.fields.clone();
                tokens.apply(&mut fields);
                let version = stored.version;
                let change = Change::new("connection.refreshed", "connection", &id).with(
                    "expires_at",
                    serde_json::json!({
                        "from": clock::format_opt(stored.expires_at),
                        "to": clock::format_opt(expires_at),
                    }),
                );
                let store = || {
                    let (keys, id, site) = (Arc::clone(&keys), id.clone(), site.clone());
                    let (written, change, context) =
                        (fields.clone(), change.clone(), context.clone());
                    self.refresher.db.write(move |conn| {
                        Box::pin(async move {
                            let refreshed = Refreshed {
                                fields: &written,
                                expires_at,
                                now,
                            };
                            let kept =
                                refreshes::store_refreshed(conn, &keys, &id, version, &refreshed)
                                    .await?;
                            if kept {
                                context.record(conn, &site, change, now).await?;
                            }
                            Ok(kept)
                        })
                    })
                };
                // A try that failed may still have committed (its answer lost): the next finds
                // the version moved, and answers what is stored ([`Self::changed_meanwhile`]).
                let mut waits = WRITE_BACK_WAITS.iter();
                let kept = loop {
                    match store().await {
                        Ok(kept) => break kept,
                        Err(error) => match waits.next() {
                            Some(wait) if Instant::now() + *wait < lease_ends => {
                                tracing::warn!(
                                    connection_id = %self.connection_id,
                                    error = %error,
                                    "storing a refresh's tokens failed; trying again"
                                );
                                tokio::time::sleep(*wait).await;
                            }
                            _ => {
                                tracing::error!(
                                    connection_id = %self.connection_id,
                                    error = %error,
                                    "a refresh's tokens could not be stored; the provider's \
                                     answer is lost"
                                );
                                return Err(error);
                            }
                        },
                    }
                };
                if !kept {
                    return self.changed_meanwhile(holder).await;
                }
                tracing::info!(connection_id = %self.connection_id, "token refreshed");
                metrics::outcome(Event::Refresh, "succeeded");
                Ok(Settled::Credentials(ProviderCredentials {
                    provider: stored.provider.clone(),
                    kind: stored.kind.clone(),
                    expires_at: clock::format_opt(expires_at),
                    fields: (&fields).try_into()?,
                }))
            }
            token_endpoint::Answer::Refused(code) => {
                let error = RefreshError {
                    code: code.to_owned(),
                    message: format!(
                        "the provider refused the refresh ({code}); the connection needs new credentials"
                    ),
                    at: clock::format(now),
                };
                let (version, lease) = (stored.version, holder.clone());
                let marked = self
                    .refresher
                    .db
                    .write(move |conn| {
                        Box::pin(async move {
                            let Some(was) =
                                refreshes::mark_invalid(conn, &id, version, &lease, &error, now)
                                    .await?
                            else {
                                return Ok(false);
                            };
                            let change = Change::new("connection.invalidated", "connection", &id)
                                .with("status", serde_json::json!({"from": was, "to": "invalid"}))
                                .with("refresh_error", code);
                            context.record(conn, &site, change, now).await?;
                            Ok(true)
                        })
                    })
                    .await?;
                if !marked {
                    return self.changed_meanwhile(holder).await;
                }
                tracing::warn!(connection_id = %self.connection_id, code, "token refresh refused; connection marked invalid");
                metrics::outcome(Event::Refresh, "refused");
                Err(ApiError::connection_invalid(&self.connection_id))
            }
            token_endpoint::Answer::Failed { why, .. } => {
                let retry_at = clock::now_ms() + millis(COOLDOWN);
                let change = Change::new("connection.refresh_failed", "connection", &id)
                    .with("reason", why.as_str())
                    .with("retry_after_seconds", COOLDOWN.as_secs());
                self.refresher
                    .db
                    .write(move |conn| {
                        Box::pin(async move {
                            refreshes::release_lease(conn, &id, &holder, Some(retry_at)).await?;
                            context.record(conn, &site, change, now).await
                        })
                    })
                    .await?;
                tracing::warn!(
                    connection_id = %self.connection_id,
                    reason = %why,
                    cooldown_seconds = COOLDOWN.as_secs(),
                    "token refresh failed; the token endpoint is left alone for the cooldown"
                );
                metrics::outcome(Event::Refresh, "failed");
                Ok(Settled::Passing {
                    retry_after: COOLDOWN.as_secs(),
                    why,
                })
            }
        }
    }

    /// Takes the connection's refresh lease, waiting while another instance holds it. `Err`
    /// when there is nothing left to call the token endpoint for: another refresh (or an
    /// admin) has changed the connection meanwhile, or the endpoint is in its cooldown.
    async fn take_lease(
        &self,
        holder: &str,
    ) -> Result<Result<(Stored, store::provider_configs::Client, Instant), Settled>, ApiError> {
        let lease = self.refresher.timeout + LEASE_SLACK;
        let give_up = Instant::now() + lease + LEASE_SLACK;
        loop {
            let stored = self.current().await?;
            let now = clock::now();
            let Some(client) = stored.refreshable().cloned() else {
                return Ok(Err(Settled::Credentials(stored.answer()?)));
            };
            let still_wanted = if stored.version == self.seen_version {
                self.forced || stored.expiring(now)
            } else {
                // Changed since the request looked: refreshed meanwhile (which is what a
                // forced request asked for), or new credentials that may need it themselves.
                !self.forced && stored.expiring(now)
            };
            if !still_wanted {
                return Ok(Err(Settled::Credentials(stored.answer()?)));
            }
            let now_ms = clock::now_ms();
            if let Some(retry_at) = stored.retry_at_ms.filter(|at| *at > now_ms) {
                return Ok(Err(Settled::Passing {
                    retry_after: u64::try_from((retry_at - now_ms + 999) / 1000).unwrap_or(1),
                    why: "it failed moments ago".into(),
                }));
            }
            let free = stored.lease_until_ms.is_none_or(|until| until <= now_ms);
            if free {
                let (id, version, holder) = (
                    self.connection_id.clone(),
                    stored.version,
                    holder.to_owned(),
                );
                // The lease ends no sooner than this (its clock starts later, in the write).
                let lease_ends = Instant::now() + lease;
                let taken = self
                    .refresher
                    .db
                    .write(move |conn| {
                        Box::pin(async move {
                            // Stamped once the write runs, not before it waited for a
                            // connection or a lock: the lease is whole when the call begins.
                            let now_ms = clock::now_ms();
                            let until = now_ms + millis(lease);
                            refreshes::take_lease(conn, &id, version, &holder, now_ms, until).await
                        })
                    })
                    .await?;
                if taken {
                    return Ok(Ok((stored, client, lease_ends)));
                }
            }
            if Instant::now() >= give_up {
                return Ok(Err(Settled::Passing {
                    retry_after: 1,
                    why: "another refresh of this connection is taking too long".into(),
                }));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The connection as it is stored now: 409 `connection_invalid` once a refresh made it
    /// invalid, 404 once it is gone or switched off.
    async fn current(&self) -> Result<Stored, ApiError> {
        let keys = Arc::clone(&self.refresher.keys);
        let (site, id) = (self.site_id.clone(), self.connection_id.clone());
        let stored = self
            .refresher
            .db
            .read(move |conn| {
                Box::pin(async move { refreshes::by_id(conn, &keys, &site, &id).await })
            })
            .await?
            .ok_or_else(|| ApiError::not_found("connection"))?;
        match stored.status {
            ConnectionStatus::Active => Ok(stored),
            ConnectionStatus::Invalid => Err(ApiError::connection_invalid(&self.connection_id)),
            _ => Err(ApiError::not_found_because(
                "the connection is no longer active",
            )),
        }
    }

    /// The write-back lost to a change made meanwhile (an admin's): gives the lease back and
    /// answers the connection as it is now.
    async fn changed_meanwhile(&self, holder: String) -> Result<Settled, ApiError> {
        let id = self.connection_id.clone();
        self.refresher
            .db
            .write(move |conn| {
                Box::pin(async move { refreshes::release_lease(conn, &id, &holder, None).await })
            })
            .await?;
        Ok(Settled::Credentials(self.current().await?.answer()?))
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
