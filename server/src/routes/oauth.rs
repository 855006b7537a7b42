//! `/oauth/*`: the two addresses a person's browser visits during a connect. No token: the
//! link and the state are the credentials. Every answer is a redirect or a page of the
//! server's own, never JSON, and carries a strict Content-Security-Policy and
//! `Referrer-Policy: no-referrer`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::app::App;
use crate::auth::ClientAddr;
use crate::connect::{self, page, Page, Step};
use crate::error::ApiError;
use crate::events::{Context, Origin};

/// `GET /oauth/connect/{link}`: 302 to the provider, or a page saying why not. A path that is
/// not a link at all (not UTF-8, a control character) is an unknown link's page too: a person's
/// browser gets a page, never JSON.
pub async fn connect(
    State(app): State<App>,
    client: Option<Extension<ClientAddr>>,
    origin: Option<Extension<Origin>>,
    link: Result<Path<String>, PathRejection>,
) -> Response {
    let link = link.map(|Path(link)| link).unwrap_or_default();
    let context = browser(origin);
    let step = connect::open_link(&app.connector, link, &context).await;
    respond(&app, client, step)
}

/// `GET /oauth/callback`: the provider's answer; 303 to the session's `return_url`, or a page.
pub async fn callback(
    State(app): State<App>,
    client: Option<Extension<ClientAddr>>,
    origin: Option<Extension<Origin>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let cookies: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let context = browser(origin);
    let step = connect::callback(&app.connector, &query, &cookies.join("; "), &context).await;
    respond(&app, client, step)
}

/// The context of a browser's request to the connect's pages (no token: the server acts for the
/// connect session the admin made), keeping the request's origin.
fn browser(origin: Option<Extension<Origin>>) -> Context {
    Context::connect(origin.map(|o| o.0).unwrap_or_default())
}

fn respond(
    app: &App,
    client: Option<Extension<ClientAddr>>,
    step: Result<Step, ApiError>,
) -> Response {
    let mut response = match step {
        Ok(Step::Authorize { url, cookie }) => {
            let mut response = redirect(StatusCode::FOUND, &url);
            if let Ok(cookie) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Ok(Step::Return(url)) => redirect(StatusCode::SEE_OTHER, &url),
        Ok(Step::Page(page)) => html(&page),
        // A link or state matching nothing counts as a wrong token does (`crate::auth`): past a
        // burst from one address, 429 until it earns another try.
        Ok(Step::Unknown(page)) => {
            let address = client.map_or_else(|| "unknown".to_owned(), |c| c.0 .0.to_string());
            match app.auth.failures.take(&address) {
                Ok(()) => html(&page),
                Err(seconds) => {
                    let mut throttled = html(&Page::new(
                        429,
                        "Too many attempts",
                        "Too many unknown links or answers came from this address. Wait a \
                         moment and try again.",
                    ));
                    throttled
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                    throttled
                }
            }
        }
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
