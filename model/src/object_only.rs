//! A nested struct read from a JSON object only. serde's derive also reads a struct from an
//! array, its fields by position (`"credentials": ["api_key", null, {"api_key": "…"}]`): no
//! client means that, it skips the names every check and message go by, and the API's bodies are
//! objects. [`object_only`] is the field attribute that refuses it, on the server: the SDK reads
//! its caller's values and writes them out as objects whatever their shape.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};

/// `#[serde(deserialize_with = "object_only")]` on a field whose type is a struct, or an
/// `Option` of one: an array there is refused as the wrong type, naming the field.
pub fn object_only<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize(ObjectOnly(d))
}

/// A deserializer that reads a struct as a map, which an array is not; everything else as the
/// one it wraps.
struct ObjectOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    /// An `Option`'s value, when present, is read through [`ObjectOnly`] too.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(Present(visitor))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The visitor of an `Option` whose present value is read through [`ObjectOnly`].
struct Present<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for Present<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(ObjectOnly(d))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::object_only;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        kind: String,
        n: Option<u8>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        #[serde(deserialize_with = "object_only")]
        inner: Inner,
        #[serde(default, deserialize_with = "object_only")]
        maybe: Option<Inner>,
    }

    #[test]
    fn structs_come_from_objects_only() {
        let read = |text: &str| serde_json::from_str::<Outer>(text);
        let a = || Inner {
            kind: "a".into(),
            n: Some(1),
        };
        let both = read(r#"{"inner": {"kind": "a", "n": 1}, "maybe": {"kind": "a", "n": 1}}"#);
        assert_eq!(
            both.unwrap(),
            Outer {
                inner: a(),
                maybe: Some(a()),
            }
        );
        let none = read(r#"{"inner": {"kind": "b"}, "maybe": null}"#).unwrap();
        assert_eq!(none.maybe, None);
        assert_eq!(read(r#"{"inner": {"kind": "b"}}"#).unwrap().maybe, None);
        for array in [
            r#"{"inner": ["a", 1]}"#,
            r#"{"inner": {"kind": "a"}, "maybe": ["a", 1]}"#,
        ] {
            let refused = read(array).unwrap_err().to_string();
            assert!(refused.contains("invalid type: sequence"), "{refused}");
        }
    }
}
