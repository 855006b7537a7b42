// The SDK from the packed tarball, imported by name, against a real credport-server.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { importAdminEsm, importEsm, requireCjs, startServer, connectionBody, testProject } from './harness.mjs';

let sdk, cjs, server, site, client;
const created = []; // every secret this file sees, to check none leaks into errors

before(async () => {
  sdk = await importEsm();
  cjs = requireCjs();
  server = await startServer();
  site = await server.site({ name: 'Acme ✓' });
  created.push(site.token);
  client = new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0 });
  const future = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const past = '2020-01-01T00:00:00Z';
  const bodies = [
    connectionBody('google', {
      token_expires_at: future,
      credentials: { type: 'oauth2', expires_at: future, fields: { access_token: 'ya29.token-google', refresh_token: '1//refresh-google' } },
    }),
    connectionBody('shopify'),
    connectionBody('konigle_pay', { credentials: { type: 'custom', fields: { merchant_id: 'm-1', secret_key: 'sk-konigle' } } }),
    connectionBody('slack', { status: 'inactive', token_expires_at: past }),
    connectionBody('github', { status: 'invalid' }),
  ];
  for (const body of bodies) {
    await server.connection(site.site.id, body);
    created.push(...Object.values(body.credentials.fields));
  }
});

after(async () => {
  await server?.stop();
});

describe('packaging', () => {
  test('ESM and CJS load the same classes (no dual-package hazard)', () => {
    for (const name of ['Credport', 'CredportError', 'APIError', 'NotFoundError', 'InvalidArgumentError', 'RateLimitError']) {
      assert.equal(typeof sdk[name], 'function', name);
      assert.equal(sdk[name], cjs[name], `${name} is one class`);
    }
  });

  test('every class is named as it is exported, whichever entry a process loads first', () => {
    const misnamed = (load) =>
      `${load}.then((m) => console.log(JSON.stringify(Object.keys(m).filter((n) => typeof m[n] === 'function' && m[n].name !== n))))`;
    for (const load of ["import('credport')", "Promise.resolve(require('credport'))"]) {
      const out = execFileSync(process.execPath, ['-e', misnamed(load)], { cwd: testProject(), encoding: 'utf8' });
      assert.deepEqual(JSON.parse(out), [], load);
    }
    assert.equal(sdk.ApiKeys.name, 'ApiKeys');
    assert.equal(client.apiKeys.constructor, sdk.ApiKeys);
  });

  test('nothing to free: no free() or [Symbol.dispose]() on the client, its resources or an iterator', async () => {
    // Freeing one broke every later call through it (a plain Error: null pointer passed to rust).
    const iterator = client.connections.listAll();
    for (const object of [client, client.connections, client.apiKeys, client.personalAccessTokens, iterator]) {
      assert.equal(object.free, undefined, object.constructor.name);
      assert.equal(object[Symbol.dispose], undefined, object.constructor.name);
    }
    const adminEntry = await importAdminEsm();
    const site = new adminEntry.CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url }).site('site_1');
    for (const object of [site, site.connections, site.webhookEndpoints]) assert.equal(object.free, undefined, object.constructor.name);
    assert.equal((await client.connections.list()).count >= 0, true, 'the client still works');
  });

  test('an error thrown through the ESM entry is an instance of the CJS classes', async () => {
    const error = await client.connections.get('conn_missing').catch((e) => e);
    assert.ok(error instanceof cjs.NotFoundError);
    assert.ok(error instanceof cjs.APIError);
    assert.ok(error instanceof cjs.CredportError);
    assert.ok(error instanceof Error);
  });
});

describe('connections', () => {
  test('list: count, paging fields and camelCase connections', async () => {
    const page = await client.connections.list();
    assert.equal(page.count, 5);
    assert.equal(page.page, 1);
    assert.equal(page.pageSize, 20);
    assert.equal(page.next, null);
    assert.equal(page.previous, null);
    assert.equal(page.payload.length, 5);
    const google = page.payload.find((c) => c.provider === 'google');
    assert.equal(google.providerConfigKey, 'google-prod');
    assert.equal(google.rootResourceName, 'google account');
    assert.equal(google.credentials.type, 'oauth2');
    assert.deepEqual(google.metadata, { tenantId: 't-1', 'Display Name': 'google' }, 'metadata keys unchanged');
    assert.equal(google.isActive, true);
    assert.equal(google.isExpired, false);
    const slack = page.payload.find((c) => c.provider === 'slack');
    assert.equal(slack.isActive, false);
    assert.equal(slack.isExpired, true);
    const text = JSON.stringify(page);
    for (const secret of created) assert.ok(!text.includes(secret), 'no credential in a list');
  });

  test('pagination across several pages, then listAll over all of them', async () => {
    const first = await client.connections.list({ page: 1, pageSize: 2 });
    assert.deepEqual([first.count, first.payload.length, first.next, first.previous], [5, 2, 2, null]);
    const last = await client.connections.list({ page: 3, pageSize: 2 });
    assert.deepEqual([last.payload.length, last.next, last.previous], [1, null, 2]);
    const seen = [];
    for await (const connection of client.connections.listAll({ pageSize: 2 })) seen.push(connection.id);
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
  });

  test('listAll: overlapping next() calls fetch each page once; an error ends the iteration', async () => {
    const pages = [];
    let failPage = 0;
    const counting = new sdk.Credport({
      apiKey: site.token,
      baseUrl: server.url,
      maxRetries: 0,
      fetch: (request) => {
        const page = Number(new URL(request.url).searchParams.get('page') ?? 1);
        pages.push(page);
        return page === failPage ? Promise.reject(new TypeError('network down')) : fetch(request);
      },
    });
    // Five next() calls at once over pages of two: pages 1, 2 and 3, each asked for once.
    const iterator = counting.connections.listAll({ pageSize: 2 })[Symbol.asyncIterator]();
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => iterator.next()));
    assert.deepEqual(results.map((r) => r.done), [false, false, false, false, false, true]);
    assert.equal(new Set(results.slice(0, 5).map((r) => r.value.id)).size, 5);
    assert.deepEqual(pages, [1, 2, 3]);

    // The second page fails: the first page's items, then the error, then the end.
    pages.length = 0;
    failPage = 2;
    const failing = counting.connections.listAll({ pageSize: 2 })[Symbol.asyncIterator]();
    assert.equal((await failing.next()).done, false);
    assert.equal((await failing.next()).done, false);
    await assert.rejects(failing.next(), sdk.APIConnectionError);
    assert.deepEqual(await failing.next(), { value: undefined, done: true });
    assert.deepEqual(pages, [1, 2]);
  });

  test('listAll: return() while a page is being fetched ends the iteration for good', async () => {
    const pages = [];
    let fetching;
    const started = new Promise((resolve) => (fetching = resolve));
    const slow = new sdk.Credport({
      apiKey: site.token,
      baseUrl: server.url,
      maxRetries: 0,
      fetch: async (request) => {
        pages.push(Number(new URL(request.url).searchParams.get('page') ?? 1));
        fetching();
        await new Promise((resolve) => setTimeout(resolve, 50));
        return fetch(request);
      },
    });
    const iterator = slow.connections.listAll({ pageSize: 2 })[Symbol.asyncIterator]();
    const pending = iterator.next();
    await started;
    assert.deepEqual(await iterator.return(), { value: undefined, done: true });
    // The page that arrives after return() is dropped: no item, and no page after it.
    assert.deepEqual(await pending, { value: undefined, done: true });
    for (let i = 0; i < 3; i++) assert.deepEqual(await iterator.next(), { value: undefined, done: true });
    assert.deepEqual(pages, [1]);
  });

  test('filters by provider and status', async () => {
    const active = await client.connections.list({ status: 'active' });
    assert.equal(active.count, 3);
    const shopify = await client.connections.list({ provider: 'shopify' });
    assert.deepEqual(shopify.payload.map((c) => c.provider), ['shopify']);
  });

  test('get and getCredentials', async () => {
    const { payload } = await client.connections.list({ provider: 'google' });
    const one = await client.connections.get(payload[0].id);
    assert.equal(one.id, payload[0].id);
    assert.equal(one.isActive, true);
    const creds = await client.connections.getCredentials('google');
    assert.equal(creds.provider, 'google');
    assert.equal(creds.type, 'oauth2');
    assert.deepEqual(creds.fields, { access_token: 'ya29.token-google', refresh_token: '1//refresh-google' });
    const error = await client.connections.getCredentials('dropbox').catch((e) => e);
    assert.ok(error instanceof sdk.NotFoundError);
  });

  test('an unknown enum value from a newer server is kept', async () => {
    // The real server's answer, rewritten as a later server version would send it.
    const newer = new sdk.Credport({
      apiKey: site.token,
      baseUrl: server.url,
      fetch: async (request) => {
        const response = await fetch(request);
        const body = (await response.text()).replaceAll('"status":"invalid"', '"status":"suspended"');
        return new Response(body, { status: response.status, headers: response.headers });
      },
    });
    const page = await newer.connections.list({ provider: 'github' });
    assert.equal(page.payload[0].status, 'suspended');
    assert.equal(page.payload[0].isActive, false);
  });
});

describe('API keys', () => {
  test('create, get, update, secret, verify, revoke, delete', async () => {
    const key = await client.apiKeys.create({
      name: 'ci key', subject: 'user_42', description: 'for CI', claims: { orgId: 7, nested: { snake_key: true } },
      scopes: ['read', 'write'], createdBy: 'admin', secondsUntilExpiration: 3600,
    });
    created.push(key.secret);
    assert.match(key.secret, /^cpk_/);
    assert.equal(key.object, 'api_key');
    assert.equal(key.type, 'api_key');
    assert.equal(key.subject, 'user_42');
    assert.equal(key.createdBy, 'admin');
    assert.deepEqual(key.claims, { orgId: 7, nested: { snake_key: true } }, 'claims keys unchanged');
    assert.equal(key.revoked, false);
    assert.equal(key.expired, false);
    assert.ok(key.expiration);
    assert.equal(key.lastUsedAt, null);

    const fetched = await client.apiKeys.get(key.id);
    assert.equal(fetched.secret, undefined, 'get never shows the secret');
    assert.equal(fetched.name, 'ci key');

    const updated = await client.apiKeys.update(key.id, { description: null, scopes: ['read'], claims: { orgId: 8 } });
    assert.equal(updated.description, null);
    assert.deepEqual(updated.scopes, ['read']);
    assert.deepEqual(updated.claims, { orgId: 8 });

    assert.deepEqual(await client.apiKeys.getSecret(key.id), { secret: key.secret });

    const valid = await client.apiKeys.verify(key.secret);
    assert.equal(valid.valid, true);
    assert.equal(valid.code, 'VALID');
    assert.equal(valid.apiKey.id, key.id);
    assert.ok((await client.apiKeys.get(key.id)).lastUsedAt, 'verification sets lastUsedAt');

    const revoked = await client.apiKeys.revoke(key.id, { revocationReason: 'rotated' });
    assert.equal(revoked.revoked, true);
    assert.equal(revoked.revocationReason, 'rotated');
    const after = await client.apiKeys.verify(key.secret);
    assert.deepEqual([after.valid, after.code], [false, 'REVOKED']);

    // Well-formed, never issued: the real secret with its last characters changed.
    const unknown = await client.apiKeys.verify(`${key.secret.slice(0, -4)}${key.secret.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`);
    assert.deepEqual([unknown.valid, unknown.code, unknown.apiKey], [false, 'NOT_FOUND', null]);
    const garbage = await client.apiKeys.verify('Bearer something-else');
    assert.deepEqual([garbage.valid, garbage.code], [false, 'NOT_FOUND'], 'any string gets an answer, not an exception');
    const long = await client.apiKeys.verify('x'.repeat(100_000));
    assert.deepEqual([long.valid, long.code], [false, 'NOT_FOUND'], 'however long (a header a service was sent)');

    assert.deepEqual(await client.apiKeys.delete(key.id), { id: key.id, object: 'api_key', deleted: true });
    const gone = await client.apiKeys.get(key.id).catch((e) => e);
    assert.ok(gone instanceof sdk.NotFoundError);
  });

  test('list pages, filters, includeInvalid and listAll; no secret in any list', async () => {
    const subject = `list-subject-${Date.now()}`;
    const keys = [];
    for (let i = 0; i < 5; i++) keys.push(await client.apiKeys.create({ name: `key ${i}`, subject, description: i === 3 ? 'the special one' : undefined }));
    keys.forEach((k) => created.push(k.secret));
    const page = await client.apiKeys.list({ subject, limit: 2, offset: 0 });
    assert.equal(page.totalCount, 5);
    assert.equal(page.data.length, 2);
    const rest = await client.apiKeys.list({ subject, limit: 2, offset: 4 });
    assert.equal(rest.data.length, 1);
    const found = await client.apiKeys.list({ subject, query: 'SPECIAL' });
    assert.deepEqual(found.data.map((k) => k.name), ['key 3']);
    await client.apiKeys.revoke(keys[0].id);
    assert.equal((await client.apiKeys.list({ subject })).totalCount, 4);
    assert.equal((await client.apiKeys.list({ subject, includeInvalid: true })).totalCount, 5);
    const all = [];
    for await (const key of client.apiKeys.listAll({ subject, limit: 2, includeInvalid: true })) all.push(key);
    assert.equal(all.length, 5);
    const text = JSON.stringify([page, rest, all]);
    for (const key of keys) assert.ok(!text.includes(key.secret));
  });

  test('a second key with the same name for the same subject is a ConflictError', async () => {
    await client.apiKeys.create({ name: 'dup', subject: 'dup-subject' });
    const error = await client.apiKeys.create({ name: 'dup', subject: 'dup-subject' }).catch((e) => e);
    assert.ok(error instanceof sdk.ConflictError);
    assert.equal(error.status, 409);
    assert.equal(error.code, 'conflict');
  });

  test('an idempotency key given by the caller returns the first answer', async () => {
    const options = { idempotencyKey: `idem-${Date.now()}` };
    const first = await client.apiKeys.create({ name: 'idem', subject: 'idem-subject' }, options);
    const second = await client.apiKeys.create({ name: 'idem', subject: 'idem-subject' }, options);
    created.push(first.secret);
    assert.equal(second.id, first.id);
  });
});

describe('personal access tokens', () => {
  test('create, list, get, revoke; a revoked token is refused', async () => {
    const made = await client.personalAccessTokens.create({ name: 'deploy', scopes: ['connections:read'] });
    created.push(made.token);
    assert.match(made.token, /^cpat_/);
    assert.equal(made.state, 'ACTIVE');
    assert.equal(made.userId, site.user);
    assert.deepEqual(made.scopes, ['connections:read']);
    const list = await client.personalAccessTokens.list();
    assert.ok(list.totalCount >= 2);
    assert.ok(!JSON.stringify(list).includes(made.token), 'no token in a list');
    assert.equal((await client.personalAccessTokens.get(made.id)).name, 'deploy');

    const scoped = new sdk.Credport({ apiKey: made.token, baseUrl: server.url, maxRetries: 0 });
    assert.equal((await scoped.connections.list()).count, 5);
    const denied = await scoped.apiKeys.list().catch((e) => e);
    assert.ok(denied instanceof sdk.PermissionDeniedError);
    assert.equal(denied.status, 403);

    const revoked = await client.personalAccessTokens.revoke(made.id);
    assert.equal(revoked.state, 'REVOKED');
    assert.equal(revoked.revokedBy, site.user);
    assert.ok(revoked.revokedAt);
    const refused = await scoped.connections.list().catch((e) => e);
    assert.ok(refused instanceof sdk.AuthenticationError);
    assert.ok(!refused.message.includes(made.token));
  });

  test('an expiry in the past is a BadRequestError naming the field', async () => {
    const error = await client.personalAccessTokens.create({ name: 'old', expiresAt: '2020-01-01T00:00:00Z' }).catch((e) => e);
    assert.ok(error instanceof sdk.BadRequestError);
    assert.equal(error.code, 'invalid_request');
    assert.equal(error.details.field, 'expires_at');
    assert.equal(typeof error.requestId, 'string');
    assert.equal(error.headers['x-request-id'], error.requestId);
  });
});

describe('errors', () => {
  test('every API error carries status, code, message, requestId, details and headers', async () => {
    const error = await client.apiKeys.get('ak_does_not_exist').catch((e) => e);
    assert.ok(error instanceof sdk.NotFoundError);
    assert.equal(error.name, 'NotFoundError');
    assert.equal(error.status, 404);
    assert.equal(error.code, 'not_found');
    assert.ok(error.message.length > 0);
    assert.ok(error.requestId);
    assert.equal(typeof error.headers, 'object');
    assert.ok(error.stack.includes('NotFoundError'));
  });

  test('a bad token is an AuthenticationError that does not repeat the token', async () => {
    const bad = new sdk.Credport({ apiKey: 'cpat_wrong_token_value', baseUrl: server.url, maxRetries: 0 });
    const error = await bad.connections.list().catch((e) => e);
    assert.ok(error instanceof sdk.AuthenticationError);
    assert.equal(error.status, 401);
    assert.ok(!String(error).includes('cpat_wrong_token_value'));
  });

  test('a refused connection is an APIConnectionError after the retries', async () => {
    const closed = new sdk.Credport({ apiKey: 'cpat_x', baseUrl: 'http://127.0.0.1:9', maxRetries: 0 });
    const error = await closed.connections.list().catch((e) => e);
    assert.ok(error instanceof sdk.APIConnectionError);
    assert.ok(!(error instanceof sdk.APIError));
  });

  test('a server that never answers is an APIConnectionTimeoutError', async () => {
    const silent = net.createServer(() => {});
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const slow = new sdk.Credport({ apiKey: 'cpat_x', baseUrl: `http://127.0.0.1:${silent.address().port}`, maxRetries: 0, timeoutMs: 200 });
      const error = await slow.connections.list().catch((e) => e);
      assert.ok(error instanceof sdk.APIConnectionTimeoutError);
      assert.ok(error instanceof sdk.APIConnectionError);
    } finally {
      silent.close();
      for (const s of [...(silent.connections ?? [])]) s.destroy();
    }
  });

  test('an aborted signal is an APIUserAbortError', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await client.connections.list({}, { signal: controller.signal }).catch((e) => e);
    assert.ok(error instanceof sdk.APIUserAbortError);
  });

  test('a rate limit is a RateLimitError with retryAfter', async () => {
    // The limit is per token: the admin token sets up the site within its own budget.
    const limited = await startServer({ env: { CREDPORT_RATE_LIMIT: '2' } });
    try {
      const s = await limited.site();
      const c = new sdk.Credport({ apiKey: s.token, baseUrl: limited.url, maxRetries: 0 });
      const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(() => c.connections.list()));
      const error = results.find((r) => r.status === 'rejected')?.reason;
      assert.ok(error instanceof sdk.RateLimitError, String(error));
      assert.equal(error.status, 429);
      assert.ok(error.retryAfter > 0);
    } finally {
      await limited.stop();
    }
  });

  test('no secret this file created appears in any error message', async () => {
    const errors = await Promise.all([
      client.apiKeys.get('nope').catch((e) => e),
      client.apiKeys.create({ name: 'x', subject: 'y', scopes: created[1] }).catch((e) => e),
      client.apiKeys.verify(42).catch((e) => e),
      new sdk.Credport({ apiKey: created[0], baseUrl: server.url, maxRetries: 0 }).connections.getCredentials('nope').catch((e) => e),
    ]);
    for (const error of errors) {
      assert.ok(error instanceof sdk.CredportError);
      for (const secret of created) assert.ok(!`${error} ${error.stack}`.includes(secret), `${error.name} leaks a secret`);
    }
  });
});

describe('logging', () => {
  test('lines go to the console by default, prefixed, without the token', async () => {
    const lines = [];
    const original = console.debug;
    console.debug = (line) => lines.push(line);
    try {
      const logging = new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0, logLevel: 'debug' });
      await logging.connections.list({ pageSize: 1 });
    } finally {
      console.debug = original;
    }
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /^\[credport\] GET \/v1\/connections \(attempt 1\/1\)$/);
    assert.match(lines[1], /^\[credport\] GET \/v1\/connections answered 200 in \d+ ms \(request id req_\w+\)$/);
    for (const line of lines) assert.ok(!line.includes(site.token));
  });

  test('a logger that throws does not break the call, and a level below the one set writes nothing', async () => {
    const seen = [];
    const throwing = Object.fromEntries(
      ['debug', 'info', 'warn', 'error'].map((level) => [
        level,
        (line) => {
          seen.push([level, line]);
          throw new Error('logger down');
        },
      ]),
    );
    const logging = new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0, logLevel: 'debug', logger: throwing });
    const page = await logging.connections.list({ pageSize: 1 });
    assert.equal(page.payload.length, 1);
    assert.deepEqual(seen.map(([level]) => level), ['debug', 'debug']);

    seen.length = 0;
    const quiet = new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0, logLevel: 'warn', logger: throwing });
    await quiet.connections.list({ pageSize: 1 });
    assert.deepEqual(seen, []);
  });
});
