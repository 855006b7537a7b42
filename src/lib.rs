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
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
// Native unit tests never run inside a wasm instance; they may assert by panicking.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

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
mod webhook;
mod wire;

#[cfg(feature = "admin")]
pub use admin::CredportAdmin;
pub use client::Credport;
pub use webhook::verify_webhook;

/// The instance's linear memory, for the leak tests: its size must stay flat under bad calls.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = "__wasmMemory", skip_typescript)]
pub fn wasm_memory() -> wasm_bindgen::JsValue {
    wasm_bindgen::memory()
}

/// lol_alloc's free list instead of Rust's default dlmalloc (about 6 KiB less wasm) or talc (0.5
/// KiB less again): the SDK holds few blocks at a time (a call's strings, an answer's text), so a
/// list searched from its start is as fast for it (bench/cpu.mjs), and freed neighbours are merged,
/// so memory stays flat (tests/js/leaks.test.mjs).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
// SAFETY: without the `atomics` target feature a wasm instance runs on one thread only.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
