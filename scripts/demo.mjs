// `npm run demo`: credport-server on a temporary embedded database filled with demo data, and the
// Node quickstart run against it, then a connect end to end. Expects `npm run build` to have run
// (the npm script does).
//
// The demo's google token expires in two minutes, inside the default refresh margin: the
// demo gives the site a provider configuration (`google-prod`) whose endpoints are a small
// stand-in for Google's (scripts/demo-provider.mjs), started here on 127.0.0.1, so
// credport-server refreshes the token the first time the quickstart asks for google's
// credentials. Then a person connects google: the demo makes a connect session, follows its link
// as a browser would, approves on the stand-in's consent page, and prints the new connection and
// its refreshed credentials.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { browser } from './browser.mjs';
import { startStandInProvider } from './demo-provider.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples/node');

/** The server: CREDPORT_SERVER_BIN when one is built already (the test of this demo sets it),
 * else cargo's debug build, built here. */
function serverBinary() {
  if (process.env.CREDPORT_SERVER_BIN) return process.env.CREDPORT_SERVER_BIN;
  execFileSync('cargo', ['build', '--quiet', '-p', 'credport-server'], { cwd: root, stdio: 'inherit' });
  return path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug', 'credport-server');
}

const server = serverBinary();
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

/** The person's browser: each step of the connect is shown. */
const visit = browser();

/** A person connects google: a connect session, its link followed, approval on the stand-in's
 * consent page, credport-server's own page at the end; then the new connection, refreshed. */
async function connectDemo(url, seeded) {
  console.log('\nConnect (a person connects google by approving at the provider)');
  const admin = (method, route, body) => call(url, env.CREDPORT_ADMIN_TOKEN, method, route, body);
  const session = await admin('POST', `/v1/admin/sites/${seeded.site_id}/connect_sessions`, {
    provider_config_key: 'google-prod',
    metadata: { added_by: 'npm run demo' },
  });
  console.log(`  connect session ${session.id}: its link ${url}/oauth/connect/… (a secret: it works once, for 10 minutes)`);
  const opened = await visit(session.url);
  console.log(`  the link answers ${opened.status}, to the stand-in's authorization page with PKCE S256 and a state`);
  const consent = await visit(opened.location);
  const request = /name="request" value="([0-9a-f]+)"/.exec(consent.text)?.[1];
  console.log(`  the consent page (${consent.status}) asks to allow credport; the person clicks Approve`);
  const approved = await visit(new URL(`/authorize/decide?request=${request}&decision=approve`, opened.location).href);
  const done = await visit(approved.location);
  const said = /<h1>([^<]*)<\/h1><p>([^<]*)<\/p>/.exec(done.text);
  console.log(`  back at credport-server's callback (${done.status}): "${said?.[2]}"`);
  const finished = await admin('GET', `/v1/admin/sites/${seeded.site_id}/connect_sessions/${session.id}`);
  const connection = await call(url, seeded.token, 'GET', `/v1/connections/${finished.connection_id}`);
  console.log(`  session ${finished.status}; new connection ${connection.id}: ${connection.provider}, ${connection.status}, scopes ${connection.scopes.join(' ')}, token expires ${connection.token_expires_at}`);
  const refreshed = await call(url, seeded.token, 'GET', '/v1/connections/credentials/google?force_refresh=true');
  console.log(`  its credentials, refreshed at once: access token ${refreshed.fields.access_token.slice(0, 22)}…, expires ${refreshed.expires_at}`);
  if (finished.status !== 'succeeded' || provider.calls.exchange !== 1 || provider.calls.refresh !== 2) {
    console.error('  ✗ expected one code exchange and one more refresh');
    return 1;
  }
  return 0;
}

const seeded = JSON.parse(execFileSync(server, ['demo'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop());
console.log(`demo data: site ${seeded.site_id}, user ${seeded.user_id}`);

const child = spawn(server, [], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let exitCode = 1;
let provider;
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
  provider = await startStandInProvider({ client, log: console.log });
  const tokenUrl = `${provider.url}/token`;
  await call(url, env.CREDPORT_ADMIN_TOKEN, 'POST', `/v1/admin/sites/${seeded.site_id}/provider_configs`, {
    key: 'google-prod',
    provider: 'google',
    token_url: tokenUrl,
    authorization_url: `${provider.url}/authorize`,
    authorization_params: { access_type: 'offline', prompt: 'consent' },
    scopes: ['openid', 'email'],
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
  console.log(`  last_refreshed_at ${google.last_refreshed_at}; calls to the token endpoint: ${provider.calls.refresh}`);
  if (provider.calls.refresh !== 1 || !google.last_refreshed_at) {
    console.error('  ✗ expected exactly one refresh');
    exitCode ||= 1;
  }
  exitCode ||= await connectDemo(url, seeded);
} finally {
  provider?.server.close();
  child.kill('SIGTERM');
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(
  exitCode === 0
    ? '\nnpm run demo: done. The quickstart ran against credport-server, which refreshed google\'s token once and connected google through Connect; the server is stopped and its temporary database deleted.'
    : '\nnpm run demo: failed (see above); the server is stopped and its temporary database deleted.',
);
process.exit(exitCode);
