// Cloudflare Workers: a Worker that imports the package, served by `wrangler dev` (workerd, offline,
// on loopback), runs the scenario against credport-server when it gets a request. wrangler bundles
// with the "workerd" condition: web/workerd.mjs, whose .wasm import becomes a WebAssembly.Module.
// Then examples/worker, copied into a fresh project with the tarball installed, as a user runs it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { bin, checkScenario, copyExample, freePort, freshProject, importPackage, root, scratch, seed, service, startServer } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

const worker = `import * as credport from 'credport';
import { scenario } from '../scenario.mjs';

export default {
  async fetch(request) {
    try {
      return Response.json(await scenario(credport, await request.json()));
    } catch (error) {
      return Response.json({ failure: String(error && error.stack ? error.stack : error) }, { status: 500 });
    }
  },
};
`;

/** `wrangler dev` in `dir` on a free loopback port, offline and without user settings. */
async function wranglerDev(dir) {
  const port = await freePort();
  const dev = await service(bin('wrangler'), ['dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'info'], {
    cwd: dir,
    env: {
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false', // no request.cf download
      XDG_CONFIG_HOME: path.join(scratch(), 'wrangler-config'), // no user settings, no login
      NO_COLOR: '1',
      CI: 'true',
    },
    ready: /Ready on (http:\/\/\S+)/,
    timeout: 120_000,
  });
  return { port, dev };
}

const wrangler = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/wrangler/package.json'), 'utf8'));
const workerd = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/workerd/package.json'), 'utf8'));

test(`Cloudflare Workers: wrangler ${wrangler.version}, workerd ${workerd.version}`, { timeout: 180_000 }, async () => {
  const dir = await freshProject('workerd', {
    files: {
      'src/worker.mjs': worker,
      // No newer than the bundled workerd supports (1.2026MMDD.x accepts dates up to 2026-MM-DD).
      'wrangler.jsonc': JSON.stringify({ name: 'credport-packaging', main: 'src/worker.mjs', compatibility_date: '2026-04-01' }, null, 2),
    },
  });
  const { port, dev } = await wranglerDev(dir);
  try {
    for (const target of ['workerd', 'workerd-again']) {
      // Twice: the second request runs on the instance the first one started.
      const seeded = await seed(server, target);
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: JSON.stringify(seeded.params) });
      const result = await response.json();
      if (result.failure) throw new Error(`the Worker failed: ${result.failure}\n${dev.output()}`);
      checkScenario(result, seeded);
    }
  } finally {
    await dev.stop();
  }
});

// The upstream the example Worker passes checked requests on to: records what reaches it.
async function recordingUpstream() {
  const seen = [];
  const upstream = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ upstream: true }));
    });
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${upstream.address().port}`, seen, close: () => new Promise((resolve) => upstream.close(resolve)) };
}

test('examples/worker: API-key check and active connections under wrangler dev', { timeout: 180_000 }, async () => {
  const dir = await freshProject('worker-example');
  copyExample('worker', dir);
  // Its compatibility_date must be one the pinned workerd accepts (1.YYYYMMDD.x: up to that date).
  const date = /^compatibility_date\s*=\s*"(\d{4}-\d\d-\d\d)"/m.exec(fs.readFileSync(path.join(dir, 'wrangler.toml'), 'utf8'))?.[1];
  const supported = workerd.version.split('.')[1].replace(/^(\d{4})(\d\d)(\d\d)$/, '$1-$2-$3');
  assert.ok(date && date <= supported, `examples/worker/wrangler.toml compatibility_date ${date} is no newer than ${supported}`);
  const { Credport } = await importPackage(dir);

  // A site with one active and one inactive connection, two keys, and for the Worker a token with
  // only the scopes its README asks for.
  const seeded = await seed(server, 'worker-example');
  const admin = new Credport({ apiKey: seeded.params.apiKey, baseUrl: server.url, maxRetries: 0 });
  const workerToken = await admin.personalAccessTokens.create({ name: 'worker', scopes: ['api_keys:read', 'connections:read'] });
  const alice = await admin.apiKeys.create({ name: 'alice', subject: 'user_alice', scopes: ['orders:read'] });
  const bob = await admin.apiKeys.create({ name: 'bob', subject: 'user_bob' });

  const upstream = await recordingUpstream();
  // As the README says for local development: the secret (and here the server's address) in .dev.vars.
  fs.writeFileSync(
    path.join(dir, '.dev.vars'),
    `CREDPORT_API_KEY=${workerToken.token}\nCREDPORT_BASE_URL=${server.url}\nUPSTREAM_URL=${upstream.url}\n`,
  );
  const { port, dev } = await wranglerDev(dir);
  const worker = `http://127.0.0.1:${port}`;
  const call = async (route, init = {}) => {
    const response = await fetch(`${worker}${route}`, init);
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch {
      assert.fail(`the Worker answered ${response.status} with no JSON: ${text}\n${dev.output()}`);
    }
  };
  try {
    // GET /connections: the active ones, as the server lists them.
    const expected = (await admin.connections.list({ status: 'active' })).payload.map((c) => [c.id, c.provider, c.status]);
    assert.deepEqual(expected.map(([, provider]) => provider), ['github']);
    const connections = await call('/connections');
    assert.equal(connections.status, 200);
    assert.equal(connections.body.count, 1);
    assert.deepEqual(connections.body.connections.map((c) => [c.id, c.provider, c.status]), expected);

    // No key, an unknown key: 401, nothing passed on.
    assert.deepEqual(await call('/orders'), { status: 401, body: { error: 'missing x-api-key header' } });
    assert.deepEqual(await call('/orders', { headers: { 'x-api-key': 'cpk_not_a_key' } }), {
      status: 401,
      body: { error: 'invalid API key', code: (await admin.apiKeys.verify('cpk_not_a_key')).code },
    });
    assert.equal(upstream.seen.length, 0);

    // A valid key: passed on with its subject, without the secret.
    const passed = await call('/orders?page=2', { method: 'POST', headers: { 'x-api-key': alice.secret }, body: '{"item":1}' });
    assert.deepEqual(passed, { status: 200, body: { upstream: true } });
    assert.equal(upstream.seen.length, 1);
    const [seen] = upstream.seen;
    assert.deepEqual([seen.method, seen.url, seen.body], ['POST', '/orders?page=2', '{"item":1}']);
    assert.equal(seen.headers['x-credport-subject'], 'user_alice');
    assert.equal(seen.headers['x-credport-key-id'], alice.id);
    assert.equal(seen.headers['x-credport-scopes'], 'orders:read');
    assert.equal(seen.headers['x-api-key'], undefined);

    // Revoked on the server: the next request with it is refused, the other key still passes.
    await admin.apiKeys.revoke(alice.id, { revocationReason: 'worker example' });
    assert.deepEqual(await call('/orders', { headers: { 'x-api-key': alice.secret } }), {
      status: 401,
      body: { error: 'invalid API key', code: 'REVOKED' },
    });
    assert.equal((await call('/orders', { headers: { 'x-api-key': bob.secret } })).status, 200);
    assert.equal(upstream.seen.at(-1).headers['x-credport-subject'], 'user_bob');
  } finally {
    await dev.stop();
    await upstream.close();
  }
});
