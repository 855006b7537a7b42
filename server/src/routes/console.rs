//! `GET /console` and its files ([`crate::console`]): no token, the same answer for everyone.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::console;
use crate::error::ApiError;
use crate::http::input::PathParams;

/// The console's page.
pub async fn page(headers: HeaderMap) -> Response {
    serve(console::INDEX, &headers)
}

/// One of the page's files (its script, style sheet, the admin client's `.wasm`).
pub async fn file(PathParams(name): PathParams<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

fn serve(name: &str, request: &HeaderMap) -> Response {
    let Some(answer) = console::answer(name, request) else {
        return ApiError::not_found("console file").into_response();
    };
    // The answer's headers as they are: a body type would add a `Content-Type` of its own,
    // which a 304 does not have.
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers;
    response
}
