// Whatever a `fetch` or an abort throws at the SDK, it answers with a typed error and the wasm
// instance lives on. gloo-net reaches `unreachable!` (a trap that kills the instance, and in Node
// the process) when a fetch promise rejects with something that is not an `Error`; the SDK never
// lets such a value reach it. Each case is followed by a real call against credport-server
// through the same instance, which would fail if the instance had trapped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { importAdminEsm, importEsm, startServer } from './harness.mjs';

let sdk, admin, server, site, healthy;

before(async () => {
  sdk = await importEsm();
  admin = await importAdminEsm();
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
  ['an Error whose message is a number', Object.assign(new Error('down'), { message: 42 })],
  ['an Error whose message getter throws', Object.defineProperty(new Error('down'), 'message', { get: () => { throw 'cpk_never_echo_this'; } })],
];

/** `call()` with the runtime's global `fetch` replaced by `fake`; the real one is back before it returns. */
async function withGlobalFetch(fake, call) {
  const real = globalThis.fetch;
  globalThis.fetch = fake;
  try {
    return await call();
  } finally {
    globalThis.fetch = real;
  }
}

/** Throws something that must never reach a message. */
const throwing = () => {
  throw new Error('cpk_never_echo_this');
};
/** A revoked `Proxy`: every operation on it throws, `Array.isArray` too. */
const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
/** An object whose keys cannot be listed. */
const keyless = () => new Proxy({}, { ownKeys: throwing });
/** An object that passes `instanceof AbortSignal` but is none: its `aborted` getter throws. */
const fakeSignal = () => Object.create(AbortSignal.prototype);

/** `error` is an InvalidArgumentError naming `argument`, and holds nothing thrown at the SDK. */
function assertNames(error, argument, what) {
  assert.ok(error instanceof sdk.InvalidArgumentError, `${what}: ${error}`);
  assert.equal(error.argument, argument, what);
  assert.ok(!String(error.message).includes('cpk_never_echo_this'), error.message);
}

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

test("a caller's Response whose head throws when read: APIConnectionError for a failure, a 2xx is read without it", async () => {
  const body = JSON.stringify({ error: { code: 'internal_error', message: 'down' } });
  const failing = (extend) => () => {
    const response = new Response(body, { status: 500 });
    return Object.defineProperties(response, extend);
  };
  const cases = [
    ['statusText throws', failing({ statusText: { get: throwing } })],
    ['headers throws', failing({ headers: { get: throwing } })],
    ['headers not iterable', failing({ headers: { value: {} } })],
    ['headers iterator throws', failing({ headers: { value: { [Symbol.iterator]: throwing } } })],
  ];
  for (const [what, fetch] of cases) {
    // Before, the exception unwound through the wasm and the call never settled.
    const call = withFetch(fetch).connections.list().then(() => 'resolved', (e) => e);
    const error = await Promise.race([call, new Promise((resolve) => setTimeout(resolve, 2000, 'never settled'))]);
    assert.ok(error instanceof sdk.APIConnectionError, `${what}: ${error}`);
    await stillAlive();
  }
  // Headers whose `get` throws are still read (as entries), and a 2xx needs no head at all.
  const withThrowingGet = () => {
    const response = new Response(body, { status: 500 });
    response.headers.get = throwing;
    return response;
  };
  const error = await withFetch(withThrowingGet).connections.list().catch((e) => e);
  assert.ok(error instanceof sdk.InternalServerError, String(error));
  const page = JSON.stringify({ count: 0, page: 1, page_size: 20, next: null, previous: null, payload: [] });
  const ok = await withFetch(() => Object.defineProperty(new Response(page), 'headers', { get: throwing })).connections.list();
  assert.equal(ok.count, 0);
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

test("the runtime's global fetch resolving to a non-Response, or throwing or rejecting with anything: APIConnectionError", { timeout: 60_000 }, async () => {
  const fakes = [
    ['resolves to a Response-like object', async () => ({ ok: true, status: 200, json: async () => ({}) })],
    ['resolves to undefined', async () => undefined],
    ['returns a number, not a promise', () => 42],
    ['is not a function', 'fetch'],
    ...thrownValues.flatMap(([what, value]) => [
      [`rejects with ${what}`, () => Promise.reject(value)],
      [`throws ${what}`, () => { throw value; }],
    ]),
  ];
  for (const [what, fake] of fakes) {
    const error = await withGlobalFetch(fake, () => healthy.connections.list()).then(() => assert.fail(`${what}: resolved`), (e) => e);
    assert.ok(error instanceof sdk.APIConnectionError, `${what}: ${error}`);
    assert.ok(!String(error.message).includes('cpk_never_echo_this'), error.message);
    await stillAlive();
  }
  const error = await withGlobalFetch(() => Promise.reject('offline'), () => healthy.apiKeys.get('ak_1')).catch((e) => e);
  assert.match(error.message, /offline/);
});

test('parameters and options that throw when read: the call rejects with an InvalidArgumentError naming them', { timeout: 60_000 }, async () => {
  const cases = [
    [(c) => c.apiKeys.create({ get name() { throwing(); }, subject: 'u' }), 'params.name'],
    [(c) => c.apiKeys.create({ name: 'n', subject: 'u', scopes: Object.defineProperty(['a', 'b'], 1, { get: throwing }) }), 'params.scopes[1]'],
    [(c) => c.apiKeys.create({ name: 'n', subject: 'u', claims: { deep: { get at() { throwing(); } } } }), 'params.claims.deep.at'],
    [(c) => c.apiKeys.create({ name: 'n', subject: 'u', claims: { at: revoked() } }), 'params.claims.at'],
    [(c) => c.connections.list(revoked()), 'params'],
    [(c) => c.connections.list(keyless()), 'params'],
    [(c) => c.connections.list({}, revoked()), 'options'],
    [(c) => c.connections.list({}, keyless()), 'options'],
    [(c) => c.connections.list({}, { get timeoutMs() { throwing(); } }), 'options.timeoutMs'],
    [(c) => c.connections.list({}, { get signal() { throwing(); } }), 'options.signal'],
    [(c) => c.connections.list({}, { signal: fakeSignal() }), 'options.signal'],
    [(c) => c.connections.getCredentials('google', keyless()), 'params'],
    [(c) => c.connections.getCredentials('google', revoked()), 'params'],
    [(c) => c.connections.get(revoked()), 'id'],
  ];
  for (const [call, argument] of cases) {
    const error = await call(healthy).then(() => assert.fail(`${call}: resolved`), (e) => e);
    assertNames(error, argument, String(call));
    await stillAlive();
  }
});

test("a class's instance among the parameters is read as its own data, whose getters never throw through the wasm", { timeout: 60_000 }, async () => {
  const siteAdmin = new admin.CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url, maxRetries: 0 }).site(site.site.id);
  class Throwing {
    constructor() {
      this.fields = { api_key: 'cpk_never_echo_this' };
    }
    get type() {
      throwing();
    }
  }
  // Before, serde-wasm-bindgen read the instance's getter itself: the call never settled.
  const call = siteAdmin.connections.create({ provider: 'p', providerConfigKey: 'k', credentials: new Throwing() }).then(() => 'resolved', (e) => e);
  const error = await Promise.race([call, new Promise((resolve) => setTimeout(resolve, 2000, 'never settled'))]);
  assertNames(error, 'params.credentials.type', 'a getter on the prototype is not data');
  const toJsonThrows = { name: 'n', subject: 'u', claims: { at: { toJSON: throwing } } };
  assertNames(await healthy.apiKeys.create(toJsonThrows).catch((e) => e), 'params.claims.at', 'a toJSON that throws');
  await stillAlive();
  // Valid instances still work: own members are the data, and a Date is written as JSON.stringify does.
  class Credentials {
    constructor() {
      this.type = 'api_key';
      this.fields = { api_key: 'k1' };
    }
  }
  const connection = await siteAdmin.connections.create({ provider: 'p', providerConfigKey: 'class-instance', credentials: new Credentials() });
  assert.equal(connection.credentials.type, 'api_key');
  const at = new Date(0);
  const key = await healthy.apiKeys.create({ name: 'n', subject: 'u', claims: { at, owner: new (class { constructor() { this.id = 1; } })() } });
  assert.deepEqual(key.claims, { at: at.toISOString(), owner: { id: 1 } });
});

test('synchronous calls given values that throw when read throw an InvalidArgumentError naming them', () => {
  // A getter that throws is not an absent option: the environment's key is not taken instead.
  // The caller's own CREDPORT_API_KEY, if it has one, is put back afterwards, not removed.
  const previous = process.env.CREDPORT_API_KEY;
  process.env.CREDPORT_API_KEY = 'cpat_from_the_environment';
  try {
    const cases = [
      [() => new sdk.Credport(keyless()), 'options'],
      [() => new sdk.Credport(revoked()), 'options'],
      [() => new sdk.Credport({ get apiKey() { throwing(); } }), 'options.apiKey'],
      [() => new sdk.Credport({ apiKey: site.token, get baseUrl() { throwing(); } }), 'options.baseUrl'],
      [() => new sdk.Credport({ apiKey: site.token, credentialsCache: keyless() }), 'options.credentialsCache'],
      [() => healthy.connections.listAll(revoked()), 'params'],
      [() => healthy.connections.listAll({}, { signal: fakeSignal() }), 'options.signal'],
      [() => healthy.apiKeys.listAll({ get limit() { throwing(); } }), 'params.limit'],
      [() => new admin.CredportAdmin({ adminToken: 'cpadm_x', baseUrl: server.url }).site(revoked()), 'siteId'],
      [() => new admin.CredportAdmin(keyless()), 'options'],
      [() => sdk.verifyWebhook(revoked(), {}, ''), 'secret'],
    ];
    for (const [call, argument] of cases) {
      let error;
      try {
        call();
      } catch (e) {
        error = e;
      }
      assertNames(error, argument, String(call));
    }
  } finally {
    if (previous === undefined) delete process.env.CREDPORT_API_KEY;
    else process.env.CREDPORT_API_KEY = previous;
  }
});
