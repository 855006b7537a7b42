//! The client's options and the per-call options, read property by property from JS so that a
//! wrong value is named (`options.timeoutMs must be a positive number`).

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use credport_model::validate::{self, decimal};

use crate::errors::Error;
use crate::host::{env, is_browser, is_record, keys, type_name};
use crate::log::{Level, Logger};

#[wasm_bindgen(typescript_custom_section)]
const OPTIONS_TS: &'static str = r#"
/** The options every client takes (`new Credport(...)`, and credport/admin's `new CredportAdmin(...)`). */
export interface SharedClientOptions {
  /** Default: `CREDPORT_BASE_URL`, else `http://127.0.0.1:8787`. */
  baseUrl?: string;
  /** Retries of retryable failures; default 2, at most 10. */
  maxRetries?: number;
  /** Timeout of each attempt in milliseconds; default 60000. */
  timeoutMs?: number;
  /** The `fetch` to use; default the runtime's global `fetch`. */
  fetch?: (input: Request) => Promise<Response>;
  /** A secret token in a browser page must be asked for explicitly. */
  dangerouslyAllowBrowser?: boolean;
  /** Which SDK log lines to emit; default `CREDPORT_LOG` where the runtime has `process.env`, else `"warn"`. */
  logLevel?: "debug" | "info" | "warn" | "error" | "off";
  /** Where log lines go; default the runtime's `console`. Lines never hold tokens, secrets or bodies. */
  logger?: { debug(line: string): void; info(line: string): void; warn(line: string): void; error(line: string): void };
}

/** Options of `new Credport(...)`. */
export interface ClientOptions extends SharedClientOptions {
  /** A personal access token (`cpat_…`). Default: `CREDPORT_API_KEY` where the runtime has `process.env`. */
  apiKey?: string;
  /**
   * Keep each provider's credentials in memory (never written anywhere) for `maxAgeMs`, or until
   * their `expiresAt` is within a minute, whichever is first. Off by default.
   */
  credentialsCache?: { maxAgeMs: number };
}

/** The last, optional argument of every method. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Timeout of each attempt in milliseconds. */
  timeoutMs?: number;
  maxRetries?: number;
  /** Sent as `Idempotency-Key` on a POST; made per call when absent. */
  idempotencyKey?: string;
}
"#;

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8787";
pub const DEFAULT_MAX_RETRIES: u32 = 2;
pub const DEFAULT_TIMEOUT_MS: f64 = 60_000.0;
const MAX_RETRIES_CAP: u32 = 10;

/// The option a client takes its bearer token from, the environment variable that is its default,
/// and every option the client knows: `Credport`'s `apiKey`, or the admin client's `adminToken`.
/// All of it constant, so that the client reads its options as it did before there were two.
pub struct TokenOption {
    pub name: &'static str,
    pub env: &'static str,
    /// `options.` and the name, as errors name it.
    pub argument: &'static str,
    /// Why a missing token is refused.
    pub required: &'static str,
    pub known: &'static [&'static str],
}

/// `new Credport(options)`'s token and options.
pub const API_KEY: TokenOption = TokenOption {
    name: "apiKey",
    env: "CREDPORT_API_KEY",
    argument: "options.apiKey",
    required: "is required: pass it or set CREDPORT_API_KEY",
    known: &[
        "apiKey",
        "baseUrl",
        "maxRetries",
        "timeoutMs",
        "fetch",
        "dangerouslyAllowBrowser",
        "logLevel",
        "logger",
        "credentialsCache",
    ],
};

/// What `new Credport(options)` (or `new CredportAdmin(options)`) was given, checked.
pub struct ClientConfig {
    /// The bearer token: `apiKey`, or the admin client's `adminToken`.
    pub api_key: String,
    pub base_url: String,
    pub max_retries: u32,
    pub timeout_ms: f64,
    pub fetch: Option<Function>,
    pub logger: Logger,
    /// `credentialsCache.maxAgeMs`; `None` for no cache.
    pub credentials_max_age_ms: Option<f64>,
}

/// The per-call options, checked.
#[derive(Clone, Default)]
pub struct CallOptions {
    pub signal: Option<AbortSignal>,
    pub timeout_ms: Option<f64>,
    pub max_retries: Option<u32>,
    pub idempotency_key: Option<String>,
}

impl CallOptions {
    /// The names of the per-call options.
    pub const KEYS: &'static [&'static str] =
        &["signal", "timeoutMs", "maxRetries", "idempotencyKey"];

    /// These options without their signal: for work other calls share, which one caller's abort
    /// must not end.
    pub fn without_signal(&self) -> CallOptions {
        CallOptions {
            signal: None,
            ..self.clone()
        }
    }

    /// The options of each page request of a `listAll`: the caller's, without an idempotency key
    /// (pages are GETs).
    pub fn for_page(&self) -> CallOptions {
        CallOptions {
            idempotency_key: None,
            ..self.clone()
        }
    }
}

/// An options object: `undefined`/`null` for none, else an object ([`is_record`]) whose keys are
/// all known.
struct Props {
    object: Option<JsValue>,
    name: &'static str,
}

impl Props {
    fn new(name: &'static str, value: &JsValue, known: &[&str]) -> Result<Self, Error> {
        if value.is_undefined() || value.is_null() {
            return Ok(Props { object: None, name });
        }
        if !is_record(value) {
            return Err(Error::invalid(
                name,
                ["must be an object, got ", &type_name(value)].concat(),
            ));
        }
        for key in keys(value).ok_or_else(|| Error::unreadable(name))?.iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(Error::invalid(
                    [name, ".", &key].concat(),
                    ["is not a known option; expected one of ", &known.join(", ")].concat(),
                ));
            }
        }
        Ok(Props {
            object: Some(value.clone()),
            name,
        })
    }

    /// The property, or `None` when absent, `undefined` or `null`. A getter that throws is an
    /// error, not an absent option: a default (the environment's key) must not replace it.
    fn get(&self, key: &str) -> Result<Option<JsValue>, Error> {
        let Some(object) = &self.object else {
            return Ok(None);
        };
        let value = Reflect::get(object, &JsValue::from_str(key))
            .map_err(|_| Error::unreadable([self.name, ".", key].concat()))?;
        Ok(Some(value).filter(|v| !v.is_undefined() && !v.is_null()))
    }

    fn string(&self, key: &str) -> Result<Option<String>, Error> {
        self.get(key)?
            .map(|v| v.as_string().ok_or_else(|| self.wrong(key, "a string", &v)))
            .transpose()
    }

    fn positive_ms(&self, key: &str) -> Result<Option<f64>, Error> {
        self.get(key)?
            .map(|v| match v.as_f64() {
                Some(ms) if ms.is_finite() && ms > 0.0 && ms <= 2_147_483_647.0 => Ok(ms),
                _ => Err(self.wrong(
                    key,
                    "a positive number of milliseconds (at most 2147483647)",
                    &v,
                )),
            })
            .transpose()
    }

    fn retries(&self, key: &str) -> Result<Option<u32>, Error> {
        self.get(key)?
            .map(|v| match v.as_f64() {
                Some(n) if n.fract() == 0.0 && (0.0..=f64::from(MAX_RETRIES_CAP)).contains(&n) => {
                    Ok(n as u32)
                }
                _ => Err(self.wrong(
                    key,
                    &[
                        "a whole number from 0 to ",
                        &decimal(MAX_RETRIES_CAP.into()),
                    ]
                    .concat(),
                    &v,
                )),
            })
            .transpose()
    }

    fn wrong(&self, key: &str, expected: &str, got: &JsValue) -> Error {
        // Numbers are shown (JS formats them); other values only by type: they may be secrets.
        let got = match got.as_f64() {
            Some(_) => String::from(
                js_sys::Number::from(got.clone())
                    .to_string_with_radix(10)
                    .unwrap_or_default(),
            ),
            None => type_name(got),
        };
        Error::invalid(
            [self.name, ".", key].concat(),
            ["must be ", expected, ", got ", &got].concat(),
        )
    }
}

impl ClientConfig {
    pub fn from_js(options: &JsValue, token: &TokenOption) -> Result<Self, Error> {
        let props = Props::new("options", options, token.known)?;
        let api_key = match props.string(token.name)? {
            Some(key) => key,
            None => env(token.env).ok_or_else(|| Error::invalid(token.argument, token.required))?,
        };
        // Checked without ever echoing the key.
        if api_key.is_empty() || !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid(
                token.argument,
                "must be a non-empty token of printable characters",
            ));
        }
        let base_url = props
            .string("baseUrl")?
            .or_else(|| env("CREDPORT_BASE_URL"));
        let base_url = base_url
            .as_deref()
            .unwrap_or(DEFAULT_BASE_URL)
            .trim_end_matches('/')
            .to_owned();
        // Never echoed: a URL may hold a password, and a failed request names the base URL.
        validate::base_url("options.baseUrl", &base_url)
            .map_err(|e| Error::invalid(e.field, e.message))?;
        let fetch = props
            .get("fetch")?
            .map(|f| {
                f.dyn_into::<Function>()
                    .map_err(|v| props.wrong("fetch", "a function", &v))
            })
            .transpose()?;
        let allow_browser = match props.get("dangerouslyAllowBrowser")? {
            None => false,
            Some(v) => v
                .as_bool()
                .ok_or_else(|| props.wrong("dangerouslyAllowBrowser", "a boolean", &v))?,
        };
        if is_browser() && !allow_browser {
            return Err(Error::invalid(
                "options.dangerouslyAllowBrowser",
                "must be true to use credport in a browser: the page would hold a secret token that anyone \
                 who loads it can read. Use a token with the narrowest scopes, or call credport from a server.",
            ));
        }
        let level = match props.string("logLevel")? {
            Some(name) => Level::parse(&name).ok_or_else(|| {
                Error::invalid(
                    "options.logLevel",
                    ["must be one of ", &Level::NAMES.join(", ")].concat(),
                )
            })?,
            // The environment may hold a server-style filter (`info,tower=warn`): only a plain
            // level name counts, anything else leaves the default.
            None => env("CREDPORT_LOG")
                .and_then(|name| Level::parse(&name))
                .unwrap_or(Level::Warn),
        };
        let sink = props.get("logger")?;
        if let Some(sink) = &sink {
            if !sink.is_object() {
                return Err(props.wrong(
                    "logger",
                    "an object with debug, info, warn and error methods",
                    sink,
                ));
            }
        }
        let credentials_max_age_ms = match props.get("credentialsCache")? {
            None => None,
            Some(cache) => {
                let cache = Props::new("options.credentialsCache", &cache, &["maxAgeMs"])?;
                Some(cache.positive_ms("maxAgeMs")?.ok_or_else(|| {
                    Error::invalid("options.credentialsCache.maxAgeMs", "is required")
                })?)
            }
        };
        Ok(ClientConfig {
            credentials_max_age_ms,
            logger: Logger::new(level, sink),
            api_key,
            base_url,
            max_retries: props.retries("maxRetries")?.unwrap_or(DEFAULT_MAX_RETRIES),
            timeout_ms: props
                .positive_ms("timeoutMs")?
                .unwrap_or(DEFAULT_TIMEOUT_MS),
            fetch,
        })
    }
}

/// `value` if it is a real `AbortSignal`. `Object.create(AbortSignal.prototype)` passes
/// `instanceof` but its `aborted` getter throws (a brand check): read once here, through a read
/// that catches, so that the SDK's later reads of a signal it holds cannot throw.
fn real_signal(value: JsValue) -> Result<AbortSignal, JsValue> {
    let aborted = Reflect::get(&value, &JsValue::from_str("aborted")).ok();
    match aborted.is_some_and(|a| a.as_bool().is_some()) {
        true => value.dyn_into::<AbortSignal>(),
        false => Err(value),
    }
}

impl CallOptions {
    pub fn from_js(options: &JsValue) -> Result<Self, Error> {
        let props = Props::new("options", options, CallOptions::KEYS)?;
        let signal = props
            .get("signal")?
            .map(|s| real_signal(s).map_err(|v| props.wrong("signal", "an AbortSignal", &v)))
            .transpose()?;
        let idempotency_key = props.string("idempotencyKey")?;
        if let Some(key) = &idempotency_key {
            validate::idempotency_key("options.idempotencyKey", key)
                .map_err(|e| Error::invalid(e.field, e.message))?;
        }
        Ok(CallOptions {
            signal,
            timeout_ms: props.positive_ms("timeoutMs")?,
            max_retries: props.retries("maxRetries")?,
            idempotency_key,
        })
    }
}
