//! credport-server: the reference HTTP server of the credport API (`docs/openapi.yaml`).
//!
//! The binary (`main.rs`) only parses the command line; everything else lives here so that the
//! integration tests can check the route table against the OpenAPI document.
//!
//! The crate is a server, not a library: its documentation is read with its private items
//! (`cargo doc -p credport-server --document-private-items`), where the links to them resolve.
#![allow(rustdoc::private_intra_doc_links)]

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connect;
pub mod console;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod echo;
pub mod error;
pub mod events;
pub mod http;
pub mod ops;
pub mod refresh;
pub mod routes;
pub mod server;
pub mod store;
