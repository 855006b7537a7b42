//! The SDK's own log lines: what it sends, what comes back, when and why it retries. Off below
//! `warn` by default; `logLevel: "debug"` (or `CREDPORT_LOG=debug`) shows every attempt.
//! A line holds the method, the path (never the query), the status, the request id, timings and
//! attempt numbers: never a header, a body, a token or a secret.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use crate::host::property;

/// Writes `line` with `logger`'s method named `method`, or the runtime's `console`'s when there
/// is no logger. The console is looked up only now: in Node, the first read of
/// `globalThis.console` sets it up, about a millisecond of every cold start. A logger that throws
/// must not break the call it reports on: the line is lost, the call goes on.
fn write_log(logger: Option<&JsValue>, method: &str, line: &str) {
    let sink = match logger {
        Some(sink) => sink.clone(),
        None => match property(&js_sys::global(), "console") {
            Some(console) => console,
            None => return,
        },
    };
    if let Some(write) = property(&sink, method).and_then(|f| f.dyn_into::<Function>().ok()) {
        let _ = write.call1(&sink, &JsValue::from_str(&["[credport] ", line].concat()));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
    Off,
}

impl Level {
    pub const NAMES: [&'static str; 5] = ["debug", "info", "warn", "error", "off"];

    pub fn parse(name: &str) -> Option<Level> {
        match name {
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warn" => Some(Level::Warn),
            "error" => Some(Level::Error),
            "off" => Some(Level::Off),
            _ => None,
        }
    }

    /// The logger's (and `console`'s) method for a line of this level.
    fn method(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error | Level::Off => "error",
        }
    }
}

/// Where log lines go: the `logger` option (any object with `debug`/`info`/`warn`/`error`
/// methods), else the runtime's `console`.
pub struct Logger {
    level: Level,
    /// `None` for the runtime's `console`.
    sink: Option<JsValue>,
}

impl Logger {
    pub fn new(level: Level, sink: Option<JsValue>) -> Self {
        Logger { level, sink }
    }

    /// Whether lines of `level` are written.
    pub fn enabled(&self, level: Level) -> bool {
        level >= self.level && self.level != Level::Off
    }

    /// Logs the line `message()` makes, if `level` is enabled; the line is only built then.
    pub fn log(&self, level: Level, message: impl FnOnce() -> String) {
        if !self.enabled(level) {
            return;
        }
        write_log(self.sink.as_ref(), level.method(), &message());
    }
}
