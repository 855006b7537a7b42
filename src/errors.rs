//! The SDK's one error type, and how it becomes a real JavaScript `Error`.
//!
//! The error classes are defined once, in the package's `errors` module, so that `instanceof`
//! holds whichever entry point loaded them; the entry point hands their factory to the wasm
//! instance at load time (`__setErrorFactory`). Each variant maps to one class and carries a
//! stable `code` JS can branch on.

use std::cell::RefCell;

use credport_model::validate::decimal;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

/// Everything that can go wrong in a call.
#[derive(Debug)]
pub enum Error {
    /// The caller passed something the API cannot take. Raised before any request is sent.
    InvalidArgument { argument: String, message: String },
    /// The server answered with an error status.
    Api(Box<ApiFailure>),
    /// The server answered, but not with what the API promises.
    InvalidResponse {
        status: u16,
        request_id: Option<String>,
        message: String,
    },
    /// The request never got an answer.
    Connection { message: String },
    /// An attempt took longer than `timeoutMs`.
    Timeout { timeout_ms: f64 },
    /// The caller's `AbortSignal` fired.
    Aborted,
    /// A webhook delivery's signature or timestamp did not check out (`verifyWebhook`).
    WebhookVerification { message: String },
}

/// An error answer from the server.
#[derive(Debug)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    /// Raw JSON text of an object.
    pub details: Option<String>,
    /// The answer's headers, as a plain JS object.
    pub headers: JsValue,
    /// Seconds, from `Retry-After`.
    pub retry_after: Option<f64>,
}

impl Error {
    pub fn invalid(argument: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument: argument.into(),
            message: message.into(),
        }
    }

    /// A caller's value whose getter or `Proxy` trap threw when the SDK read it. Nothing of what
    /// was thrown is kept: it could hold a secret.
    pub fn unreadable(argument: impl Into<String>) -> Self {
        Error::invalid(argument, "could not be read: a getter or Proxy threw")
    }

    pub fn webhook(message: &str) -> Self {
        Error::WebhookVerification {
            message: message.to_owned(),
        }
    }

    /// The exported class this error is thrown as.
    pub fn class_name(&self) -> &'static str {
        match self {
            Error::InvalidArgument { .. } => "InvalidArgumentError",
            Error::Api(failure) => match failure.status {
                400 => "BadRequestError",
                401 => "AuthenticationError",
                403 => "PermissionDeniedError",
                404 => "NotFoundError",
                409 => "ConflictError",
                429 => "RateLimitError",
                500..=599 => "InternalServerError",
                _ => "APIError",
            },
            Error::InvalidResponse { .. } => "APIResponseValidationError",
            Error::Connection { .. } => "APIConnectionError",
            Error::Timeout { .. } => "APIConnectionTimeoutError",
            Error::Aborted => "APIUserAbortError",
            Error::WebhookVerification { .. } => "WebhookVerificationError",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Error::InvalidArgument { argument, message } => {
                [argument.as_str(), " ", message].concat()
            }
            Error::Api(failure) => failure.message.clone(),
            Error::InvalidResponse { message, .. } => message.clone(),
            Error::Connection { message } => ["Connection error: ", message].concat(),
            Error::Timeout { timeout_ms } => [
                "Request timed out after ",
                &decimal(*timeout_ms as u64),
                " ms",
            ]
            .concat(),
            Error::Aborted => "Request was aborted".to_owned(),
            Error::WebhookVerification { message } => message.clone(),
        }
    }

    /// The fields the error class exposes besides `message`.
    fn props(&self) -> Object {
        let props = Object::new();
        let set = |key: &str, value: JsValue| {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&props, &JsValue::from_str(key), &value);
        };
        let opt_str = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        match self {
            Error::InvalidArgument { argument, .. } => {
                set("code", "invalid_argument".into());
                set("argument", argument.as_str().into());
            }
            Error::Api(failure) => {
                set("status", failure.status.into());
                set("code", failure.code.as_str().into());
                set("requestId", opt_str(&failure.request_id));
                let details = failure
                    .details
                    .as_deref()
                    .and_then(|json| js_sys::JSON::parse(json).ok())
                    .map(camel_case_names);
                set("details", details.unwrap_or(JsValue::NULL));
                set("headers", failure.headers.clone());
                set(
                    "retryAfter",
                    failure.retry_after.map_or(JsValue::NULL, JsValue::from_f64),
                );
            }
            Error::InvalidResponse {
                status, request_id, ..
            } => {
                set("status", (*status).into());
                set("code", "invalid_response".into());
                set("requestId", opt_str(request_id));
            }
            Error::Connection { .. } => set("code", "connection_error".into()),
            Error::Timeout { .. } => set("code", "timeout".into()),
            Error::Aborted => set("code", "aborted".into()),
            Error::WebhookVerification { .. } => set("code", "webhook_verification_failed".into()),
        }
        props
    }

    /// The JavaScript error to throw.
    pub fn into_js(self) -> JsValue {
        make_error(self.class_name(), &self.message(), &self.props())
    }
}

impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        error.into_js()
    }
}

thread_local! {
    /// `(className, message, props) => Error` from the package's errors module.
    static FACTORY: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// The error from the factory the entry point handed over; without one (the glue loaded
/// directly), or if it throws, still a real `Error` with the right name and message.
fn make_error(class_name: &str, message: &str, props: &Object) -> JsValue {
    let made = FACTORY.with(|factory| {
        let factory = factory.try_borrow().ok()?.clone()?;
        factory
            .call3(
                &JsValue::UNDEFINED,
                &class_name.into(),
                &message.into(),
                props,
            )
            .ok()
    });
    made.unwrap_or_else(|| {
        let error = js_sys::Error::new(message);
        error.set_name(class_name);
        error.into()
    })
}

/// Called once by the package's entry point with `(className, message, props) => Error`.
#[wasm_bindgen(js_name = "__setErrorFactory", skip_typescript)]
pub fn set_error_factory(factory: Function) {
    FACTORY.with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(factory);
        }
    });
}

/// An error's `details` with its own names as the SDK writes every name it hands out
/// (`connection_id` → `connectionId`); the values stay as the server wrote them (`field` is the
/// wire's name of a field, as the message says it).
fn camel_case_names(details: JsValue) -> JsValue {
    if !crate::host::is_record(&details) {
        return details;
    }
    let Some(names) = crate::host::keys(&details) else {
        return details;
    };
    let renamed = js_sys::Object::new();
    for name in names.iter() {
        let value = js_sys::Reflect::get(&details, &name).unwrap_or(JsValue::NULL);
        let name = credport_model::json_text::camel_case(&name.as_string().unwrap_or_default());
        let _ = js_sys::Reflect::set(&renamed, &name.into(), &value);
    }
    renamed.into()
}
