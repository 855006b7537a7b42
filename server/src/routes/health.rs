//! `GET /healthz` and `GET /readyz`: probes for load balancers and orchestrators, without a
//! token, answering one word in plain text.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::ops::health;

fn word(status: StatusCode, word: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        word,
    )
        .into_response()
}

/// 200 `ok` whenever the process answers.
pub async fn healthz() -> Response {
    word(StatusCode::OK, "ok")
}

/// 200 `ready`, or 503 `unavailable` (with the reason in the log, not the body).
pub async fn readyz(State(app): State<App>) -> Response {
    match health::ready(&app.db).await {
        Ok(()) => word(StatusCode::OK, "ready"),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            let mut response = word(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            response
        }
    }
}
