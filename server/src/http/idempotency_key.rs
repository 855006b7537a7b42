//! The `Idempotency-Key` header of a `POST`, validated, with the fingerprint of the request that
//! carried it; [`crate::routes::idempotency`] stores and replays answers by it.

use axum::http::{HeaderMap, HeaderName, Method};
use credport_model::validate::{self, MAX_IDEMPOTENCY_KEY};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");

/// A validated `Idempotency-Key` and the fingerprint of the request that carried it.
pub struct IdempotencyKey {
    key: String,
    /// SHA-256 of method, path and body: the same key with another request is a conflict.
    fingerprint: [u8; 32],
}

impl IdempotencyKey {
    /// `None` without the header; 400 naming `Idempotency-Key` unless it is one header that the
    /// model's rule takes (1 to 255 printable ASCII characters).
    pub fn from_request(
        headers: &HeaderMap,
        method: &Method,
        path: &str,
        body: &[u8],
    ) -> Result<Option<Self>, ApiError> {
        let mut values = headers.get_all(HEADER).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        let bad = || {
            ApiError::invalid(
                "Idempotency-Key",
                format!("Idempotency-Key: must be one header of 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters"),
            )
        };
        let key = value.to_str().map_err(|_| bad())?;
        if values.next().is_some() || validate::idempotency_key("Idempotency-Key", key).is_err() {
            return Err(bad());
        }
        let mut hash = Sha256::new();
        for part in [method.as_str().as_bytes(), path.as_bytes(), body] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part);
        }
        Ok(Some(Self {
            key: key.to_owned(),
            fingerprint: hash.finalize().into(),
        }))
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }
}
