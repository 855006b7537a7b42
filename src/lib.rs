//! The credport SDK, compiled to WebAssembly: connections, API keys and personal access tokens
//! against the credport HTTP API, from any JavaScript runtime with `fetch`.
//!
//! Every method is Rust: parameters are read with serde-wasm-bindgen into the model crate's types,
//! requests are `gloo_net` requests sent through the runtime's `fetch`, the retry loop, its waits
//! and timeouts are Rust futures, and wasm-bindgen-futures makes each call the JavaScript
//! `Promise`.
//!
//! A panic would kill the wasm instance for the whole host process, so nothing here may panic:
//! the lints below forbid the usual ways in.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
// Native unit tests never run inside a wasm instance; they may assert by panicking.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

#[cfg(feature = "admin")]
mod admin;
mod client;
mod decode;
mod errors;
mod host;
mod log;
mod options;
mod params;
mod resources;
mod timer;
mod transport;
mod wire;

#[cfg(feature = "admin")]
pub use admin::CredportAdmin;
pub use client::Credport;

/// The instance's linear memory, for the leak tests: its size must stay flat under bad calls.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = "__wasmMemory", skip_typescript)]
pub fn wasm_memory() -> wasm_bindgen::JsValue {
    wasm_bindgen::memory()
}

/// Talc instead of Rust's default dlmalloc: about 6 KiB less wasm, as fast for the SDK's short-lived
/// strings, and the leak tests hold its memory flat.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
