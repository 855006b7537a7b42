// What the SDK reads from, and makes in, the JavaScript host, for the Rust side (imported by the
// wasm glue, inlined into it by the build): environment variables, whether this is a browser
// page, JSON text of the caller's values, log lines, and the package's error classes. These are plain
// property reads and calls in JavaScript; each done from Rust was a crossing and more wasm.

/**
 * `process.env[name]` where the runtime has it (Node, Bun, Deno's Node layer); never imported.
 * Under Deno only where reading that variable is already allowed: a program that passes its
 * options must not be stopped by a permission prompt for a default it does not use. An empty
 * value counts as unset.
 */
export function env(name) {
  const deno = globalThis.Deno;
  if (deno !== null && typeof deno === 'object' && !denoEnvGranted(deno, name)) return undefined;
  const process = globalThis.process;
  const vars = process !== null && typeof process === 'object' ? process.env : undefined;
  const value = vars !== null && typeof vars === 'object' ? vars[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `Deno.permissions.querySync({ name: "env", variable })` says `granted`; anything else (an older
 * Deno without `querySync`, an error) counts as not granted.
 */
function denoEnvGranted(deno, variable) {
  try {
    return deno.permissions.querySync({ name: 'env', variable }).state === 'granted';
  } catch {
    return false;
  }
}

/** A page with a DOM: `window` and `document` both exist. */
export function isBrowser() {
  return globalThis.window !== undefined && globalThis.document !== undefined;
}

const NOT_JSON = '\u0000credport:not-json';

/** Marks what JSON cannot carry, for the Rust reader to refuse by path (`convert::NOT_JSON`). */
function markNotJson(_key, value) {
  return typeof value === 'function' || typeof value === 'symbol' || (typeof value === 'number' && !Number.isFinite(value)) ? NOT_JSON : value;
}

const decoder = new TextDecoder();

/** A result's JSON text, UTF-8 in a view of wasm memory, as a value. */
export function parseJson(bytes) {
  return JSON.parse(decoder.decode(bytes));
}

/** A JS argument's JSON text, with what JSON cannot carry marked instead of dropped. */
export function stringify(value) {
  return JSON.stringify(value, markNotJson);
}

/**
 * An SDK log line, through `method` (`debug`, `info`, `warn`, `error`) of `logger` (the `logger`
 * option), else of the runtime's `console`, looked up only now: in Node, the first read of
 * `globalThis.console` sets the console up, about a millisecond of every cold start. A logger
 * that throws must not break the call it reports on.
 */
export function writeLog(logger, method, line) {
  const sink = logger ?? globalThis.console;
  try {
    const write = sink?.[method];
    if (typeof write === 'function') write.call(sink, `[credport] ${line}`);
  } catch {
    // The line is lost; the call goes on.
  }
}

/** `(className, message, props) => Error` from the package's errors module (errors.rs). */
let errorFactory;

export function setErrorFactory(factory) {
  errorFactory = factory;
}

export function makeError(className, message, props) {
  if (errorFactory) {
    try {
      return errorFactory(className, message, props);
    } catch {
      // Fall through to a plain Error: the call still fails with its message and name.
    }
  }
  const error = new Error(message);
  error.name = className;
  return error;
}
