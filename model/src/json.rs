//! Free-form JSON the site owns: API-key `claims`, connection `metadata`, credential `fields`,
//! error `details`. It is passed through with its keys unchanged.
//!
//! The server works with parsed values. The SDK only carries them from the wire to JavaScript, so
//! its build keeps them as raw JSON text: no tree to build and write back, and no map code in the
//! wasm.

#[cfg(not(feature = "wasm"))]
pub type Json = serde_json::Value;
#[cfg(not(feature = "wasm"))]
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

#[cfg(feature = "wasm")]
pub type Json = RawJson;
#[cfg(feature = "wasm")]
pub type JsonObject = RawJson;

/// A JSON value kept as the text it arrived in.
#[cfg(feature = "wasm")]
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct RawJson(Box<serde_json::value::RawValue>);

#[cfg(feature = "wasm")]
impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}
