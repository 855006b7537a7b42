// Deno and Bun (from the npm packages `deno` and `bun`), each running the scenario from a fresh
// project that installed the tarball with npm. Deno resolves the "deno" condition (web/deno.mjs:
// no --allow-read needed); Bun the "node" ones, like Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { adminParams, checkAdminScenario, checkScenario, freshProject, resultOf, run, runtimeBinary, scratch, seed, startServer, versionOf } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

const program = (args) => `import * as credport from 'credport';
import { Credport } from 'credport';
import { scenario } from './scenario.mjs';

if (typeof Credport !== 'function') throw new Error('no Credport export');
const result = await scenario(credport, JSON.parse(${args}[0]));
console.log('RESULT ' + JSON.stringify({ ...result, entry: import.meta.resolve('credport') }));
`;

const deno = runtimeBinary('deno');
test(`Deno ${versionOf(deno).split(' ')[1]}`, { timeout: 120_000 }, async () => {
  const dir = await freshProject('deno', { files: { 'main.mjs': program('Deno.args') } });
  const seeded = await seed(server, 'deno');
  const env = { DENO_DIR: path.join(scratch(), 'deno-dir'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
  // Only the network: the package must need no --allow-read or --allow-env to load.
  const output = await run(deno, ['run', '--no-lock', '--no-prompt', '--allow-net=127.0.0.1', 'main.mjs', JSON.stringify(seeded.params)], { cwd: dir, env });
  const { entry, ...result } = resultOf(output);
  assert.ok(entry.endsWith('node_modules/credport/web/deno.mjs'), `Deno resolved ${entry}`);
  checkScenario(result, seeded);
});

test(`Deno ${versionOf(deno).split(' ')[1]}: credport/admin`, { timeout: 120_000 }, async () => {
  const program = `import * as admin from 'credport/admin';
import { adminScenario } from './admin-scenario.mjs';

console.log('RESULT ' + JSON.stringify({ ...(await adminScenario(admin, JSON.parse(Deno.args[0]))), entry: import.meta.resolve('credport/admin') }));
`;
  const dir = await freshProject('deno-admin', { files: { 'main.mjs': program } });
  const env = { DENO_DIR: path.join(scratch(), 'deno-dir'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
  const params = JSON.stringify(adminParams(server, 'deno'));
  const output = await run(deno, ['run', '--no-lock', '--no-prompt', '--allow-net=127.0.0.1', 'main.mjs', params], { cwd: dir, env });
  const { entry, ...result } = resultOf(output);
  assert.ok(entry.endsWith('node_modules/credport/web/admin-deno.mjs'), `Deno resolved ${entry}`);
  checkAdminScenario(result);
});

const bun = runtimeBinary('bun');
test(`Bun ${versionOf(bun)} (ESM and CJS)`, { timeout: 120_000 }, async () => {
  const cjs = `const credport = require('credport');
import('./scenario.mjs')
  .then(({ scenario }) => scenario(credport, JSON.parse(process.argv[2])))
  .then((result) => console.log('RESULT ' + JSON.stringify({ ...result, entry: require.resolve('credport') })));
`;
  const dir = await freshProject('bun', { files: { 'main.mjs': program('process.argv.slice(2)'), 'main.cjs': cjs } });
  for (const [target, file, entry] of [
    ['bun-esm', 'main.mjs', 'index.mjs'],
    ['bun-cjs', 'main.cjs', 'index.cjs'],
  ]) {
    const seeded = await seed(server, target);
    const env = { BUN_INSTALL_CACHE_DIR: path.join(scratch(), 'bun-cache'), NO_COLOR: '1' };
    const { entry: resolved, ...result } = resultOf(await run(bun, ['--no-install', file, JSON.stringify(seeded.params)], { cwd: dir, env }));
    assert.ok(resolved.endsWith(`node_modules/credport/${entry}`), `${target} resolved ${resolved}`);
    checkScenario(result, seeded);
  }
});
