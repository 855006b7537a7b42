// `npm run demo`: credport-server on a temporary embedded database filled with demo data, and the
// Node quickstart run against it. Expects `npm run build` to have run (the npm script does).
//
// The demo's google token expires in two minutes, inside the default refresh margin: the
// demo gives the site a provider configuration (`google-prod`) whose token endpoint is a small
// stand-in for Google's, started here on 127.0.0.1, so credport-server refreshes the token the
// first time the quickstart asks for google's credentials.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples/node');

execFileSync('cargo', ['build', '--quiet', '-p', 'credport-server'], { cwd: root, stdio: 'inherit' });
const server = path.join(root, 'target/debug/credport-server');
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: example, stdio: 'inherit' });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'credport-demo-'));
const env = {
  ...process.env,
  CREDPORT_DATABASE: path.join(dir, 'credport.db'),
  CREDPORT_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
  CREDPORT_ADMIN_TOKEN: crypto.randomBytes(24).toString('hex'),
  CREDPORT_LISTEN: '127.0.0.1:0',
  // The quickstart's output is what a person reads; the server says only what goes wrong.
  CREDPORT_LOG: process.env.CREDPORT_LOG ?? 'warn',
};

/** A stand-in for the provider's OAuth2 token endpoint (RFC 6749 §6): it checks the client's
 * credentials and the grant, and issues a new access token and a rotated refresh token. It is not
 * Google; it only answers like a token endpoint does. */
function startStandInTokenEndpoint(client) {
  const expected = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      const answer = (status, json) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(json));
      };
      if (request.method !== 'POST' || request.url !== '/token') return answer(404, { error: 'not_found' });
      if (request.headers.authorization !== expected) return answer(401, { error: 'invalid_client' });
      if (form.get('grant_type') !== 'refresh_token' || !form.get('refresh_token')) {
        return answer(400, { error: 'invalid_grant' });
      }
      server.calls += 1;
      const accessToken = `ya29.refreshed-${crypto.randomBytes(12).toString('hex')}`;
      console.log(`  [stand-in token endpoint] refresh_token grant from credport-server: issued ${accessToken.slice(0, 22)}…`);
      answer(200, {
        access_token: accessToken,
        refresh_token: `1//rotated-${crypto.randomBytes(12).toString('hex')}`,
        token_type: 'Bearer',
        expires_in: 3600,
      });
    });
  });
  server.calls = 0;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A request to credport-server, its JSON answer. */
async function call(url, token, method, path, body) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${json.error?.code}`);
  return json;
}

const seeded = JSON.parse(execFileSync(server, ['demo'], { env, encoding: 'utf8' }).trim().split('\n').pop());
console.log(`demo data: site ${seeded.site_id}, user ${seeded.user_id}`);

const child = spawn(server, [], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let exitCode = 1;
let tokenEndpoint;
try {
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`credport-server exited with ${code}`)));
  });
  console.log(`credport-server at ${url} (database ${env.CREDPORT_DATABASE})`);

  const client = { id: 'demo-client.apps.example', secret: crypto.randomBytes(24).toString('hex') };
  tokenEndpoint = await startStandInTokenEndpoint(client);
  const tokenUrl = `http://127.0.0.1:${tokenEndpoint.address().port}/token`;
  await call(url, env.CREDPORT_ADMIN_TOKEN, 'POST', `/v1/admin/sites/${seeded.site_id}/provider_configs`, {
    key: 'google-prod',
    provider: 'google',
    token_url: tokenUrl,
    client_id: client.id,
    client_secret: client.secret,
  });
  const { payload } = await call(url, seeded.token, 'GET', '/v1/connections?provider=google');
  console.log(`provider configuration google-prod: token endpoint ${tokenUrl} (a local stand-in for Google's)`);
  console.log(`google's token expires at ${payload[0].token_expires_at}, within the refresh margin\n`);

  const quickstart = spawn(process.execPath, ['quickstart.mjs'], {
    cwd: example,
    env: { ...process.env, CREDPORT_API_KEY: seeded.token, CREDPORT_BASE_URL: url },
    stdio: 'inherit',
  });
  exitCode = await new Promise((resolve) => quickstart.once('exit', (code) => resolve(code ?? 1)));

  const credentials = await call(url, seeded.token, 'GET', '/v1/connections/credentials/google');
  const google = await call(url, seeded.token, 'GET', `/v1/connections/${payload[0].id}`);
  console.log('\nToken refresh (credport-server kept google\'s token fresh)');
  console.log(`  google access token now ${credentials.fields.access_token.slice(0, 22)}…, expires ${credentials.expires_at}`);
  console.log(`  last_refreshed_at ${google.last_refreshed_at}; calls to the token endpoint: ${tokenEndpoint.calls}`);
  if (tokenEndpoint.calls !== 1 || !google.last_refreshed_at) {
    console.error('  ✗ expected exactly one refresh');
    exitCode ||= 1;
  }
} finally {
  tokenEndpoint?.close();
  child.kill('SIGTERM');
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
