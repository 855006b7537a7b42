//! A method's parameters object, read from JavaScript and checked against the model's shape table
//! before anything is sent: the right names (an unknown key such as `pagesize` is refused, not
//! ignored), the right types, the rules of the API. What comes out is the wire form, member by
//! member, ready for a body or a query string.

use credport_model::shape::{Field, FieldSet, Kind, Presence, Shape, Value};
use credport_model::validate::decimal;
use wasm_bindgen::JsValue;

use crate::convert;
use crate::errors::Error;
use crate::json::{self, Fault, Scanner};

/// Parameters in wire form: `(snake_case name, JSON text of the value)`, absent fields left out.
#[derive(Clone, Default)]
pub struct Params {
    members: Vec<(&'static str, String)>,
}

impl Params {
    pub fn members(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.members.iter().map(|(name, value)| (*name, value.as_str()))
    }

    /// A whole-number member.
    pub fn uint(&self, name: &str) -> Option<u64> {
        self.members.iter().find(|(n, _)| *n == name).and_then(|(_, value)| json::uint(value, u64::MAX))
    }

    /// Sets a whole-number member (a pager's next page or offset).
    pub fn set_uint(&mut self, name: &'static str, value: u64) {
        let text = decimal(value);
        match self.members.iter_mut().find(|(n, _)| *n == name) {
            Some(member) => member.1 = text,
            None => self.members.push((name, text)),
        }
    }
}

/// Optional parameters: `undefined`/`null` for none.
pub fn optional(value: &JsValue, shape: &Shape) -> Result<Params, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(Params::default());
    }
    read("params", value, shape)
}

/// Required parameters.
pub fn required(value: &JsValue, shape: &Shape) -> Result<Params, Error> {
    if value.is_undefined() || value.is_null() {
        return Err(Error::invalid("params", "is required"));
    }
    read("params", value, shape)
}

/// Reads `value`, the JS argument named `argument`, as an object of `shape`.
fn read(argument: &str, value: &JsValue, shape: &Shape) -> Result<Params, Error> {
    // Named by its JS type: `JSON.stringify` would turn a function into a string.
    if !value.is_object() || value.is_function() || js_sys::Array::is_array(value) {
        return Err(Error::invalid(argument, ["must be an object, got ", &convert::type_name(value)].concat()));
    }
    from_json(argument, &convert::stringify(argument, value)?, shape)
}

/// Reads the `JSON.stringify` text of the JS argument named `argument` as an object of `shape`.
pub fn from_json(argument: &str, text: &str, shape: &Shape) -> Result<Params, Error> {
    let mut scan = Scanner::new(text).refusing(convert::NOT_JSON, "must be plain JSON data (not a function, NaN or Infinity)");
    let fault = |Fault { path, message }: Fault| Error::invalid(join(argument, &path), message);
    if scan.peek() != Some(b'{') {
        return Err(Error::invalid(argument, ["must be an object, got ", scan.kind()].concat()));
    }
    scan.open_object().map_err(fault)?;
    let mut params = Params::default();
    let mut seen = FieldSet::default();
    let mut first = true;
    while let Some(key) = scan.next_member(first).map_err(fault)? {
        first = false;
        let Some((index, field)) = shape.fields().enumerate().find(|(_, f)| f.js == key) else {
            let mut expected = String::new();
            for (i, f) in shape.fields().enumerate() {
                expected.push_str(if i == 0 { "`" } else { ", `" });
                expected.push_str(f.js);
                expected.push('`');
            }
            return Err(Error::invalid(join(argument, key), ["is not a known field; expected one of ", &expected].concat()));
        };
        seen.insert(index);
        let name = || join(argument, field.js);
        if scan.peek() == Some(b'n') && field.presence != Presence::Required && scan.null() {
            if field.presence == Presence::Clearable {
                params.members.push((field.wire, "null".to_owned()));
            }
            continue;
        }
        let text = member(&mut scan, field).map_err(|e| match e {
            Bad::Fault(f) => fault(f),
            Bad::Field(message) => Error::invalid(name(), message),
        })?;
        params.members.push((field.wire, text));
    }
    scan.end().map_err(fault)?;
    for (index, field) in shape.fields().enumerate() {
        if field.presence == Presence::Required && !seen.contains(index) {
            return Err(Error::invalid(join(argument, field.js), "is required"));
        }
    }
    Ok(params)
}

enum Bad {
    /// From the scanner, with its own path.
    Fault(Fault),
    /// About the field's value as a whole.
    Field(String),
}

impl From<Fault> for Bad {
    fn from(fault: Fault) -> Self {
        Bad::Fault(fault)
    }
}

/// One member's value, checked: its wire text.
fn member(scan: &mut Scanner, field: &Field) -> Result<String, Bad> {
    let wrong = |scan: &mut Scanner, expected: &str| Bad::Field(["must be ", expected, ", got ", scan.kind()].concat());
    scan.peek();
    let start = scan.pos();
    match field.kind {
        Kind::Str => {
            if scan.peek() != Some(b'"') {
                return Err(wrong(scan, "a string"));
            }
            let raw = scan.string()?;
            let value = json::unescape(raw).ok_or_else(|| Bad::Field("must be valid Unicode text".to_owned()))?;
            check(field, &Value::Str(&value))?;
        }
        Kind::Bool => {
            scan.boolean().ok_or_else(|| wrong(scan, "a boolean"))?;
        }
        Kind::Uint(max) => {
            if !matches!(scan.peek(), Some(b'-' | b'0'..=b'9')) {
                return Err(wrong(scan, "a whole number"));
            }
            let text = scan.number()?;
            let n = json::uint(text, max).ok_or_else(|| {
                Bad::Field(["must be a whole number from 0 to ", &decimal(max)].concat())
            })?;
            check(field, &Value::Uint(n))?;
        }
        Kind::Strs => {
            if scan.peek() != Some(b'[') {
                return Err(wrong(scan, "an array of strings"));
            }
            scan.open_array()?;
            let mut values = Vec::new();
            while scan.next_element(values.len())? {
                if scan.peek() != Some(b'"') {
                    let found = scan.kind();
                    return Err(Bad::Fault(scan.fault(["must be a string, got ", found].concat())));
                }
                let raw = scan.string()?;
                values.push(json::unescape(raw).ok_or_else(|| Bad::Fault(scan.fault("must be valid Unicode text")))?);
            }
            check(field, &Value::Strs(&values))?;
        }
        Kind::Object if scan.peek() != Some(b'{') => return Err(wrong(scan, "an object")),
        Kind::Json | Kind::Object | Kind::One(_) | Kind::Many(_) => {
            scan.value()?;
        }
    }
    Ok(scan.slice(start, scan.pos()).to_owned())
}

/// The field's rule (none for most), on its value.
fn check(field: &Field, value: &Value) -> Result<(), Bad> {
    field.rule.check(field.wire, value).map_err(|e| Bad::Field(e.message))
}

/// `a.b`, or whichever of the two is not empty.
fn join(head: &str, tail: &str) -> String {
    match (head.is_empty(), tail.is_empty()) {
        (_, true) => head.to_owned(),
        (true, false) => tail.to_owned(),
        (false, false) => [head, ".", tail].concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join() {
        assert_eq!(join("params", ""), "params");
        assert_eq!(join("params", "scopes[1]"), "params.scopes[1]");
        assert_eq!(join("", "name"), "name");
    }
}
