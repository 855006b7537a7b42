//! The SDK's lists written as the JSON text of their JavaScript values (`camelCase` names), one
//! function per list type, compiled here rather than in the SDK crate.
//!
//! Why here: a generic function is compiled in the crate that names its type, and Cargo.toml's
//! `[profile.wasm.package.credport-model]` compiles this crate at `opt-level = "s"` where the
//! SDK's own crate is at `"z"`. Writing a 100-item list is string copies and buffer appends
//! ([`crate::json_text`]), which `"z"` leaves as calls out of line; written here, a 100-item
//! `connections.list` takes ~14 % less CPU for ~0.4 KiB of gzip (docs/performance.md, "Lists
//! written at speed"). Reading answers stays in the SDK's crate: moved here it gained nothing
//! at `"s"`, and cost ~10 KiB at `opt-level = 3`.

use serde::Serialize;

/// A value the SDK hands to JavaScript as one JSON text (see the module's documentation).
pub trait JsJson {
    /// The JSON text; `None` where the writer refuses the value.
    fn js_json(&self) -> Option<String>;
}

/// Each implementation below is this function's one instance for its type, compiled here.
fn js_json<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    crate::json_text::to_string(value).ok()
}

macro_rules! js_json {
    ($($t:ty),* $(,)?) => {$(
        impl JsJson for $t {
            fn js_json(&self) -> Option<String> {
                js_json(self)
            }
        }
    )*};
}

js_json!(
    crate::ConnectionPage,
    [crate::Connection],
    crate::ApiKeyList,
    [crate::ApiKey],
    crate::TokenList
);
#[cfg(feature = "admin")]
js_json!([crate::Event]);
