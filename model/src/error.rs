//! The error body every failed request answers with.

use crate::json::JsonObject;
use serde::{Deserialize, Serialize};

/// `{"error": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// What went wrong, in words for people and a `code` for programs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A machine code such as `invalid_request`, `not_found`, `idempotency_conflict`.
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub request_id: Option<String>,
    /// For `invalid_request`, `{"field": "<wire name>"}`; more for some codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<JsonObject>,
}
