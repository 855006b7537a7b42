//! One call to credport, retried as SDK.md says: a `gloo_net` request through the runtime's own
//! `fetch` or the caller's, a timeout per attempt, backoff with jitter that honours `Retry-After`,
//! and the same `Idempotency-Key` on every attempt of a POST. All of it is Rust awaiting futures.

use gloo_net::http::{Method, Response};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestInit};

use credport_model::validate::decimal;

use crate::decode::{self, Reader};
use crate::errors::Error;
use crate::log::{Level, Logger};
use crate::options::{CallOptions, ClientConfig};
use crate::timer::{self, Deadline, Stopped};

/// First backoff wait, doubled per retry.
const INITIAL_BACKOFF_MS: f64 = 500.0;
/// Longest backoff wait the SDK chooses itself.
const MAX_BACKOFF_MS: f64 = 8_000.0;
/// Longest wait a `Retry-After` can ask for: a server asking for more still gets a retry after
/// this long, and an abort signal ends the wait at any time.
const MAX_RETRY_AFTER_MS: f64 = 60_000.0;

/// A request to make: method, path below the base URL (already escaped), query, JSON body.
pub struct Call {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub body: Option<String>,
}

impl Call {
    pub fn get(path: String) -> Self {
        Call {
            method: Method::GET,
            path,
            query: String::new(),
            body: None,
        }
    }

    pub fn delete(path: String) -> Self {
        Call {
            method: Method::DELETE,
            ..Call::get(path)
        }
    }

    pub fn with_query(mut self, query: String) -> Self {
        self.query = query;
        self
    }

    pub fn with_body(method: Method, path: String, body: String) -> Self {
        Call {
            method,
            path,
            query: String::new(),
            body: Some(body),
        }
    }
}

/// The client's connection settings; shared by the resources.
pub struct Transport {
    base_url: String,
    /// `authorization` and `accept`, made once: a `Request` copies the headers it is given, so
    /// every request without headers of its own (a GET, a DELETE) is given this same object.
    headers: Object,
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

/// One whole answer: the status, the body read to its end, and the `Response` for the rest of its
/// head, read only when a failure or a debug line needs it (each read is a crossing). The head is
/// read through catching calls (`Reflect.get`, `Object.fromEntries`): a caller's `fetch` may answer
/// a `Response` whose `statusText` or `headers` getter throws, and web-sys's getters and gloo-net's
/// `Headers` let the exception unwind through the wasm.
pub struct Answer {
    status: u16,
    response: JsValue,
    text: String,
}

impl Answer {
    /// The 2xx answer's body as the type the call promises, read by `read`: the one step of a call
    /// that depends on the answer's type, so that the future every method awaits
    /// ([`Transport::send`]) is one for every call, not one copy per type.
    pub fn read<T>(&self, read: Reader<T>) -> Result<T, Error> {
        decode::success(self.status, || self.request_id(), &self.text, read)
    }

    /// The `Response`'s member `name`, or the message of what its getter threw.
    fn member(&self, name: &str) -> Result<JsValue, String> {
        Reflect::get(&self.response, &name.into()).map_err(|e| message_of(&e))
    }

    /// The headers as a plain object (lower-case names), or why they cannot be read.
    fn headers(&self) -> Result<Object, String> {
        Object::from_entries(&self.member("headers")?).map_err(|e| message_of(&e))
    }

    /// `x-request-id`, for messages: none where the headers cannot be read.
    fn request_id(&self) -> Option<String> {
        header(&self.headers().ok()?, "x-request-id")
    }

    /// A non-2xx answer as the call's error, with its `Retry-After` in milliseconds and whether it
    /// may be retried; `Err` with a message when its head cannot be read (a bad answer).
    fn failure(&self) -> Result<(Error, Option<f64>, bool), String> {
        let headers = self.headers()?;
        let status_text = self.member("statusText")?.as_string().unwrap_or_default();
        let retry_after = header(&headers, "retry-after").and_then(|value| retry_after_ms(&value));
        let should_retry = header(&headers, "x-should-retry");
        let mut failure = decode::failure(
            self.status,
            &status_text,
            header(&headers, "x-request-id"),
            &self.text,
            retry_after.map(|ms| ms / 1000.0),
        );
        failure.headers = headers.into();
        let retryable = is_retryable(self.status, should_retry.as_deref());
        Ok((Error::Api(Box::new(failure)), retry_after, retryable))
    }
}

impl Transport {
    pub fn new(config: ClientConfig) -> Self {
        let headers = Object::new();
        let _ = Reflect::set(
            &headers,
            &"authorization".into(),
            &["Bearer ", &config.api_key].concat().into(),
        );
        let _ = Reflect::set(&headers, &"accept".into(), &"application/json".into());
        Transport {
            headers,
            base_url: config.base_url,
            fetch: config.fetch,
            max_retries: config.max_retries,
            timeout_ms: config.timeout_ms,
            logger: config.logger,
        }
    }

    /// Sends `call`, retrying what may be retried: the first 2xx answer (read by [`Answer::read`]),
    /// or the call's error. Not generic: one future for every call.
    pub async fn send(&self, call: Call, options: &CallOptions) -> Result<Answer, Error> {
        let idempotency_key = (call.method == Method::POST).then(|| {
            options
                .idempotency_key
                .clone()
                .unwrap_or_else(new_idempotency_key)
        });
        let timeout_ms = options.timeout_ms.unwrap_or(self.timeout_ms);
        let max_retries = options.max_retries.unwrap_or(self.max_retries);
        let signal = options.signal.as_ref();
        let url = match call.query.as_str() {
            "" => [self.base_url.as_str(), &call.path].concat(),
            query => [self.base_url.as_str(), &call.path, "?", query].concat(),
        };
        let (method, path, logger) = (call.method.as_str(), call.path.as_str(), &self.logger);
        let connection_error = |message: String| {
            let message = [
                &message,
                " (is credport reachable at ",
                &self.base_url,
                "?)",
            ]
            .concat();
            (Error::Connection { message }, None)
        };
        let mut attempt = 0;
        loop {
            logger.log(Level::Debug, || {
                let (number, of) = (
                    decimal((attempt + 1).into()),
                    decimal((max_retries + 1).into()),
                );
                [method, " ", path, " (attempt ", &number, "/", &of, ")"].concat()
            });
            // Read the clock only for the debug line that reports the time taken.
            let started = logger.enabled(Level::Debug).then(js_sys::Date::now);
            let ended = self
                .attempt(&call, &url, idempotency_key.as_deref(), timeout_ms, signal)
                .await;
            let (error, retry_after) = match ended {
                Ok(answer) => {
                    let status = answer.status;
                    logger.log(Level::Debug, || {
                        let id = answer.request_id().unwrap_or_else(|| "none".to_owned());
                        let ms = (js_sys::Date::now() - started.unwrap_or_default()) as u64;
                        [
                            method,
                            " ",
                            path,
                            " answered ",
                            &decimal(status.into()),
                            " in ",
                            &decimal(ms),
                            " ms (request id ",
                            &id,
                            ")",
                        ]
                        .concat()
                    });
                    if (200..300).contains(&status) {
                        return Ok(answer);
                    }
                    match answer.failure() {
                        Ok((error, _, false)) => return Err(error),
                        Ok((error, retry_after, true)) => (error, retry_after),
                        Err(message) => connection_error(message),
                    }
                }
                Err(Failure::Aborted) => return Err(Error::Aborted),
                Err(Failure::Timeout) => (Error::Timeout { timeout_ms }, None),
                Err(Failure::Network(message)) => connection_error(message),
            };
            if attempt >= max_retries {
                if attempt > 0 {
                    logger.log(Level::Warn, || {
                        let attempts = decimal((attempt + 1).into());
                        [
                            method,
                            " ",
                            path,
                            " failed after ",
                            &attempts,
                            " attempts: ",
                            error.class_name(),
                        ]
                        .concat()
                    });
                }
                return Err(error);
            }
            let wait = retry_after
                .unwrap_or_else(|| backoff_ms(attempt))
                .min(MAX_RETRY_AFTER_MS);
            logger.log(Level::Info, || {
                [
                    method,
                    " ",
                    path,
                    ": ",
                    error.class_name(),
                    "; retrying in ",
                    &decimal(wait as u64),
                    " ms",
                ]
                .concat()
            });
            attempt += 1;
            if !timer::sleep(wait, signal).await {
                return Err(Error::Aborted);
            }
        }
    }

    /// One attempt, to its end: an answer read whole, the caller's abort, the timeout, or a
    /// network failure. The caller's abort wins over the timeout, and both over whatever the
    /// request said when it was stopped.
    async fn attempt(
        &self,
        call: &Call,
        url: &str,
        idempotency_key: Option<&str>,
        timeout_ms: f64,
        signal: Option<&AbortSignal>,
    ) -> Result<Answer, Failure> {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(Failure::Aborted);
        }
        let deadline = Deadline::start(timeout_ms, signal)
            .ok_or_else(|| Failure::Network("no AbortController in this runtime".into()))?;
        let request = self
            .request(call, url, idempotency_key, deadline.signal())
            .map_err(|e| Failure::Network(message_of(&e)))?;
        // Node's `fetch` follows a `Request`'s signal only while the `Request` is alive (undici
        // links the two through a weak reference): it is kept until the attempt ends. A second
        // handle to the same object, by `Clone::clone`: `request.clone()` would be web-sys's
        // `Request.prototype.clone()`, a whole new `Request` per attempt (a twentieth of a call).
        let _alive = Clone::clone(&request);
        let stopped = |stopped: Stopped| match stopped {
            Stopped::Aborted => Failure::Aborted,
            Stopped::TimedOut => Failure::Timeout,
        };
        // Raced against the attempt's own signal, whichever `fetch` it is. A caller's `fetch`, or
        // the body of the `Response` it made, may ignore the signal. The runtime's `fetch` should
        // end the request and its body's stream when the signal aborts (the Fetch standard's
        // "abort fetch"), and in Node it reaches that through a chain of `Request`s linked by weak
        // references: once in a CI run a stalled body outlived the abort until undici's own
        // 300 s body timeout. The race ends the attempt on the signal the SDK holds itself.
        let exchanged = deadline.run(self.exchange(request.into())).await;
        match exchanged {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(message)) => Err(deadline
                .stopped()
                .map_or(Failure::Network(message), stopped)),
            Err(why) => Err(stopped(why)),
        }
    }

    /// The attempt's request: method, URL, headers, JSON body and the attempt's signal, made as
    /// one `Request`, handed to gloo-net as its `gloo_net::http::Request`. (gloo-net's own
    /// `RequestBuilder` makes two `Request`s and a `URL` per request to merge query parameters the
    /// SDK has already put in the URL: in Node that was a fifth of a call's time.)
    fn request(
        &self,
        call: &Call,
        url: &str,
        idempotency_key: Option<&str>,
        signal: &AbortSignal,
    ) -> Result<web_sys::Request, JsValue> {
        let init = RequestInit::new();
        if call.method != Method::GET {
            init.set_method(call.method.as_str());
        }
        if idempotency_key.is_none() && call.body.is_none() {
            init.set_headers(&self.headers);
        } else {
            let headers = Object::assign(&Object::new(), &self.headers);
            let set = |name: &str, value: &str| {
                Reflect::set(&headers, &name.into(), &value.into()).map(drop)
            };
            if let Some(key) = idempotency_key {
                set("idempotency-key", key)?;
            }
            if let Some(body) = &call.body {
                set("content-type", "application/json")?;
                init.set_body(&JsValue::from_str(body));
            }
            init.set_headers(&headers);
        }
        init.set_signal(Some(signal));
        web_sys::Request::new_with_str_and_init(url, &init)
    }

    /// Sends `request` and reads its answer whole. Whichever `fetch` it goes through, the runtime's
    /// or the caller's, what it returns, throws or rejects with is checked here, not by gloo-net:
    /// gloo-net's `send` panics on an answer that is not a `Response` and reaches `unreachable!`
    /// on a rejection that is not an `Error`, and a global `fetch` can be replaced by anything.
    async fn exchange(&self, request: gloo_net::http::Request) -> Result<Answer, String> {
        let request: web_sys::Request = request.into();
        let answer = match &self.fetch {
            None => global_fetch(&request),
            Some(fetch) => fetch.call1(&JsValue::UNDEFINED, &request),
        }
        .map_err(|e| message_of(&e))?;
        let answer = JsFuture::from(Promise::resolve(&answer))
            .await
            .map_err(|e| message_of(&e))?;
        let response = answer
            .dyn_into::<web_sys::Response>()
            .map_err(|_| "fetch resolved to something other than a Response".to_owned())?;
        // The body is read here rather than by gloo-net's `text()`, which expects an `Error` from
        // a body stream that fails; a stream may fail with any value. Read as bytes and copied
        // into the wasm once: `text()` would decode them into a JS string, which would then be
        // encoded back to UTF-8 to cross (a tenth of a 100-item call).
        let bytes = response.array_buffer().map_err(|e| message_of(&e))?;
        let bytes = JsFuture::from(bytes).await.map_err(|e| message_of(&e))?;
        let text = decode::text(js_sys::Uint8Array::new(&bytes).to_vec());
        let response = Response::from(response);
        Ok(Answer {
            status: response.status(),
            response: web_sys::Response::from(response).into(),
            text,
        })
    }
}

/// The message of a thrown or rejected value: an `Error`'s message, a thrown string, else a
/// stand-in (an object could hold anything). Read through catching reads: an `Error`'s `message`
/// may be a getter that throws, or not a string (js-sys's `message()` would throw on both).
fn message_of(value: &JsValue) -> String {
    let message = match value.is_instance_of::<js_sys::Error>() {
        true => crate::host::property(value, "message"),
        false => Some(value.clone()),
    };
    message
        .and_then(|message| message.as_string())
        .unwrap_or_else(|| "fetch failed".to_owned())
}

/// Header `name` of `headers`, an answer's headers as a plain object.
fn header(headers: &Object, name: &str) -> Option<String> {
    crate::host::property(headers, name).and_then(|value| value.as_string())
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
    bytes
        .iter()
        .flat_map(|&b| [digit(b >> 4), digit(b & 0xF)])
        .collect()
}

#[wasm_bindgen]
extern "C" {
    /// The runtime's global `fetch`, as gloo-net calls it, but caught: it may be missing, or
    /// replaced by a function that throws.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(request: &web_sys::Request) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}
