// Connections that stay fresh, through the SDK: credport-server refreshes an expiring OAuth2 token
// before answering getCredentials, forceRefresh makes it refresh now, and the connection shows
// lastRefreshedAt; a refusal by the provider shows as refreshError. The provider's token endpoint
// is a stand-in on loopback (node:http) that counts its calls and rotates refresh tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { importEsm, startServer, connectionBody, runChild, testProject } from './harness.mjs';

let sdk, server, site, client, endpoint;
const calls = [];
let refuse = false;

before(async () => {
  sdk = await importEsm();
  endpoint = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      calls.push({ form, authorization: req.headers.authorization });
      res.setHeader('content-type', 'application/json');
      if (refuse) {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'the grant was revoked' }));
        return;
      }
      const n = calls.length;
      res.end(JSON.stringify({ access_token: `access-${n}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `refresh-${n}` }));
    });
  });
  await new Promise((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  server = await startServer();
  site = await server.site();
  await server.admin('POST', `/v1/admin/sites/${site.site.id}/provider_configs`, {
    key: 'google-prod',
    provider: 'google',
    token_url: `http://127.0.0.1:${endpoint.address().port}/token`,
    client_id: 'client-1',
    client_secret: 'client-secret-never-shown',
  });
  const soon = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await server.connection(
    site.site.id,
    connectionBody('google', {
      token_expires_at: soon,
      credentials: { type: 'oauth2', expires_at: soon, fields: { access_token: 'access-0', refresh_token: 'refresh-0' } },
    }),
  );
  client = new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0 });
});

after(async () => {
  await server?.stop();
  endpoint?.close();
});

test('an expiring token is refreshed before it is handed out, once; forceRefresh refreshes now', async () => {
  const fresh = await client.connections.getCredentials('google');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].form.get('grant_type'), 'refresh_token');
  assert.equal(calls[0].form.get('refresh_token'), 'refresh-0');
  assert.equal(fresh.fields.access_token, 'access-1');
  assert.equal(fresh.fields.refresh_token, 'refresh-1', 'the rotated refresh token is stored');
  assert.ok(Date.parse(fresh.expiresAt) > Date.now() + 3000_000);

  const again = await client.connections.getCredentials('google');
  assert.equal(calls.length, 1, 'a fresh token: no call');
  assert.equal(again.fields.access_token, 'access-1');

  const forced = await client.connections.getCredentials('google', { forceRefresh: true });
  assert.equal(calls.length, 2);
  assert.equal(calls[1].form.get('refresh_token'), 'refresh-1');
  assert.equal(forced.fields.access_token, 'access-2');

  const [connection] = (await client.connections.list({ provider: 'google' })).payload;
  assert.ok(connection.lastRefreshedAt && Date.parse(connection.lastRefreshedAt) <= Date.now() + 1000, String(connection.lastRefreshedAt));
  assert.equal(connection.refreshError, null);
  assert.equal(connection.isExpired, false);
});

/** The package's `credport` command against this site: `{ code, stdout, stderr }` (the stand-in
 * token endpoint runs in this process and answers meanwhile). */
function cli(...args) {
  const bin = path.join(testProject(), 'node_modules/.bin/credport');
  const env = { ...process.env, CREDPORT_API_KEY: site.token, CREDPORT_BASE_URL: server.url, NO_COLOR: '1' };
  return runChild(bin, args, { what: `credport ${args.join(' ')}`, limitMs: 60_000, env });
}

test('the command line: get-credentials --force-refresh refreshes now', async () => {
  const before = calls.length;
  const forced = await cli('connections', 'get-credentials', 'google', '--force-refresh', '--json');
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(calls.length, before + 1);
  assert.equal(JSON.parse(forced.stdout).fields.access_token, `access-${before + 1}`);
  const plain = await cli('connections', 'get-credentials', 'google', '--json');
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(calls.length, before + 1, 'a fresh token: no call');
});

test('a provider that refuses the grant: ConflictError, and the connection shows its refreshError', async () => {
  refuse = true;
  const error = await client.connections.getCredentials('google', { forceRefresh: true }).catch((e) => e);
  assert.ok(error instanceof sdk.ConflictError, String(error));
  assert.equal(error.code, 'connection_invalid');
  const [connection] = (await client.connections.list({ provider: 'google' })).payload;
  // The details' names in camelCase, as every name the SDK hands out.
  assert.deepEqual(error.details, { connectionId: connection.id });
  assert.equal(connection.status, 'invalid');
  assert.equal(connection.isActive, false);
  assert.equal(connection.refreshError.code, 'invalid_grant');
  assert.ok(connection.refreshError.at);
  for (const text of [error.message, JSON.stringify(error.details), JSON.stringify(connection)]) {
    for (const secret of ['client-secret-never-shown', 'refresh-2', 'access-2']) assert.ok(!text.includes(secret), text);
  }
  const gone = await client.connections.getCredentials('google').catch((e) => e);
  assert.ok(gone instanceof sdk.NotFoundError, String(gone));

  // The command line shows the refresh error in the list and in the connection's details.
  const list = await cli('connections', 'list');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /REFRESH ERROR/);
  assert.match(list.stdout, /invalid_grant/);
  const details = await cli('connections', 'get', connection.id);
  assert.match(details.stdout, /Refresh error:\s+invalid_grant: .* \(at /);
  assert.match(details.stdout, /Last refreshed:\s+\d{4}-/);
});
