//! `GET /console` and its files ([`crate::console`]): no token, the same answer for everyone.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::console;
use crate::error::ApiError;

/// The console's page.
pub async fn page() -> Response {
    serve(console::INDEX)
}

/// One of the page's files (its script, style sheet, the admin client's `.wasm`).
pub async fn file(Path(name): Path<String>) -> Response {
    serve(&name)
}

fn serve(name: &str) -> Response {
    match console::answer(name) {
        Some((status, content_type, bytes)) => (
            status,
            console::headers(),
            [(header::CONTENT_TYPE, content_type)],
            bytes,
        )
            .into_response(),
        None => ApiError::not_found("console file").into_response(),
    }
}
