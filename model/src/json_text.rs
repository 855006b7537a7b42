//! The JSON text of the model's values: serde_json's compact text, byte for byte, written by the
//! model's serde types with each string checked for what needs escaping eight bytes at a time.
//! The server writes its answers with it, and the SDK the results it hands to `JSON.parse`.
//!
//! Why not `serde_json::to_vec`: it looks at a string's bytes one at a time for the few that need
//! escaping, keys included, and a page of connections is some five hundred short strings, a
//! fifth of the server's CPU for that route (callgrind, docs/performance.md). Numbers, bytes and
//! every other scalar are still written by serde_json's own `Serializer`, and free-form JSON kept
//! as raw text is copied as serde_json copies it; what is ours is the punctuation and the strings,
//! and the tests hold the text to serde_json's for each shape the model serialises.

use serde::ser::{self, Serialize};
use serde_json::Error;

/// `value` as JSON text, as `serde_json::to_vec` writes it.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    write(value, false)
}

/// `value` as JSON text, as `serde_json::to_string` writes it.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    utf8(write(value, false)?)
}

/// `value` as JSON text with its types' field names in `snake_case` (`pageSize` is `page_size`):
/// the SDK's parameters, whose fields carry their JavaScript names, as the wire names them. Keys
/// of maps and raw values are the caller's and stay as they are.
pub fn to_wire_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    utf8(write(value, true)?)
}

/// `pageSize` → `page_size`: an ASCII capital becomes `_` and its small letter.
pub fn snake_case(name: &str) -> String {
    let mut out = Vec::with_capacity(name.len() + 4);
    push_snake_case(&mut out, name);
    String::from_utf8(out).unwrap_or_else(|_| name.to_owned())
}

/// `page_size` → `pageSize`, `scopes[1]` as it is: a wire name (of a field, or a path to one) as
/// JavaScript writes it, for the SDK's messages and the names it hands out.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn push_snake_case(out: &mut Vec<u8>, name: &str) {
    for byte in name.bytes() {
        if byte.is_ascii_uppercase() {
            out.push(b'_');
            out.push(byte.to_ascii_lowercase());
        } else {
            out.push(byte);
        }
    }
}

/// A field's name, in `snake_case` when `snake`. One function for every field of every type in
/// the SDK's wasm (its size); inlined on the server (its speed: called out of line, it and
/// [`Writer::string`] cost a page of 20 connections 2.4–2.9 % more instructions).
#[cfg_attr(target_arch = "wasm32", inline(never))]
#[cfg_attr(not(target_arch = "wasm32"), inline)]
fn write_key(out: &mut Vec<u8>, key: &str, snake: bool) {
    if snake && plain(key.as_bytes()) {
        out.push(b'"');
        push_snake_case(out, key);
        out.push(b'"');
    } else {
        write_str(out, key);
    }
}

fn write<T: Serialize + ?Sized>(value: &T, snake: bool) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    value.serialize(&mut Writer {
        out: &mut out,
        raw: false,
        snake,
    })?;
    Ok(out)
}

/// Only whole `&str`s and serde_json's own output go in, so the bytes are always UTF-8.
fn utf8(bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|_| ser::Error::custom("the text is not UTF-8"))
}

/// The name serde_json gives the one-field struct a `RawValue` serialises as: its field is the
/// raw JSON text, written as it is.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// What both serializers do alike: a character and a unit variant as strings, a newtype as what
/// it wraps.
macro_rules! alike {
    () => {
        fn serialize_char(self, v: char) -> Result<(), Error> {
            self.serialize_str(v.encode_utf8(&mut [0; 4]))
        }

        fn serialize_unit_variant(
            self,
            _name: &'static str,
            _index: u32,
            variant: &'static str,
        ) -> Result<(), Error> {
            self.serialize_str(variant)
        }

        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _name: &'static str,
            value: &T,
        ) -> Result<(), Error> {
            value.serialize(self)
        }
    };
}

/// serde's methods for numbers, each with its type, written by `$write` (a macro below).
macro_rules! numbers {
    ($write:ident) => {
        $write!(
            serialize_i8: i8,
            serialize_i16: i16,
            serialize_i32: i32,
            serialize_i64: i64,
            serialize_i128: i128,
            serialize_u8: u8,
            serialize_u16: u16,
            serialize_u32: u32,
            serialize_u64: u64,
            serialize_u128: u128,
            serialize_f32: f32,
            serialize_f64: f64
        );
    };
}

/// Scalars written by serde_json's own serializer, on the same buffer.
macro_rules! by_serde_json {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), Error> {
            self.json().$method(v)
        }
    )*};
}

/// Scalars as object keys: serde_json's text of them, in quotes.
macro_rules! quoted {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), Error> {
            self.quoted(|w| w.json().$method(v))
        }
    )*};
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    /// The next string is a raw value's text, to be copied as it is.
    raw: bool,
    /// Field names written in `snake_case` ([`to_wire_string`]).
    snake: bool,
}

impl Writer<'_> {
    /// serde_json's own serializer on the same buffer, for the scalars it writes.
    fn json(&mut self) -> serde_json::Serializer<&mut Vec<u8>> {
        serde_json::Serializer::new(&mut *self.out)
    }

    fn open(&mut self, bracket: u8, close: &'static [u8]) -> Compound<'_> {
        self.out.push(bracket);
        Compound {
            writer: Writer {
                out: &mut *self.out,
                raw: false,
                snake: self.snake,
            },
            first: true,
            close,
        }
    }

    /// A string value, or a raw value's text. Out of line in the SDK's wasm, where inlined it was
    /// a copy in every string field of every type; inlined on the server ([`write_key`]).
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    #[cfg_attr(not(target_arch = "wasm32"), inline)]
    fn string(&mut self, v: &str) {
        if std::mem::take(&mut self.raw) {
            self.out.extend_from_slice(v.as_bytes());
        } else {
            write_str(self.out, v);
        }
    }

    /// `{"variant":` of an enum variant with content, closed by the compound's `close`.
    fn variant(&mut self, variant: &str) {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
    }
}

impl<'a> ser::Serializer for &'a mut Writer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    numbers!(by_serde_json);

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }

    alike!();

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.json().serialize_bytes(v)
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.open(b'[', b"]"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, Error> {
        Ok(self.open(b'[', b"]"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        Ok(self.open(b'[', b"]"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.variant(variant);
        Ok(self.open(b'[', b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.open(b'{', b"}"))
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a>, Error> {
        if name == RAW_VALUE_TOKEN {
            // No brace: the one field is the raw text itself (`Compound::serialize_field`).
            return Ok(Compound {
                writer: Writer {
                    out: &mut *self.out,
                    raw: false,
                    snake: false,
                },
                first: true,
                close: b"",
            });
        }
        Ok(self.open(b'{', b"}"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.variant(variant);
        Ok(self.open(b'{', b"}}"))
    }
}

/// An array or an object being written: a comma before each element or member but the first,
/// and `close` at the end (`]`, `}`, or `]}` and `}}` for an enum variant's content, nothing for
/// a raw value).
struct Compound<'a> {
    writer: Writer<'a>,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_> {
    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.writer.out.push(b',');
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.separate();
        value.serialize(&mut self.writer)
    }

    fn member<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.separate();
        write_key(self.writer.out, key, self.writer.snake);
        self.writer.out.push(b':');
        value.serialize(&mut self.writer)
    }

    fn close(self) -> Result<(), Error> {
        self.writer.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// An array's elements, one after another, whichever kind of array serde asks for.
macro_rules! elements {
    ($($kind:ident::$method:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.separate();
        key.serialize(Key {
            out: &mut *self.writer.out,
        })?;
        self.writer.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut self.writer)
    }

    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// An object's fields, of a struct or of a struct variant.
macro_rules! fields {
    ($($kind:ident),*) => {$(
        impl ser::$kind for Compound<'_> {
            type Ok = ();
            type Error = Error;

            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                if self.close.is_empty() {
                    // A raw value's one field: its text, through the same code as every other
                    // value, so that each type's serialisation is compiled once (the SDK's size).
                    // The mode is this compound's writer's alone: it ends with the raw value.
                    self.writer.raw = true;
                    return value.serialize(&mut self.writer);
                }
                self.member(key, value)
            }

            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

/// `text` as a JSON string: escaped where serde_json escapes (`"`, `\`, and the control
/// characters, `\b\t\n\f\r` short and the others as `\u00xx`). Nearly every string of an
/// answer has none of those, and is copied whole once [`plain`] has said so. Offered for
/// inlining into the server's crate (its release build links crates by thin LTO only), where it
/// and the two below are the hot path of every answer; the wasm's fat LTO decides for itself.
#[cfg_attr(not(target_arch = "wasm32"), inline)]
fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if plain(bytes) {
        out.extend_from_slice(bytes);
    } else {
        escaped(out, bytes);
    }
    out.push(b'"');
}

/// Whether no byte of `bytes` needs escaping, looked at eight at a time as one word (the last
/// word overlapping the one before, or a short string padded with spaces).
#[cfg_attr(not(target_arch = "wasm32"), inline)]
fn plain(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    if words.by_ref().any(|word| !plain_word(word)) {
        return false;
    }
    match words.remainder() {
        [] => true,
        rest if bytes.len() >= 8 => plain_word(bytes.get(bytes.len() - 8..).unwrap_or(rest)),
        rest => {
            let mut padded = [b' '; 8];
            for (pad, &byte) in padded.iter_mut().zip(rest) {
                *pad = byte;
            }
            plain_word(&padded)
        }
    }
}

/// Whether none of eight bytes is below 0x20, a `"` or a `\`: one test for the three at once, by
/// the bit tricks of "Bit Twiddling Hacks" (`hasless`, `haszero`). A byte's high bit ends up set
/// where it is below 0x20 or equal to either (a borrow from a lower byte only ever follows one
/// that is), and bytes of 0x80 and up, which are never escaped, are masked out.
#[cfg_attr(not(target_arch = "wasm32"), inline)]
fn plain_word(word: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = ONES * 0x80;
    let Ok(word) = <[u8; 8]>::try_from(word) else {
        return false;
    };
    let w = u64::from_le_bytes(word);
    let below_space = w.wrapping_sub(ONES * 0x20);
    let quote = (w ^ (ONES * b'"' as u64)).wrapping_sub(ONES);
    let backslash = (w ^ (ONES * b'\\' as u64)).wrapping_sub(ONES);
    (below_space | quote | backslash) & !w & HIGH == 0
}

/// `bytes` escaped, byte by byte: the path of the rare string that needs it.
fn escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex = |nibble: u8| HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
    for &byte in bytes {
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..0x20 => {
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(byte >> 4), hex(byte & 0xF)])
            }
            _ => out.push(byte),
        }
    }
}

/// An object's key: a string, or a number or boolean written as one (as serde_json does).
struct Key<'a> {
    out: &'a mut Vec<u8>,
}

impl Key<'_> {
    /// A scalar key in quotes, written by serde_json's serializer.
    fn quoted(self, write: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>) -> Result<(), Error> {
        self.out.push(b'"');
        write(&mut Writer {
            out: &mut *self.out,
            raw: false,
            snake: false,
        })?;
        self.out.push(b'"');
        Ok(())
    }
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }

    alike!();

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(|w| ser::Serializer::serialize_bool(w, v))
    }

    numbers!(quoted);

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::{ApiKey, ConnectionPage, CreatedApiKey, ProviderConfig, Secret};
    use serde::Serialize;

    use super::{snake_case, to_vec, to_wire_string};

    /// `value`'s text is serde_json's, byte for byte.
    fn same<T: Serialize + ?Sized>(value: &T) {
        let ours = to_vec(value).expect("ours writes it");
        let theirs = serde_json::to_vec(value).expect("serde_json writes it");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for byte in 0u8..0x80 {
            same(&char::from(byte).to_string());
        }
        for special in [
            "\"", "\\", "\n", "\u{1}", "\u{1f}", "\u{7f}", "é", "€", "𝄞", "/",
        ] {
            // The character at every place of strings around the eight-byte steps, so that it
            // falls in a step, at its edges, and in the tail looked at byte by byte.
            for len in 0..20 {
                for at in 0..=len {
                    let mut text = "a".repeat(len);
                    text.insert_str(at, special);
                    same(&text);
                }
            }
        }
        same("\"\\\u{8}\u{c}\n\r\t\u{0}\u{1b} twice: \"\\\u{8}\u{c}\n\r\t\u{0}\u{1b}");
        same(&'"');
        same(&'é');
    }

    #[test]
    fn scalars_options_and_sequences() {
        same(&(true, false, (), Some(1u8), None::<u8>));
        same(&(i8::MIN, i16::MIN, i32::MIN, i64::MIN, i128::MIN));
        same(&(u8::MAX, u16::MAX, u32::MAX, u64::MAX, u128::MAX));
        same(&(1.5f32, -0.0f64, 1e300f64, f64::NAN, f64::INFINITY, 0.1f64));
        same(&Vec::<u8>::new());
        same(&vec![vec!["a"], vec![], vec!["b", "c"]]);
        same(serde_bytes_like());
    }

    /// `&[u8]` serialises as bytes only through a wrapper that asks for it.
    fn serde_bytes_like() -> &'static impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&[0, 7, 255])
            }
        }
        &Bytes
    }

    #[test]
    fn maps_and_their_keys() {
        same(&BTreeMap::<String, u8>::new());
        same(&BTreeMap::from([("b\"\n", 1), ("a", 2)]));
        same(&BTreeMap::from([(1i64, "x"), (-2, "y")]));
        same(&BTreeMap::from([(true, 1), (false, 2)]));
        same(&BTreeMap::from([('k', 1)]));
        let refused = to_vec(&BTreeMap::from([((1, 2), 3)]));
        assert_eq!(
            refused.map_err(|e| e.to_string()),
            Err("key must be a string".to_owned())
        );
        assert!(serde_json::to_vec(&BTreeMap::from([((1, 2), 3)])).is_err());
    }

    #[test]
    fn enum_variants_of_every_kind() {
        #[derive(Serialize)]
        enum Kind {
            Unit,
            Newtype(u8),
            Tuple(u8, String),
            Struct { a: u8, b: Option<String> },
        }
        #[derive(Serialize)]
        struct Unit;
        #[derive(Serialize)]
        struct Newtype(String);
        #[derive(Serialize)]
        struct Tuple(u8, u8);
        same(&[
            Kind::Unit,
            Kind::Newtype(1),
            Kind::Tuple(2, "t".into()),
            Kind::Struct { a: 3, b: None },
        ]);
        same(&(Unit, Newtype("n".into()), Tuple(1, 2)));
    }

    #[test]
    fn free_form_json_kept_as_text_is_copied() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{"a":[1,2.5,-3e-7,null,true],"b\u0001":{"c":"d\"é"}}"#)
                .expect("valid");
        same(&value);
        let raw = serde_json::value::RawValue::from_string(r#"{"x": [1, "y"]}"#.to_owned())
            .expect("valid");
        same(&raw);
        same(&[&raw, &raw]);
    }

    #[test]
    fn wire_text_has_field_names_in_snake_case_and_data_keys_as_given() {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Inner {
            inner_field: bool,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Params {
            page_size: u8,
            nested_thing: Inner,
            user_map: BTreeMap<&'static str, u8>,
            free_form: Box<serde_json::value::RawValue>,
        }
        let params = Params {
            page_size: 1,
            nested_thing: Inner { inner_field: true },
            user_map: BTreeMap::from([("keepMe", 2)]),
            free_form: serde_json::value::RawValue::from_string(r#"{"aB":[1]}"#.to_owned())
                .expect("valid"),
        };
        assert_eq!(
            to_wire_string(&params).expect("written"),
            r#"{"page_size":1,"nested_thing":{"inner_field":true},"user_map":{"keepMe":2},"free_form":{"aB":[1]}}"#
        );
        assert_eq!(snake_case("pageSize"), "page_size");
    }

    #[test]
    fn only_a_raw_values_own_string_is_copied_unescaped() {
        /// A value that names itself as serde_json's raw value but holds no string.
        struct NotRaw;
        impl Serialize for NotRaw {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut raw = s.serialize_struct(super::RAW_VALUE_TOKEN, 1)?;
                raw.serialize_field(super::RAW_VALUE_TOKEN, &1u8)?;
                raw.end()
            }
        }
        let text = to_vec(&(NotRaw, "a\"b")).expect("written");
        assert_eq!(String::from_utf8_lossy(&text), r#"[1,"a\"b"]"#);
    }

    #[test]
    fn the_models_answers() {
        let page: ConnectionPage = serde_json::from_str(
            r#"{"count":2,"page":1,"page_size":20,"next":null,"previous":null,"payload":[
            {"id":"conn_1","provider":"google","provider_config_key":"google-prod",
             "root_resource_id":"u@example.com","root_resource_name":null,"scopes":["a","b c"],
             "status":"active","token_expires_at":"2026-12-07T10:00:00Z",
             "credentials":{"type":"OAUTH2","expires_at":null},
             "metadata":{"plan": "pro", "seats": [1, 2.5], "note": "tab\there"},
             "last_refreshed_at":null,"refresh_error":{"code":"invalid_grant","message":"revoked \"x\"","at":"2026-12-07T09:00:00Z"},
             "created_at":"2026-12-01T00:00:00Z","updated_at":"2026-12-02T00:00:00Z"},
            {"id":"conn_2","provider":"shopify","provider_config_key":"s","root_resource_id":null,
             "root_resource_name":"Shop ü","scopes":[],"status":"invalid","token_expires_at":null,
             "credentials":{"type":"API_KEY","expires_at":"2027-01-01T00:00:00Z"},"metadata":{},
             "last_refreshed_at":"2026-12-03T00:00:00Z","refresh_error":null,
             "created_at":"2026-12-01T00:00:00Z","updated_at":"2026-12-01T00:00:00Z"}]}"#,
        )
        .expect("a page");
        same(&page);
        let api_key: ApiKey = serde_json::from_str(
            r#"{"id":"key_1","object":"api_key","type":"api_key","name":"n","subject":"user_1",
            "description":null,"claims":{"tier":1,"x":["y"]},"scopes":["connections:read"],
            "created_by":null,"revoked":false,"revocation_reason":null,"expired":false,
            "expiration":null,"last_used_at":null,"created_at":"2026-12-01T00:00:00Z",
            "updated_at":"2026-12-01T00:00:00Z"}"#,
        )
        .expect("a key");
        // Flattened: written as a map.
        same(&CreatedApiKey {
            api_key,
            secret: Secret::new("cpk_secret"),
        });
        let config: ProviderConfig = serde_json::from_str(
            r#"{"key":"g","provider":"google","token_url":"https://t.example/token",
            "authorization_url":null,"authorization_params":{"access_type":"offline","prompt":"consent"},
            "client_id":"c","auth_method":"client_secret_post","scopes":["x"],
            "refresh_margin_seconds":60,"redirect_uri":"https://c.example/oauth/callback",
            "created_at":"2026-12-01T00:00:00Z","updated_at":"2026-12-01T00:00:00Z"}"#,
        )
        .expect("a provider config");
        same(&config);
    }
}
