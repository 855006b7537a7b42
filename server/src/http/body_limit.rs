//! Reading request bodies: at most 1 MiB, the whole of it within [`BODY_TIMEOUT`] (408
//! otherwise), and the 413 answered so that the client hears it. A server that
//! answers 413 and closes while the client is still sending makes the client's kernel reset the
//! connection, and the client sees a network error (Node's fetch: `EPIPE`), which it retries,
//! instead of the 413. So an oversized body is read to its end and thrown away (up to
//! [`DRAIN_BYTES`] and [`DRAIN_TIME`]) before the answer, which also keeps the connection usable.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use crate::error::ApiError;

/// Largest accepted request body: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long a whole body may take to arrive, counted from when it is first read, before the
/// request is answered 408 and its connection closed: a client that stalls mid-body, or
/// trickles a byte now and then, would otherwise hold the connection for ever.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of an oversized body read and discarded before the 413; beyond it the connection
/// is closed (a client sending that much without looking at the answer is not worth more).
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
/// How long discarding an oversized body may take: a slow sender cannot hold the server.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// A request whose `Content-Length` is over [`MAX_BODY_BYTES`] is answered 413 before anything
/// else (authentication included) looks at it, after its body is discarded; the second half of
/// [`crate::http::limits::refuse_oversized`].
pub async fn refuse_declared_oversize(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        discard(request.into_body()).await;
        return ApiError::payload_too_large(MAX_BODY_BYTES).into_response();
    }
    next.run(request).await
}

/// The whole body, at most [`MAX_BODY_BYTES`], all of it within [`BODY_TIMEOUT`]: a body without a `Content-Length` (chunked) that grows past the limit is
/// 413, after the rest is discarded.
pub async fn read(mut body: Body) -> Result<Bytes, ApiError> {
    let mut read = Vec::new();
    let deadline = tokio::time::Instant::now() + BODY_TIMEOUT;
    loop {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .map_err(|_| ApiError::body_timeout(BODY_TIMEOUT.as_secs()))?;
        let Some(frame) = frame else {
            return Ok(read.into());
        };
        let frame = frame
            .map_err(|_| ApiError::invalid("body", "body: the request body could not be read"))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if read.len() + data.len() > MAX_BODY_BYTES {
            discard(body).await;
            return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
        }
        read.extend_from_slice(&data);
    }
}

/// Reads what is left of `body` and drops it, within [`DRAIN_BYTES`] and [`DRAIN_TIME`].
async fn discard(mut body: Body) {
    let drain = async {
        let mut seen = 0;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
}
