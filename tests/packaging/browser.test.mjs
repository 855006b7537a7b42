// Browsers: headless Chromium (Debian's, driven by playwright-core) loads pages from a static
// server on one loopback origin and runs the scenario against credport-server on another, which
// answers CORS for the allowed origins only (CREDPORT_CORS_ORIGINS). The ways into a page: native
// ES modules with an import map, an esbuild bundle, a Vite build and the Vite dev server. Then
// examples/browser, the admin page, driven as a person would: the form, the lists, a revoke button.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { adminParams, bin, checkAdminScenario, checkScenario, copyExample, freePort, freshProject, importPackage, root, run, scratch, seed, service, serveStatic, startServer } from './helpers.mjs';

const CHROMIUM = process.env.CREDPORT_CHROMIUM ?? '/usr/bin/chromium';
let server, pages, browser, vitePort;

before(async () => {
  pages = await serveStatic(scratch());
  vitePort = await freePort(); // the Vite dev server's origin, the second one allowed
  server = await startServer({ env: { CREDPORT_CORS_ORIGINS: `${pages.origin},http://127.0.0.1:${vitePort}` } });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // playwright adds --headless and a fresh profile (--user-data-dir) of its own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await pages?.close();
});

// The page's module: the package as the page imports it, and the scenario, for the test to call.
const app = `import * as credport from 'credport';
import { scenario } from './scenario.mjs';

window.credport = credport;
window.credportScenario = (params) => scenario(credport, params);
`;

/** Opens `url` and waits for its module to be ready, or to fail: the page, or the errors. */
async function open(url) {
  const page = await browser.newPage();
  const errors = [];
  const failed = new Promise((resolve) => page.on('pageerror', (error) => resolve(errors.push(error.message))));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(url);
  const ready = await Promise.race([
    page.waitForFunction(() => window.credportScenario, null, { timeout: 30_000 }).then(() => true, () => false),
    failed.then(() => false),
  ]);
  if (ready) return { page, errors };
  await page.close();
  return { errors };
}

async function runScenario(url, target) {
  const { page, errors } = await open(url);
  assert.ok(page, `${url} did not load: ${errors.join('\n')}`);
  try {
    const seeded = await seed(server, target);
    const result = await page.evaluate((params) => window.credportScenario(params), { ...seeded.params, browser: true });
    checkScenario(result, seeded, { browser: true });
  } finally {
    await page.close();
  }
}

test('Chromium: native ES modules, an import map to the package', { timeout: 120_000 }, async (t) => {
  t.diagnostic(`Chromium ${browser.version()}`);
  const importMap = { imports: { credport: './node_modules/credport/web/index.mjs' } };
  await freshProject('native', {
    files: {
      'index.html': `<!doctype html>
<meta charset="utf-8">
<title>credport, native modules</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
<script type="module" src="./app.mjs"></script>
`,
      'app.mjs': app,
    },
  });
  await runScenario(`${pages.origin}/native/`, 'chromium-native');
});

test('Chromium: credport/admin as a native ES module beside credport (the console\'s way in)', { timeout: 120_000 }, async () => {
  const importMap = {
    imports: { credport: './node_modules/credport/web/index.mjs', 'credport/admin': './node_modules/credport/web/admin.mjs' },
  };
  await freshProject('native-admin', {
    files: {
      'index.html': `<!doctype html>
<meta charset="utf-8">
<title>credport/admin, native modules</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
<script type="module" src="./app.mjs"></script>
`,
      'app.mjs': `import * as admin from 'credport/admin';
import * as credport from 'credport';
import { adminScenario } from './admin-scenario.mjs';

window.sameErrors = ['NotFoundError', 'InvalidArgumentError', 'CredportError'].every((name) => admin[name] === credport[name]);
window.credportScenario = (params) => adminScenario(admin, params);
`,
    },
  });
  const { page, errors } = await open(`${pages.origin}/native-admin/`);
  assert.ok(page, `the page did not load: ${errors.join('\n')}`);
  try {
    assert.equal(await page.evaluate(() => window.sameErrors), true, 'credport/admin throws credport\'s error classes');
    const result = await page.evaluate((params) => window.credportScenario(params), { ...adminParams(server, 'chromium-native'), browser: true });
    checkAdminScenario(result, { browser: true });
    // The admin core is its own .wasm: the page fetched both, each once.
    const wasm = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name.split('/').pop()).filter((n) => n.endsWith('.wasm')).sort());
    assert.deepEqual(wasm, ['credport_admin_bg.wasm', 'credport_bg.wasm']);
  } finally {
    await page.close();
  }
});

test('Chromium: a page on an origin not in CREDPORT_CORS_ORIGINS gets no answer', { timeout: 60_000 }, async () => {
  // localhost and 127.0.0.1 are two origins: the server allows only the second.
  const { page, errors } = await open(`http://localhost:${pages.port}/native/`);
  assert.ok(page, `page did not load: ${errors.join('\n')}`);
  try {
    const seeded = await seed(server, 'chromium-cors');
    const outcome = await page.evaluate(async ({ baseUrl, apiKey }) => {
      const client = new window.credport.Credport({ apiKey, baseUrl, maxRetries: 0, dangerouslyAllowBrowser: true });
      return client.connections.list().then(
        () => 'answered',
        (e) => [e.name, e instanceof window.credport.APIConnectionError],
      );
    }, seeded.params);
    assert.deepEqual(outcome, ['APIConnectionError', true]);
  } finally {
    await page.close();
  }
  // And the preflight itself, as the server answers it to each origin.
  const preflight = (origin) =>
    fetch(`${server.url}/v1/connections`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
  const allowed = await preflight(pages.origin);
  assert.equal(allowed.headers.get('access-control-allow-origin'), pages.origin);
  assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /authorization/i);
  const refused = await preflight(`http://localhost:${pages.port}`);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
});

const esbuildVersion = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/esbuild/package.json'), 'utf8')).version;
test(`esbuild ${esbuildVersion}: a browser bundle, the .wasm copied next to it`, { timeout: 120_000 }, async () => {
  const page = `<!doctype html>
<meta charset="utf-8">
<title>credport, esbuild</title>
<script type="module" src="./app.js"></script>
`;
  const dir = await freshProject('esbuild', { files: { 'app.mjs': app, 'out/index.html': page, 'bare/index.html': page } });
  // As the README says: bundle as an ES module, then copy the .wasm next to the bundle.
  await run(bin('esbuild'), ['app.mjs', '--bundle', '--format=esm', '--outdir=out', '--log-level=warning'], { cwd: dir });
  fs.copyFileSync(path.join(dir, 'node_modules/credport/web/credport_bg.wasm'), path.join(dir, 'out/credport_bg.wasm'));
  await runScenario(`${pages.origin}/esbuild/out/`, 'esbuild');

  // Without the copy, the import fails with an error that says what to do.
  await run(bin('esbuild'), ['app.mjs', '--bundle', '--format=esm', '--outdir=bare', '--log-level=warning'], { cwd: dir });
  const { page: loaded, errors } = await open(`${pages.origin}/esbuild/bare/`);
  assert.equal(loaded, undefined);
  assert.match(errors.join('\n'), /credport could not load its WebAssembly from .*credport_bg\.wasm.*copied next to the bundle/s);
});

const viteVersion = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/vite/package.json'), 'utf8')).version;
test(`Vite ${viteVersion}: vite build and the dev server, no configuration`, { timeout: 180_000 }, async () => {
  const dir = await freshProject('vite', {
    files: {
      'index.html': `<!doctype html>
<meta charset="utf-8">
<title>credport, Vite</title>
<script type="module" src="./app.mjs"></script>
`,
      'app.mjs': app,
    },
  });
  await run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--base', './', '--logLevel', 'warn'], { cwd: dir });
  const assets = fs.readdirSync(path.join(dir, 'dist/assets'));
  assert.ok(assets.some((file) => file.endsWith('.wasm')), `Vite emitted the .wasm: ${assets.join(', ')}`);
  await runScenario(`${pages.origin}/vite/dist/`, 'vite-build');

  const vite = path.join(root, 'node_modules/vite/bin/vite.js');
  const dev = await service(process.execPath, [vite, '--host', '127.0.0.1', '--port', String(vitePort), '--strictPort'], {
    cwd: dir,
    env: { NO_COLOR: '1' },
    ready: /Local:\s+(http:\/\/\S+)/,
  });
  try {
    await runScenario(dev.match[1], 'vite-dev');
  } finally {
    await dev.stop();
  }
});

test('examples/browser: the admin page lists connections and API keys, and revokes one', { timeout: 120_000 }, async () => {
  const dir = await freshProject('browser-example');
  copyExample('browser', dir);
  const { Credport } = await importPackage(dir);

  const seeded = await seed(server, 'browser-example');
  const admin = new Credport({ apiKey: seeded.params.apiKey, baseUrl: server.url, maxRetries: 0 });
  // The page gets a token with only the scopes it says it needs.
  const pageToken = await admin.personalAccessTokens.create({ name: 'admin page', scopes: ['connections:read', 'api_keys:read', 'api_keys:write'] });
  const alice = await admin.apiKeys.create({ name: 'alice key', subject: 'user_alice', scopes: ['orders:read'] });
  const bob = await admin.apiKeys.create({ name: 'bob key', subject: 'user_bob' });

  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(`${pages.origin}/browser-example/`);
    assert.match(await page.textContent('#why-dangerous'), /dangerouslyAllowBrowser: true/);
    const submit = async (token) => {
      await page.evaluate(() => delete document.body.dataset.state);
      await page.fill('input[name=baseUrl]', server.url);
      await page.fill('input[name=token]', token);
      await page.click('button[type=submit]');
      await page.waitForSelector('body[data-state=ready], body[data-state=error]', { timeout: 30_000 });
      return page.evaluate(() => [document.body.dataset.state, document.querySelector('#message').textContent]);
    };

    // A wrong token: said on the page, nothing listed.
    const [state, text] = await submit('cpat_wrong');
    assert.deepEqual([state, text], ['error', 'The token was refused: check it, or make a new one.'], errors.join('\n'));

    assert.equal((await submit(pageToken.token))[0], 'ready', errors.join('\n'));
    const connections = await page.$$eval('#connections tr', (rows) => rows.map((r) => [r.dataset.connectionId, r.dataset.provider, r.dataset.status]));
    const expected = (await admin.connections.list()).payload.map((c) => [c.id, c.provider, c.status]);
    assert.deepEqual(connections, expected);
    assert.deepEqual(expected.map(([, provider, status]) => [provider, status]).sort(), [['github', 'active'], ['slack', 'inactive']]);

    const keyRows = () => page.$$eval('#keys tr', (rows) => rows.map((r) => [r.dataset.keyId, r.dataset.name, r.dataset.state]).sort());
    assert.deepEqual(await keyRows(), [[alice.id, 'alice key', 'valid'], [bob.id, 'bob key', 'valid']].sort());

    // Revoke alice's key from the page: the server has it revoked, bob's untouched.
    await page.evaluate(() => delete document.body.dataset.state);
    await page.click(`#keys tr[data-key-id="${alice.id}"] button[data-action=revoke]`);
    await page.waitForSelector('body[data-state=ready], body[data-state=error]', { timeout: 30_000 });
    assert.equal(await page.textContent('#message'), 'Revoked alice key (user_alice).', errors.join('\n'));
    const revoked = await admin.apiKeys.get(alice.id);
    assert.deepEqual([revoked.revoked, revoked.revocationReason], [true, 'revoked from the admin page']);
    assert.equal((await admin.apiKeys.verify(alice.secret)).code, 'REVOKED');
    assert.equal((await admin.apiKeys.get(bob.id)).revoked, false);
    assert.deepEqual(await keyRows(), [[alice.id, 'alice key', 'revoked'], [bob.id, 'bob key', 'valid']].sort());
    assert.equal(await page.isDisabled(`#keys tr[data-key-id="${alice.id}"] button`), true);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
