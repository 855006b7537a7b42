//! The outermost layer of every request: gives it an id (the `x-request-id` header of every
//! response), renders [`ApiError`]s (those of the layers inside it too, such as
//! [`crate::http::limits`]'s over-long path or too many headers) as the error body with that id, adds the headers every answer carries, and logs
//! one line per request. It also notes where the request came from ([`Origin`]: its id, client
//! address and user agent) for the events the request records.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::ClientAddr;
use crate::crypto;
use crate::error::{ApiError, PendingError};
use crate::events::Origin;
use crate::ops::metrics;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// What the log line says for the path of a request that matched no route.
const NO_ROUTE: &str = "(no route)";

pub async fn layer(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    // Built once here, read by the authentication extractors into each event's context.
    let origin = Origin::new(
        &request_id,
        request.extensions().get::<ClientAddr>().map(|c| c.0),
        request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|ua| ua.to_str().ok()),
    );
    request.extensions_mut().insert(origin);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|route| route.as_str().to_owned());
    // Copied as it is, made loggable only for a line that is written (most are filtered out).
    let uri_path = request.uri().path().to_owned();
    let path = || match &route {
        Some(route) => loggable_path(route, &uri_path),
        None => NO_ROUTE.to_owned(),
    };

    let mut response = next.run(request).await;

    let internal = match response.extensions_mut().remove::<PendingError>() {
        Some(pending) => render(&mut response, pending, &request_id),
        None => None,
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }
    // Answers hold credentials and secrets: no proxy or browser cache may keep them, and no
    // browser may read a JSON answer as anything else. An answer that says how it may be kept
    // keeps that: only the console's files do, which hold no secret (`no-cache`, revalidated).
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    metrics::request(
        route.as_deref().unwrap_or(NO_ROUTE),
        &method,
        status,
        elapsed,
    );
    // The fields are worked out only when the line is written.
    let latency_ms = || format!("{:.3}", elapsed.as_secs_f64() * 1000.0);
    match internal {
        Some(detail) => tracing::error!(
            request_id,
            %method,
            path = path().as_str(),
            status,
            latency_ms = %latency_ms(),
            error = detail,
            "request failed"
        ),
        None => tracing::info!(
            request_id,
            %method,
            path = path().as_str(),
            status,
            latency_ms = %latency_ms(),
            "request"
        ),
    }
    response
}

/// The path as the log may keep it: the route's template (`/v1/api_keys/{id}/secret`) with each
/// parameter that is an object id filled in (`/v1/api_keys/ak_…/secret`), for tracing requests,
/// and anything else left as its `{name}`. Never the path itself: a careless client may put a
/// secret where an id belongs (`/v1/api_keys/cpk_…`), and the query string is not logged at all.
fn loggable_path(template: &str, path: &str) -> String {
    template
        .split('/')
        .zip(path.split('/'))
        .map(|(part, given)| {
            if part.starts_with('{') && crypto::is_id(given) {
                given
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Writes the error body into `response`; returns the internal detail to log, if any.
fn render(response: &mut Response, pending: PendingError, request_id: &str) -> Option<String> {
    let mut body = pending.body;
    body.request_id = Some(request_id.to_owned());
    let envelope = credport_model::ErrorEnvelope { error: body };
    // Serialising plain strings and maps cannot fail; if it ever did, an empty body still
    // carries the status and the request id header.
    let bytes = serde_json::to_vec(&envelope).unwrap_or_default();
    *response.body_mut() = Body::from(bytes);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.headers_mut().remove(header::CONTENT_LENGTH);
    pending.internal
}

/// `req_` and 20 random characters; if the random source ever failed, a counter keeps requests
/// apart in the log.
fn new_request_id() -> String {
    static FALLBACK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    crypto::new_id("req_").unwrap_or_else(|_| {
        format!(
            "req_local{}",
            FALLBACK.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )
    })
}

/// The 404 of a path no route matches.
pub async fn no_route() -> ApiError {
    ApiError::no_route()
}

/// The 405 of a known path with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// The 405 of `HEAD` on a route whose `GET` acts ([`crate::routes::ROUTES`]).
pub async fn get_only() -> impl IntoResponse {
    ([(header::ALLOW, "GET")], ApiError::method_not_allowed())
}
