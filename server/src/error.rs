//! The API's errors. A handler returns an [`ApiError`]; [`crate::http::request_context`] turns it into
//! the body `{"error": {"code", "message", "request_id", "details"?}}`, because only it knows the
//! request id.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use credport_model::{ErrorBody, FieldError, Scope};
use serde_json::{Map, Value};

/// A failed request. Messages never hold a secret: they are written here or come from input
/// validation, which names fields, not values.
#[derive(Clone, Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<Map<String, Value>>,
    retry_after: Option<u64>,
    /// What went wrong inside, for the log line only (500s).
    internal: Option<String>,
    /// Close the connection after this answer.
    close: bool,
}

/// What [`ApiError::into_response`] leaves in the response for the request middleware to render.
#[derive(Clone, Debug)]
pub struct PendingError {
    pub body: ErrorBody,
    pub internal: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
            internal: None,
            close: false,
        }
    }

    fn with_detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details
            .get_or_insert_with(Map::new)
            .insert(key.to_owned(), value.into());
        self
    }

    /// 400: `field` (its wire name, or a header name) is wrong; `message` says how and names it.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message).with_detail("field", field)
    }

    /// 401. Deliberately the same for a missing, malformed, unknown, revoked or expired token.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "a valid bearer token is required for this route",
        )
    }

    /// 403: the token lacks `scope`.
    pub fn missing_scope(scope: Scope) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this token lacks the scope {}", scope.as_str()),
        )
        .with_detail("required_scope", scope.as_str())
    }

    /// 404 for an object: also the answer for another site's object.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 404 with a message of its own, for lookups that are not by id.
    pub fn not_found_because(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 404 for a path no route matches.
    pub fn no_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such route")
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not accept that method",
        )
    }

    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 409 `idempotency_conflict`: the key was used before for a different request.
    pub fn idempotency_conflict() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            "this Idempotency-Key was already used with a different request",
        )
        .with_detail("field", "Idempotency-Key")
    }

    /// 409 `connection_invalid`: the provider refused to refresh the connection's token for
    /// good; it is now `invalid` until an admin sets new credentials.
    pub fn connection_invalid(connection_id: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "connection_invalid",
            "the provider refused to refresh this connection's token; it is now invalid until \
             an admin sets new credentials",
        )
        .with_detail("connection_id", connection_id)
    }

    /// 502 `refresh_failed` with `Retry-After: seconds`: the token endpoint could not refresh
    /// a token that had to be refreshed; nothing was changed.
    pub fn refresh_failed(seconds: u64, why: &str) -> Self {
        let mut error = Self::new(
            StatusCode::BAD_GATEWAY,
            "refresh_failed",
            format!("the provider's token endpoint did not refresh the token ({why}); retry after {seconds} s"),
        );
        error.retry_after = Some(seconds);
        error
    }

    /// 413: the body is over `limit` bytes.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is over {limit} bytes"),
        )
        .with_detail("limit_bytes", limit)
    }

    /// 409 for a unique value another request took first (two instances creating one name at
    /// once); the store turns it into its own message where it knows which value.
    pub fn already_exists() -> Self {
        Self::conflict("an object with this unique value already exists")
    }

    /// 503 `unavailable` with `Retry-After: 1`: the database is busy or out of reach, nothing
    /// was written, and the same request may be sent again.
    pub fn unavailable(message: &str, detail: String) -> Self {
        let mut error = Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message);
        error.retry_after = Some(1);
        error.internal = Some(detail);
        error
    }

    /// 503 `unavailable` with `Retry-After: 1` for a connection over the server's cap: nothing
    /// went wrong, so nothing is logged beyond the request line.
    pub fn overloaded() -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server has as many connections open as it serves at once; try again shortly",
        );
        error.retry_after = Some(1);
        error
    }

    /// 408: the whole body did not arrive within `seconds`; the connection is closed after
    /// this answer (the client may never read it).
    pub fn body_timeout(seconds: u64) -> Self {
        let mut error = Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request body did not arrive within {seconds} s"),
        );
        error.close = true;
        error
    }

    /// 414: the path and query string are over `limit` bytes.
    pub fn uri_too_long(limit: usize) -> Self {
        Self::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the path and query string are over {limit} bytes"),
        )
        .with_detail("limit_bytes", limit)
    }

    /// 431: more than `max_count` headers or more than `max_bytes` of them.
    pub fn headers_too_large(max_count: usize, max_bytes: usize) -> Self {
        Self::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("the request has more than {max_count} headers or {max_bytes} bytes of them"),
        )
        .with_detail("limit_bytes", max_bytes)
    }

    /// 429 with `Retry-After: seconds`: the caller's user is over the rate limit.
    pub fn rate_limited(seconds: u64) -> Self {
        Self::retry_later(
            format!("too many requests for this user; retry after {seconds} s"),
            seconds,
        )
    }

    /// 429 with `Retry-After: seconds`: too many failed authentications from this address.
    pub fn authentication_throttled(seconds: u64) -> Self {
        Self::retry_later(
            format!("too many failed authentications from this address; retry after {seconds} s"),
            seconds,
        )
    }

    fn retry_later(message: String, seconds: u64) -> Self {
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        error.retry_after = Some(seconds);
        error
    }

    /// An internal error, 500. The detail goes to the log (with the request id), never to the
    /// client; it must not hold a secret either.
    pub fn internal(detail: impl Into<String>) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details under this request id",
        );
        error.internal = Some(detail.into());
        error
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The message and, for 500s, the internal detail: for log lines outside a request.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.internal {
            Some(detail) => f.write_str(detail),
            None => f.write_str(&self.message),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::invalid(&e.name(), e.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        // SQLite's messages name tables and constraints, never bound values.
        let detail = format!("database: {e}");
        match e.sqlite_error_code() {
            // Still locked after the busy timeout: nothing was written, and trying again soon is
            // the right move, so say so (clients retry a 503 after `Retry-After`).
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Self::unavailable("the database is busy; retry after 1 s", detail)
            }
            Some(rusqlite::ErrorCode::ConstraintViolation)
                if matches!(
                    &e,
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                ) =>
            {
                Self::already_exists()
            }
            _ => Self::internal(detail),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    /// Only for JSON the server wrote itself (stored columns, responses); request bodies are
    /// parsed by [`crate::http::input`], which answers 400. The category only: the message could quote data.
    fn from(e: serde_json::Error) -> Self {
        Self::internal(format!("stored JSON: {:?} error", e.classify()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.close {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response.extensions_mut().insert(PendingError {
            body: ErrorBody {
                code: self.code.to_owned(),
                message: self.message,
                request_id: None,
                // Writing a map of JSON values out cannot fail.
                details: self.details.as_ref().and_then(|d| d.try_into().ok()),
            },
            internal: self.internal,
        });
        response
    }
}
