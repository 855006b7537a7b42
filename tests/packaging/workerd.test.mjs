// Cloudflare Workers: a Worker that imports the package, served by `wrangler dev` (workerd, offline,
// on loopback), runs the scenario against credport-server when it gets a request. wrangler bundles
// with the "workerd" condition: web/workerd.mjs, whose .wasm import becomes a WebAssembly.Module.
import { test, before, after } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { bin, checkScenario, freePort, freshProject, root, scratch, seed, service, startServer } from './helpers.mjs';

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
