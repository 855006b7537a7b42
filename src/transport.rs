//! One HTTP exchange with credport, retried as SDK.md says: through the runtime's own `fetch` or
//! the user's (each attempt in `attempt.js`), with a timeout per attempt, backoff with jitter that
//! honours `Retry-After`, and the same `Idempotency-Key` on every attempt of a POST.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use gloo_net::http::{Method, Response};
use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use credport_model::validate::decimal;

use crate::decode;
use crate::errors::Error;
use crate::log::{Level, Logger};
use crate::options::{CallOptions, ClientConfig};
use crate::timers::sleep;

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
        Call { method: Method::GET, path, query: String::new(), body: None }
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
    /// `base_url` and the `Authorization` header as JS strings, made once per client.
    base_url_js: JsValue,
    authorization: JsValue,
    /// The attempts in flight, and the one JS function `attempt.js` reports their ends to.
    pending: Rc<Pending>,
    settle: Closure<dyn Fn(u32, JsValue)>,
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
    request_id: Option<String>,
    text: String,
    /// Read only for an error status: a success needs none of it.
    refusal: Option<Refusal>,
}

/// What an error answer says beyond its body.
struct Refusal {
    status_text: String,
    headers: Vec<(String, String)>,
    /// From `Retry-After`, in milliseconds.
    retry_after_ms: Option<f64>,
    retryable: bool,
}

impl Transport {
    pub fn new(config: ClientConfig) -> Self {
        let pending = Rc::new(Pending::default());
        let settle = {
            let pending = pending.clone();
            Closure::<dyn Fn(u32, JsValue)>::new(move |id, outcome| pending.settle(id, outcome))
        };
        Transport {
            pending,
            settle,
            authorization: JsValue::from_str(&["Bearer ", &config.api_key].concat()),
            base_url_js: JsValue::from_str(&config.base_url),
            base_url: config.base_url,
            fetch: config.fetch,
            max_retries: config.max_retries,
            timeout_ms: config.timeout_ms,
            logger: config.logger,
        }
    }

    /// Sends `call`, retrying what may be retried: returns the status, request id and body of
    /// the first 2xx answer. Not generic over the result type, so that one copy of this state
    /// machine serves every method.
    pub async fn exchange(&self, call: &Call, options: &CallOptions) -> Result<(u16, Option<String>, String), Error> {
        let max_retries = options.max_retries.unwrap_or(self.max_retries);
        let timeout_ms = options.timeout_ms.unwrap_or(self.timeout_ms);
        let signal = options.signal.as_ref();
        // A POST is only safe to repeat under one idempotency key for all its attempts.
        let idempotency_key = (call.method == Method::POST)
            .then(|| options.idempotency_key.clone().unwrap_or_else(new_idempotency_key));
        let method = call.method.as_ref();
        let mut attempt = 0;
        loop {
            let number = attempt + 1;
            self.logger.log(Level::Debug, || {
                [method, " ", &call.path, " (attempt ", &decimal(number.into()), "/", &decimal((max_retries + 1).into()), ")"].concat()
            });
            // Read the clock only for the debug line that reports the time taken.
            let started = self.logger.enabled(Level::Debug).then(js_sys::Date::now);
            let (error, retry_after_ms) = match self.attempt(call, idempotency_key.as_deref(), timeout_ms, signal).await {
                Ok(answer) => {
                    let Answer { status, request_id, text, refusal } = answer;
                    self.logger.log(Level::Debug, || {
                        let id = request_id.as_deref().unwrap_or("none");
                        let ms = (js_sys::Date::now() - started.unwrap_or_default()) as u64;
                        [method, " ", &call.path, " answered ", &decimal(status.into()), " in ", &decimal(ms), " ms (request id ", id, ")"]
                            .concat()
                    });
                    let Some(Refusal { status_text, headers, retry_after_ms, retryable }) = refusal else {
                        return Ok((status, request_id, text));
                    };
                    let failure = decode::failure(
                        status,
                        &status_text,
                        request_id,
                        headers,
                        &text,
                        retry_after_ms.map(|ms| ms / 1000.0),
                    );
                    if !retryable {
                        return Err(Error::Api(Box::new(failure)));
                    }
                    (Error::Api(Box::new(failure)), retry_after_ms)
                }
                Err(Failure::Aborted) => return Err(Error::Aborted),
                Err(Failure::Timeout) => (Error::Timeout { timeout_ms }, None),
                Err(Failure::Network(message)) => {
                    (Error::Connection { message: [&message, " (is credport reachable at ", &self.base_url, "?)"].concat() }, None)
                }
            };
            if attempt >= max_retries {
                if attempt > 0 {
                    self.logger.log(Level::Warn, || {
                        [method, " ", &call.path, " failed after ", &decimal(number.into()), " attempts: ", error.class_name()].concat()
                    });
                }
                return Err(error);
            }
            let wait = retry_after_ms.unwrap_or_else(|| backoff_ms(attempt)).min(MAX_RETRY_AFTER_MS);
            self.logger.log(Level::Info, || {
                [method, " ", &call.path, ": ", error.class_name(), "; retrying in ", &decimal(wait as u64), " ms"].concat()
            });
            sleep(wait, signal).await?;
            attempt += 1;
        }
    }

    /// One request, its answer read to the end, within its own timeout; the caller's signal
    /// aborts it too. The timeout and the abort cover the body as well as the head (a body that
    /// stops half-way must not hang the call), and they end the attempt even where a custom
    /// `fetch` or a runtime's body stream ignores the abort signal. The attempt runs in
    /// `attempt.js`, which reports its end to the client's one `settle` function: done from Rust,
    /// its closures, promise hops and crossings cost more than the request's own JavaScript.
    async fn attempt(
        &self,
        call: &Call,
        idempotency_key: Option<&str>,
        timeout_ms: f64,
        signal: Option<&AbortSignal>,
    ) -> Result<Answer, Failure> {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(Failure::Aborted);
        }
        let wait = Wait { pending: &self.pending, id: self.pending.open() };
        let started = run_attempt(
            self.settle.as_ref().unchecked_ref(),
            wait.id,
            self.fetch.as_ref(),
            &self.base_url_js,
            &call.path,
            (!call.query.is_empty()).then_some(call.query.as_str()),
            call.method.as_ref(),
            &self.authorization,
            idempotency_key,
            call.body.as_deref(),
            timeout_ms,
            signal,
        );
        // `runAttempt` catches everything it calls; a throw here would be a bug in it.
        if let Err(e) = started {
            return Err(Failure::Network(js_message(&e)));
        }
        let Some(outcome) = wait.await else {
            return Err(Failure::Network("the attempt ended without an outcome".to_owned()));
        };
        let outcome: Outcome = outcome.unchecked_into();
        match outcome.kind() {
            OUTCOME_ANSWER => Ok(answer(&outcome)),
            OUTCOME_ABORTED => Err(Failure::Aborted),
            OUTCOME_TIMEOUT => Err(Failure::Timeout),
            _ => Err(Failure::Network(outcome.message())),
        }
    }
}

/// The answer of an attempt that got one. What an error answer says beyond its body is read
/// only for an error status: a success needs none of it.
fn answer(outcome: &Outcome) -> Answer {
    let status = outcome.status();
    let refusal = (!(200..300).contains(&status)).then(|| {
        let response = Response::from(outcome.response());
        Refusal {
            status_text: response.status_text(),
            headers: response.headers().entries().collect(),
            retry_after_ms: retry_after_ms(&response),
            retryable: is_retryable(status, &response),
        }
    });
    Answer { status, request_id: outcome.request_id(), text: body_text(&outcome.text()), refusal }
}

/// A body as a Rust string, copied by the engine's `TextEncoder.encodeInto` straight into wasm
/// memory: wasm-bindgen's own copy of a returned `String` goes one UTF-16 unit at a time in JS,
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
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `Outcome.kind` in `attempt.js`; any other kind is a network failure with a `message`.
const OUTCOME_ANSWER: u32 = 0;
const OUTCOME_ABORTED: u32 = 1;
const OUTCOME_TIMEOUT: u32 = 2;

#[wasm_bindgen(module = "/src/attempt.js")]
extern "C" {
    /// How one attempt ended (`attempt.js`): `status`, `text`, `requestId` and `response` are
    /// set for an answer, `message` for a network failure.
    type Outcome;
    #[wasm_bindgen(method, getter, structural)]
    fn kind(this: &Outcome) -> u32;
    #[wasm_bindgen(method, getter, structural)]
    fn status(this: &Outcome) -> u16;
    #[wasm_bindgen(method, getter, structural)]
    fn text(this: &Outcome) -> js_sys::JsString;
    #[wasm_bindgen(method, getter, structural, js_name = requestId)]
    fn request_id(this: &Outcome) -> Option<String>;
    #[wasm_bindgen(method, getter, structural)]
    fn response(this: &Outcome) -> web_sys::Response;
    #[wasm_bindgen(method, getter, structural)]
    fn message(this: &Outcome) -> String;

    /// Writes `text` as UTF-8 into `into`: the bytes written, or -1 if they do not fit.
    #[wasm_bindgen(js_name = encodeText)]
    fn encode_text(text: &js_sys::JsString, into: &mut [u8]) -> f64;

    /// Starts one attempt; `settle(id, outcome)` is called once, when it ends.
    #[wasm_bindgen(catch, js_name = runAttempt)]
    #[allow(clippy::too_many_arguments)]
    fn run_attempt(
        settle: &Function,
        id: u32,
        fetch: Option<&Function>,
        base_url: &JsValue,
        path: &str,
        query: Option<&str>,
        method: &str,
        authorization: &JsValue,
        idempotency_key: Option<&str>,
        body: Option<&str>,
        timeout_ms: f64,
        signal: Option<&AbortSignal>,
    ) -> Result<(), JsValue>;
}

/// The attempts in flight, by the id `attempt.js` reports their ends with: one JS function per
/// client instead of a promise and two closures per attempt. Ids are not reused (until they wrap
/// around), so a late report can never settle another attempt.
#[derive(Default)]
struct Pending {
    next_id: Cell<u32>,
    slots: RefCell<Vec<(u32, Slot)>>,
}

enum Slot {
    Free,
    Waiting(Option<Waker>),
    Settled(JsValue),
}

impl Pending {
    /// A slot for a new attempt: its id.
    fn open(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let mut slots = self.slots.borrow_mut();
        match slots.iter_mut().find(|(_, slot)| matches!(slot, Slot::Free)) {
            Some(entry) => *entry = (id, Slot::Waiting(None)),
            None => slots.push((id, Slot::Waiting(None))),
        }
        id
    }

    /// Called by `attempt.js` when attempt `id` ends; a late or unknown id is ignored.
    fn settle(&self, id: u32, outcome: JsValue) {
        let waker = {
            let mut slots = self.slots.borrow_mut();
            let Some((_, slot)) = slots.iter_mut().find(|(i, _)| *i == id) else { return };
            let Slot::Waiting(waker) = slot else { return };
            let waker = waker.take();
            *slot = Slot::Settled(outcome);
            waker
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The outcome of attempt `id`, once `attempt.js` has reported it (`None` if its slot is gone,
/// which would be a bug); frees the slot when done or dropped.
struct Wait<'a> {
    pending: &'a Pending,
    id: u32,
}

impl Future for Wait<'_> {
    type Output = Option<JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<JsValue>> {
        let mut slots = self.pending.slots.borrow_mut();
        let Some((_, slot)) = slots.iter_mut().find(|(i, slot)| *i == self.id && !matches!(slot, Slot::Free)) else {
            return Poll::Ready(None);
        };
        if let Slot::Waiting(waker) = slot {
            *waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        match std::mem::replace(slot, Slot::Free) {
            Slot::Settled(outcome) => Poll::Ready(Some(outcome)),
            _ => Poll::Ready(None),
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        let mut slots = self.pending.slots.borrow_mut();
        if let Some((_, slot)) = slots.iter_mut().find(|(i, _)| *i == self.id) {
            *slot = Slot::Free;
        }
    }
}

/// SDK.md: connection failures, timeouts, 408, 429 and 5xx are retried, and a 409 only when the
/// server says so (`x-should-retry: true`); `x-should-retry: false` always wins.
fn is_retryable(status: u16, response: &Response) -> bool {
    match response.headers().get("x-should-retry").as_deref() {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status, 408 | 429 | 500..=599)
}

/// `Retry-After` as milliseconds: delta-seconds or an HTTP date.
fn retry_after_ms(response: &Response) -> Option<f64> {
    let value = response.headers().get("retry-after")?;
    if let Some(seconds) = decode::retry_after_seconds(&value) {
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

/// The message of a thrown JS value.
fn js_message(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "fetch failed".to_owned())
}
