//! Accepting connections and serving HTTP/1 on them, with the limits `axum::serve` lacks: a
//! client that sends no complete request head for [`HEAD_TIMEOUT`] (a fresh socket, one that
//! trickles a byte at a time, an idle keep-alive connection) is disconnected, and no more
//! connections are served at once than the file limit leaves room for, so that a flood of idle
//! sockets cannot starve the database and the listener of file descriptors. Past that cap, up to
//! [`OVERFLOW_CONNECTIONS`] more are accepted only to be answered `503` with `Retry-After` (a
//! client told to come back beats one left hanging in the kernel's queue); beyond those, new
//! connections wait to be accepted. (Bodies are timed out where they are read:
//! [`crate::http::body_limit`].)

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::ClientAddr;

/// How long a client may take to send a whole request head, counted from when the server
/// waits for it: from the connection's start, or from the end of the previous answer on a
/// keep-alive connection (so this is also the idle keep-alive timeout). API.md: connections that
/// send nothing for 30 seconds are closed; a client's pool may keep a connection idle that long.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// File descriptors kept out of the connection budget: the SQLite files of the writer and the
/// readers (database, WAL, shared memory each), stdio, the listener, the runtime's epoll and
/// blocking-pool threads, with room to spare.
const RESERVED_FILES: u64 = 128;
/// Connections accepted past the cap only to be answered 503; their files are kept out of the
/// connection budget too.
pub const OVERFLOW_CONNECTIONS: usize = 32;
/// The connection cap when the file limit leaves less room than this (a tiny limit still serves).
const MIN_CONNECTIONS: u64 = 16;
/// Most headers hyper itself accepts; [`crate::http::limits`] answers more than its own, lower
/// limit with the API's error body, so hyper's bodiless 431 is only for what lies beyond this.
pub const HYPER_MAX_HEADERS: usize = 200;

/// Raises the soft open-file limit to the hard one (the common default soft limit of 1024 is far
/// below what a server may use) and returns the soft limit now in force, if it can be read.
#[cfg(unix)]
pub fn raise_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // Refused (macOS caps the soft limit below an unlimited hard one): keep the old one.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit = raised;
        }
    }
    // rlim_t is u64 on Linux and macOS, narrower on some other systems.
    #[allow(clippy::unnecessary_cast)]
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_file_limit() -> Option<u64> {
    None
}

/// How many connections may be open at once under a soft file limit of `file_limit`.
pub fn connection_cap(file_limit: Option<u64>) -> usize {
    let cap = match file_limit {
        Some(limit) => limit
            .saturating_sub(RESERVED_FILES + OVERFLOW_CONNECTIONS as u64)
            .max(MIN_CONNECTIONS),
        // Unknown: the usual default soft limit of 1024, less the reserve.
        None => 1024 - RESERVED_FILES - OVERFLOW_CONNECTIONS as u64,
    };
    usize::try_from(cap)
        .unwrap_or(usize::MAX)
        .min(Semaphore::MAX_PERMITS)
}

/// What a connection accepted by [`run`] gets.
enum Slot {
    /// Served by the API, holding a place under the cap.
    Serve(OwnedSemaphorePermit),
    /// Over the cap: answered `503` by the overflow router, then closed.
    Refuse(OwnedSemaphorePermit),
}

/// Accepts connections until `shutdown` completes, serving at most `cap` of them at once with
/// `router` and answering up to [`OVERFLOW_CONNECTIONS`] more with `overflow` (a `503`); then
/// stops accepting (the listening socket is closed, so new connections are refused), asks every
/// connection to close after its request in flight, and returns once they have (the caller
/// bounds that wait).
pub async fn run(
    listener: TcpListener,
    router: Router,
    overflow: Router,
    cap: usize,
    shutdown: impl std::future::Future<Output = ()>,
) -> GracefulShutdown {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(cap));
    let spare = Arc::new(Semaphore::new(OVERFLOW_CONNECTIONS));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_headers(HYPER_MAX_HEADERS);
    let mut refusing = http.clone();
    refusing.keep_alive(false);
    tokio::pin!(shutdown);
    // Logged once each time the cap is reached, not once per refused connection.
    let mut at_cap = false;
    loop {
        let full = permits.available_permits() == 0;
        if full && !at_cap {
            tracing::warn!(
                connections = cap,
                "connection cap reached; new connections are answered 503"
            );
        }
        at_cap = full;
        // A place under the cap first; a spare one only when there is none.
        let slot = tokio::select! {
            biased;
            permit = Arc::clone(&permits).acquire_owned() => permit.map(Slot::Serve),
            permit = Arc::clone(&spare).acquire_owned() => permit.map(Slot::Refuse),
            () = &mut shutdown => break,
        };
        // The semaphores are never closed.
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    pause_after_accept_error(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A place may have freed while this connection was awaited.
        let slot = match slot {
            Slot::Refuse(spare) => match Arc::clone(&permits).try_acquire_owned() {
                Ok(permit) => Slot::Serve(permit),
                Err(_) => Slot::Refuse(spare),
            },
            serve => serve,
        };
        let _ = stream.set_nodelay(true);
        let (router, builder, permit) = match slot {
            Slot::Serve(permit) => (router.clone(), &http, permit),
            Slot::Refuse(permit) => (overflow.clone(), &refusing, permit),
        };
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            with_client(router.clone(), peer, request)
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or times out is no server error.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    graceful
}

async fn with_client(
    mut router: Router,
    peer: SocketAddr,
    mut request: Request<Incoming>,
) -> Result<axum::response::Response, std::convert::Infallible> {
    request.extensions_mut().insert(ClientAddr(peer.ip()));
    tower_service::Service::call(&mut router, request).await
}

/// After a failed accept: out of file descriptors (which the cap should prevent, but another
/// process may share the limit) waits a moment instead of spinning; a connection reset before it
/// was accepted is nothing.
async fn pause_after_accept_error(e: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) {
        return;
    }
    tracing::warn!(error = %e, "accept failed; pausing");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
