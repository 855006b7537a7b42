//! Waiting, as futures: the backoff between attempts (ended at once by the caller's abort), and
//! each attempt's own `AbortController`, aborted by its timeout or by the caller's signal.
//!
//! No Rust closure crosses to JavaScript here: timers and listeners are handed JS functions (a
//! promise's `resolve`, a controller's bound `abort`), so there is nothing to leak or to free.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal};

#[wasm_bindgen]
extern "C" {
    /// The runtime's `setTimeout` (a number in browsers and workerd, an object in Node).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// Waits `ms` milliseconds; `false` if `signal` aborted first (or had already).
pub async fn sleep(ms: f64, signal: Option<&AbortSignal>) -> bool {
    if signal.is_some_and(AbortSignal::aborted) {
        return false;
    }
    let mut timer = JsValue::UNDEFINED;
    let mut wake = None;
    let done = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, ms);
        if let Some(signal) = signal {
            let _ = signal.add_event_listener_with_callback("abort", &resolve);
        }
        wake = Some(resolve);
    });
    let _ = JsFuture::from(done).await;
    clear_timeout(&timer);
    if let (Some(signal), Some(wake)) = (signal, &wake) {
        let _ = signal.remove_event_listener_with_callback("abort", wake);
    }
    !signal.is_some_and(AbortSignal::aborted)
}

/// How an attempt that was stopped ended.
pub enum Stopped {
    /// The caller's signal fired.
    Aborted,
    /// The attempt's timeout fired.
    TimedOut,
}

/// One attempt's abort: its own controller, whose signal goes to `fetch`, aborted when the
/// timeout passes or the caller's signal fires. The caller's signal never reaches `fetch` itself:
/// aborted with any reason (a string, `undefined`), it would make `fetch` reject with that value,
/// and gloo-net expects an `Error`.
pub struct Deadline<'a> {
    /// The controller's signal, read once (the controller itself lives on in `abort`).
    signal: AbortSignal,
    /// `controller.abort` bound to it, with no reason: an `abort` event's listener would pass the
    /// event as the reason.
    abort: Function,
    timer: JsValue,
    caller: Option<&'a AbortSignal>,
}

impl<'a> Deadline<'a> {
    pub fn start(timeout_ms: f64, caller: Option<&'a AbortSignal>) -> Option<Self> {
        let controller = AbortController::new().ok()?;
        let abort = Reflect::get(&controller, &"abort".into()).ok()?.dyn_into::<Function>().ok()?;
        let abort: Function = abort.bind1(&controller, &JsValue::UNDEFINED).unchecked_into();
        let timer = set_timeout(&abort, timeout_ms);
        if let Some(signal) = caller {
            let _ = signal.add_event_listener_with_callback("abort", &abort);
        }
        let signal = controller.signal();
        Some(Deadline { signal, abort, timer, caller })
    }

    /// The signal to send with the request.
    pub fn signal(&self) -> &AbortSignal {
        &self.signal
    }

    /// Runs `work` until it ends or the attempt is stopped, whichever comes first: a `fetch` or a
    /// body read that ignores its signal is not waited for.
    pub async fn run<T>(&self, work: impl Future<Output = T>) -> Result<T, Stopped> {
        let signal = &self.signal;
        let mut settle = None;
        let stopped = Promise::new(&mut |resolve, _reject| {
            let _ = signal.add_event_listener_with_callback("abort", &resolve);
            settle = Some(resolve);
        });
        if signal.aborted() {
            return Err(self.why());
        }
        let mut work = pin!(work);
        let mut stopped = pin!(JsFuture::from(stopped));
        let out = std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = work.as_mut().poll(cx) {
                return Poll::Ready(Ok(out));
            }
            match stopped.as_mut().poll(cx) {
                Poll::Ready(_) => Poll::Ready(Err(self.why())),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        // A promise left pending would keep its `JsFuture`'s callbacks (wasm memory) for ever:
        // settle it, whoever won.
        if let Some(settle) = settle {
            let _ = settle.call0(&JsValue::UNDEFINED);
        }
        out
    }

    /// Whether the attempt was stopped, and by what: the caller's abort wins over the timeout,
    /// whatever the request said.
    pub fn stopped(&self) -> Option<Stopped> {
        self.signal.aborted().then(|| self.why())
    }

    fn why(&self) -> Stopped {
        if self.caller.is_some_and(AbortSignal::aborted) {
            Stopped::Aborted
        } else {
            Stopped::TimedOut
        }
    }
}

impl Drop for Deadline<'_> {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let Some(signal) = self.caller {
            let _ = signal.remove_event_listener_with_callback("abort", &self.abort);
        }
    }
}
