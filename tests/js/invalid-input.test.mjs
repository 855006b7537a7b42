// Bad input: an InvalidArgumentError naming the argument, no request sent, the client unharmed,
// and no wasm memory growth over thousands of bad calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { importEsm, startServer, testProject } from './harness.mjs';

let sdk, server, client, token;
let requests = 0;

before(async () => {
  sdk = await importEsm();
  server = await startServer();
  ({ token } = await server.site());
  client = new sdk.Credport({
    apiKey: token,
    baseUrl: server.url,
    fetch: (request) => {
      requests += 1;
      return fetch(request);
    },
  });
});

after(async () => {
  await server?.stop();
});

// [call, argument the error must name]
const badCalls = [
  [(c) => c.connections.list({ page: 0 }), 'params.page'],
  [(c) => c.connections.list({ pageSize: 101 }), 'params.pageSize'],
  [(c) => c.connections.list({ pageSize: -1 }), 'params.pageSize'],
  [(c) => c.connections.list({ pageSize: 2.5 }), 'params.pageSize'],
  [(c) => c.connections.list({ page: '2' }), 'params.page'],
  [(c) => c.connections.list({ provider: '' }), 'params.provider'],
  [(c) => c.connections.list({ pagesize: 5 }), 'params'],
  [(c) => c.connections.list('page=1'), 'params'],
  [(c) => c.connections.get(), 'id'],
  [(c) => c.connections.get(null), 'id'],
  [(c) => c.connections.get(42), 'id'],
  [(c) => c.connections.get({ id: 'x' }), 'id'],
  [(c) => c.connections.get(''), 'id'],
  [(c) => c.connections.getCredentials(undefined), 'provider'],
  [(c) => c.connections.getCredentials(['google']), 'provider'],
  [(c) => c.connections.getCredentials('goo\uDC00gle'), 'provider'],
  [(c) => c.apiKeys.get('ak_\uD800'), 'id'],
  // A lone surrogate in any string parameter, not only an id: it would be sent as U+FFFD.
  [(c) => c.apiKeys.list({ subject: 'user_1\uD800' }), 'params.subject'],
  [(c) => c.apiKeys.create({ name: 'n', subject: 'user_1\uDC00' }), 'params.subject'],
  [(c) => c.apiKeys.create({ name: 'n', subject: 's', scopes: ['a', 'b\uD800'] }), 'params.scopes[1]'],
  [(c) => c.apiKeys.create({ name: 'n', subject: 's', claims: { team: { id: '\uDFFF' } } }), 'params.claims.team.id'],
  [(c) => c.apiKeys.create(), 'params'],
  [(c) => c.apiKeys.create({ subject: 's' }), 'params.name'],
  [(c) => c.apiKeys.create({ name: 'n' }), 'params.subject'],
  [(c) => c.apiKeys.create({ name: '  ', subject: 's' }), 'params.name'],
  [(c) => c.apiKeys.create({ name: 5, subject: 's' }), 'params.name'],
  [(c) => c.apiKeys.create({ name: 'n', subject: 's', scopes: 'read' }), 'params.scopes'],
  [(c) => c.apiKeys.create({ name: 'n', subject: 's', secondsUntilExpiration: 0 }), 'params.secondsUntilExpiration'],
  [(c) => c.apiKeys.create({ name: 'n', subject: 's', secondsUntilExpiration: -5 }), 'params.secondsUntilExpiration'],
  [(c) => c.apiKeys.list({ limit: 0 }), 'params.limit'],
  [(c) => c.apiKeys.list({ limit: 1000 }), 'params.limit'],
  [(c) => c.apiKeys.list({ offset: -1 }), 'params.offset'],
  [(c) => c.apiKeys.list({ includeInvalid: 'yes' }), 'params.includeInvalid'],
  [(c) => c.apiKeys.get(undefined), 'id'],
  [(c) => c.apiKeys.update('ak_1'), 'params'],
  [(c) => c.apiKeys.update(7, {}), 'id'],
  [(c) => c.apiKeys.update('ak_1', { subject: '' }), 'params.subject'],
  [(c) => c.apiKeys.update('ak_1', { secondsUntilExpiration: 0 }), 'params.secondsUntilExpiration'],
  [(c) => c.apiKeys.delete(null), 'id'],
  [(c) => c.apiKeys.getSecret(true), 'id'],
  [(c) => c.apiKeys.revoke('ak_1', { revocationReason: 5 }), 'params.revocationReason'],
  [(c) => c.apiKeys.verify(), 'secret'],
  [(c) => c.apiKeys.verify(''), 'secret'],
  [(c) => c.apiKeys.verify({ secret: 'x' }), 'secret'],
  [(c) => c.personalAccessTokens.create({}), 'params.name'],
  [(c) => c.personalAccessTokens.create({ name: 't', expiresAt: 'tomorrow' }), 'params.expiresAt'],
  [(c) => c.personalAccessTokens.create({ name: 't', scopes: ['everything'] }), 'params.scopes[0]'],
  [(c) => c.personalAccessTokens.get(0), 'id'],
  [(c) => c.personalAccessTokens.revoke(undefined), 'id'],
  [(c) => c.connections.list({}, { timeoutMs: 0 }), 'options.timeoutMs'],
  [(c) => c.connections.list({}, { maxRetries: -1 }), 'options.maxRetries'],
  [(c) => c.connections.list({}, { signal: 'stop' }), 'options.signal'],
  [(c) => c.apiKeys.create({ name: 'n', subject: 's' }, { idempotencyKey: '' }), 'options.idempotencyKey'],
  // HTTP drops spaces around a header's value: the server would get another key, or none.
  [(c) => c.apiKeys.create({ name: 'n', subject: 's' }, { idempotencyKey: '   ' }), 'options.idempotencyKey'],
  [(c) => c.apiKeys.create({ name: 'n', subject: 's' }, { idempotencyKey: ' a' }), 'options.idempotencyKey'],
  [(c) => c.connections.list({}, { retries: 1 }), 'options.retries'],
];

test('every bad call is an InvalidArgumentError naming the argument, and sends nothing', async () => {
  for (const [call, argument] of badCalls) {
    const error = await call(client).then(
      () => assert.fail(`${call} resolved`),
      (e) => e,
    );
    assert.ok(error instanceof sdk.InvalidArgumentError, `${call}: ${error}`);
    assert.ok(error instanceof sdk.CredportError);
    assert.equal(error.code, 'invalid_argument');
    assert.ok(error.argument.startsWith(argument), `${call}: argument ${error.argument}, wanted ${argument}`);
    assert.ok(error.message.startsWith(argument), `${call}: message "${error.message}"`);
  }
  assert.equal(requests, 0, 'no request was sent');
  const page = await client.connections.list();
  assert.equal(page.count, 0, 'the same client still works');
  assert.equal(requests, 1);
});

test('messages name what was wrong: the type, the field, the expected fields, the path', async () => {
  const cases = [
    [(c) => c.connections.list(() => 1), 'params must be an object, got function'],
    [(c) => c.connections.list([1]), 'params must be an object, got array'],
    [(c) => c.connections.list({ pagesize: 5 }), 'params.pagesize is not a known field; expected one of `page`, `pageSize`, `provider`, `status`'],
    // A number that is no whole number of the field's type is told the field's own range.
    [(c) => c.connections.list({ pageSize: 2.5 }), 'params.pageSize must be a whole number from 1 to 100'],
    [(c) => c.apiKeys.list({ limit: -1 }), 'params.limit must be a whole number from 1 to 100'],
    [(c) => c.apiKeys.list({ limit: '5' }), 'params.limit must be a whole number from 1 to 100, got string'],
    [(c) => c.apiKeys.list({ offset: -1 }), 'params.offset must be a whole number from 0 to 4294967295'],
    [(c) => c.apiKeys.create({ name: 'n', subject: 's', secondsUntilExpiration: -5 }), 'params.secondsUntilExpiration must be a whole number from 1 to 315360000'],
    [(c) => c.connections.list({ pageSize: 101 }), 'params.pageSize must be between 1 and 100, got 101'],
    [(c) => c.apiKeys.create({ name: 'n', subject: 's', scopes: ['a', 7] }), 'params.scopes[1] must be a string, got number'],
    [(c) => c.apiKeys.create({ name: 'n', subject: 's', claims: { at: { f() {} } } }), 'params.claims.at.f must be plain JSON data (not a function, NaN or Infinity)'],
    // Too deep, or a cycle: said of the whole value, not of a path of hundreds of [0]s.
    [(c) => c.apiKeys.create({ name: 'n', subject: 's', claims: JSON.parse(`${'['.repeat(2000)}${']'.repeat(2000)}`) }), 'params.claims must nest at most 128 levels deep (and hold no cycle)'],
    [(c) => { const loop = { a: {} }; loop.a.back = loop; return c.apiKeys.create({ name: 'n', subject: 's', claims: loop }); }, 'params.claims must nest at most 128 levels deep (and hold no cycle)'],
    [(c) => c.apiKeys.create({ subject: 's' }), 'params.name is required'],
    // A scope entry is named by its index, never quoted: a secret pasted there is not echoed.
    [(c) => c.personalAccessTokens.create({ name: 'n', scopes: ['api_keys:read', 'tokens:write', 'cpk_live_secret'] }), 'params.scopes[2] is not a known scope; expected one of connections:read, credentials:read, api_keys:read, api_keys:write, tokens:write'],
    [(c) => c.apiKeys.create({ name: 'n', subject: 's', scopes: ['a', ' '] }), 'params.scopes[1] must not be empty'],
    // A token's scopes: at least one, refused before it is sent (the server would answer 400).
    [(c) => c.personalAccessTokens.create({ name: 'n', scopes: [] }), 'params.scopes must hold at least one scope; leave it out for the default'],
  ];
  for (const [call, message] of cases) {
    const error = await call(client).then(
      () => assert.fail(`${call} resolved`),
      (e) => e,
    );
    assert.ok(error instanceof sdk.InvalidArgumentError, `${call}: ${error}`);
    assert.equal(error.message, message);
  }
});

test('a string parameter holding U+FFFD itself is whole Unicode, and sent', async () => {
  const uncounted = new sdk.Credport({ apiKey: token, baseUrl: server.url });
  const { totalCount } = await uncounted.apiKeys.list({ subject: 'user_\uFFFD' });
  assert.equal(totalCount, 0);
});

test('listAll with bad parameters throws at once', () => {
  assert.throws(() => client.connections.listAll({ pageSize: 0 }), sdk.InvalidArgumentError);
  assert.throws(() => client.apiKeys.listAll({ limit: -1 }), sdk.InvalidArgumentError);
});

test('bad client options are InvalidArgumentErrors naming the option', () => {
  const cases = [
    [{ apiKey: '' }, 'options.apiKey'],
    [{ apiKey: 'has space' }, 'options.apiKey'],
    [{ apiKey: 5 }, 'options.apiKey'],
    [{ apiKey: 'k', baseUrl: 'ftp://x' }, 'options.baseUrl'],
    [{ apiKey: 'k', maxRetries: 1.5 }, 'options.maxRetries'],
    [{ apiKey: 'k', timeoutMs: Infinity }, 'options.timeoutMs'],
    [{ apiKey: 'k', fetch: 'fetch' }, 'options.fetch'],
    [{ apiKey: 'k', dangerouslyAllowBrowser: 'yes' }, 'options.dangerouslyAllowBrowser'],
    ['cpat_x', 'options'],
    [{ apiKey: 'k', baseUrl: 'https://user:s3cret@proxy.example' }, 'options.baseUrl'],
    [{ apiKey: 'k', baseUrl: 'https://:s3cret@proxy.example/v' }, 'options.baseUrl'],
    [{ apiKey: 'k', baseUrl: 'https://api.example/#' }, 'options.baseUrl'],
    [{ apiKey: 'k', baseUrl: 'https://api.example/?s3cret=1' }, 'options.baseUrl'],
    [{ apiKey: 'k', baseUrl: 'https:///v1' }, 'options.baseUrl'],
    [{ apiKey: 'k', baseUrl: 'http://127.0.0.1:99999' }, 'options.baseUrl'],
    [{ apiKey: 'k', baseUrl: 'http://[::1' }, 'options.baseUrl'],
    [{ apiKey: 'k', baseUrl: 'https://api.example:https' }, 'options.baseUrl'],
  ];
  for (const [options, argument] of cases) {
    assert.throws(
      () => new sdk.Credport(options),
      (e) => e instanceof sdk.InvalidArgumentError && e.argument === argument && !e.message.includes('s3cret'),
      JSON.stringify(options),
    );
  }
  const secret = 'cpat_do_not_print_me';
  try {
    new sdk.Credport({ apiKey: `${secret}\n` });
    assert.fail('accepted a key with a newline');
  } catch (e) {
    assert.ok(!String(e).includes(secret));
  }
});

test('options made by Object.create(null) or in another realm are read like any object', async () => {
  const url = JSON.stringify(server.url);
  for (const options of [
    Object.assign(Object.create(null), { apiKey: token, baseUrl: server.url }),
    vm.runInNewContext(`({ apiKey: ${JSON.stringify(token)}, baseUrl: ${url} })`),
  ]) {
    const other = new sdk.Credport(options);
    for (const call of [Object.assign(Object.create(null), { timeoutMs: 5000 }), vm.runInNewContext('({ timeoutMs: 5000 })')]) {
      assert.equal((await other.connections.list(Object.create(null), call)).count, 0);
    }
  }
});

test('10,000 bad calls leave wasm memory flat', async () => {
  const internal = path.join(testProject(), 'node_modules/credport/node/credport.js');
  const memory = createRequire(import.meta.url)(internal).__wasmMemory();
  const round = async (n) => {
    for (let i = 0; i < n; i++) {
      const [call] = badCalls[i % badCalls.length];
      await call(client).catch(() => {});
    }
  };
  await round(1_000); // warm-up: the allocator settles
  const before = memory.buffer.byteLength;
  await round(10_000);
  const afterBytes = memory.buffer.byteLength;
  console.log(`wasm memory: ${before} bytes before, ${afterBytes} after 10,000 bad calls`);
  assert.equal(afterBytes, before);
  assert.equal(requests, 1, 'still no request sent');
});
