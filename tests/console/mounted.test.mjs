// The console where a deployment puts it: behind a reverse proxy that mounts credport under a
// path (CREDPORT_PUBLIC_URL `https://example.com/credport`: the proxy strips the path), and opened
// at another address of the same server than its public one. Its files, its API calls, its links
// and a connect's return all follow the address the browser is at, and the connect comes back to
// the public address, the only one the server takes return addresses on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from '../js/harness.mjs';
import { startProvider } from './provider.mjs';
import { launch, newPage, settled } from './browser.mjs';

const MOUNT = '/credport';
let server, provider, browser, proxy;

/**
 * A reverse proxy on 127.0.0.1 that forwards `{MOUNT}/…` to `target` as `/…` (and answers 404
 * for anything else), as nginx's `location /credport/ { proxy_pass http://credport/; }` does.
 */
async function startProxy() {
  const state = { target: null };
  const proxyServer = http.createServer((request, response) => {
    if (!request.url.startsWith(`${MOUNT}/`)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not under ${MOUNT}`);
      return;
    }
    const target = new URL(state.target);
    const forwarded = http.request({
      host: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url.slice(MOUNT.length),
      headers: { ...request.headers, host: target.host },
    }, (answer) => {
      response.writeHead(answer.statusCode, answer.headers);
      answer.pipe(response);
    });
    forwarded.on('error', (error) => response.writeHead(502).end(error.message));
    request.pipe(forwarded);
  });
  await new Promise((resolve) => proxyServer.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${proxyServer.address().port}`,
    state,
    close: () => new Promise((resolve) => proxyServer.close(resolve)),
  };
}

before(async () => {
  proxy = await startProxy();
  server = await startServer({ env: { CREDPORT_PUBLIC_URL: `${proxy.url}${MOUNT}` } });
  proxy.state.target = server.url;
  provider = await startProvider();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await provider?.close();
  await proxy?.close();
});

/** Connects the site's provider through the connections view at `consoleUrl`; the return's address. */
async function connectFrom(page, consoleUrl) {
  await page.goto(consoleUrl);
  await settled(page);
  await page.click('button:text("Connect a provider")');
  await page.click('dialog button:text("Continue to the provider")');
  await page.waitForURL(/\/authorize\?/);
  await page.click('button:text("Approve")');
  await page.waitForURL((url) => url.pathname.endsWith('/console') && url.origin !== new URL(provider.authorizationUrl).origin);
  return new URL(page.url());
}

test('under a proxy path and at another address: the console works and a connect comes back to the public address', { timeout: 90_000 }, async () => {
  const site = await server.admin('POST', '/v1/admin/sites', { name: 'Mounted' });
  // No scopes: the stand-in answers `"scope": ""`, a grant of none, as providers do.
  await server.admin('POST', `/v1/admin/sites/${site.id}/provider_configs`, {
    key: 'standin-mounted', provider: 'standin', token_url: provider.tokenUrl, authorization_url: provider.authorizationUrl,
    client_id: provider.clientId, client_secret: provider.clientSecret,
  });
  const view = await newPage(browser);
  try {
    const { page } = view;
    // Signed in under the proxy's path: the page's files and its API calls go through it.
    const requested = [];
    page.on('request', (r) => requested.push(new URL(r.url())));
    await page.goto(`${proxy.url}${MOUNT}/console`);
    await page.fill('input[name=adminToken]', server.adminToken);
    await page.click('button[type=submit]');
    await page.waitForSelector(`a:text("Mounted")`);
    const own = requested.filter((url) => url.origin === proxy.url);
    assert.ok(own.some((url) => url.pathname === `${MOUNT}/v1/admin/sites`), 'the API is called through the proxy');
    assert.deepEqual(own.filter((url) => !url.pathname.startsWith(`${MOUNT}/`)).map(String), [], 'everything asked for is under the mount');
    // A link inside the console keeps the mount.
    await page.click(`a:text("Mounted")`);
    await settled(page);
    assert.equal(new URL(page.url()).pathname, `${MOUNT}/console`);

    const mounted = `${proxy.url}${MOUNT}/console?site=${site.id}&tab=connections`;
    const back = await connectFrom(page, mounted);
    assert.equal(back.origin + back.pathname, `${proxy.url}${MOUNT}/console`);
    assert.match(await page.textContent('.banner.success'), /Connected: the connection conn_\w+ is active\./);

    // Opened at the server's own address, not its public one: the connect starts (the server
    // takes a return address on its public one only) and comes back to the public address,
    // where this tab is signed in.
    await page.goto(`${server.url}/console`);
    await page.fill('input[name=adminToken]', server.adminToken);
    await page.click('button[type=submit]');
    await page.waitForSelector(`a:text("Mounted")`);
    const returned = await connectFrom(page, `${server.url}/console?site=${site.id}&tab=connections`);
    assert.equal(returned.origin + returned.pathname, `${proxy.url}${MOUNT}/console`);
    assert.match(await page.textContent('.banner.success'), /Connected: the connection conn_\w+ is active\./);
    view.assertClean();
  } finally {
    await view.close();
  }
});
