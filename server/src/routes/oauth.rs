//! `/oauth/*`: the two addresses a person's browser visits during a connect. No token: the
//! link and the state are the credentials. Every answer is a redirect or a page of the
//! server's own, never JSON, and carries a strict Content-Security-Policy and
//! `Referrer-Policy: no-referrer`.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::connect::{self, page, Page, Step};
use crate::error::ApiError;
use crate::http::input::PathParams;

/// `GET /oauth/connect/{link}`: 302 to the provider, or a page saying why not.
pub async fn connect(State(app): State<App>, PathParams(link): PathParams<String>) -> Response {
    respond(connect::open_link(&app.connector, link).await)
}

/// `GET /oauth/callback`: the provider's answer; 303 to the session's `return_url`, or a page.
pub async fn callback(State(app): State<App>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    respond(connect::callback(&app.connector, &query).await)
}

fn respond(step: Result<Step, ApiError>) -> Response {
    let mut response = match step {
        Ok(Step::Authorize(url)) => redirect(StatusCode::FOUND, &url),
        Ok(Step::Return(url)) => redirect(StatusCode::SEE_OTHER, &url),
        Ok(Step::Page(page)) => html(&page),
        Err(error) => {
            tracing::error!(error = %error, "connect step failed");
            html(&Page::new(
                error.status().as_u16(),
                "Something went wrong",
                "credport could not finish this step. Try again in a moment; if it keeps \
                 failing, the server's log says why.",
            ))
        }
    };
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&page::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

fn redirect(status: StatusCode, url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(location) => (status, [(header::LOCATION, location)]).into_response(),
        Err(_) => html(&Page::new(
            500,
            "Something went wrong",
            "credport made an address the browser cannot follow.",
        )),
    }
}

fn html(page: &Page) -> Response {
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        page.html(),
    )
        .into_response()
}
