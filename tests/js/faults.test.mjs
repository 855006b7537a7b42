// The fault matrix: the SDK from the packed tarball, through a fault-injecting proxy, in front
// of the real credport-server. Each case checks the error class that surfaces, the number of
// attempts, and the server's state afterwards; after every case the same client keeps working.
// Debug logging is on in the SDK and in the server for the whole file, and the last test scans
// every log line and every error for every secret the file made.
import { test, before, after, afterEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import { importEsm, startServer, connectionBody } from './harness.mjs';
import { startFaultProxy } from './fault-proxy.mjs';

let sdk, server, site, proxy, client, direct;
const sdkLog = []; // every line the SDK logged, at every level
const fetches = []; // every attempt the SDK made: { method, idempotencyKey, at }
const errors = []; // every error a call surfaced
const secrets = []; // every token, API-key secret and credential this file made
const matrix = []; // the results, printed at the end

const json = { 'content-type': 'application/json' };
const envelope = (code, message) => JSON.stringify({ error: { code, message, request_id: 'req_proxy' } });
const unavailable = (retryAfter) => ({
  status: 503,
  headers: { ...json, ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }) },
  body: envelope('unavailable', 'down for maintenance'),
});
const rateLimited = (retryAfter) => ({
  status: 429,
  headers: { ...json, 'retry-after': retryAfter },
  body: envelope('rate_limited', 'slow down'),
});
const html = (status) => ({
  status,
  headers: { 'content-type': 'text/html' },
  body: `<html><head><title>${status}</title></head><body><h1>${status} Bad Gateway</h1><hr>nginx</body></html>`,
});

let subjects = 0;
const subject = () => `fault-subject-${++subjects}`;

/** Runs `call`, returning `{ value }` or `{ error }` and how long it took; keeps every error. */
async function run(call) {
  const started = Date.now();
  try {
    return { value: await call(), ms: Date.now() - started };
  } catch (error) {
    errors.push(error);
    return { error, ms: Date.now() - started };
  }
}

/** The keys the server holds for `subject` (revoked ones too), asked directly, not through the proxy. */
async function keysOf(subjectName) {
  const { data } = await direct.apiKeys.list({ subject: subjectName, includeInvalid: true, limit: 100 });
  return data;
}

function record(name, outcome, attempts, state) {
  const surfaced = outcome.error ? outcome.error.name : 'success';
  matrix.push({ case: name, surfaced, attempts, state, ms: outcome.ms });
}

/** The attempts the proxy saw, and their Idempotency-Keys. */
function keysSent() {
  return proxy.attempts.map((a) => a.idempotencyKey);
}

/** Resolves once the SDK has logged a line with `text` after line `from`, and returns it. */
async function logged(text, from) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = sdkLog.slice(from).find((l) => l.includes(text));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`the SDK never logged "${text}"`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function assertOneKey(keys) {
  assert.equal(new Set(keys).size, 1, `one Idempotency-Key on every attempt: ${keys}`);
  assert.match(keys[0], /^[0-9a-f]{32}$/);
}

before(async () => {
  sdk = await importEsm();
  server = await startServer({ env: { CREDPORT_LOG: 'debug' } });
  site = await server.site({ name: 'Faults' });
  secrets.push(site.token, server.adminToken, server.settings.CREDPORT_ENCRYPTION_KEY);
  const body = connectionBody('google', {
    credentials: { type: 'oauth2', fields: { access_token: `ya29.fault-${Date.now()}-access`, refresh_token: `1//fault-${Date.now()}-refresh` } },
  });
  await server.connection(site.site.id, body);
  secrets.push(...Object.values(body.credentials.fields));
  proxy = await startFaultProxy(server.url);
  const logger = Object.fromEntries(['debug', 'info', 'warn', 'error'].map((level) => [level, (line) => sdkLog.push(line)]));
  client = new sdk.Credport({
    apiKey: site.token,
    baseUrl: proxy.url,
    maxRetries: 2,
    timeoutMs: 5_000,
    logLevel: 'debug',
    logger,
    fetch: (request) => {
      fetches.push({ method: request.method, idempotencyKey: request.headers.get('idempotency-key'), at: Date.now() });
      return fetch(request);
    },
  });
  direct = new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0, logLevel: 'debug', logger });
});

/** A fresh plan for each case; the fetch log counts the attempts of that case only. */
function plan(...steps) {
  proxy.plan(...steps);
  fetches.length = 0;
}

afterEach(async () => {
  // After every fault, the same client keeps working.
  assert.equal(proxy.pending, 0, 'every planned fault was used');
  plan();
  const page = await client.connections.list();
  assert.equal(page.count, 1);
  assert.equal(proxy.attempts.length, 1);
});

after(async () => {
  await proxy?.close();
  await server?.stop();
  if (matrix.length) {
    console.log('fault matrix:');
    console.table(matrix);
  }
});

describe('connection faults', () => {
  test('connection refused: APIConnectionError after every retry, the same key each time, nothing written', async () => {
    const s = subject();
    plan();
    await proxy.refuse();
    let outcome;
    try {
      outcome = await run(() => client.apiKeys.create({ name: 'refused', subject: s }, { maxRetries: 1 }));
    } finally {
      await proxy.accept();
    }
    assert.ok(outcome.error instanceof sdk.APIConnectionError, String(outcome.error));
    assert.ok(!(outcome.error instanceof sdk.APIConnectionTimeoutError));
    assert.equal(outcome.error.code, 'connection_error');
    assert.equal(fetches.length, 2);
    assertOneKey(fetches.map((f) => f.idempotencyKey));
    assert.equal((await keysOf(s)).length, 0);
    record('connection refused (maxRetries 1)', outcome, fetches.length, '0 keys');
  });

  test('connection closed before the request reached the server: retried, one key created', async () => {
    const s = subject();
    plan({ close: true });
    const outcome = await run(() => client.apiKeys.create({ name: 'closed', subject: s }));
    assert.ok(outcome.value, String(outcome.error));
    secrets.push(outcome.value.secret);
    assert.equal(proxy.attempts.length, 2);
    assertOneKey(keysSent());
    const keys = await keysOf(s);
    assert.deepEqual(keys.map((k) => k.id), [outcome.value.id]);
    record('closed before forwarding, then ok', outcome, proxy.attempts.length, '1 key');
  });

  test('connection cut after the server acted: the retry lands exactly one write', async () => {
    const s = subject();
    plan({ cut: true });
    const outcome = await run(() => client.apiKeys.create({ name: 'cut', subject: s, claims: { n: 1 } }));
    assert.ok(outcome.value, String(outcome.error));
    secrets.push(outcome.value.secret);
    assert.equal(proxy.attempts.length, 2);
    assertOneKey(keysSent());
    assert.deepEqual(proxy.attempts.map((a) => a.upstream), [
      { status: 201, replayed: false },
      { status: 201, replayed: true },
    ]);
    const keys = await keysOf(s);
    assert.equal(keys.length, 1, 'exactly one key');
    assert.equal(keys[0].id, outcome.value.id);
    assert.deepEqual(await direct.apiKeys.getSecret(keys[0].id), { secret: outcome.value.secret });
    record('cut after the server acted, then ok', outcome, proxy.attempts.length, '1 key (2nd attempt replayed)');
  });

  test('connection cut on every attempt: APIConnectionError, one write, exponential backoff with jitter', async () => {
    const s = subject();
    plan({ cut: true }, { cut: true }, { cut: true });
    const from = sdkLog.length;
    const outcome = await run(() => client.apiKeys.create({ name: 'cut thrice', subject: s }));
    assert.ok(outcome.error instanceof sdk.APIConnectionError, String(outcome.error));
    assert.equal(proxy.attempts.length, 3);
    assertOneKey(keysSent());
    assert.deepEqual(proxy.attempts.map((a) => a.upstream.replayed), [false, true, true]);
    assert.equal((await keysOf(s)).length, 1, 'the first attempt acted, the retries were replays');
    // 500 ms then 1000 ms, each shortened by up to a quarter (the jitter): the waits the SDK chose,
    // as it logged them, are within those bounds exactly.
    const waits = sdkLog.slice(from).filter((l) => l.includes('retrying in'));
    assert.equal(waits.length, 2, waits.join('\n'));
    const [first, second] = waits.map((l) => Number(/APIConnectionError; retrying in (\d+) ms/.exec(l)?.[1]));
    assert.ok(first >= 375 && first <= 500, `first wait chosen: ${waits[0]}`);
    assert.ok(second >= 750 && second <= 1000, `second wait chosen: ${waits[1]}`);
    // And it did wait between the attempts. Only a lower bound: the time between two attempts also
    // holds the first one's own round trip, which a busy machine can stretch without limit.
    const [a, b, c] = fetches.map((f) => f.at);
    assert.ok(b - a >= 370, `first wait ${b - a} ms`);
    assert.ok(c - b >= 740, `second wait ${c - b} ms`);
    record('cut on every attempt', outcome, proxy.attempts.length, `1 key; waits ${first}, ${second} ms (${b - a}, ${c - b} ms between attempts)`);
  });

  test('reset in the middle of the body: retried as a connection failure, one key created', async () => {
    const s = subject();
    plan({ resetMidBody: true });
    const outcome = await run(() => client.apiKeys.create({ name: 'reset', subject: s }));
    assert.ok(outcome.value, String(outcome.error));
    secrets.push(outcome.value.secret);
    assert.equal(proxy.attempts.length, 2);
    assertOneKey(keysSent());
    assert.equal((await keysOf(s)).length, 1);
    record('reset mid-body, then ok', outcome, proxy.attempts.length, '1 key');
  });

  test('reset in the middle of the body without retries: APIConnectionError, not a decode error', async () => {
    plan({ resetMidBody: true });
    const outcome = await run(() => client.connections.getCredentials('google', { maxRetries: 0 }));
    assert.ok(outcome.error instanceof sdk.APIConnectionError, String(outcome.error));
    assert.equal(proxy.attempts.length, 1);
    record('reset mid-body (maxRetries 0)', outcome, proxy.attempts.length, 'read only');
  });
});

describe('answers that ask for a retry', () => {
  test('503 with Retry-After: 0, twice, then the real answer', async () => {
    plan(unavailable('0'), unavailable('0'));
    const from = sdkLog.length;
    const outcome = await run(() => client.connections.list());
    assert.equal(outcome.value?.count, 1, String(outcome.error));
    assert.equal(proxy.attempts.length, 3);
    // Retry-After: 0 was honoured: no backoff of its own (the SDK says what it waits; the time the
    // call took would also count the attempts, which a busy machine stretches).
    const waits = sdkLog.slice(from).filter((l) => l.includes('retrying in'));
    assert.deepEqual(waits.map((l) => /InternalServerError; retrying in (\d+) ms/.exec(l)?.[1]), ['0', '0'], waits.join('\n'));
    record('503 Retry-After: 0 twice, then ok', outcome, proxy.attempts.length, 'read only');
  });

  test('503 on every attempt of a create: InternalServerError, the same key, nothing written', async () => {
    const s = subject();
    plan(unavailable('0'), unavailable('0'), unavailable('0'));
    const outcome = await run(() => client.apiKeys.create({ name: 'unavailable', subject: s }));
    assert.ok(outcome.error instanceof sdk.InternalServerError, String(outcome.error));
    assert.deepEqual([outcome.error.status, outcome.error.code, outcome.error.headers['retry-after']], [503, 'unavailable', '0']);
    assert.equal(proxy.attempts.length, 3);
    assertOneKey(keysSent());
    assert.equal((await keysOf(s)).length, 0);
    record('503 on every attempt', outcome, proxy.attempts.length, '0 keys');
  });

  test('429 with Retry-After in seconds is waited for', async () => {
    plan(rateLimited('1'));
    const from = sdkLog.length;
    const outcome = await run(() => client.connections.list());
    assert.ok(outcome.value, String(outcome.error));
    // It chose to wait exactly the second asked for, and did: the time between the attempts is only
    // bounded below, as it also holds the first attempt's own round trip.
    const waits = sdkLog.slice(from).filter((l) => l.includes('retrying in'));
    assert.equal(waits.length, 1, waits.join('\n'));
    assert.match(waits[0], /RateLimitError; retrying in 1000 ms$/);
    const [a, b] = proxy.attempts.map((x) => x.at);
    assert.ok(b - a >= 950, `waited ${b - a} ms for Retry-After: 1`);
    record('429 Retry-After: 1, then ok', outcome, proxy.attempts.length, `waited ${b - a} ms`);
  });

  test('429 with Retry-After as an HTTP date is waited for', async () => {
    const date = new Date(Date.now() + 3000).toUTCString(); // whole seconds: 2 to 3 s from now
    const until = Date.parse(date);
    plan(rateLimited(date));
    const from = sdkLog.length;
    const outcome = await run(() => client.connections.list());
    assert.ok(outcome.value, String(outcome.error));
    const [a, b] = proxy.attempts.map((x) => x.at);
    // The retry comes no earlier than the date (give or take the millisecond steps of the clocks
    // and timers: a timer may fire up to 1 ms early, and Date.now() truncates).
    assert.ok(b >= until - 5, `the retry came ${until - b} ms before Retry-After: ${date}`);
    // And the SDK waits no longer than the date asks: the wait it logged, counted from when the
    // 429 came back, ends by the date (0 if the date had passed already).
    const line = sdkLog.slice(from).find((l) => l.includes('retrying in'));
    const wait = Number(/RateLimitError; retrying in (\d+) ms/.exec(line)?.[1]);
    assert.ok(wait <= Math.max(0, until - a), `${line}, for a date ${until - a} ms after the first attempt`);
    record('429 Retry-After: <HTTP date>, then ok', outcome, proxy.attempts.length, `waited ${b - a} ms`);
  });

  test('429 without retries left: RateLimitError with retryAfter', async () => {
    plan(rateLimited('7'));
    const outcome = await run(() => client.connections.list({}, { maxRetries: 0 }));
    assert.ok(outcome.error instanceof sdk.RateLimitError, String(outcome.error));
    assert.deepEqual([outcome.error.status, outcome.error.retryAfter], [429, 7]);
    assert.equal(proxy.attempts.length, 1);
    record('429 (maxRetries 0)', outcome, proxy.attempts.length, 'read only');
  });

  /** A create whose first attempt fails with `fault`; aborted once the SDK logs the wait that follows. */
  async function abortDuringWait(fault, name, waitLine, label) {
    const s = subject();
    const controller = new AbortController();
    plan(fault);
    const from = sdkLog.length;
    const waiting = run(() => client.apiKeys.create({ name, subject: s }, { signal: controller.signal }));
    assert.match(await logged('retrying in', from), waitLine);
    const aborted = Date.now();
    controller.abort();
    const outcome = await waiting;
    assert.ok(outcome.error instanceof sdk.APIUserAbortError, String(outcome.error));
    assert.ok(Date.now() - aborted < 500, `the wait ended ${Date.now() - aborted} ms after the abort`);
    assert.equal(proxy.attempts.length, 1);
    assert.equal((await keysOf(s)).length, 0);
    record(label, outcome, proxy.attempts.length, '0 keys');
  }

  test('a Retry-After of an hour is capped, and an abort ends that wait at once', () =>
    abortDuringWait(rateLimited('3600'), 'capped', /RateLimitError; retrying in 60000 ms/, '429 Retry-After: 3600 (capped at 60 s), abort in the wait'));

  test('an abort during the backoff after a connection failure ends the wait at once', () =>
    abortDuringWait({ close: true }, 'abort in backoff', /APIConnectionError; retrying in \d+ ms/, 'abort during a backoff wait'));

  test('an abort while the answer is on its way: APIUserAbortError, no retry', async () => {
    const controller = new AbortController();
    plan({ delay: 3000 });
    // Aborted once the attempt is under way, its answer held by the proxy.
    proxy.arrived(1).then(() => controller.abort());
    const outcome = await run(() => client.connections.list({}, { signal: controller.signal }));
    assert.ok(outcome.error instanceof sdk.APIUserAbortError, String(outcome.error));
    assert.ok(outcome.ms < 2500, `${outcome.ms} ms`);
    assert.equal(proxy.attempts.length, 1);
    record('abort during an attempt', outcome, proxy.attempts.length, 'read only');
  });

  test('x-should-retry, 408 and statuses that are not retried', async () => {
    plan({ status: 409, headers: { ...json, 'x-should-retry': 'true', 'retry-after': '0' }, body: envelope('conflict', 'busy') });
    let outcome = await run(() => client.connections.list());
    assert.ok(outcome.value, String(outcome.error));
    assert.equal(proxy.attempts.length, 2, '409 with x-should-retry: true is retried');

    plan({ status: 408, headers: { ...json, 'retry-after': '0' }, body: envelope('timeout', 'request timeout') });
    outcome = await run(() => client.connections.list());
    assert.ok(outcome.value, String(outcome.error));
    assert.equal(proxy.attempts.length, 2, '408 is retried');

    plan({ status: 500, headers: { ...json, 'x-should-retry': 'false' }, body: envelope('internal', 'broken') });
    outcome = await run(() => client.connections.list());
    assert.ok(outcome.error instanceof sdk.InternalServerError, String(outcome.error));
    assert.equal(proxy.attempts.length, 1, 'x-should-retry: false wins');

    plan({ status: 409, headers: json, body: envelope('conflict', 'taken') });
    outcome = await run(() => client.apiKeys.create({ name: 'x', subject: subject() }));
    assert.ok(outcome.error instanceof sdk.ConflictError, String(outcome.error));
    assert.equal(proxy.attempts.length, 1, 'a plain 409 is not retried');
    record('x-should-retry / 408 / plain 409', outcome, proxy.attempts.length, 'as the headers say');
  });
});

describe('timeouts', () => {
  test('an answer slower than the timeout on every attempt: APIConnectionTimeoutError, one write', async () => {
    const s = subject();
    // Each answer held far longer than the timeout, which leaves each attempt time to reach the
    // proxy on a slow machine.
    plan({ delay: 6000 }, { delay: 6000 });
    const outcome = await run(() => client.apiKeys.create({ name: 'slow', subject: s }, { timeoutMs: 1500, maxRetries: 1 }));
    assert.ok(outcome.error instanceof sdk.APIConnectionTimeoutError, String(outcome.error));
    assert.ok(outcome.error instanceof sdk.APIConnectionError);
    assert.equal(outcome.error.code, 'timeout');
    assert.match(outcome.error.message, /1500 ms/);
    assert.equal(proxy.attempts.length, 2);
    assertOneKey(keysSent());
    assert.equal((await keysOf(s)).length, 1, 'the server acted once; the retry was a replay');
    record('slower than the timeout, every attempt', outcome, proxy.attempts.length, '1 key');
  });

  test('an answer slower than the timeout once: the retry succeeds', async () => {
    // The timeout applies to the retry too, so it is the client's own 5 s, as for every other call
    // in this file: the first attempt's answer, held 10 s, always exceeds it, and the retry does not
    // race a tight clock.
    plan({ delay: 10_000 });
    const from = sdkLog.length;
    const outcome = await run(() => client.connections.list({}, { timeoutMs: 5_000 }));
    assert.ok(outcome.value, String(outcome.error));
    assert.equal(proxy.attempts.length, 2);
    const retries = sdkLog.slice(from).filter((l) => l.includes('retrying in'));
    assert.equal(retries.length, 1, retries.join('\n'));
    assert.match(retries[0], /APIConnectionTimeoutError; retrying in \d+ ms/, 'the first attempt timed out');
    record('slower than the timeout once, then ok', outcome, proxy.attempts.length, 'read only');
  });

  // Its own test timeout: a hang fails here in seconds rather than at undici's 300 s body timeout.
  test('a body that stops half-way is a timeout too, not a hang', { timeout: 10_000 }, async () => {
    plan();
    const stall = await import('node:http').then(({ default: http }) =>
      http.createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"count":1,');
      }),
    );
    await new Promise((resolve) => stall.listen(0, '127.0.0.1', resolve));
    try {
      const stalled = new sdk.Credport({ apiKey: site.token, baseUrl: `http://127.0.0.1:${stall.address().port}`, maxRetries: 0, timeoutMs: 300 });
      const outcome = await run(() => stalled.connections.list());
      assert.ok(outcome.error instanceof sdk.APIConnectionTimeoutError, String(outcome.error));
      assert.ok(outcome.ms < 2000, `${outcome.ms} ms`);
      record('body stalls half-way', outcome, 1, 'read only');
    } finally {
      stall.closeAllConnections();
      stall.close();
    }
  });
});

describe('broken answers', () => {
  test('truncated JSON: APIResponseValidationError, not retried', async () => {
    plan({ rewrite: (text) => text.slice(0, Math.floor(text.length / 2)) });
    const outcome = await run(() => client.connections.list());
    assert.ok(outcome.error instanceof sdk.APIResponseValidationError, String(outcome.error));
    assert.equal(outcome.error.status, 200);
    assert.equal(outcome.error.code, 'invalid_response');
    assert.match(outcome.error.message, /invalid body/);
    assert.equal(proxy.attempts.length, 1);
    record('truncated JSON (200)', outcome, proxy.attempts.length, 'read only');
  });

  test('a truncated create answer: the key exists, and the same idempotency key fetches it', async () => {
    const s = subject();
    const idempotencyKey = `mine-${Date.now()}`;
    plan({ rewrite: (text) => text.slice(0, 40) });
    const outcome = await run(() => client.apiKeys.create({ name: 'truncated', subject: s }, { idempotencyKey }));
    assert.ok(outcome.error instanceof sdk.APIResponseValidationError, String(outcome.error));
    assert.equal(proxy.attempts.length, 1);
    assert.equal(proxy.attempts[0].idempotencyKey, idempotencyKey);
    const again = await client.apiKeys.create({ name: 'truncated', subject: s }, { idempotencyKey });
    secrets.push(again.secret);
    const keys = await keysOf(s);
    assert.deepEqual(keys.map((k) => k.id), [again.id]);
    record('truncated create answer (201)', outcome, 1, '1 key; a retry with the same key returns it');
  });

  test('an HTML error page: InternalServerError with the status, retried', async () => {
    plan(html(502), html(502));
    const outcome = await run(() => client.connections.list({}, { maxRetries: 1 }));
    assert.ok(outcome.error instanceof sdk.InternalServerError, String(outcome.error));
    assert.deepEqual([outcome.error.status, outcome.error.code], [502, 'http_error']);
    assert.match(outcome.error.message, /502/);
    assert.equal(proxy.attempts.length, 2);
    plan(html(404));
    const notFound = await run(() => client.connections.get('conn_x'));
    assert.ok(notFound.error instanceof sdk.NotFoundError, String(notFound.error));
    assert.equal(proxy.attempts.length, 1);
    record('HTML 502 page (maxRetries 1)', outcome, 2, 'read only');
  });

  test('200 with a body missing a required field: the error names the field', async () => {
    plan({
      rewrite: (text) => {
        const page = JSON.parse(text);
        delete page.payload[0].provider;
        return JSON.stringify(page);
      },
    });
    const outcome = await run(() => client.connections.list());
    assert.ok(outcome.error instanceof sdk.APIResponseValidationError, String(outcome.error));
    assert.match(outcome.error.message, /payload\[0\]/);
    assert.match(outcome.error.message, /missing field `provider`/);
    assert.equal(proxy.attempts.length, 1);
    record('200 missing payload[0].provider', outcome, proxy.attempts.length, 'read only');
  });

  test('200 with a secret in a field of the wrong type: named, never echoed', async () => {
    const s = subject();
    let secret;
    plan({
      rewrite: (text) => {
        const key = JSON.parse(text);
        secret = key.secret;
        return JSON.stringify({ ...key, revoked: key.secret });
      },
    });
    const outcome = await run(() => client.apiKeys.create({ name: 'wrong type', subject: s }));
    secrets.push(secret);
    assert.ok(outcome.error instanceof sdk.APIResponseValidationError, String(outcome.error));
    assert.match(outcome.error.message, /revoked/);
    assert.ok(!outcome.error.message.includes(secret), outcome.error.message);
    assert.equal((await keysOf(s)).length, 1);
    record('200 with a secret in a wrongly typed field', outcome, proxy.attempts.length, '1 key');
  });
});

describe('retry settings and idempotency keys', () => {
  test('maxRetries per client, overridden per call', async () => {
    const none = new sdk.Credport({ apiKey: site.token, baseUrl: proxy.url, maxRetries: 0 });
    plan(unavailable('0'));
    let outcome = await run(() => none.connections.list());
    assert.ok(outcome.error instanceof sdk.InternalServerError);
    assert.equal(proxy.attempts.length, 1, 'client maxRetries 0');

    plan(unavailable('0'), unavailable('0'));
    outcome = await run(() => none.connections.list({}, { maxRetries: 2 }));
    assert.ok(outcome.value, String(outcome.error));
    assert.equal(proxy.attempts.length, 3, 'call maxRetries 2 over client 0');

    plan(unavailable('0'));
    outcome = await run(() => client.connections.list({}, { maxRetries: 0 }));
    assert.ok(outcome.error instanceof sdk.InternalServerError);
    assert.equal(proxy.attempts.length, 1, 'call maxRetries 0 over client 2');

    const defaults = new sdk.Credport({ apiKey: site.token, baseUrl: proxy.url });
    plan(unavailable('0'), unavailable('0'), unavailable('0'));
    outcome = await run(() => defaults.connections.list());
    assert.ok(outcome.error instanceof sdk.InternalServerError);
    assert.equal(proxy.attempts.length, 3, 'default maxRetries is 2');
    record('maxRetries client 0 / call 2 / default 2', outcome, 3, 'read only');
  });

  test('GETs carry no Idempotency-Key; each POST call its own; a given key is sent as is on every attempt', async () => {
    plan(unavailable('0'));
    await client.connections.list();
    assert.deepEqual(keysSent(), [null, null]);

    plan();
    const s = subject();
    const a = await client.apiKeys.create({ name: 'a', subject: s });
    const b = await client.apiKeys.create({ name: 'b', subject: s });
    secrets.push(a.secret, b.secret);
    const [ka, kb] = keysSent();
    assert.notEqual(ka, kb, 'a new key per call');

    const mine = `my-key-${Date.now()}`;
    plan(unavailable('0'));
    const c = await client.apiKeys.create({ name: 'c', subject: s }, { idempotencyKey: mine });
    secrets.push(c.secret);
    assert.deepEqual(keysSent(), [mine, mine]);

    plan({ cut: true });
    const verified = await client.apiKeys.verify(a.secret);
    assert.equal(verified.code, 'VALID');
    assert.equal(proxy.attempts.length, 2, 'verify is a POST: retried under its key');
    assertOneKey(keysSent());

    plan({ cut: true });
    const pat = await client.personalAccessTokens.create({ name: 'cut pat', scopes: ['connections:read'] });
    secrets.push(pat.token);
    assert.equal(proxy.attempts.length, 2);
    assert.equal((await direct.personalAccessTokens.list()).data.filter((t) => t.name === 'cut pat').length, 1);
    record('PAT create, cut after the server acted', { value: pat, ms: 0 }, 2, '1 token');
  });
});

describe('secrets under faults', () => {
  test('no token, API-key secret or credential in any SDK or server log line, or any error', async () => {
    // Every secret the server holds for this site, asked directly.
    const ids = [];
    for await (const key of direct.apiKeys.listAll({ includeInvalid: true, limit: 100 })) {
      secrets.push((await direct.apiKeys.getSecret(key.id)).secret);
      ids.push(key.id);
    }
    const creds = await direct.connections.getCredentials('google');
    secrets.push(...Object.values(creds.fields));
    const unique = [...new Set(secrets)].filter(Boolean);
    assert.ok(unique.length >= 15, `${unique.length} secrets to look for`);
    for (const secret of unique) assert.ok(secret.length >= 16, 'long enough not to match by chance');

    const serverLog = server.logs.join('');
    // CREDPORT_LOG=debug: the server logs every request (method, path, status, request id).
    assert.equal(server.settings.CREDPORT_LOG, 'debug');
    assert.match(serverLog, /\/v1\/api_keys/, 'the server logged the requests');
    assert.ok(serverLog.includes(`/v1/api_keys/${ids[0]}/secret`), 'the scan sees the request lines');
    assert.ok(sdkLog.some((l) => l.includes('(attempt 1/')), 'the SDK logged at debug level');
    assert.ok(sdkLog.some((l) => l.includes('retrying in')));
    assert.ok(errors.length >= 20, `${errors.length} errors to scan`);
    const texts = [
      ['the server log', serverLog],
      ['the SDK log', sdkLog.join('\n')],
      ...errors.map((e) => [`${e.name}`, `${e.message}\n${String(e)}\n${e.stack}\n${JSON.stringify(e)}`]),
    ];
    for (const [where, text] of texts) {
      for (const secret of unique) assert.ok(!text.includes(secret), `${where} holds a secret (${secret.slice(0, 6)}…)`);
    }
    console.log(
      `scanned ${serverLog.length} bytes of server log, ${sdkLog.length} SDK log lines and ${errors.length} errors for ${unique.length} secrets: none found`,
    );
  });
});
