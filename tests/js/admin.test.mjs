// credport/admin from the packed tarball, imported by name, against a real credport-server: every
// method, bad input refused before any request, errors as credport's classes, and the admin token
// in no error. A stand-in OAuth2 token endpoint on loopback (node:http) answers the refresh.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { countingFetch, importAdminEsm, importEsm, rejections, requireAdminCjs, startServer, connectionBody, testProject } from './harness.mjs';

let admin, sdk, cjs, server, endpoint, client;
const errors = []; // every error a call threw, to check that none holds the admin token
const secrets = []; // every secret this file made

const rejection = rejections(errors);

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** The server's list order: creation time (whole seconds), then id; `newest` reverses it. */
const listOrder = (items, newest = false) =>
  [...items].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1) * (newest ? -1 : 1));

before(async () => {
  admin = await importAdminEsm();
  sdk = await importEsm();
  cjs = requireAdminCjs();
  // A stand-in provider's token endpoint: answers every grant (a refresh, a code exchange).
  endpoint = http.createServer((req, res) => {
    req.resume().on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'access-new', token_type: 'Bearer', expires_in: 3600, refresh_token: 'refresh-new', scope: 'mail.read' }));
    });
  });
  await new Promise((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  server = await startServer();
  secrets.push(server.adminToken);
  client = new admin.CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url, maxRetries: 0 });
});

after(async () => {
  await server?.stop();
  endpoint?.close();
});

describe('packaging', () => {
  test('credport/admin is its own entry; ESM and CJS hand out the same classes, and the errors are credport\'s', () => {
    assert.equal(typeof admin.CredportAdmin, 'function');
    assert.equal(admin.CredportAdmin, cjs.CredportAdmin);
    assert.equal(admin.CredportAdmin.name, 'CredportAdmin');
    for (const name of ['CredportError', 'APIError', 'NotFoundError', 'ConflictError', 'AuthenticationError', 'InvalidArgumentError']) {
      assert.equal(admin[name], sdk[name], `${name} is credport's class`);
      assert.equal(cjs[name], sdk[name], `${name} (CJS) is credport's class`);
    }
    assert.equal(sdk.CredportAdmin, undefined, 'credport does not export the admin client');
    assert.equal(admin.Credport, undefined, 'credport/admin does not export the site client');
  });

  test('every class is named as it is exported, and the two entries load two .wasm files', () => {
    const script = `const a = require('credport/admin');
      const bad = Object.keys(a).filter((n) => typeof a[n] === 'function' && a[n].name !== n);
      console.log(JSON.stringify({ bad, resolved: require.resolve('credport/admin') }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: testProject(), encoding: 'utf8' }));
    assert.deepEqual(out.bad, []);
    assert.match(out.resolved, /node_modules\/credport\/admin\.cjs$/);
  });
});

describe('options', () => {
  test('adminToken is required (or CREDPORT_ADMIN_TOKEN), checked without echoing it', () => {
    const { CREDPORT_ADMIN_TOKEN: _, ...env } = process.env;
    const script = (code) => execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: testProject(), encoding: 'utf8', env });
    const missing = script(`import { CredportAdmin } from 'credport/admin';
      try { new CredportAdmin({ baseUrl: 'http://127.0.0.1:1' }); } catch (e) { console.log(e.name, e.argument, e.message); }`);
    assert.match(missing, /^InvalidArgumentError options\.adminToken options\.adminToken is required: pass it or set CREDPORT_ADMIN_TOKEN/);
    const fromEnv = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import { CredportAdmin } from 'credport/admin';
        const list = await new CredportAdmin({ baseUrl: process.argv[1] }).sites.list();
        console.log(typeof list.totalCount);`, server.url],
      { cwd: testProject(), encoding: 'utf8', env: { ...env, CREDPORT_ADMIN_TOKEN: server.adminToken } },
    );
    assert.equal(fromEnv.trim(), 'number');
    const spaced = `${server.adminToken} x`;
    const error = (() => {
      try {
        new admin.CredportAdmin({ adminToken: spaced });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(error instanceof sdk.InvalidArgumentError);
    assert.ok(!error.message.includes(server.adminToken));
  });

  test('the site client\'s options that are not the admin\'s are refused by name', () => {
    for (const [options, argument] of [
      [{ apiKey: 'cpat_x', adminToken: 'a' }, 'options.apiKey'],
      [{ adminToken: 'a', credentialsCache: { maxAgeMs: 1 } }, 'options.credentialsCache'],
      [{ adminToken: 'a', timeoutMs: -1 }, 'options.timeoutMs'],
      [{ adminToken: 'a', baseUrl: 'ftp://x' }, 'options.baseUrl'],
    ]) {
      assert.throws(() => new admin.CredportAdmin(options), (e) => e instanceof sdk.InvalidArgumentError && e.argument === argument);
    }
  });

  test('in a page (window and document), dangerouslyAllowBrowser: true is how it opts in', () => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `globalThis.window = globalThis; globalThis.document = {};
        const { CredportAdmin } = await import('credport/admin');
        const refused = (() => { try { new CredportAdmin({ adminToken: 't' }); } catch (e) { return e.argument; } })();
        const allowed = new CredportAdmin({ adminToken: 't', dangerouslyAllowBrowser: true });
        console.log(refused, typeof allowed.sites.list);`],
      { cwd: testProject(), encoding: 'utf8' },
    );
    assert.equal(out.trim(), 'options.dangerouslyAllowBrowser function');
  });
});

describe('sites', () => {
  test('create and list', async () => {
    const before = await client.sites.list();
    const site = await client.sites.create({ name: 'Acme ✓' });
    assert.match(site.id, /^site_/);
    assert.equal(site.name, 'Acme ✓');
    assert.match(site.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const list = await client.sites.list();
    assert.equal(list.totalCount, before.totalCount + 1);
    assert.deepEqual(list.data.at(-1), site);
  });

  test('bad input is refused before any request', async () => {
    const counted = countingFetch();
    const strict = new admin.CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url, fetch: counted });
    for (const [call, argument] of [
      [() => strict.sites.create(), 'params'],
      [() => strict.sites.create({}), 'params.name'],
      [() => strict.sites.create({ name: 7 }), 'params.name'],
      [() => strict.sites.create({ name: '' }), 'params.name'],
      [() => strict.sites.create({ name: 'n', color: 'red' }), 'params.color'],
      [() => strict.sites.list({ tiemoutMs: 1 }), 'options.tiemoutMs'],
    ]) {
      const error = await rejection(call());
      assert.ok(error instanceof sdk.InvalidArgumentError, error.message);
      assert.equal(error.argument, argument);
    }
    for (const id of [undefined, 42, '', '  ', null, {}]) {
      assert.throws(() => strict.site(id), (e) => e instanceof sdk.InvalidArgumentError && e.argument === 'siteId', String(id));
    }
    assert.equal(counted.calls, 0);
  });
});

describe('a site', () => {
  let siteId, site;
  before(async () => {
    siteId = (await client.sites.create({ name: 'Managed' })).id;
    site = client.site(siteId);
  });

  test('admin.site(id) hands out the same resource objects each time', () => {
    assert.equal(site.connections, site.connections);
    assert.equal(site.providerConfigs.constructor, admin.ProviderConfigs);
    assert.equal(site.apiKeys.constructor, admin.AdminApiKeys);
  });

  test('connections: create with credentials, list, listAll, get, update, refresh, delete', async () => {
    const expires = iso(Date.now() + 60_000);
    const made = [];
    for (const provider of ['google', 'shopify', 'konigle_pay']) {
      const body = connectionBody(provider);
      secrets.push(body.credentials.fields.api_key);
      made.push(
        await site.connections.create({
          provider,
          providerConfigKey: `${provider}-prod`,
          rootResourceName: `${provider} account`,
          scopes: ['read'],
          tokenExpiresAt: provider === 'google' ? expires : undefined,
          credentials: { type: 'api_key', fields: body.credentials.fields },
          metadata: { 'Display Name': provider, nested: { n: 1 } },
        }),
      );
    }
    const [google] = made;
    const ordered = listOrder(made);
    assert.equal(google.status, 'active');
    assert.equal(google.isActive, true);
    assert.equal(google.isExpired, false);
    assert.equal(google.tokenExpiresAt, expires);
    assert.deepEqual(google.credentials, { type: 'api_key', expiresAt: null });
    assert.deepEqual(google.metadata, { 'Display Name': 'google', nested: { n: 1 } }, 'metadata keys unchanged');
    assert.ok(!JSON.stringify(made).includes('secret-'), 'no secret in a connection');

    const page = await site.connections.list({ pageSize: 2 });
    assert.equal(page.count, 3);
    assert.equal(page.next, 2);
    assert.deepEqual(page.payload.map((c) => c.id), ordered.slice(0, 2).map((c) => c.id));
    const filtered = await site.connections.list({ provider: 'shopify' });
    assert.deepEqual(filtered.payload.map((c) => c.id), [made[1].id]);
    const all = [];
    for await (const connection of site.connections.listAll({ pageSize: 1 })) all.push(connection.id);
    assert.deepEqual(all, ordered.map((c) => c.id));
    assert.deepEqual(await site.connections.get(google.id), google);

    const newFields = { api_key: 'secret-rotated-value' };
    secrets.push(newFields.api_key);
    const updated = await site.connections.update(google.id, { status: 'inactive', credentials: { type: 'api_key', fields: newFields } });
    assert.equal(updated.status, 'inactive');
    assert.equal(updated.isActive, false);
    // The site's own token reads the new credentials: the admin's write went through.
    const pat = await site.personalAccessTokens.create({ userId: 'reader', name: 'reader' });
    secrets.push(pat.token);
    const reader = new sdk.Credport({ apiKey: pat.token, baseUrl: server.url, maxRetries: 0 });
    await site.connections.update(google.id, { status: 'active' });
    assert.deepEqual((await reader.connections.getCredentials('google')).fields, newFields);

    // Not refreshable (api_key): a ConflictError, not a call to anything.
    const conflict = await rejection(site.connections.refresh(google.id));
    assert.ok(conflict instanceof sdk.ConflictError);
    assert.equal(conflict.status, 409);

    assert.equal(await site.connections.delete(made[2].id), undefined);
    const gone = await rejection(site.connections.get(made[2].id));
    assert.ok(gone instanceof sdk.NotFoundError);
    assert.equal(gone.status, 404);
    assert.ok(gone.requestId);
  });

  test('providerConfigs: create (the client secret write-only), list, get, update, delete; refresh through one', async () => {
    const tokenUrl = `http://127.0.0.1:${endpoint.address().port}/token`;
    const clientSecret = 'client-secret-never-shown';
    secrets.push(clientSecret);
    const config = await site.providerConfigs.create({
      key: 'gmail-prod',
      provider: 'gmail',
      tokenUrl,
      clientId: 'client-1',
      clientSecret,
      scopes: ['mail.read'],
    });
    assert.deepEqual(
      { ...config, createdAt: undefined, updatedAt: undefined },
      {
        key: 'gmail-prod',
        provider: 'gmail',
        tokenUrl,
        authorizationUrl: null,
        authorizationParams: {},
        clientId: 'client-1',
        authMethod: 'client_secret_basic',
        scopes: ['mail.read'],
        refreshMarginSeconds: 300,
        redirectUri: `${server.url}/oauth/callback`,
        createdAt: undefined,
        updatedAt: undefined,
      },
    );
    const duplicate = await rejection(site.providerConfigs.create({ key: 'gmail-prod', provider: 'gmail', tokenUrl, clientId: 'c', clientSecret: 'x' }));
    assert.ok(duplicate instanceof sdk.ConflictError);
    assert.deepEqual(await site.providerConfigs.get('gmail-prod'), config);
    const updated = await site.providerConfigs.update('gmail-prod', { authMethod: 'client_secret_post', clientSecret: 'rotated-secret' });
    secrets.push('rotated-secret');
    assert.equal(updated.authMethod, 'client_secret_post');
    const list = await site.providerConfigs.list();
    assert.equal(list.totalCount, 1);
    assert.deepEqual(list.data, [updated], 'the list answers each configuration as get does, redirectUri included');
    const answered = JSON.stringify([config, updated, list]);
    assert.ok(!answered.includes(clientSecret) && !answered.includes('rotated-secret'), 'the client secret never comes back');
    assert.ok(!answered.includes('clientSecret'));

    // An oauth2 connection under this configuration is refreshed now by the admin.
    const connection = await site.connections.create({
      provider: 'gmail',
      providerConfigKey: 'gmail-prod',
      tokenExpiresAt: iso(Date.now() + 3600_000),
      credentials: { type: 'oauth2', fields: { access_token: 'access-old', refresh_token: 'refresh-old' } },
    });
    assert.equal(connection.lastRefreshedAt, null);
    const refreshed = await site.connections.refresh(connection.id);
    assert.match(refreshed.lastRefreshedAt, /Z$/);
    assert.equal(refreshed.refreshError, null);

    assert.equal(await site.providerConfigs.delete('gmail-prod'), undefined);
    const gone = await rejection(site.providerConfigs.get('gmail-prod'));
    assert.ok(gone instanceof sdk.NotFoundError);
  });

  test('connectSessions: create, the person authorizes at the provider, get says succeeded', async () => {
    const port = endpoint.address().port;
    await site.providerConfigs.create({
      key: 'mail-connect',
      provider: 'mail',
      tokenUrl: `http://127.0.0.1:${port}/token`,
      authorizationUrl: `http://127.0.0.1:${port}/authorize`,
      authorizationParams: { access_type: 'offline', approvalPrompt: 'force' },
      clientId: 'client-2',
      clientSecret: 'connect-client-secret',
      scopes: ['mail.read'],
    });
    secrets.push('connect-client-secret');
    const session = await site.connectSessions.create({ providerConfigKey: 'mail-connect', metadata: { 'Team Name': 'ops' } });
    assert.match(session.url, new RegExp(`^${server.url}/oauth/connect/`));
    assert.equal(session.status, 'pending');
    assert.equal(session.connectionId, null);
    assert.deepEqual(session.metadata, { 'Team Name': 'ops' });
    assert.match(session.expiresAt, /Z$/);
    assert.deepEqual({ ...(await site.connectSessions.get(session.id)), url: session.url }, session);

    // The person's browser: the link sends it to the provider, with the parameters as given
    // (keys unchanged), and the provider sends it back to credport's callback with a code.
    const opened = await fetch(session.url, { redirect: 'manual' });
    assert.equal(opened.status, 302);
    const authorize = new URL(opened.headers.get('location'));
    assert.equal(`${authorize.origin}${authorize.pathname}`, `http://127.0.0.1:${port}/authorize`);
    assert.equal(authorize.searchParams.get('approvalPrompt'), 'force');
    assert.equal(authorize.searchParams.get('access_type'), 'offline');
    const callback = new URL(authorize.searchParams.get('redirect_uri'));
    callback.search = new URLSearchParams({ code: 'the-code', state: authorize.searchParams.get('state') }).toString();
    // The browser that opened the link: its cookie goes with the answer.
    const cookie = opened.headers.getSetCookie()[0].split(';')[0];
    const landed = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    assert.equal(landed.status, 200, await landed.text());

    const done = await site.connectSessions.get(session.id);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.error, null);
    const made = await site.connections.get(done.connectionId);
    assert.deepEqual([made.provider, made.providerConfigKey, made.credentials.type, made.metadata], ['mail', 'mail-connect', 'oauth2', { 'Team Name': 'ops' }]);
  });

  test('personalAccessTokens: create (the token once), list by user, revoke', async () => {
    const made = await site.personalAccessTokens.create({ userId: 'alice', name: 'ci', scopes: ['connections:read'] });
    secrets.push(made.token);
    assert.match(made.token, /^cpat_/);
    assert.equal(made.userId, 'alice');
    assert.deepEqual(made.scopes, ['connections:read']);
    await site.personalAccessTokens.create({ userId: 'bob', name: 'other' }).then((t) => secrets.push(t.token));
    const alices = await site.personalAccessTokens.list({ userId: 'alice' });
    assert.deepEqual(alices.data.map((t) => t.id), [made.id]);
    assert.equal(alices.totalCount, 1);
    assert.ok(!('token' in alices.data[0]), 'a listed token has no value');
    assert.ok((await site.personalAccessTokens.list()).totalCount >= 2);

    const user = new sdk.Credport({ apiKey: made.token, baseUrl: server.url, maxRetries: 0 });
    await user.connections.list();
    const revoked = await site.personalAccessTokens.revoke(made.id);
    assert.equal(revoked.state, 'REVOKED');
    assert.equal(revoked.revokedBy, 'admin');
    const refused = await rejection(user.connections.list());
    assert.ok(refused instanceof sdk.AuthenticationError);
  });

  test('apiKeys: list, listAll, revoke', async () => {
    const pat = await site.personalAccessTokens.create({ userId: 'keys', name: 'keys' });
    secrets.push(pat.token);
    const user = new sdk.Credport({ apiKey: pat.token, baseUrl: server.url, maxRetries: 0 });
    const keys = [];
    for (const name of ['one', 'two', 'three']) {
      const key = await user.apiKeys.create({ name, subject: 'svc' });
      secrets.push(key.secret);
      keys.push(key);
    }
    const newest = listOrder(keys, true).map((k) => k.id);
    const page = await site.apiKeys.list({ limit: 2 });
    assert.equal(page.totalCount, 3);
    assert.deepEqual(page.data.map((k) => k.id), newest.slice(0, 2));
    const all = [];
    for await (const key of site.apiKeys.listAll({ limit: 1 })) all.push(key.id);
    assert.deepEqual(all, newest);

    const revoked = await site.apiKeys.revoke(keys[0].id, { revocationReason: 'leaked' });
    assert.equal(revoked.revoked, true);
    assert.equal(revoked.revocationReason, 'leaked');
    assert.ok(!JSON.stringify([page, revoked]).includes('cpk_'), 'no secret in a list or a revoke');
    assert.equal((await user.apiKeys.verify(keys[0].secret)).code, 'REVOKED');
    assert.equal((await site.apiKeys.list()).totalCount, 2);
    assert.equal((await site.apiKeys.list({ includeInvalid: true })).totalCount, 3);
  });

  test('bad input to a site\'s resources is refused before any request', async () => {
    const counted = countingFetch();
    const strict = new admin.CredportAdmin({ adminToken: server.adminToken, baseUrl: server.url, fetch: counted }).site(siteId);
    const credentials = { type: 'api_key', fields: { api_key: 'k' } };
    for (const [call, argument] of [
      [() => strict.connections.get(5), 'id'],
      [() => strict.connections.get(''), 'id'],
      [() => strict.connections.list({ pageSize: 0 }), 'params.pageSize'],
      [() => strict.connections.list({ pagesize: 1 }), 'params.pagesize'],
      [() => strict.connections.create({ provider: 'p', providerConfigKey: 'k' }), 'params.credentials'],
      [() => strict.connections.create({ providerConfigKey: 'k', credentials }), 'params.provider'],
      [() => strict.connections.create({ provider: 'p', providerConfigKey: 'k', credentials: { type: 'api_key', fields: [] } }), 'params.credentials.fields'],
      [() => strict.connections.create({ provider: 'p', providerConfigKey: 'k', credentials, metadata: 'm' }), 'params.metadata'],
      [() => strict.connections.create({ provider: 'p', providerConfigKey: 'k', credentials, metadata: { f: () => 1 } }), 'params.metadata.f'],
      [() => strict.connections.create({ provider: 'p', providerConfigKey: 'k', credentials: { type: 'telepathy' } }), 'params.credentials.type'],
      [() => strict.connections.update('c', { status: 'unknown-status' }), 'params.status'],
      [() => strict.connections.update('c'), 'params'],
      [() => strict.connections.delete(null), 'id'],
      [() => strict.connections.refresh([]), 'id'],
      [() => strict.providerConfigs.create({ key: 'k', provider: 'p', tokenUrl: 'http://example.com/t', clientId: 'c', clientSecret: 's' }), 'params.tokenUrl'],
      [() => strict.providerConfigs.create({ key: 'k', provider: 'p', tokenUrl: 'https://example.com/t', clientId: 'c' }), 'params.clientSecret'],
      [() => strict.providerConfigs.update('k', { refreshMarginSeconds: -1 }), 'params.refreshMarginSeconds'],
      // Read-only: the server's, answered, never sent.
      [() => strict.providerConfigs.update('k', { redirectUri: 'https://elsewhere.example/oauth/callback' }), 'params.redirectUri'],
      [() => strict.providerConfigs.get(1), 'key'],
      [() => strict.personalAccessTokens.create({ name: 'n' }), 'params.userId'],
      [() => strict.personalAccessTokens.create({ userId: 'admin', name: 'n' }), 'params.userId'],
      [() => strict.personalAccessTokens.create({ userId: 'u', name: 'n', scopes: ['root'] }), 'params.scopes[0]'],
      [() => strict.personalAccessTokens.create({ userId: 'u', name: 'n', scopes: [] }), 'params.scopes'],
      [() => strict.personalAccessTokens.list({ user: 'u' }), 'params.user'],
      [() => strict.personalAccessTokens.revoke(undefined), 'id'],
      [() => strict.apiKeys.list({ limit: 101 }), 'params.limit'],
      [() => strict.connectSessions.create({}), 'params.providerConfigKey'],
      [() => strict.connectSessions.create({ providerConfigKey: 'k', returnUrl: 'javascript:alert(1)' }), 'params.returnUrl'],
      [() => strict.connectSessions.create({ providerConfigKey: 'k', metadata: ['a'] }), 'params.metadata'],
      [() => strict.connectSessions.create({ providerConfigKey: 'k', metadata: { n: NaN } }), 'params.metadata.n'],
      [() => strict.connectSessions.get(7), 'id'],
      [() => strict.providerConfigs.create({ key: 'k', provider: 'p', tokenUrl: 'https://e.example/t', authorizationUrl: 'ftp://x', clientId: 'c', clientSecret: 's' }), 'params.authorizationUrl'],
      [() => strict.apiKeys.revoke('k', { reason: 'x' }), 'params.reason'],
    ]) {
      const error = await rejection(call());
      assert.ok(error instanceof sdk.InvalidArgumentError, `${argument}: ${error.message}`);
      assert.equal(error.argument, argument, error.message);
    }
    assert.throws(() => strict.apiKeys.listAll({ offset: -1 }), (e) => e instanceof sdk.InvalidArgumentError && e.argument === 'params.offset');
    assert.equal(counted.calls, 0);
  });

  test('ids are path segments: another site, a missing site and a path trick are 404', async () => {
    const other = client.site((await client.sites.create({ name: 'Other' })).id);
    const ours = (await client.site(siteId).connections.list()).payload[0];
    for (const call of [
      () => other.connections.get(ours.id),
      () => client.site('site_missing').connections.list(),
      () => client.site('../sites').apiKeys.list(),
      () => site.connections.get('../../sites'),
    ]) {
      const error = await rejection(call());
      assert.ok(error instanceof sdk.NotFoundError, error.message);
    }
  });
});

describe('errors', () => {
  test('a wrong admin token is an AuthenticationError that does not quote it', async () => {
    const wrong = `admin_${'0'.repeat(32)}`;
    const error = await rejection(new admin.CredportAdmin({ adminToken: wrong, baseUrl: server.url, maxRetries: 0 }).sites.list());
    assert.ok(error instanceof sdk.AuthenticationError);
    assert.ok(error instanceof sdk.APIError);
    assert.equal(error.status, 401);
    assert.ok(!`${error.message} ${error} ${JSON.stringify(error)}`.includes(wrong));
    // A site's token is not the admin's.
    const pat = await client.site((await client.sites.create({ name: 'T' })).id).personalAccessTokens.create({ userId: 'u', name: 'n' });
    secrets.push(pat.token);
    const refused = await rejection(new admin.CredportAdmin({ adminToken: pat.token, baseUrl: server.url, maxRetries: 0 }).sites.list());
    assert.ok(refused instanceof sdk.AuthenticationError);
  });

  test('an unreachable server is an APIConnectionError, retried as the site client retries', async () => {
    const counted = countingFetch();
    const down = new admin.CredportAdmin({ adminToken: server.adminToken, baseUrl: 'http://127.0.0.1:9', maxRetries: 1, fetch: counted });
    const error = await rejection(down.sites.list());
    assert.ok(error instanceof sdk.APIConnectionError);
    assert.equal(counted.calls, 2);
  });

  test('no error message, string or JSON holds the admin token or a secret', () => {
    assert.ok(errors.length > 30, `only ${errors.length} errors seen`);
    for (const error of errors) {
      const text = `${error.message} ${error} ${JSON.stringify(error)} ${error.stack}`;
      for (const secret of secrets) assert.ok(!text.includes(secret), `${error.name} holds a secret: ${error.message}`);
    }
  });
});
