//! Running the API: the layers around the routes, the listener, and a graceful shutdown on
//! SIGTERM or SIGINT that lets requests in flight finish.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use axum::http::{header, HeaderName, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::app::App;
use crate::config::CorsOrigins;
use crate::error::ApiError;
use crate::http::idempotency_key;
use crate::http::limits;
use crate::http::listener;
use crate::http::reply::IDEMPOTENT_REPLAYED;
use crate::http::request_context::{self, REQUEST_ID};
use crate::routes;

/// The whole HTTP service: routes, then (outermost last) panic safety net, the request's size
/// limits (head and declared body), CORS, request context.
pub fn service(app: App, cors: Option<&CorsOrigins>) -> Result<Router, String> {
    let mut router = routes::router(app)?
        .layer(CatchPanicLayer::custom(panicked))
        .layer(axum::middleware::from_fn(limits::refuse_oversized));
    if let Some(origins) = cors {
        router = router.layer(cors_layer(origins));
    }
    Ok(router.layer(axum::middleware::from_fn(request_context::layer)))
}

/// What a connection over the cap gets ([`listener::run`]): `503 unavailable` with
/// `Retry-After`, whatever it asked, with the request id every answer carries.
pub fn overflow_service() -> Router {
    Router::new()
        .fallback(|| async { ApiError::overloaded() })
        .layer(axum::middleware::from_fn(request_context::layer))
}

/// The least time requests in flight get to finish after a shutdown signal.
const MIN_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// What a refresh needs after its call to the token endpoint: storing what it got.
const REFRESH_WRITE_BACK: Duration = Duration::from_secs(10);

/// How long a shutdown waits for the work in flight, with token endpoint calls (a refresh, a
/// connect's code exchange) of at most `refresh_timeout`: 20 s, or that timeout and 10 s to
/// store the answer when longer (130 s at the most, for `CREDPORT_REFRESH_TIMEOUT=120`). A
/// refresh cut off after the provider answered loses what the provider gave, and a provider
/// that rotates refresh tokens has invalidated the old one by then: the connection is dead until
/// its user connects again. An operator who allows slow token endpoints expects their refreshes
/// to land, and gives the process supervisor as long before it kills. The grace still ends, so
/// that a client that never completes its request cannot keep the server up.
pub fn shutdown_grace(refresh_timeout: Duration) -> Duration {
    MIN_SHUTDOWN_GRACE.max(refresh_timeout + REFRESH_WRITE_BACK)
}

/// Serves until SIGTERM or SIGINT, then cancels `stopping` and waits (at most `grace` in all)
/// for the requests in flight, then for `detached`: the work that outlives them (refreshes
/// whose clients hung up, webhook attempts). At most `max_connections` are open at once
/// ([`listener::connection_cap`]).
pub async fn serve(
    listener: TcpListener,
    service: Router,
    max_connections: usize,
    grace: Duration,
    stopping: CancellationToken,
    detached: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    // Before the announcement, which tools wait for.
    tracing::info!(max_connections, "accepting connections");
    let signal = shutdown_signal();
    announce(address);
    let shutdown = async {
        let signal = signal.await;
        tracing::info!(
            signal,
            grace_seconds = grace.as_secs(),
            "shutting down; finishing requests in flight"
        );
        stopping.cancel();
    };
    let connections = listener::run(
        listener,
        service,
        overflow_service(),
        max_connections,
        shutdown,
    )
    .await;
    let finished = async {
        connections.shutdown().await;
        detached.await;
    };
    tokio::select! {
        () = finished => {}
        () = tokio::time::sleep(grace) => tracing::warn!(
            grace_seconds = grace.as_secs(),
            "requests still in flight after the grace period; stopping anyway"
        ),
    }
    tracing::info!("stopped");
    Ok(())
}

/// The one line on stdout that says the server is ready; tools wait for it.
fn announce(address: SocketAddr) {
    tracing::info!(%address, "listening");
    let mut stdout = std::io::stdout().lock();
    // Nobody reading stdout is no reason to stop serving.
    let _ = writeln!(stdout, "credport-server listening on http://{address}");
    let _ = stdout.flush();
}

/// Response headers a browser page may read.
const EXPOSED_HEADERS: [HeaderName; 3] = [REQUEST_ID, header::RETRY_AFTER, IDEMPOTENT_REPLAYED];

fn cors_layer(origins: &CorsOrigins) -> CorsLayer {
    let allow_origin = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => AllowOrigin::list(list.iter().cloned()),
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            idempotency_key::HEADER,
        ])
        .expose_headers(EXPOSED_HEADERS)
        .max_age(Duration::from_secs(600))
}

/// A handler that panicked answers 500 like any other internal error; the panic message is not
/// logged, as it could hold request data.
fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

/// Resolves on the first SIGTERM or SIGINT, to its name. The handlers are installed here, when
/// it is called, not when the future is first polled: the caller calls it before it announces
/// that it listens, so that a signal sent by a tool that saw the announcement is never the
/// default action (the process killed, its requests in flight cut off).
fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    #[cfg(unix)]
    let first = {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        /// The signal's next delivery; never, when its handler could not be installed (the
        /// signal then keeps its default action).
        async fn next(stream: std::io::Result<Signal>) {
            match stream {
                Ok(mut stream) => {
                    stream.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        }
        let interrupt = next(signal(SignalKind::interrupt()));
        let terminate = next(signal(SignalKind::terminate()));
        async {
            tokio::select! {
                () = interrupt => "SIGINT",
                () = terminate => "SIGTERM",
            }
        }
    };
    #[cfg(not(unix))]
    let first = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        "SIGINT"
    };
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_covers_the_slowest_refresh_allowed() {
        let grace = |seconds| shutdown_grace(Duration::from_secs(seconds)).as_secs();
        assert_eq!(grace(1), 20);
        assert_eq!(grace(10), 20, "the default refresh timeout");
        assert_eq!(grace(30), 40);
        assert_eq!(grace(120), 130);
    }
}
