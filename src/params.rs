//! A method's arguments, read from JavaScript into the model crate's serde types with
//! serde-wasm-bindgen, and checked against the API's rules before anything is sent. A bad argument
//! is an `InvalidArgumentError` naming its path (`params.scopes[1]`) and what was wrong, never
//! quoting the value (it may be a secret).

use js_sys::{Array, Function, JsString, Object, Reflect};
use serde::de::{self, DeserializeOwned, Visitor};
use wasm_bindgen::{JsCast, JsValue};

use credport_model::json_text::{camel_case, snake_case};
use credport_model::validate::{self, decimal, Checked};

use crate::errors::Error;
use crate::host::{is_array, is_record, keys, type_name};

/// Optional parameters: `undefined`/`null` for none.
pub fn optional<T: DeserializeOwned + Default>(
    value: &JsValue,
    rules: fn(&T) -> Checked,
) -> Result<T, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    read("params", value, rules)
}

/// Required parameters.
pub fn required<T: DeserializeOwned>(
    value: &JsValue,
    rules: fn(&T) -> Checked,
) -> Result<T, Error> {
    if value.is_undefined() || value.is_null() {
        return Err(Error::invalid("params", "is required"));
    }
    read("params", value, rules)
}

/// Reads `value`, the JS argument named `argument`, as a `T`, then checks `T`'s rules. Only the
/// reading itself is per type; the checks around it and the errors are one function each.
fn read<T: DeserializeOwned>(
    argument: &str,
    value: &JsValue,
    rules: fn(&T) -> Checked,
) -> Result<T, Error> {
    if !is_record(value) {
        return Err(Error::invalid(
            argument,
            ["must be an object, got ", &type_name(value)].concat(),
        ));
    }
    let own = copy_members(argument, value, false, 0)?;
    known_only(argument, &own, fields_of::<T>())?;
    let deserializer = serde_wasm_bindgen::Deserializer::from(JsValue::from(own.clone()));
    let parsed: T = serde_path_to_error::deserialize(deserializer)
        .map_err(|e| path_error(argument, &own, e))?;
    rules(&parsed).map_err(|e| rule_error(argument, e))?;
    Ok(parsed)
}

/// Refuses a member of `own` that is not a field of the type: an unknown key such as `pagesize`
/// is refused, not ignored.
fn known_only(argument: &str, own: &Object, fields: &'static [&'static str]) -> Result<(), Error> {
    for key in Object::keys(own).iter() {
        let name = key.as_string().unwrap_or_default();
        if !fields.contains(&name.as_str()) {
            let expected: Vec<String> = fields.iter().map(|f| ["`", f, "`"].concat()).collect();
            return Err(Error::invalid(
                join(argument, &name),
                [
                    "is not a known field; expected one of ",
                    &expected.join(", "),
                ]
                .concat(),
            ));
        }
    }
    Ok(())
}

/// The caller's `value` as the SDK reads it: arrays and objects of any prototype copied, at every
/// depth, into fresh arrays and plain objects, each member read once through a read that catches
/// what a getter or a `Proxy` throws (an error naming the member). serde-wasm-bindgen, whose reads
/// do not catch, then reads only the copy: a class's instance left as it was had its getters run
/// uncaught. A value with a `toJSON` method (a `Date`) is what that returns for `key`, as
/// `JSON.stringify` would write it (the copy of a `Date` would be an empty object).
fn copy(path: &str, key: &JsValue, value: &JsValue, depth: u32) -> Result<JsValue, Error> {
    let to_json =
        crate::host::property(value, "toJSON").and_then(|f| f.dyn_into::<Function>().ok());
    let value = match to_json {
        Some(to_json) => to_json
            .call1(value, key)
            .map_err(|_| Error::unreadable(path))?,
        None => value.clone(),
    };
    if depth > MAX_DEPTH || !value.is_object() {
        return Ok(value);
    }
    let array = is_array(&value);
    Ok(copy_members(path, &value, array, depth)?.into())
}

/// [`copy`] of an array or object; an object's members whose value is `undefined` are left out
/// (as `JSON.stringify` would: `{ limit: undefined }` is no limit), and a string holding a lone
/// surrogate is refused by its path ([`whole_unicode`]), as an id is: serde-wasm-bindgen would
/// read it with U+FFFD in its place.
fn copy_members(path: &str, value: &JsValue, array: bool, depth: u32) -> Result<Object, Error> {
    let own: Object = if array {
        Array::new().into()
    } else {
        Object::new()
    };
    for_each_member(path, value, array, |key, member| {
        if array || !member.is_undefined() {
            let member = match member.is_object() {
                true => copy(&child(path, &key, array), &key, &member, depth + 1)?,
                false => {
                    if let Some(text) = member.as_string() {
                        whole_unicode(&member, &text, || child(path, &key, array))?;
                    }
                    member
                }
            };
            let _ = Reflect::set(&own, &key, &member);
        }
        Ok(())
    })?;
    Ok(own)
}

/// Calls `each` with every own enumerable `(key, value)` member of `value` (an array if `array`),
/// the object at `path`. Listing the keys or reading a member may run the caller's code: what it
/// throws is caught, an error naming `path` or the member.
fn for_each_member(
    path: &str,
    value: &JsValue,
    array: bool,
    mut each: impl FnMut(JsValue, JsValue) -> Result<(), Error>,
) -> Result<(), Error> {
    let keys = keys(value).ok_or_else(|| Error::unreadable(path))?;
    for key in keys.iter() {
        let member =
            Reflect::get(value, &key).map_err(|_| Error::unreadable(child(path, &key, array)))?;
        each(key, member)?;
    }
    Ok(())
}

/// The path of the member `key` of the array or object at `path`: `path[1]`, `path.name`.
fn child(path: &str, key: &JsValue, array: bool) -> String {
    let key = key.as_string().unwrap_or_default();
    match array {
        true => [path, "[", &key, "]"].concat(),
        false => join(path, &key),
    }
}

/// The error of a member serde could not read, named by its path.
fn path_error(
    argument: &str,
    own: &Object,
    e: serde_path_to_error::Error<serde_wasm_bindgen::Error>,
) -> Error {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    type_error(argument, &path, own, &e.into_inner().to_string())
}

/// The error of a rule of the model's, named by the field's JavaScript path.
fn rule_error(argument: &str, e: credport_model::FieldError) -> Error {
    Error::invalid(join(argument, &camel_case(&e.name())), e.message)
}

/// The message for serde's complaint `message` about the member at `path` of `value`, in the
/// SDK's words: `must be a string, got number`, `is required`. The value's JavaScript type is
/// read from the value itself, and nothing of serde's text that could quote a value is kept.
fn type_error(argument: &str, path: &str, value: &Object, message: &str) -> Error {
    // serde-wasm-bindgen's errors are JS `Error`s, written as `String(error)` does.
    let message = message.strip_prefix("Error: ").unwrap_or(message);
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        return Error::invalid(join(argument, &join(path, field)), "is required");
    }
    let got = type_name(&member_at(value, path));
    let expected = message
        .rsplit_once(", expected ")
        .map_or("a valid value", |(_, expected)| expected);
    let expected = match expected {
        // The field's own bounds (`limit`: 1 to 100), not its type's (0 to 4294967295).
        "u32" | "u64" => match validate::whole_number_range(&snake_case(path)) {
            Some((min, max)) => {
                ["a whole number from ", &decimal(min), " to ", &decimal(max)].concat()
            }
            None => "a whole number".to_owned(),
        },
        "a sequence" => "an array".to_owned(),
        "a boolean" | "a string" | "an object" => expected.to_owned(),
        _ => "a valid value".to_owned(),
    };
    // A number out of range or with a fraction: the range says it all.
    if got == "number" && expected.starts_with("a whole number") {
        return Error::invalid(join(argument, path), ["must be ", &expected].concat());
    }
    Error::invalid(
        join(argument, path),
        ["must be ", &expected, ", got ", &got].concat(),
    )
}

/// The member at a serde path (`scopes[1]`, `claims.at`) of a JS value; `undefined` if absent.
fn member_at(value: &JsValue, path: &str) -> JsValue {
    let mut at = value.clone();
    for part in path.split(['.', '[']).filter(|p| !p.is_empty()) {
        let key = match part.strip_suffix(']').and_then(|i| i.parse::<u32>().ok()) {
            Some(index) => JsValue::from(index),
            None => JsValue::from_str(part),
        };
        at = Reflect::get(&at, &key).unwrap_or(JsValue::UNDEFINED);
    }
    at
}

/// Free-form JSON the caller passes (`claims`): plain JSON data, checked before it is sent. A
/// function, a symbol, `NaN` or `Infinity` would be dropped or turned into `null` by
/// `JSON.stringify`, a `BigInt` or a cycle would make it throw: each is refused by its path.
pub fn check_json(path: &str, value: &JsValue) -> Result<(), Error> {
    check_json_at(path, path, value, 0)
}

/// Deeper than this is taken for a cycle, and said of the whole value (`root`): the path to
/// that depth would be a few hundred characters of `[0]`.
const MAX_DEPTH: u32 = 128;

fn check_json_at(root: &str, path: &str, value: &JsValue, depth: u32) -> Result<(), Error> {
    const NOT_JSON: &str = "must be plain JSON data (not a function, NaN or Infinity)";
    if depth > MAX_DEPTH {
        return Err(Error::invalid(
            root,
            "must nest at most 128 levels deep (and hold no cycle)",
        ));
    }
    if let Some(n) = value.as_f64() {
        return if n.is_finite() {
            Ok(())
        } else {
            Err(Error::invalid(path, NOT_JSON))
        };
    }
    if value.is_function() || value.is_symbol() {
        return Err(Error::invalid(path, NOT_JSON));
    }
    if value.is_bigint() {
        return Err(Error::invalid(
            path,
            "must be plain data (no BigInt, no cycles)",
        ));
    }
    if !value.is_object() {
        return Ok(()); // null, a string, a boolean
    }
    let array = is_array(value);
    for_each_member(path, value, array, |key, member| {
        check_json_at(root, &child(path, &key, array), &member, depth + 1)
    })
}

/// `a.b`, or whichever of the two is not empty.
fn join(head: &str, tail: &str) -> String {
    match (head.is_empty(), tail.is_empty()) {
        (_, true) => head.to_owned(),
        (true, false) => tail.to_owned(),
        (false, false) if tail.starts_with('[') => [head, tail].concat(),
        (false, false) => [head, ".", tail].concat(),
    }
}

/// The names a struct type is read from (its JS names, as its serde derive declares them): asked
/// of the type's own `Deserialize`, so the model stays the one list of them.
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// A deserializer that only records the fields a struct asks for.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields recorded"))
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// Refuses `text`, the JS string `value` as read, if the string held a lone surrogate: reading it
/// turned that into U+FFFD, and a parameter would silently say something else (name another
/// resource, filter on another subject). Only a text holding U+FFFD is asked again (that is a
/// crossing per UTF-16 unit); `argument` names it only then.
pub fn whole_unicode(
    value: &JsValue,
    text: &str,
    argument: impl FnOnce() -> String,
) -> Result<(), Error> {
    if text.contains('\u{FFFD}') && !value.unchecked_ref::<JsString>().is_valid_utf16() {
        return Err(Error::invalid(
            argument(),
            "must be valid Unicode (it holds a lone surrogate)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use credport_model::{CreateApiKeyParams, ListConnectionsParams};

    #[test]
    fn paths_join_and_read_as_javascript() {
        assert_eq!(join("params", ""), "params");
        assert_eq!(join("params", "scopes[1]"), "params.scopes[1]");
        assert_eq!(join("params.scopes", "[1]"), "params.scopes[1]");
        assert_eq!(join("", "name"), "name");
        assert_eq!(
            camel_case("seconds_until_expiration"),
            "secondsUntilExpiration"
        );
        assert_eq!(camel_case("scopes[1]"), "scopes[1]");
    }

    #[test]
    fn a_types_fields_are_its_js_names() {
        assert_eq!(
            fields_of::<ListConnectionsParams>(),
            ["page", "pageSize", "provider", "status"]
        );
        assert!(fields_of::<CreateApiKeyParams>().contains(&"secondsUntilExpiration"));
    }
}
