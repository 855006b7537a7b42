//! credport-server: the reference HTTP server of the credport API (`docs/openapi.yaml`).
//!
//! The binary (`main.rs`) only parses the command line; everything else lives here so that the
//! integration tests can check the route table against the OpenAPI document.

pub mod app;
pub mod auth;
pub mod body_limit;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod echo;
pub mod error;
pub mod http_limits;
pub mod idempotency;
pub mod input;
pub mod json_keys;
pub mod listener;
pub mod migrations;
pub mod ratelimit;
pub mod refresh;
pub mod reply;
pub mod request_context;
pub mod routes;
pub mod scope_lists;
pub mod server;
pub mod sql;
pub mod store;
pub mod tls;
