//! Bytes in and out: connections, limits, request bodies and replies. Handlers (`routes/`) build
//! on these; nothing here knows a route or a record.

pub mod body_limit;
pub mod idempotency_key;
pub mod input;
pub mod json_keys;
pub mod limits;
pub mod listener;
pub mod reply;
pub mod request_context;
