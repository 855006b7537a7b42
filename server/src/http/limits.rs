//! Limits on the request head that credport answers itself, with the API's error body and
//! `x-request-id`. hyper has limits of its own, further out (a path over 64 KiB, more than
//! [`crate::http::listener::HYPER_MAX_HEADERS`] headers, a head over about 400 KiB, bytes that are not
//! HTTP): those it answers itself, before any of credport's code runs, with a bare status line
//! and no body, and hyper offers no way to change that answer.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Longest path and query string, in bytes; no route needs a tenth of it.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most request headers.
pub const MAX_HEADERS: usize = 100;
/// Most bytes of request headers, names and values.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// 414 for a path and query over [`MAX_URI_BYTES`], 431 for more headers than [`MAX_HEADERS`]
/// or [`MAX_HEADER_BYTES`].
pub fn check(request: &Request) -> Result<(), ApiError> {
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return Err(ApiError::uri_too_long(MAX_URI_BYTES));
    }
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return Err(ApiError::headers_too_large(MAX_HEADERS, MAX_HEADER_BYTES));
    }
    Ok(())
}

/// Middleware: the request's sizes, before anything else (authentication included) looks at it:
/// its head's ([`check`]: 414, 431), then its body's declared length
/// ([`crate::http::body_limit::refuse_declared_oversize`]: 413). One layer for both, since each
/// layer costs every request some 2,400 instructions (docs/performance.md); inside the CORS
/// layer ([`crate::server::service`]), so that a page of an allowed origin can read these
/// answers and their request id, as it reads any other error.
pub async fn refuse_oversized(request: Request, next: Next) -> Response {
    if let Err(refused) = check(&request) {
        return refused.into_response();
    }
    crate::http::body_limit::refuse_declared_oversize(request, next).await
}
