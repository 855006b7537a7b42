//! The deliverer: a background task of every instance that takes due deliveries from the
//! outbox ([`super::outbox`]), posts each to its endpoint signed as Standard Webhooks says, and
//! writes the outcome back: done on a 2xx, otherwise due again after the next wait of the
//! retry schedule, until the schedule is spent. Requests never wait for it.
//!
//! Each request goes through [`guard::Resolver`] (public addresses only, unless allowed), follows
//! no redirect, has [`TIMEOUT`] in all, and reads at most [`MAX_ANSWER`] of the answer.
//!
//! A shutdown stops it taking deliveries and waits for the attempts in flight ([`Deliverer::run`]).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::Url;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::guard::{self, Refused};
use super::outbox::{self, Due, Outcome};
use super::signature;
use crate::clock;
use crate::crypto::{self, Keys};
use crate::db::Db;
use crate::error::ApiError;
use crate::ops::metrics::{self, Event};

/// The time allowed for one delivery, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of a receiver's answer that is read: its status is what counts.
const MAX_ANSWER: usize = 4 * 1024;
/// How often the outbox is looked at.
const POLL: Duration = Duration::from_millis(500);
/// Deliveries taken at once by one instance.
const BATCH: i64 = 16;
/// Attempts one instance makes at once.
const IN_FLIGHT: usize = 64;
/// How long a taken delivery stays this instance's: the request's timeout and some slack.
const LEASE: Duration = Duration::from_secs(30);
/// The default waits between attempts (API.md): about a day and a half in all.
pub const DEFAULT_SCHEDULE: [u64; 8] = [5, 60, 300, 1800, 7200, 18000, 36000, 36000];

/// What the deliverer needs to know of the settings.
#[derive(Clone)]
pub struct Settings {
    /// `--dev` or `CREDPORT_WEBHOOK_ALLOW_PRIVATE=true`: loopback and private receivers, and
    /// `http://`, are allowed.
    pub allow_private: bool,
    /// The waits after the first, second, … failed attempt (`CREDPORT_WEBHOOK_RETRY_SCHEDULE`).
    pub schedule: Vec<Duration>,
}

pub struct Deliverer {
    db: Arc<Db>,
    keys: Arc<Keys>,
    http: reqwest::Client,
    settings: Settings,
}

impl Deliverer {
    pub fn new(db: Arc<Db>, keys: Arc<Keys>, settings: Settings) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::db::tls::client_config(Vec::new())?)
            .dns_resolver(guard::Resolver {
                allow_private: settings.allow_private,
            })
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .user_agent(concat!(
                "credport-server/",
                env!("CARGO_PKG_VERSION"),
                " (webhooks)"
            ))
            .build()
            .map_err(|e| format!("the webhook client could not be made: {e}"))?;
        Ok(Self {
            db,
            keys,
            http,
            settings,
        })
    }

    /// Delivers until `stopping` is cancelled (a shutdown begins): at most [`IN_FLIGHT`]
    /// attempts at once, each in its own task, so that a slow receiver holds up no other. Then
    /// it takes no more deliveries, and returns once the attempts in flight have written their
    /// outcomes ([`TIMEOUT`] bounds each, well within the shutdown's grace). An attempt cut off
    /// by the exit would be recorded nowhere: the receiver may have it, yet the next start makes
    /// it again once its [`LEASE`] runs out.
    pub async fn run(self, stopping: CancellationToken) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        let attempts = TaskTracker::new();
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = stopping.cancelled() => break,
                _ = every.tick() => {}
            }
            let free = i64::try_from(slots.available_permits()).unwrap_or(0);
            if free == 0 {
                continue;
            }
            match this.claim(free.min(BATCH)).await {
                Ok(due) => {
                    for delivery in due {
                        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                            // Cannot happen (no more were taken than slots were free); the lease
                            // runs out and the delivery is taken again.
                            break;
                        };
                        let this = Arc::clone(&this);
                        attempts.spawn(async move {
                            this.attempt(delivery).await;
                            drop(slot);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "webhook deliveries could not be taken"),
            }
        }
        attempts.close();
        tracing::info!(
            in_flight = attempts.len(),
            "taking no more webhook deliveries; finishing those in flight"
        );
        attempts.wait().await;
    }

    async fn claim(&self, max: i64) -> Result<Vec<Due>, ApiError> {
        let keys = Arc::clone(&self.keys);
        // Each claim's own lease name (see `Due::holder`).
        let holder = crypto::new_id("dlv_")?;
        let now_ms = clock::now_ms();
        let until = now_ms + i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
        self.db
            .write(move |conn| {
                Box::pin(
                    async move { outbox::claim(conn, &keys, &holder, now_ms, until, max).await },
                )
            })
            .await
    }

    /// One attempt at one delivery, and its outcome written back.
    async fn attempt(self: Arc<Self>, due: Due) {
        let outcome = self.post(&due).await;
        let retry_after_ms = match &outcome {
            Outcome::Delivered(_) => None,
            Outcome::Failed { .. } => self
                .settings
                .schedule
                .get(due.attempts)
                .map(|wait| i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
        };
        match &outcome {
            Outcome::Delivered(status) => {
                metrics::outcome(Event::WebhookDelivery, "delivered");
                tracing::info!(delivery_id = %due.id, event_id = %due.event_id, status, "webhook delivered");
            }
            Outcome::Failed { status, error } => {
                // A failure with no retry left ends the delivery: `abandoned`, not `failed`.
                let word = if retry_after_ms.is_some() {
                    "failed"
                } else {
                    "abandoned"
                };
                metrics::outcome(Event::WebhookDelivery, word);
                tracing::warn!(
                    delivery_id = %due.id, event_id = %due.event_id, status, error = %error,
                    retry = retry_after_ms.is_some(), "webhook delivery failed"
                )
            }
        }
        let written = self
            .db
            .write(move |conn| {
                Box::pin(async move { outbox::finish(conn, &due, &outcome, retry_after_ms).await })
            })
            .await;
        if let Err(e) = written {
            // The lease runs out and the delivery is tried again: at least once.
            tracing::warn!(error = %e, "a webhook delivery's outcome could not be written");
        }
    }

    /// Posts the event: `webhook-id` (the event id), `webhook-timestamp`, `webhook-signature`.
    async fn post(&self, due: &Due) -> Outcome {
        let failed = |status, error: &str| Outcome::Failed {
            status,
            error: error.to_owned(),
        };
        let Ok(url) = Url::parse(&due.url) else {
            return failed(None, "the endpoint's url cannot be read");
        };
        if let Err(why) = guard::check_delivery_url(&url, self.settings.allow_private) {
            return failed(None, &format!("refused: {why}"));
        }
        let timestamp = clock::now();
        let signature = match signature::sign(
            &due.secret,
            &due.event_id,
            timestamp,
            due.payload.as_bytes(),
        ) {
            Ok(signature) => signature,
            Err(_) => return failed(None, "the endpoint's secret cannot be used"),
        };
        let sent = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", &due.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(due.payload.clone())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => return failed(None, &describe(&e)),
        };
        let status = response.status();
        // The answer is read (a little of it) so the connection ends cleanly; its words do not matter.
        let mut read = 0;
        while read < MAX_ANSWER {
            match response.chunk().await {
                Ok(Some(chunk)) => read += chunk.len(),
                _ => break,
            }
        }
        if status.is_success() {
            Outcome::Delivered(status.as_u16())
        } else if status.is_redirection() {
            failed(
                Some(status.as_u16()),
                "the endpoint answered a redirect, which is not followed",
            )
        } else {
            failed(
                Some(status.as_u16()),
                &format!("the endpoint answered HTTP {}", status.as_u16()),
            )
        }
    }
}

/// A failed request in the server's own words (a refused address says why).
fn describe(error: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if let Some(refused) = inner.downcast_ref::<Refused>() {
            return format!("refused: {refused}");
        }
        source = inner.source();
    }
    if error.is_timeout() {
        "the endpoint did not answer in time".into()
    } else if error.is_connect() {
        "the endpoint could not be reached".into()
    } else {
        "the request failed".into()
    }
}
