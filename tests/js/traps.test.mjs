// Whatever a `fetch` or an abort throws at the SDK, it answers with a typed error and the wasm
// instance lives on. gloo-net reaches `unreachable!` (a trap that kills the instance, and in Node
// the process) when a fetch promise rejects with something that is not an `Error`; the SDK never
// lets such a value reach it. Each case is followed by a real call against credport-server
// through the same instance, which would fail if the instance had trapped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { importEsm, startServer } from './harness.mjs';

let sdk, server, site, healthy;

before(async () => {
  sdk = await importEsm();
  server = await startServer();
  site = await server.site();
  healthy = new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0 });
});

after(async () => {
  await server?.stop();
});

/** The instance still works: a real request through it. */
async function stillAlive() {
  const page = await healthy.connections.list();
  assert.equal(page.count, 0);
}

/** A client whose `fetch` option is `fetch`. */
const withFetch = (fetch) => new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0, fetch });

const thrownValues = [
  ['a string', 'the network is down'],
  ['undefined', undefined],
  ['null', null],
  ['a plain object', { reason: 'cpk_never_echo_this' }],
  ['a number', 42],
  ['a symbol', Symbol('s')],
];

test("a caller's fetch that throws or rejects with anything: APIConnectionError", async () => {
  for (const [what, value] of thrownValues) {
    for (const [how, fetch] of [
      ['throws', () => { throw value; }],
      ['rejects', () => Promise.reject(value)],
      ['rejects later', () => new Promise((_, reject) => setTimeout(() => reject(value), 1))],
    ]) {
      const error = await withFetch(fetch).connections.list().then(() => assert.fail('resolved'), (e) => e);
      assert.ok(error instanceof sdk.APIConnectionError, `${how} ${what}: ${error}`);
      assert.equal(error.code, 'connection_error');
      assert.ok(!String(error.message).includes('cpk_never_echo_this'), error.message);
      await stillAlive();
    }
  }
  // A thrown string is what the caller said, so it is the message.
  const error = await withFetch(() => Promise.reject('the network is down')).apiKeys.get('ak_1').catch((e) => e);
  assert.match(error.message, /the network is down/);
});

test("a caller's fetch that resolves to something other than a Response: APIConnectionError", async () => {
  for (const value of [undefined, null, 'text', { status: 200 }, new Blob(['x'])]) {
    const error = await withFetch(() => Promise.resolve(value)).connections.list().catch((e) => e);
    assert.ok(error instanceof sdk.APIConnectionError, String(error));
    assert.match(error.message, /something other than a Response/);
    await stillAlive();
  }
});

test("a caller's Response whose body fails with a non-Error: APIConnectionError", async () => {
  for (const [what, value] of thrownValues) {
    const body = new ReadableStream({ pull: (controller) => controller.error(value) });
    const error = await withFetch(() => new Response(body, { status: 200 })).connections.list().catch((e) => e);
    assert.ok(error instanceof sdk.APIConnectionError, `${what}: ${error}`);
    await stillAlive();
  }
});

test("a caller's signal aborted with any reason: APIUserAbortError, before and during the call", async () => {
  for (const [what, reason] of [...thrownValues, ['an Error', new Error('mine')], ['no reason', undefined]]) {
    const before = new AbortController();
    before.abort(reason);
    let error = await healthy.connections.list({}, { signal: before.signal }).catch((e) => e);
    assert.ok(error instanceof sdk.APIUserAbortError, `before, ${what}: ${error}`);

    // During the request: the runtime's own fetch, through a server that answers slowly.
    const during = new AbortController();
    const slow = withFetch((request) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(fetch(request)), 1000);
      request.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(request.signal.reason);
      }, { once: true });
    }));
    const pending = slow.connections.list({}, { signal: during.signal });
    setTimeout(() => during.abort(reason), 5);
    error = await pending.catch((e) => e);
    assert.ok(error instanceof sdk.APIUserAbortError, `during, ${what}: ${error}`);

    // And with the runtime's fetch itself, aborted while it is in flight.
    const direct = new AbortController();
    const call = healthy.apiKeys.list({}, { signal: direct.signal });
    direct.abort(reason);
    error = await call.catch((e) => e);
    assert.ok(error instanceof sdk.APIUserAbortError, `runtime fetch, aborted at once, ${what}: ${error}`);
    await stillAlive();
  }
});

test('a fetch that ignores the signal is not waited for: the timeout ends the attempt', async () => {
  const started = Date.now();
  const error = await withFetch(() => new Promise(() => {})).connections.list({}, { timeoutMs: 50 }).catch((e) => e);
  assert.ok(error instanceof sdk.APIConnectionTimeoutError, String(error));
  assert.ok(Date.now() - started < 2000);
  await stillAlive();
});
