//! Free-form JSON the site owns: API-key `claims`, connection `metadata`, credential `fields`,
//! error `details`. It is passed through with its keys unchanged.
//!
//! In an answer it is carried as JSON text ([`Json`], [`JsonObject`]), on both sides: the server
//! writes the text it stored into its answer without building a tree of it first (parsing a
//! connection's `metadata` into a map and writing it out again was a tenth of a list's work:
//! docs/performance.md), and the SDK hands the text it received to the engine's `JSON.parse`,
//! so no map code is in the wasm. Parameters differ: the server reads them as parsed values,
//! which it checks; the SDK keeps a parameter's value as the caller's JavaScript value until the
//! engine's `JSON.stringify` writes it into the request body.

/// Free-form JSON in a request's parameters.
#[cfg(not(feature = "wasm"))]
pub type JsonInput = serde_json::Value;

/// A free-form JSON object in a request's parameters (`metadata`, credential `fields`).
#[cfg(not(feature = "wasm"))]
pub type JsonObjectInput = serde_json::Map<String, serde_json::Value>;

pub use raw::{RawJson as Json, RawObject as JsonObject};
#[cfg(feature = "wasm")]
pub use sdk::{JsonInput, JsonObjectInput};

#[cfg(feature = "wasm")]
mod sdk {
    use serde::de::{Error as _, Unexpected};
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;
    use wasm_bindgen::JsValue;

    /// A free-form value among a method's parameters (`claims`): the caller's JavaScript value,
    /// read as it is (through serde-wasm-bindgen only) and written into the request body by the
    /// engine's `JSON.stringify`. The SDK checks that it is plain JSON data before it sends it.
    #[derive(Clone, Debug, PartialEq)]
    pub struct JsonInput(JsValue);

    impl JsonInput {
        /// The JavaScript value.
        pub fn value(&self) -> &JsValue {
            &self.0
        }
    }

    impl<'de> Deserialize<'de> for JsonInput {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            serde_wasm_bindgen::preserve::deserialize(deserializer).map(JsonInput)
        }
    }

    /// A free-form object among a method's parameters (`metadata`, credential `fields`):
    /// [`JsonInput`] that is a plain object (not an array, not `null`). Absent, it is `{}`, as
    /// the server takes it.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    #[serde(transparent)]
    pub struct JsonObjectInput(JsonInput);

    impl JsonObjectInput {
        /// The JavaScript value.
        pub fn value(&self) -> &JsValue {
            self.0.value()
        }
    }

    impl Default for JsonObjectInput {
        fn default() -> Self {
            JsonObjectInput(JsonInput(js_sys::Object::new().into()))
        }
    }

    impl<'de> Deserialize<'de> for JsonObjectInput {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let input = JsonInput::deserialize(deserializer)?;
            if !input.0.is_object() || js_sys::Array::is_array(&input.0) {
                return Err(D::Error::invalid_type(
                    Unexpected::Other("another value"),
                    &"an object",
                ));
            }
            Ok(JsonObjectInput(input))
        }
    }

    impl Serialize for JsonInput {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let text = js_sys::JSON::stringify(&self.0)
                .ok()
                .and_then(|text| text.as_string())
                .ok_or_else(|| S::Error::custom("must be plain JSON data"))?;
            let raw = RawValue::from_string(text)
                .map_err(|_| S::Error::custom("must be plain JSON data"))?;
            raw.serialize(serializer)
        }
    }
}

mod raw {
    use serde::de::{Error as _, Unexpected};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    /// A JSON value of an answer, kept as text. Written out by serde_json as that same text: into
    /// the server's answer, and into the SDK's result that the engine's `JSON.parse` reads.
    #[derive(Clone, Debug)]
    pub struct RawJson(Box<RawValue>);

    impl RawJson {
        /// The JSON text.
        pub fn text(&self) -> &str {
            self.0.get()
        }
    }

    impl PartialEq for RawJson {
        fn eq(&self, other: &Self) -> bool {
            self.0.get() == other.0.get()
        }
    }

    impl<'de> Deserialize<'de> for RawJson {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            Box::<RawValue>::deserialize(deserializer).map(RawJson)
        }
    }

    impl Serialize for RawJson {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.0.serialize(serializer)
        }
    }

    /// A JSON object of an answer (`metadata`, `fields`, `details`): [`RawJson`] that is an object.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    #[serde(transparent)]
    pub struct RawObject(RawJson);

    impl RawObject {
        /// The JSON text.
        pub fn text(&self) -> &str {
            self.0.text()
        }
    }

    impl<'de> Deserialize<'de> for RawObject {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let raw = RawJson::deserialize(deserializer)?;
            if !raw.text().starts_with('{') {
                return Err(D::Error::invalid_type(
                    Unexpected::Other("another JSON value"),
                    &"an object",
                ));
            }
            Ok(RawObject(raw))
        }
    }

    /// A value the server made (an event's changes) as the text of an answer.
    #[cfg(not(feature = "wasm"))]
    impl TryFrom<&serde_json::Value> for RawJson {
        type Error = serde_json::Error;

        fn try_from(value: &serde_json::Value) -> Result<Self, Self::Error> {
            serde_json::value::to_raw_value(value).map(RawJson)
        }
    }

    /// An object the server holds parsed (credential fields, error details) as the text of an
    /// answer.
    #[cfg(not(feature = "wasm"))]
    impl TryFrom<&serde_json::Map<String, serde_json::Value>> for RawObject {
        type Error = serde_json::Error;

        fn try_from(map: &serde_json::Map<String, serde_json::Value>) -> Result<Self, Self::Error> {
            serde_json::value::to_raw_value(map).map(|raw| RawObject(RawJson(raw)))
        }
    }
}
