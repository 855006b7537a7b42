//! `verifyWebhook(secret, headers, body)`: a site's receiver checks that a delivery came from its
//! credport-server, as the Standard Webhooks specification says: `webhook-signature` holds
//! `v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{body}` keyed by the bytes of
//! the endpoint's secret (`whsec_` and base64), and `webhook-timestamp` lies within five minutes
//! of now (an old delivery replayed is refused). The signatures are compared in constant time
//! (`Mac::verify_slice`). Answers the event, as the SDK shows objects (`camelCase`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use credport_model::Event;
use hmac::{Hmac, Mac};
use js_sys::{Function, Reflect, Uint8Array};
use sha2::Sha256;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::decode::json;
use crate::errors::Error;
use crate::host::{is_array, keys, type_name};
use crate::resources::{string_arg, to_js};

/// How far `webhook-timestamp` may lie from now, either way.
const TOLERANCE_SECONDS: f64 = 5.0 * 60.0;
const SECRET_PREFIX: &str = "whsec_";
/// The shortest key taken: Standard Webhooks keys are 24 to 64 bytes (credport-server makes 32). An
/// empty or short key would let anyone make a matching signature.
const MIN_KEY_BYTES: usize = 24;

/// The error of a secret that is not an endpoint's.
fn bad_secret() -> Error {
    Error::invalid(
        "secret",
        "must be the endpoint's secret: whsec_ and the base64 of 24 to 64 bytes",
    )
}

#[wasm_bindgen(js_name = "verifyWebhook", unchecked_return_type = "Event")]
pub fn verify_webhook(
    #[wasm_bindgen(unchecked_param_type = "string")] secret: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "Headers | Record<string, string | string[] | undefined>"
    )]
    headers: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] body: JsValue,
) -> Result<JsValue, JsValue> {
    verify(&secret, &headers, &body, js_sys::Date::now() / 1000.0).map_err(Error::into_js)
}

fn verify(secret: &JsValue, headers: &JsValue, body: &JsValue, now: f64) -> Result<JsValue, Error> {
    let secret = string_arg("secret", secret)?;
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(&secret))
        .ok()
        .filter(|key| key.len() >= MIN_KEY_BYTES)
        .ok_or_else(bad_secret)?;
    let body = body_bytes(body)?;
    let id = header(headers, "webhook-id")?;
    let timestamp = header(headers, "webhook-timestamp")?;
    let signatures = header(headers, "webhook-signature")?;

    let sent: f64 = timestamp
        .parse::<i64>()
        .map_err(|_| Error::webhook("webhook-timestamp is not a number of seconds"))?
        as f64;
    if (now - sent).abs() > TOLERANCE_SECONDS {
        return Err(Error::webhook(
            "webhook-timestamp is more than five minutes away from now",
        ));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| bad_secret())?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&body);
    // Several signatures may be sent (a secret being rotated): any `v1` one that matches will do.
    let matched = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|signature| {
            STANDARD
                .decode(signature)
                .is_ok_and(|given| mac.clone().verify_slice(&given).is_ok())
        });
    if !matched {
        return Err(Error::webhook("no webhook-signature matches the body"));
    }
    // Read as text, by the reader every answer goes through: serde_json's reader of bytes is a
    // second copy of its parser and of each type's code it reaches (1.7 KiB of gzip for this one
    // call). A body that is not UTF-8 is no event either.
    let event: Event = std::str::from_utf8(&body)
        .ok()
        .and_then(|body| json(body).ok())
        .ok_or_else(|| Error::webhook("the signed body is not a credport event"))?;
    to_js(&event)
}

/// A header of a fetch `Headers` (anything with `get`) or of a plain object such as Node's
/// `req.headers` (a repeated header as an array, of which the first counts). An object's names are
/// matched in any case, as HTTP's are and as Standard Webhooks' own library reads them: one written
/// by hand or by a framework that keeps the sender's case (`Webhook-Id`) is no different.
fn header(headers: &JsValue, name: &str) -> Result<String, Error> {
    if !headers.is_object() {
        return Err(Error::invalid(
            "headers",
            [
                "must be a Headers or an object of headers, got ",
                &type_name(headers),
            ]
            .concat(),
        ));
    }
    let get = Reflect::get(headers, &JsValue::from_str("get")).ok();
    let value = match get.and_then(|g| g.dyn_into::<Function>().ok()) {
        Some(get) => get
            .call1(headers, &JsValue::from_str(name))
            .unwrap_or(JsValue::NULL),
        None => {
            let key = keys(headers).and_then(|keys| {
                keys.iter().find(|key| {
                    key.as_string()
                        .is_some_and(|key| key.eq_ignore_ascii_case(name))
                })
            });
            let value = key.map_or(JsValue::UNDEFINED, |key| {
                Reflect::get(headers, &key).unwrap_or(JsValue::UNDEFINED)
            });
            if is_array(&value) {
                Reflect::get(&value, &JsValue::from(0)).unwrap_or(JsValue::UNDEFINED)
            } else {
                value
            }
        }
    };
    value
        .as_string()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::webhook(&["the ", name, " header is missing"].concat()))
}

/// The body exactly as received: a string (its UTF-8 bytes), a `Uint8Array` (Node's `Buffer`
/// among them) or an `ArrayBuffer`. A parsed object cannot be checked: its bytes are gone.
fn body_bytes(body: &JsValue) -> Result<Vec<u8>, Error> {
    if let Some(text) = body.as_string() {
        return Ok(text.into_bytes());
    }
    if body.is_instance_of::<Uint8Array>() || body.is_instance_of::<js_sys::ArrayBuffer>() {
        return Ok(Uint8Array::new(body).to_vec());
    }
    Err(Error::invalid(
        "body",
        [
            "must be the raw body (a string, Uint8Array or ArrayBuffer), got ",
            &type_name(body),
        ]
        .concat(),
    ))
}
