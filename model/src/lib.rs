//! Wire types of the credport HTTP API (see `docs/openapi.yaml`), shared by the SDK and credport-server.
//!
//! On the wire every field is `snake_case`. With the `wasm` feature (the SDK's build) the same types
//! also describe what JavaScript sees: responses are decoded from `snake_case` and handed to JS in
//! `camelCase`, request parameters are read from JS in `camelCase`, and tsify writes the TypeScript
//! declarations from these definitions. Validation lives here too, so the server's 400 and the SDK's
//! `InvalidArgumentError` come from one set of rules.

#[macro_use]
mod open_enum;
#[cfg(not(feature = "wasm"))]
mod object_only;

pub mod admin;
pub mod api_key;
pub mod connect;
pub mod connection;
pub mod error;
pub mod event;
pub mod provider_config;
mod secret;
pub mod token;
pub mod validate;
pub mod webhook;

#[cfg(feature = "wasm")]
pub mod js_json;
mod json;
pub mod json_text;
pub use json::{Json, JsonInput, JsonObject, JsonObjectInput};

pub use admin::*;
pub use api_key::*;
pub use connect::*;
pub use connection::*;
pub use error::*;
pub use event::*;
pub use provider_config::*;
pub use secret::Secret;
pub use token::*;
pub use validate::FieldError;
pub use webhook::*;

/// True when field names are the JavaScript (`camelCase`) ones. credport-server refuses to build
/// with it set: Cargo unifies features within one build, so `cargo build --workspace` would
/// otherwise give the server the SDK's names.
pub const JS_FIELD_NAMES: bool = cfg!(feature = "wasm");
