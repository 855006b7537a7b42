//! Waiting, as futures: the backoff between attempts (ended at once by the caller's abort), and
//! each attempt's own `AbortController`, aborted when its timeout or the caller's signal stops it.
//!
//! No Rust closure crosses to JavaScript here: timers and listeners are handed JS functions (a
//! promise's `resolve`), so there is nothing to leak or to free.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
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

/// `work`'s output, or `None` if `signal` aborts first (or had already): a caller's wait for
/// something it does not own (a request other calls share), ended by its own signal alone.
pub async fn unless_aborted<T>(
    work: impl Future<Output = T>,
    signal: Option<&AbortSignal>,
) -> Option<T> {
    let Some(signal) = signal else {
        return Some(work.await);
    };
    if signal.aborted() {
        return None;
    }
    let mut armed = Armed {
        timer: JsValue::UNDEFINED,
        resolve: None,
        caller: Some(signal),
    };
    let aborted = Promise::new(&mut |resolve, _reject| {
        let _ = signal.add_event_listener_with_callback("abort", &resolve);
        armed.resolve = Some(resolve);
    });
    let out = race(work, aborted).await.ok();
    drop(armed);
    out
}

/// Polls `work` until it ends, or `stop` settles first (`Err`).
async fn race<T>(work: impl Future<Output = T>, stop: Promise) -> Result<T, ()> {
    let mut work = pin!(work);
    let mut stop = pin!(JsFuture::from(stop));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        stop.as_mut().poll(cx).map(|_| Err(()))
    })
    .await
}

/// How an attempt that was stopped ended.
pub enum Stopped {
    /// The caller's signal fired.
    Aborted,
    /// The attempt's timeout fired.
    TimedOut,
}

/// One attempt's abort: its own controller, whose signal goes to `fetch`, aborted once the attempt
/// is stopped, by its timeout or by the caller's signal. The caller's signal never reaches `fetch`
/// itself: aborted with any reason (a string, `undefined`), it would make `fetch` reject with that
/// value, and gloo-net expects an `Error`.
///
/// The timer and the caller's signal settle the race ([`Deadline::run`]) directly, and the race's
/// end aborts the controller: an attempt that is not stopped (nearly every one) never touches the
/// controller after making it, no bound `abort` and no listener on its signal (in Node an
/// `addEventListener` on a signal is a tenth of what the attempt's signal costs).
pub struct Deadline<'a> {
    controller: AbortController,
    /// The controller's signal, read once.
    signal: AbortSignal,
    timeout_ms: f64,
    caller: Option<&'a AbortSignal>,
}

/// The race's armed stops: the timer and the caller's listener, both calling the stop promise's
/// `resolve`. Dropped however the race ends (or if it is dropped itself): the timer cleared, the
/// listener removed, and the promise settled, since a promise left pending would keep its
/// `JsFuture`'s callbacks (wasm memory) for ever.
struct Armed<'a> {
    timer: JsValue,
    resolve: Option<Function>,
    caller: Option<&'a AbortSignal>,
}

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        if let Some(resolve) = &self.resolve {
            if let Some(signal) = self.caller {
                let _ = signal.remove_event_listener_with_callback("abort", resolve);
            }
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

impl<'a> Deadline<'a> {
    pub fn start(timeout_ms: f64, caller: Option<&'a AbortSignal>) -> Option<Self> {
        let controller = AbortController::new().ok()?;
        let signal = controller.signal();
        Some(Deadline {
            controller,
            signal,
            timeout_ms,
            caller,
        })
    }

    /// The signal to send with the request.
    pub fn signal(&self) -> &AbortSignal {
        &self.signal
    }

    /// Runs `work` until it ends or the attempt is stopped (its timeout, or the caller's abort),
    /// whichever comes first: a `fetch` or a body read that ignores its signal is not waited for.
    /// A stopped attempt's controller is aborted, which ends its request and body stream.
    pub async fn run<T>(&self, work: impl Future<Output = T>) -> Result<T, Stopped> {
        let mut armed = Armed {
            timer: JsValue::UNDEFINED,
            resolve: None,
            caller: self.caller,
        };
        let stop = Promise::new(&mut |resolve, _reject| {
            armed.timer = set_timeout(&resolve, self.timeout_ms);
            if let Some(signal) = self.caller {
                let _ = signal.add_event_listener_with_callback("abort", &resolve);
            }
            armed.resolve = Some(resolve);
        });
        let out = if self.caller.is_some_and(AbortSignal::aborted) {
            Err(Stopped::Aborted)
        } else {
            race(work, stop).await.map_err(|()| self.why())
        };
        drop(armed);
        if out.is_err() {
            self.controller.abort();
        }
        out
    }

    /// Whether the caller's signal stopped the attempt: its abort wins over whatever the request
    /// said.
    pub fn stopped(&self) -> Option<Stopped> {
        self.caller
            .is_some_and(AbortSignal::aborted)
            .then_some(Stopped::Aborted)
    }

    fn why(&self) -> Stopped {
        if self.caller.is_some_and(AbortSignal::aborted) {
            Stopped::Aborted
        } else {
            Stopped::TimedOut
        }
    }
}
