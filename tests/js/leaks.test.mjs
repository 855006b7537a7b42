// No leak: 100,000 failed calls (bad input, decode errors, error answers, refused connections,
// aborts before and during a call and during a backoff wait, timeouts) leave the wasm memory flat
// and the JS heap bounded. The answers come from a `fetch` option that hands back canned broken
// `Response`s, so that the run takes seconds; the numbers are printed.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { importEsm, testProject } from './harness.mjs';

// `global.gc` without a command-line flag, so that the file runs the same under any runner.
v8.setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? vm.runInNewContext('gc');

const CALLS = 100_000;
const ROUND = 100; // calls in flight at once

let sdk, memory, client, refusedUrl;

const json = { 'content-type': 'application/json' };
const connection = {
  id: 'conn_1', provider: 'google', provider_config_key: 'google-prod', root_resource_id: 'r', root_resource_name: 'R',
  scopes: ['read'], status: 'active', token_expires_at: null, credentials: { type: 'oauth2', expires_at: null }, metadata: {},
  created_at: '2026-11-22T10:00:00Z', updated_at: '2026-11-22T10:00:00Z',
};
const page = { count: 1, page: 1, page_size: 20, next: null, previous: null, payload: [connection] };
const { provider, ...withoutProvider } = connection;
const broken = [
  JSON.stringify(page).slice(0, 57), // truncated
  JSON.stringify({ ...page, payload: [withoutProvider] }), // a required field missing
  JSON.stringify({ ...page, count: 'cpk_not_a_number' }), // a wrong type
  '<html><body>It works!</body></html>', // HTML with 200
  '',
];

/** The canned answer for a request, chosen by its `x-fault` path segment. */
function answer(request) {
  const url = new URL(request.url);
  const fault = url.searchParams.get('provider') ?? 'ok';
  const [kind, n] = fault.split('-');
  if (kind === 'decode') return new Response(broken[Number(n) % broken.length], { status: 200, headers: json });
  if (kind === 'notfound') {
    return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no', request_id: 'req_1' } }), { status: 404, headers: json });
  }
  if (kind === 'unavailable') {
    return new Response('<html>503</html>', { status: 503, headers: { 'retry-after': '10' } });
  }
  if (kind === 'hang') {
    // Never answers; rejects when the SDK aborts the attempt, as the runtime's fetch does.
    return new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true }));
  }
  return new Response(JSON.stringify(page), { status: 200, headers: json });
}

before(async () => {
  sdk = await importEsm();
  const internal = path.join(testProject(), 'node_modules/credport/node/credport.js');
  memory = createRequire(import.meta.url)(internal).__wasmMemory();
  client = new sdk.Credport({ apiKey: 'cpat_leak_test_token_0123456789', baseUrl: 'http://127.0.0.1:1', maxRetries: 0, fetch: answer });
  // A port with nothing listening: connecting is refused.
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  refusedUrl = `http://127.0.0.1:${probe.address().port}`;
  await new Promise((resolve) => probe.close(resolve));
});

/** The `i`-th failed call, of every kind in turn; resolves with the error's class name. */
function failedCall(i, refused) {
  const kind = i % ROUND;
  let call;
  if (kind < 50) {
    const bad = [
      () => client.apiKeys.create({ subject: 's' }),
      () => client.connections.list({ pageSize: 0 }),
      () => client.connections.get(42),
      () => client.apiKeys.update('ak_1', { secondsUntilExpiration: -1 }),
      () => client.personalAccessTokens.create({ name: 't', scopes: ['everything'] }),
      () => client.apiKeys.verify(''),
      () => client.connections.list({}, { timeoutMs: -1 }),
    ];
    call = bad[i % bad.length];
  } else if (kind < 80) {
    call = () => client.connections.list({ provider: `decode-${i}` });
  } else if (kind < 88) {
    call = () => client.connections.list({ provider: 'notfound' });
  } else if (kind < 90) {
    call = () => refused.connections.list();
  } else if (kind < 93) {
    const controller = new AbortController();
    controller.abort();
    call = () => client.connections.list({}, { signal: controller.signal });
  } else if (kind < 95) {
    // Aborted while the request is in flight.
    const controller = new AbortController();
    call = () => {
      const pending = client.connections.list({ provider: 'hang' }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 0);
      return pending;
    };
  } else if (kind < 97) {
    // Aborted during the backoff wait after a 503 asking for 10 s.
    const controller = new AbortController();
    call = () => {
      const pending = client.connections.list({ provider: 'unavailable' }, { signal: controller.signal, maxRetries: 1 });
      setTimeout(() => controller.abort(), 2);
      return pending;
    };
  } else {
    call = () => client.connections.list({ provider: 'hang' }, { timeoutMs: 1 });
  }
  return call().then(
    () => 'resolved',
    (e) => e.name,
  );
}

async function rounds(count, refused, seen) {
  for (let r = 0; r < count; r++) {
    const names = await Promise.all(Array.from({ length: ROUND }, (_, k) => failedCall(r * ROUND + k, refused)));
    for (const name of names) seen.set(name, (seen.get(name) ?? 0) + 1);
  }
}

async function settle() {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
}

test(`${CALLS.toLocaleString('en')} failed calls leave wasm memory flat and the JS heap bounded`, async () => {
  const refused = new sdk.Credport({ apiKey: 'cpat_leak_test_token_0123456789', baseUrl: refusedUrl, maxRetries: 0 });
  const warm = new Map();
  await rounds(20, refused, warm); // warm-up: the allocator and the JIT settle
  await settle();
  const wasmBefore = memory.buffer.byteLength;
  const heapBefore = process.memoryUsage().heapUsed;
  const started = Date.now();

  const seen = new Map();
  await rounds(CALLS / ROUND, refused, seen);
  const ms = Date.now() - started;
  await settle();
  const wasmAfter = memory.buffer.byteLength;
  const heapAfter = process.memoryUsage().heapUsed;

  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`${total} failed calls in ${ms} ms: ${JSON.stringify(Object.fromEntries(seen))}`);
  console.log(`wasm memory: ${kb(wasmBefore)} before, ${kb(wasmAfter)} after`);
  console.log(`JS heap used: ${kb(heapBefore)} before, ${kb(heapAfter)} after (${kb(heapAfter - heapBefore)} growth)`);

  assert.equal(total, CALLS);
  assert.equal(seen.get('resolved'), undefined, 'every call failed');
  for (const name of [
    'InvalidArgumentError', 'APIResponseValidationError', 'NotFoundError', 'APIConnectionError',
    'APIUserAbortError', 'APIConnectionTimeoutError',
  ]) {
    assert.ok(seen.get(name) > 0, `${name} is among the failures`);
  }
  assert.equal(wasmAfter, wasmBefore, 'wasm memory is flat');
  assert.ok(heapAfter - heapBefore < 4 * 1024 * 1024, 'the JS heap grew by less than 4 MiB (40 bytes a call)');

  // And the same client still works.
  const ok = await client.connections.list();
  assert.equal(ok.payload[0].provider, 'google');
});
