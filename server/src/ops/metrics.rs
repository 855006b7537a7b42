//! Prometheus metrics, served on a listener of their own (`CREDPORT_METRICS_LISTEN`) so that the
//! API's port never exposes them. Nothing is recorded until [`install`] runs: without it every
//! call here is a no-op.
//!
//! Labels only ever hold values from a fixed set: a route template (never the path), a method,
//! a status code, and outcomes and events named by `&'static str` at the call site. No id, no
//! name a user typed, no secret can reach one.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::db::Db;

/// Requests answered, by `route` (template), `method` and `status`.
pub const REQUESTS: &str = "credport_http_requests_total";
/// Time from a request's arrival to its answer, by `route` and `method`.
pub const DURATION: &str = "credport_http_request_duration_seconds";
/// Pooled database connections, by `state`: `in_use`, `idle`, and requests `waiting` for one.
pub const POOL: &str = "credport_db_pool_connections";

/// Upper bounds of the duration histogram's buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often the recorder drops expired histogram samples when nobody scrapes.
const UPKEEP: Duration = Duration::from_secs(10);

/// Something that finishes with an outcome, counted as `credport_<event>_total{outcome}`.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A token refresh: `succeeded`, `refused` (the provider said no for good), `failed`
    /// (a passing failure).
    Refresh,
    /// A connect session: `succeeded`, `failed`, `expired`, … as its module defines.
    Connect,
    /// A webhook delivery attempt: `delivered`, `failed`, … as its module defines.
    WebhookDelivery,
}

impl Event {
    fn counter(self) -> &'static str {
        match self {
            Self::Refresh => "credport_refreshes_total",
            Self::Connect => "credport_connects_total",
            Self::WebhookDelivery => "credport_webhook_deliveries_total",
        }
    }
}

/// Counts one `event` that ended with `outcome` (a word fixed in the caller's code).
pub fn outcome(event: Event, outcome: &'static str) {
    metrics::counter!(event.counter(), "outcome" => outcome).increment(1);
}

/// Records one answered request. `route` is the matched route's template, or one fixed word
/// for every path no route matched.
pub fn request(route: &str, method: &Method, status: u16, elapsed: Duration) {
    let route = route.to_owned();
    let method = method_label(method);
    metrics::counter!(
        REQUESTS,
        "route" => route.clone(),
        "method" => method,
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(DURATION, "route" => route, "method" => method)
        .record(elapsed.as_secs_f64());
}

/// The method as a label: the API's methods and the usual others, anything else as `other`
/// (a client may send any token as a method).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", Method::as_str)
}

/// Installs the process-wide recorder. Fails if one is installed already.
pub fn install() -> Result<PrometheusHandle, String> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(DURATION.to_owned()), BUCKETS)
        .and_then(|builder| builder.install_recorder())
        .map_err(|e| format!("metrics could not start: {e}"))
}

/// Serves `GET /metrics` on `listener` until the process ends, sampling the database pool at
/// each scrape.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handle: PrometheusHandle,
    db: std::sync::Arc<Db>,
) {
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let (handle, db) = (handle.clone(), std::sync::Arc::clone(&db));
            async move {
                sample_pool(&db);
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    handle.render(),
                )
                    .into_response()
            }
        }),
    );
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

/// Sets the pool gauges from the pool's state now.
fn sample_pool(db: &Db) {
    let pool = db.pool_state();
    for (state, count) in [
        ("in_use", pool.in_use),
        ("idle", pool.idle),
        ("waiting", pool.waiting),
    ] {
        metrics::gauge!(POOL, "state" => state).set(count as f64);
    }
}

/// Binds the metrics address, for the start-up checks to judge before anything is served.
pub fn bind(address: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(address)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}
