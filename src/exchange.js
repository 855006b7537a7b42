// The JavaScript half of a credport call (imported by the wasm glue, inlined into it by the
// build): the attempts, the waits between them, and `listAll`'s iterator. The Rust half
// (src/transport.rs, src/resources/) checks the arguments, builds the request, decides after each
// attempt whether to retry, how long to wait and what the answer means. Done in Rust, the loop
// needed an async state machine, a task queue, promises and closures across the boundary: a
// third of the wasm, and more time per call than the request's own JavaScript.
//
// An attempt has its own AbortController: the timer and the caller's signal abort it and end the
// wait for the answer, body included, even if a `fetch` or a body stream ignores the signal.
// Outcomes, handed to `exchange.settle(kind, status, body, headers, detail)` as arguments
// (`runAttempt` itself never throws):
//   kind 0  an answer: its status, its body read to its end (text), its `Headers` (the Rust
//           side reads a header only when it needs one: a success needs none) and statusText
//   kind 1  the caller's signal aborted it
//   kind 2  its timeout aborted it
//   kind 3  a network failure (retried like a refusal), its message as `detail`
// A failure is the caller's abort if their signal fired, else the timeout if the timer did,
// whatever the fetch or the body read said.

const ACCEPT = 'application/json';
/** By the number of a `Method` in transport.rs. */
const METHODS = ['GET', 'POST', 'PATCH', 'DELETE'];
const ANSWER = 0;
const ABORTED = 1;
const TIMEOUT = 2;
const NETWORK = 3;

const encoder = new TextEncoder();

/** `text` as UTF-8 into `view` (wasm memory): the bytes written, or -1 if they do not fit. */
export function encodeText(text, view) {
  if (encoder.encodeInto) {
    const { read, written } = encoder.encodeInto(text, view);
    return read === text.length ? written : -1;
  }
  const bytes = encoder.encode(text);
  if (bytes.length > view.length) return -1;
  view.set(bytes);
  return bytes.length;
}

/** The message of a thrown value: an Error's message, a thrown string, else a stand-in. */
function messageOf(error) {
  if (error instanceof Error) return String(error.message);
  return typeof error === 'string' ? error : 'fetch failed';
}

/** A header of an answer (`Headers`), or undefined. */
export function header(headers, name) {
  return headers.get(name) ?? undefined;
}

/** An answer's headers as a plain object, for an `APIError`. */
export function headerObject(headers) {
  return Object.fromEntries(headers);
}

function runAttempt(settle, userFetch, url, method, authorization, idempotencyKey, body, timeoutMs, signal) {
  const controller = new AbortController();
  let ended = false;
  let timedOut = false;
  const end = (kind, status, body, headers, detail) => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    if (signal) signal.removeEventListener('abort', onAbort);
    settle(kind, status, body, headers, detail);
  };
  const fail = (message) => {
    if (signal && signal.aborted) end(ABORTED);
    else if (timedOut) end(TIMEOUT);
    else end(NETWORK, 0, undefined, undefined, message);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
    fail('the request was aborted');
  }, timeoutMs);
  const onAbort = () => {
    controller.abort();
    fail('the request was aborted');
  };
  if (signal) {
    if (signal.aborted) {
      end(ABORTED);
      return;
    }
    signal.addEventListener('abort', onAbort);
  }

  // A plain init object for the runtime's `fetch(url, init)`: no `Request` and `Headers`
  // objects to build and copy on every call.
  const headers = { authorization, accept: ACCEPT };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  if (body !== undefined) headers['content-type'] = ACCEPT;
  const init = body === undefined ? { method, headers, signal: controller.signal } : { method, headers, signal: controller.signal, body };

  let sent;
  try {
    // The user's fetch gets one `Request`, as its type promises.
    sent = userFetch === undefined ? fetch(url, init) : Promise.resolve(userFetch.call(undefined, new Request(url, init)));
  } catch (error) {
    fail(messageOf(error));
    return;
  }
  sent.then(
    (response) => {
      if (ended) return;
      if (!(response instanceof Response)) {
        fail('fetch resolved to something other than a Response');
        return;
      }
      let reading;
      try {
        reading = response.text();
      } catch (error) {
        fail(messageOf(error));
        return;
      }
      reading.then(
        (text) => end(ANSWER, response.status, text, response.headers, response.statusText),
        // A body cut off half-way (a reset, a closed connection) is a network failure like a
        // refused connection, and so is retried.
        (error) => fail(error instanceof Error ? String(error) : messageOf(error)),
      );
    },
    (error) => fail(messageOf(error)),
  );
}

/**
 * Runs `exchange` (a Rust `Exchange`) to its end: the promise of a call. Before each attempt
 * `exchange.begin()`; after it `exchange.settle(...outcome)`, which returns the result, throws the
 * error, or returns a number: milliseconds to wait before the next attempt. The request is the
 * same on every attempt, so its parts cross once.
 */
export function drive(exchange, userFetch, url, methodNumber, authorization, idempotencyKey, body, timeoutMs, signal) {
  const method = METHODS[methodNumber];
  return new Promise((resolve, reject) => {
    const attempt = () => {
      exchange.begin();
      runAttempt(settle, userFetch, url, method, authorization, idempotencyKey, body, timeoutMs, signal);
    };
    const settle = (kind, status, body, headers, detail) => {
      let next;
      try {
        next = exchange.settle(kind, status, body, headers, detail);
      } catch (error) {
        exchange.free();
        reject(error);
        return;
      }
      if (typeof next === 'number') wait(next, signal, attempt, () => settle(ABORTED));
      else {
        exchange.free();
        resolve(next);
      }
    };
    attempt();
  });
}

/** Calls `then` after `ms` milliseconds, or `aborted` as soon as `signal` fires. */
function wait(ms, signal, then, aborted) {
  if (signal && signal.aborted) {
    aborted();
    return;
  }
  const onAbort = () => {
    clearTimeout(timer);
    aborted();
  };
  const timer = setTimeout(() => {
    if (signal) signal.removeEventListener('abort', onAbort);
    then();
  }, ms);
  if (signal) signal.addEventListener('abort', onAbort, { once: true });
}

/**
 * `listAll`: every item of a list, one page at a time, from `pager` (a Rust `Pager`): `fetch()`
 * is the promise of the next page, or undefined after the last; `items(page)` its items. An
 * async generator queues overlapping `next()` calls, so no page is fetched twice, and it ends at
 * the first error.
 */
export async function* pages(pager) {
  try {
    for (let page = pager.fetch(); page !== undefined; page = pager.fetch()) yield* pager.items(await page);
  } finally {
    pager.free();
  }
}
