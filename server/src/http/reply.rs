//! A successful answer in the form the idempotency store keeps: a status and serialised JSON.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// Marks a response that repeats the stored answer to an earlier request with the same
/// `Idempotency-Key`.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

pub struct Reply {
    pub status: StatusCode,
    /// JSON, or empty for 204.
    pub body: Vec<u8>,
    pub replayed: bool,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: credport_model::json_text::to_vec(value)?,
            replayed: false,
        })
    }

    pub fn ok<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        Self::json(StatusCode::OK, value)
    }

    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: Vec::new(),
            replayed: false,
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let empty = self.body.is_empty();
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        if empty {
            headers.remove(header::CONTENT_TYPE);
        } else {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        if self.replayed {
            headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
        }
        response
    }
}
