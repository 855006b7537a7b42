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

/// [`check`] as a layer. It runs inside the CORS layer ([`crate::server::service`]), so that a
/// page of an allowed origin can read its 414 or 431 and the request id, as it reads any other
/// error; its answer is rendered, with that id, by [`crate::http::request_context::layer`].
pub async fn refuse_oversized(request: Request, next: Next) -> Response {
    match check(&request) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}
