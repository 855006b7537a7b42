//! What the SDK reads from the JavaScript host: environment variables and whether it runs in a
//! page. Plain property reads on the global object, each guarded: a host that throws on a read
//! (a Deno permission, an exotic global) only means "not there".

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// `key` of `target`, or `None` when it is `undefined`/`null` or reading it throws.
pub fn property(target: &JsValue, key: &str) -> Option<JsValue> {
    if !target.is_object() && !target.is_function() {
        return None;
    }
    Reflect::get(target, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// `process.env[name]` where the runtime has it (Node, Bun, Deno's Node layer); never empty.
/// Under Deno only where reading that variable is already allowed: a program that passes its
/// options must not be stopped by a permission prompt for a default it does not use.
pub fn env(name: &str) -> Option<String> {
    let global = js_sys::global();
    if let Some(deno) = property(&global, "Deno") {
        if !deno_env_granted(&deno, name) {
            return None;
        }
    }
    let vars = property(&global, "process").and_then(|process| property(&process, "env"))?;
    property(&vars, name)
        .and_then(|v| v.as_string())
        .filter(|v| !v.is_empty())
}

/// `Deno.permissions.querySync({ name: "env", variable })` says `granted`; anything else (an older
/// Deno without `querySync`, an error) counts as not granted.
fn deno_env_granted(deno: &JsValue, variable: &str) -> bool {
    let Some(permissions) = property(deno, "permissions") else {
        return false;
    };
    let Some(query) =
        property(&permissions, "querySync").and_then(|f| f.dyn_into::<Function>().ok())
    else {
        return false;
    };
    let descriptor = js_sys::Object::new();
    let _ = Reflect::set(&descriptor, &"name".into(), &"env".into());
    let _ = Reflect::set(&descriptor, &"variable".into(), &variable.into());
    query
        .call1(&permissions, &descriptor)
        .ok()
        .and_then(|status| property(&status, "state"))
        .and_then(|state| state.as_string())
        .is_some_and(|state| state == "granted")
}

/// A page with a DOM: `window` and `document` both exist.
pub fn is_browser() -> bool {
    let global = js_sys::global();
    property(&global, "window").is_some() && property(&global, "document").is_some()
}

#[wasm_bindgen]
extern "C" {
    // js-sys's bindings of these two do not catch: a JS exception unwinding through an async
    // method leaves wasm-bindgen-futures' queue borrowed and the call's promise never settles.
    /// `Array.isArray`, which throws on a revoked `Proxy`.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
    /// `Object.keys`, whose `Proxy` traps may throw.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(value: &JsValue) -> Result<Array, JsValue>;
}

/// Whether `value` is an array; a value that throws when asked (a revoked `Proxy`) is not.
pub fn is_array(value: &JsValue) -> bool {
    array_is_array(value).unwrap_or(false)
}

/// Whether `value` is an object to read members from (parameters, options): any object but an
/// array, whatever its prototype or realm (`Object.create(null)`, a `vm` context's object).
pub fn is_record(value: &JsValue) -> bool {
    value.is_object() && !is_array(value)
}

/// `value`'s own enumerable string keys, as `Object.keys` lists them; `None` if that throws.
pub fn keys(value: &JsValue) -> Option<Array> {
    object_keys(value).ok()
}

/// The JavaScript type of a value, for messages (never the value itself: it may be a secret).
pub fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if is_array(value) {
        "array".into()
    } else {
        value
            .js_typeof()
            .as_string()
            .unwrap_or_else(|| "unknown".into())
    }
}
