//! One call to credport, retried as SDK.md says: through the runtime's own `fetch` or the user's,
//! with a timeout per attempt, backoff with jitter that honours `Retry-After`, and the same
//! `Idempotency-Key` on every attempt of a POST. The attempts and the waits between them run in
//! `exchange.js`; what to send, whether to retry, how long to wait and what an answer means is
//! decided here, by the [`Exchange`] it drives.

use std::rc::Rc;

use credport_model::shape::Shape;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use credport_model::validate::decimal;

use crate::decode;
use crate::errors::Error;
use crate::log::{Level, Logger};
use crate::options::{CallOptions, ClientConfig};

/// First backoff wait, doubled per retry.
const INITIAL_BACKOFF_MS: f64 = 500.0;
/// Longest backoff wait the SDK chooses itself.
const MAX_BACKOFF_MS: f64 = 8_000.0;
/// Longest wait a `Retry-After` can ask for: a server asking for more still gets a retry after
/// this long, and an abort signal ends the wait at any time.
const MAX_RETRY_AFTER_MS: f64 = 60_000.0;

/// The HTTP methods of the API. They cross to `exchange.js` as their number, an index into its
/// `METHODS`: no string to copy per call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get = 0,
    Post = 1,
    Patch = 2,
    Delete = 3,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A request to make: method, path below the base URL (already escaped), query, JSON body.
pub struct Call {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub body: Option<String>,
}

impl Call {
    pub fn get(path: String) -> Self {
        Call { method: Method::Get, path, query: String::new(), body: None }
    }

    pub fn with_query(mut self, query: String) -> Self {
        self.query = query;
        self
    }

    pub fn with_body(method: Method, path: String, body: String) -> Self {
        Call { method, path, query: String::new(), body: Some(body) }
    }
}

/// The client's connection settings; shared by the resources.
pub struct Transport {
    base_url: String,
    /// The `Authorization` header as a JS string, made once per client.
    authorization: JsValue,
    fetch: Option<Function>,
    max_retries: u32,
    timeout_ms: f64,
    logger: Logger,
}

/// What one attempt ended with, when it got no (whole) answer.
enum Failure {
    Aborted,
    Timeout,
    Network(String),
}

/// One whole answer: the head, and the body read to its end.
struct Answer {
    status: u16,
    /// The status text, a JS string.
    status_text: JsValue,
    /// The answer's `Headers`, read only where a header is needed: a success needs none.
    headers: JsValue,
    text: String,
}

impl Answer {
    fn request_id(&self) -> Option<String> {
        header(&self.headers, "x-request-id")
    }
}

impl Transport {
    pub fn new(config: ClientConfig) -> Self {
        Transport {
            authorization: JsValue::from_str(&["Bearer ", &config.api_key].concat()),
            base_url: config.base_url,
            fetch: config.fetch,
            max_retries: config.max_retries,
            timeout_ms: config.timeout_ms,
            logger: config.logger,
        }
    }

    /// Sends `call` and resolves with its answer read as `shape`, into a plain JS object.
    pub fn send(self: &Rc<Self>, call: Call, options: CallOptions, shape: &'static Shape) -> Promise {
        let idempotency_key = (call.method == Method::Post)
            .then(|| options.idempotency_key.clone().unwrap_or_else(new_idempotency_key));
        let timeout_ms = options.timeout_ms.unwrap_or(self.timeout_ms);
        let exchange = Exchange {
            max_retries: options.max_retries.unwrap_or(self.max_retries),
            timeout_ms,
            transport: self.clone(),
            shape,
            attempt: 0,
            started: None,
            method: call.method,
            path: call.path.clone(),
        };
        let url = match call.query.as_str() {
            "" => [self.base_url.as_str(), &call.path].concat(),
            query => [self.base_url.as_str(), &call.path, "?", query].concat(),
        };
        drive(
            exchange,
            self.fetch.as_ref(),
            &url,
            call.method as u32,
            &self.authorization,
            idempotency_key.as_deref(),
            call.body.as_deref(),
            timeout_ms,
            options.signal.as_ref(),
        )
    }
}

/// One call in flight, driven by `drive` in `exchange.js`: it logs each attempt, and after each
/// one says what happens next.
#[wasm_bindgen(skip_typescript)]
pub struct Exchange {
    transport: Rc<Transport>,
    shape: &'static Shape,
    method: Method,
    path: String,
    max_retries: u32,
    timeout_ms: f64,
    /// Attempts made before the current one.
    attempt: u32,
    /// When the current attempt started, for the debug line that reports the time taken.
    started: Option<f64>,
}

#[wasm_bindgen]
impl Exchange {
    /// Called before each attempt.
    pub fn begin(&mut self) {
        let logger = &self.transport.logger;
        logger.log(Level::Debug, || {
            let (number, of) = (decimal((self.attempt + 1).into()), decimal((self.max_retries + 1).into()));
            [self.method.as_str(), " ", &self.path, " (attempt ", &number, "/", &of, ")"].concat()
        });
        // Read the clock only for the debug line that reports the time taken.
        self.started = logger.enabled(Level::Debug).then(js_sys::Date::now);
    }

    /// Called with each attempt's outcome (`kind`, see `exchange.js`): for an answer its status,
    /// body, `Headers` and status text (`detail`); for a network failure its message (`detail`).
    /// Returns the result read as the call's shape, or the number of milliseconds to wait before
    /// the next attempt; throws the call's error.
    pub fn settle(
        &mut self,
        kind: u32,
        status: u16,
        body: Option<js_sys::JsString>,
        headers: JsValue,
        detail: JsValue,
    ) -> Result<JsValue, JsValue> {
        let ended = match kind {
            OUTCOME_ANSWER => Ok(Answer { status, status_text: detail, headers, text: body.as_ref().map(body_text).unwrap_or_default() }),
            OUTCOME_ABORTED => Err(Failure::Aborted),
            OUTCOME_TIMEOUT => Err(Failure::Timeout),
            _ => Err(Failure::Network(detail.as_string().unwrap_or_default())),
        };
        Ok(self.next(ended)?)
    }
}

impl Exchange {
    /// What follows an attempt that ended so: the result, the error, or the wait before a retry.
    fn next(&mut self, ended: Result<Answer, Failure>) -> Result<JsValue, Error> {
        let method = self.method.as_str();
        let logger = &self.transport.logger;
        let (error, retry_after) = match ended {
            Ok(answer) => {
                let status = answer.status;
                logger.log(Level::Debug, || {
                    let id = answer.request_id().unwrap_or_else(|| "none".to_owned());
                    let ms = (js_sys::Date::now() - self.started.unwrap_or_default()) as u64;
                    [method, " ", &self.path, " answered ", &decimal(status.into()), " in ", &decimal(ms), " ms (request id ", &id, ")"]
                        .concat()
                });
                if (200..300).contains(&status) {
                    return read(&answer, self.shape);
                }
                let retry_after = header(&answer.headers, "retry-after").and_then(|value| retry_after_ms(&value));
                let retryable = is_retryable(status, header(&answer.headers, "x-should-retry").as_deref());
                let status_text = answer.status_text.as_string().unwrap_or_default();
                let mut failure = decode::failure(status, &status_text, answer.request_id(), &answer.text, retry_after.map(|ms| ms / 1000.0));
                failure.headers = header_object(&answer.headers);
                let error = Error::Api(Box::new(failure));
                if !retryable {
                    return Err(error);
                }
                (error, retry_after)
            }
            Err(Failure::Aborted) => return Err(Error::Aborted),
            Err(Failure::Timeout) => (Error::Timeout { timeout_ms: self.timeout_ms }, None),
            Err(Failure::Network(message)) => {
                let message = [&message, " (is credport reachable at ", &self.transport.base_url, "?)"].concat();
                (Error::Connection { message }, None)
            }
        };
        if self.attempt >= self.max_retries {
            if self.attempt > 0 {
                logger.log(Level::Warn, || {
                    let attempts = decimal((self.attempt + 1).into());
                    [method, " ", &self.path, " failed after ", &attempts, " attempts: ", error.class_name()].concat()
                });
            }
            return Err(error);
        }
        let wait = retry_after.unwrap_or_else(|| backoff_ms(self.attempt)).min(MAX_RETRY_AFTER_MS);
        logger.log(Level::Info, || {
            [method, " ", &self.path, ": ", error.class_name(), "; retrying in ", &decimal(wait as u64), " ms"].concat()
        });
        self.attempt += 1;
        Ok(JsValue::from_f64(wait))
    }
}

/// A 2xx answer read as `shape`, into a plain JS object.
fn read(answer: &Answer, shape: &'static Shape) -> Result<JsValue, Error> {
    // One clock reading per answer, and only if a connection in it has an expiry: every
    // connection of a page is judged as of the same instant.
    let now = std::cell::Cell::new(None);
    let now_s = || {
        let at = now.get().unwrap_or_else(|| js_sys::Date::now() / 1000.0);
        now.set(Some(at));
        at
    };
    let flags = |shape: &Shape, values: &decode::Values, out: &mut Vec<u8>| {
        crate::resources::connections::flags(shape, values, out, &now_s)
    };
    let json = decode::success(answer.status, &|| answer.request_id(), &answer.text, shape, Some(&flags))?;
    crate::convert::parse(&json)
}

/// A body as a Rust string, copied by the engine's `TextEncoder.encodeInto` straight into wasm
/// memory: wasm-bindgen's own copy of a `String` argument goes one UTF-16 unit at a time in JS,
/// about 80 µs for a 100-item list (43 KB) against 2 µs.
fn body_text(text: &js_sys::JsString) -> String {
    let units = text.length() as usize;
    // Enough for ASCII, the usual case; else the most UTF-8 a UTF-16 unit can take.
    let mut bytes = vec![0u8; units];
    let mut written = encode_text(text, &mut bytes);
    if written < 0.0 {
        bytes = vec![0u8; units.saturating_mul(3)];
        written = encode_text(text, &mut bytes);
    }
    bytes.truncate(written.max(0.0) as usize);
    // `encodeInto` writes valid UTF-8 (a lone surrogate becomes U+FFFD), so this never copies.
    String::from_utf8(bytes).unwrap_or_default()
}

/// The `kind` of an outcome in `exchange.js`; any other kind is a network failure.
const OUTCOME_ANSWER: u32 = 0;
const OUTCOME_ABORTED: u32 = 1;
const OUTCOME_TIMEOUT: u32 = 2;

#[wasm_bindgen(module = "/src/exchange.js")]
extern "C" {
    /// One header of an answer's `Headers`.
    fn header(headers: &JsValue, name: &str) -> Option<String>;
    /// An answer's headers as a plain object.
    #[wasm_bindgen(js_name = headerObject)]
    fn header_object(headers: &JsValue) -> JsValue;

    /// Writes `text` as UTF-8 into `into`: the bytes written, or -1 if they do not fit.
    #[wasm_bindgen(js_name = encodeText)]
    fn encode_text(text: &js_sys::JsString, into: &mut [u8]) -> f64;

    /// Runs `exchange`'s attempts with this request: the promise of the call.
    #[allow(clippy::too_many_arguments)]
    fn drive(
        exchange: Exchange,
        fetch: Option<&Function>,
        url: &str,
        method: u32,
        authorization: &JsValue,
        idempotency_key: Option<&str>,
        body: Option<&str>,
        timeout_ms: f64,
        signal: Option<&AbortSignal>,
    ) -> Promise;
}

/// SDK.md: connection failures, timeouts, 408, 429 and 5xx are retried, and a 409 only when the
/// server says so (`x-should-retry: true`); `x-should-retry: false` always wins.
fn is_retryable(status: u16, should_retry: Option<&str>) -> bool {
    match should_retry {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status, 408 | 429 | 500..=599)
}

/// `Retry-After` as milliseconds: delta-seconds or an HTTP date.
fn retry_after_ms(value: &str) -> Option<f64> {
    if let Some(seconds) = decode::retry_after_seconds(value) {
        return Some(seconds * 1000.0);
    }
    let at = js_sys::Date::parse(value.trim());
    (!at.is_nan()).then(|| (at - js_sys::Date::now()).max(0.0))
}

/// Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to 8 s, each shortened by up to a quarter.
fn backoff_ms(attempt: u32) -> f64 {
    let base = (INITIAL_BACKOFF_MS * 2f64.powi(attempt.min(16) as i32)).min(MAX_BACKOFF_MS);
    base * (1.0 - 0.25 * js_sys::Math::random())
}

/// 128 random bits from the runtime's Web Crypto, as 32 hex characters.
fn new_idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    if get_random_values(&mut bytes).is_err() {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |nibble: u8| HEX.get(usize::from(nibble)).map_or('0', |&h| char::from(h));
    bytes.iter().flat_map(|&b| [digit(b >> 4), digit(b & 0xF)]).collect()
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}
