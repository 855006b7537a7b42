// Connect against an OAuth2 server nobody here wrote: npm's oauth2-mock-server (exact version in
// package.json) as the provider, the real credport-server as the client. A browser's steps are
// followed one redirect at a time with fetch: the connect link, the provider's authorization
// endpoint, the callback. The provider checks the PKCE verifier against the challenge (a wrong
// one fails the exchange); its issuer sends `iss` (RFC 9207). The connection made is then read
// and refreshed through the SDK.
//
// Last, the same in Chromium (Debian's, driven by playwright-core), which follows the redirects
// itself and enforces the page's Content-Security-Policy: the page's one style must be allowed
// by its hash, and nothing else may load.
//
// The admin calls are plain HTTP (server.admin) until the SDK's admin client has connect
// sessions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OAuth2Server } from 'oauth2-mock-server';
import { browser } from '../../scripts/browser.mjs';
import { importEsm, startServer } from './harness.mjs';

let sdk, provider, server, site;
const authorizations = [];
const exchanges = [];
let deny = false;

before(async () => {
  sdk = await importEsm();
  provider = new OAuth2Server();
  await provider.issuer.keys.generate('RS256');
  await provider.start(0, '127.0.0.1');
  provider.service.on('beforeAuthorizeRedirect', (redirect, req) => {
    authorizations.push({ ...req.query });
    if (deny) {
      redirect.url.searchParams.delete('code');
      redirect.url.searchParams.set('error', 'access_denied');
    }
    redirect.url.searchParams.set('iss', provider.issuer.url);
  });
  provider.service.on('beforeResponse', (response, req) => {
    exchanges.push({ body: { ...req.body }, authorization: req.headers.authorization, status: response.statusCode });
  });
  server = await startServer();
  site = await server.site();
  await server.admin('POST', `/v1/admin/sites/${site.site.id}/provider_configs`, {
    key: 'mock-prod',
    provider: 'mock',
    token_url: `${provider.issuer.url}/token`,
    authorization_url: `${provider.issuer.url}/authorize`,
    client_id: 'credport-interop',
    client_secret: 'interop-client-secret-never-shown',
    scopes: ['openid', 'email'],
    authorization_params: { nonce: 'n-1' },
  });
});

after(async () => {
  await server?.stop();
  await provider?.stop();
});

/** The person's browser. */
const visit = browser();

/** Makes a session with `body`, then walks link → provider → callback: the last answer. */
async function connect(body = {}) {
  const session = await server.admin('POST', `/v1/admin/sites/${site.site.id}/connect_sessions`, {
    provider_config_key: 'mock-prod',
    ...body,
  });
  const opened = await visit(session.url);
  assert.equal(opened.status, 302, opened.text);
  const answered = await visit(opened.headers.get('location'));
  assert.equal(answered.status, 302, answered.text);
  const callback = answered.headers.get('location');
  assert.ok(callback.startsWith(`${server.url}/oauth/callback?`), callback);
  return { session, done: await visit(callback) };
}

async function getSession(id) {
  return server.admin('GET', `/v1/admin/sites/${site.site.id}/connect_sessions/${id}`);
}

test('a connect through oauth2-mock-server makes a connection the SDK reads and refreshes', async () => {
  const { session, done } = await connect({ metadata: { team: 'interop' } });
  assert.equal(done.status, 200, done.text);
  assert.match(done.headers.get('content-type'), /^text\/html/);
  assert.match(done.headers.get('content-security-policy'), /^default-src 'none'/);
  assert.equal(done.headers.get('referrer-policy'), 'no-referrer');
  assert.match(done.text, /Connected to mock\./);

  const asked = authorizations.at(-1);
  assert.equal(asked.response_type, 'code');
  assert.equal(asked.client_id, 'credport-interop');
  assert.equal(asked.redirect_uri, `${server.url}/oauth/callback`);
  assert.equal(asked.scope, 'openid email');
  assert.equal(asked.code_challenge_method, 'S256');
  assert.equal(asked.nonce, 'n-1');
  const exchange = exchanges.at(-1);
  assert.equal(exchange.body.grant_type, 'authorization_code');
  assert.equal(exchange.body.redirect_uri, asked.redirect_uri);
  assert.ok(exchange.body.code_verifier, 'the verifier went to the token endpoint');
  assert.equal(exchange.authorization, `Basic ${Buffer.from('credport-interop:interop-client-secret-never-shown').toString('base64')}`);

  const finished = await getSession(session.id);
  assert.equal(finished.status, 'succeeded');
  const client = new sdk.Credport({ apiKey: site.token, baseUrl: server.url, maxRetries: 0 });
  const connection = await client.connections.get(finished.connection_id);
  assert.equal(connection.provider, 'mock');
  assert.equal(connection.status, 'active');
  assert.deepEqual(connection.metadata, { team: 'interop' });
  const credentials = await client.connections.getCredentials('mock');
  assert.equal(credentials.type, 'oauth2');
  assert.equal(credentials.fields.access_token.split('.').length, 3, 'the mock issues JWTs');
  assert.ok(credentials.fields.refresh_token);

  // The mock's JWTs carry seconds and no nonce (two within a second are alike); its refresh
  // tokens are random. A refresh asks for the connection's own grant: the scope the exchange
  // answered, not the configuration's.
  assert.deepEqual(connection.scopes, ['dummy']);
  const refreshed = await client.connections.getCredentials('mock', { forceRefresh: true });
  assert.equal(exchanges.at(-1).body.grant_type, 'refresh_token');
  assert.equal(exchanges.at(-1).body.refresh_token, credentials.fields.refresh_token);
  assert.equal(exchanges.at(-1).body.scope, 'dummy');
  assert.notEqual(refreshed.fields.refresh_token, credentials.fields.refresh_token, 'the rotated refresh token is kept');

  const logs = server.logs.join('');
  for (const secret of [credentials.fields.access_token, credentials.fields.refresh_token, exchange.body.code, exchange.body.code_verifier, asked.state, 'interop-client-secret-never-shown']) {
    assert.ok(!logs.includes(secret), 'no secret in the log');
    assert.ok(!done.text.includes(secret), 'no secret on the page');
  }
});

test('a denial at the provider comes back to the return_url as an error', async () => {
  deny = true;
  try {
    const returnUrl = `${server.url}/console/connected`;
    const { session, done } = await connect({ return_url: returnUrl });
    assert.equal(done.status, 303, done.text);
    const back = new URL(done.headers.get('location'));
    assert.equal(`${back.origin}${back.pathname}`, returnUrl);
    assert.equal(back.searchParams.get('connect_session'), session.id);
    assert.equal(back.searchParams.get('result'), 'error');
    assert.equal(back.searchParams.get('error'), 'access_denied');
    const failed = await getSession(session.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'access_denied');
  } finally {
    deny = false;
  }
});

test('the same link twice: the second visit is a page, not a redirect', async () => {
  const session = await server.admin('POST', `/v1/admin/sites/${site.site.id}/connect_sessions`, { provider_config_key: 'mock-prod' });
  assert.equal((await visit(session.url)).status, 302);
  const again = await visit(session.url);
  assert.equal(again.status, 410);
  assert.equal(again.headers.get('location'), null);
  assert.match(again.text, /already been used/);
});

test('in Chromium: the link, the provider, and the page credport shows, its style allowed by the CSP', async () => {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CREDPORT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('console', (message) => problems.push(message.text()));
    page.on('requestfailed', (request) => problems.push(`${request.url()} failed`));
    const session = await server.admin('POST', `/v1/admin/sites/${site.site.id}/connect_sessions`, { provider_config_key: 'mock-prod' });
    const response = await page.goto(session.url);
    assert.equal(response.status(), 200);
    assert.ok(page.url().startsWith(`${server.url}/oauth/callback?`), page.url());
    assert.equal(await page.textContent('h1'), 'Connected to mock');
    const width = await page.evaluate(() => getComputedStyle(document.querySelector('body')).maxWidth);
    assert.equal(width, '576px', 'the hashed style applies (36rem)');
    assert.deepEqual(problems, []);
    assert.equal((await getSession(session.id)).status, 'succeeded');
  } finally {
    await browser.close();
  }
});
