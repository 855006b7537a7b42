// getCredentials: `forceRefresh`, and the credentials cache (`credentialsCache: { maxAgeMs }`):
// off by default, single-flight per provider, errors never kept, `forceRefresh` replaces the entry,
// `clearCredentialsCache` empties it, credentials expiring within a minute are not kept. Against
// the real server; a counting `fetch` option sees every request the SDK makes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { importEsm, startServer, connectionBody } from './harness.mjs';

let sdk, server, site;
const seen = [];

before(async () => {
  sdk = await importEsm();
  server = await startServer();
  site = await server.site();
  const soon = new Date(Date.now() + 30_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await server.connection(site.site.id, connectionBody('shopify'));
  await server.connection(site.site.id, connectionBody('stripe'));
  await server.connection(site.site.id, connectionBody('expiring', { credentials: { type: 'api_key', expires_at: soon, fields: { api_key: 'k-soon' } } }));
});

after(async () => {
  await server?.stop();
});

/** A client whose requests are recorded in `seen`. */
function client(options = {}) {
  return new sdk.Credport({
    apiKey: site.token,
    baseUrl: server.url,
    maxRetries: 0,
    fetch: (request) => {
      seen.push(new URL(request.url));
      return fetch(request);
    },
    ...options,
  });
}

/** The requests made while `work` ran. */
async function requests(work) {
  const from = seen.length;
  await work();
  return seen.slice(from);
}

test('no cache by default: every call asks the server', async () => {
  const c = client();
  const made = await requests(async () => {
    await c.connections.getCredentials('shopify');
    await c.connections.getCredentials('shopify');
  });
  assert.equal(made.length, 2);
  c.connections.clearCredentialsCache(); // nothing to empty, and no error
});

test('20 concurrent calls for one provider make one request; later calls are answered from memory', async () => {
  const c = client({ credentialsCache: { maxAgeMs: 60_000 } });
  let answers;
  const made = await requests(async () => {
    answers = await Promise.all(Array.from({ length: 20 }, () => c.connections.getCredentials('shopify')));
  });
  assert.equal(made.length, 1);
  assert.equal(new Set(answers.map((a) => a.fields.api_key)).size, 1);
  assert.ok(answers[0].fields.api_key.startsWith('secret-shopify-'));
  // Each caller has its own object: one caller changing it does not change another's.
  answers[1].fields.api_key = 'changed';
  assert.notEqual(answers[2].fields.api_key, 'changed');
  assert.equal((await requests(() => c.connections.getCredentials('shopify'))).length, 0);
  const again = await c.connections.getCredentials('shopify');
  assert.equal(again.fields.api_key, answers[0].fields.api_key);
});

test('callers sharing one request each keep their own signal: one abort ends that wait only', async () => {
  // The request the first call starts waits at a gate, so that the second joins it and the
  // first aborts while it is in flight.
  let open, sent;
  const gate = new Promise((resolve) => (open = resolve));
  const inFlight = new Promise((resolve) => (sent = resolve));
  const c = client({
    credentialsCache: { maxAgeMs: 60_000 },
    fetch: async (request) => {
      seen.push(new URL(request.url));
      sent();
      await gate;
      return fetch(request);
    },
  });
  const first = new AbortController();
  const second = new AbortController();
  const made = await requests(async () => {
    const a = c.connections.getCredentials('stripe', undefined, { signal: first.signal });
    await inFlight;
    const b = c.connections.getCredentials('stripe', undefined, { signal: second.signal });
    first.abort();
    await assert.rejects(a, sdk.APIUserAbortError);
    open();
    const answer = await b;
    assert.ok(answer.fields.api_key.startsWith('secret-stripe-'));
    // Its own signal already aborted: no answer, not even from memory.
    await assert.rejects(c.connections.getCredentials('stripe', undefined, { signal: first.signal }), sdk.APIUserAbortError);
  });
  assert.equal(made.length, 1, 'one request, which the first caller\'s abort did not end');
  assert.equal((await requests(() => c.connections.getCredentials('stripe'))).length, 0, 'its answer was kept');
});

test('clearCredentialsCache(provider) and clearCredentialsCache() make the next call ask again', async () => {
  const c = client({ credentialsCache: { maxAgeMs: 60_000 } });
  await c.connections.getCredentials('shopify');
  await c.connections.getCredentials('stripe');
  c.connections.clearCredentialsCache('shopify');
  let made = await requests(async () => {
    await c.connections.getCredentials('shopify');
    await c.connections.getCredentials('stripe');
  });
  assert.deepEqual(made.map((u) => u.pathname), ['/v1/connections/credentials/shopify']);
  c.connections.clearCredentialsCache();
  made = await requests(async () => {
    await c.connections.getCredentials('shopify');
    await c.connections.getCredentials('stripe');
  });
  assert.equal(made.length, 2);
  assert.throws(() => c.connections.clearCredentialsCache(42), sdk.InvalidArgumentError);
});

test('entries last maxAgeMs, and credentials expiring within a minute are not kept', async () => {
  // A second long, so that the read right after the first is within it however slow the machine;
  // the wait is for that second to pass (the entry was stored before `stored` was taken).
  const c = client({ credentialsCache: { maxAgeMs: 1000 } });
  await c.connections.getCredentials('shopify');
  const stored = Date.now();
  assert.equal((await requests(() => c.connections.getCredentials('shopify'))).length, 0);
  await new Promise((resolve) => setTimeout(resolve, stored + 1050 - Date.now()));
  assert.equal((await requests(() => c.connections.getCredentials('shopify'))).length, 1);

  const long = client({ credentialsCache: { maxAgeMs: 60_000 } });
  const made = await requests(async () => {
    await long.connections.getCredentials('expiring');
    await long.connections.getCredentials('expiring');
  });
  assert.equal(made.length, 2, 'expires in 30 s: not served from memory');
});

test('errors are never cached, and every waiting caller gets the error', async () => {
  const c = client({ credentialsCache: { maxAgeMs: 60_000 } });
  let outcomes;
  const made = await requests(async () => {
    outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => c.connections.getCredentials('dropbox')));
  });
  assert.equal(made.length, 1);
  for (const o of outcomes) assert.ok(o.status === 'rejected' && o.reason instanceof sdk.NotFoundError, String(o.reason));
  const next = await requests(() => c.connections.getCredentials('dropbox').catch((e) => e));
  assert.equal(next.length, 1, 'asked again after an error');
});

test('forceRefresh asks the server to refresh, bypasses the cache and replaces its entry', async () => {
  const c = client({ credentialsCache: { maxAgeMs: 60_000 } });
  await c.connections.getCredentials('shopify');
  let made = await requests(() => c.connections.getCredentials('shopify', { forceRefresh: true }));
  assert.equal(made.length, 1);
  assert.equal(made[0].searchParams.get('force_refresh'), 'true');
  made = await requests(() => c.connections.getCredentials('shopify'));
  assert.equal(made.length, 0, 'the forced answer is the entry now');
  // Without forceRefresh no parameter is sent; forceRefresh: false is the same as leaving it out.
  const plain = client();
  made = await requests(() => plain.connections.getCredentials('shopify', { forceRefresh: false }));
  assert.equal(made[0].search, '');
});

test('arguments: options in second place still work; bad parameters and cache options are InvalidArgumentErrors', async () => {
  const c = client();
  const creds = await c.connections.getCredentials('shopify', { timeoutMs: 5000 });
  assert.equal(creds.provider, 'shopify');
  const withBoth = await c.connections.getCredentials('shopify', { forceRefresh: false }, { timeoutMs: 5000 });
  assert.equal(withBoth.provider, 'shopify');
  const bad = await c.connections.getCredentials('shopify', { forceRefresh: 'yes' }).catch((e) => e);
  assert.ok(bad instanceof sdk.InvalidArgumentError && bad.argument === 'params.forceRefresh', String(bad));
  for (const [options, argument] of [
    [{ credentialsCache: 5 }, 'options.credentialsCache'],
    [{ credentialsCache: {} }, 'options.credentialsCache.maxAgeMs'],
    [{ credentialsCache: { maxAgeMs: 0 } }, 'options.credentialsCache.maxAgeMs'],
    [{ credentialsCache: { maxAgeMs: 10, ttl: 5 } }, 'options.credentialsCache.ttl'],
  ]) {
    assert.throws(() => client(options), (e) => e instanceof sdk.InvalidArgumentError && e.argument === argument, JSON.stringify(options));
  }
});
