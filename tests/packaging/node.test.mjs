// Node (ESM and CJS), TypeScript (node16 and bundler resolution), and the package's metadata
// (attw, publint), each on the tarball installed into a fresh project.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bin, checkScenario, freshProject, resultOf, root, run, seed, startServer, tarball, versionOf } from './helpers.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

const esm = `import * as credport from 'credport';
import { Credport } from 'credport';
import { scenario } from './scenario.mjs';

if (typeof Credport !== 'function') throw new Error('no Credport export');
const result = await scenario(credport, JSON.parse(process.argv[2]));
console.log('RESULT ' + JSON.stringify({ ...result, entry: import.meta.resolve('credport') }));
`;

const cjs = `'use strict';
const credport = require('credport');
const { Credport } = require('credport');

if (typeof Credport !== 'function') throw new Error('no Credport export');
import('./scenario.mjs')
  .then(({ scenario }) => scenario(credport, JSON.parse(process.argv[2])))
  .then((result) => console.log('RESULT ' + JSON.stringify({ ...result, entry: require.resolve('credport') })))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
`;

// Node before 20.16 and 22.3 has no process.getBuiltinModule: index.mjs then imports the builtins
// it reads the .wasm with (scripts/build.mjs, esmPrelude).
const esmWithoutGetBuiltinModule = `delete process.getBuiltinModule;
const credport = await import('credport');
const { scenario } = await import('./scenario.mjs');
const result = await scenario(credport, JSON.parse(process.argv[2]));
console.log('RESULT ' + JSON.stringify({ ...result, entry: import.meta.resolve('credport') }));
`;

test(`Node ESM and CJS (${process.version})`, { timeout: 120_000 }, async () => {
  const dir = await freshProject('node', { files: { 'main.mjs': esm, 'main.cjs': cjs, 'older.mjs': esmWithoutGetBuiltinModule } });
  for (const [target, file, entry] of [
    ['node-esm', 'main.mjs', 'index.mjs'],
    ['node-cjs', 'main.cjs', 'index.cjs'],
    ['node-esm-older', 'older.mjs', 'index.mjs'],
  ]) {
    const seeded = await seed(server, target);
    const { entry: resolved, ...result } = resultOf(await run(process.execPath, [file, JSON.stringify(seeded.params)], { cwd: dir }));
    assert.ok(resolved.endsWith(`node_modules/credport/${entry}`), `${target} resolved ${resolved}`);
    checkScenario(result, seeded);
  }
});

// The same program three ways: ESM and CJS under node16 (what Node does), and bundler resolution.
const typed = (importLine) => `${importLine}
import type { ConnectionPage, CreatedApiKey, VerifyApiKeyResult } from 'credport';

declare const process: { argv: string[] };

function neverCalled(client: Credport) {
  // @ts-expect-error pageSize is a number
  void client.connections.list({ pageSize: '1' });
  // @ts-expect-error name is required
  void client.apiKeys.create({ subject: 'typed' });
}
void neverCalled;

async function typedCalls(client: Credport): Promise<string> {
  const page: ConnectionPage = await client.connections.list({ pageSize: 1 });
  const key: CreatedApiKey = await client.apiKeys.create({ name: 'typed', subject: 'typed' });
  const result: VerifyApiKeyResult = await client.apiKeys.verify(key.secret);
  const error: unknown = await client.connections.get('conn_missing').catch((e: unknown) => e);
  return [page.count, result.code, error instanceof NotFoundError && error.status].join(' ');
}
`;

const tsFiles = {
  'esm.mts': `${typed("import { Credport, NotFoundError } from 'credport';\nimport * as credport from 'credport';")}
import { scenario } from './scenario.mjs';
const params = JSON.parse(process.argv[2]);
const typedResult = await typedCalls(new Credport({ apiKey: params.apiKey, baseUrl: params.baseUrl }));
console.log('RESULT ' + JSON.stringify({ ...(await scenario(credport, params)), typedResult }));
`,
  'cjs.cts': `${typed("import { Credport, NotFoundError } from 'credport';\nimport credport = require('credport');")}
const params = JSON.parse(process.argv[2]);
(async () => {
  const typedResult = await typedCalls(new Credport({ apiKey: params.apiKey, baseUrl: params.baseUrl }));
  const { scenario } = await import('./scenario.mjs');
  console.log('RESULT ' + JSON.stringify({ ...(await scenario(credport, params)), typedResult }));
})();
`,
  'bundler.ts': `${typed("import { Credport, NotFoundError } from 'credport';\nimport * as credport from 'credport';")}
import { scenario } from './scenario.mjs';
const params = JSON.parse(process.argv[2]);
const typedResult = await typedCalls(new Credport({ apiKey: params.apiKey, baseUrl: params.baseUrl }));
console.log('RESULT ' + JSON.stringify({ ...(await scenario(credport, params)), typedResult }));
`,
};

test(`TypeScript ${versionOf(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--version']).replace('Version ', '')}: node16 (ESM, CJS) and bundler resolution, --strict`, { timeout: 180_000 }, async () => {
  const dir = await freshProject('typescript', { files: tsFiles });
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const common = ['--strict', '--skipLibCheck', 'false', '--target', 'es2022', '--lib', 'es2022,dom', '--allowJs'];
  await run(process.execPath, [tsc, ...common, '--module', 'node16', '--moduleResolution', 'node16', '--outDir', 'node16', 'esm.mts', 'cjs.cts', 'scenario.mjs'], { cwd: dir });
  await run(process.execPath, [tsc, ...common, '--module', 'esnext', '--moduleResolution', 'bundler', '--outDir', 'bundler', 'bundler.ts', 'scenario.mjs'], { cwd: dir });
  // bundler.ts compiles to bundler/bundler.js: run it as the ES module it is.
  fs.renameSync(path.join(dir, 'bundler/bundler.js'), path.join(dir, 'bundler/bundler.mjs'));
  for (const [target, file] of [
    ['ts-node16-esm', 'node16/esm.mjs'],
    ['ts-node16-cjs', 'node16/cjs.cjs'],
    ['ts-bundler', 'bundler/bundler.mjs'],
  ]) {
    const seeded = await seed(server, target);
    const { typedResult, ...result } = resultOf(await run(process.execPath, [file, JSON.stringify(seeded.params)], { cwd: dir }));
    assert.equal(typedResult, '2 VALID 404', target);
    checkScenario(result, seeded);
  }
});

test('attw: no problem for node10, node16 (CJS, ESM) and bundler', { timeout: 120_000 }, async () => {
  const { stdout } = await run(bin('attw'), [tarball(), '--format', 'json'], { env: { NO_COLOR: '1' } });
  const report = JSON.parse(stdout);
  assert.deepEqual(report.analysis.problems, []);
  assert.deepEqual(report.problems, {});
  const kinds = Object.keys(report.analysis.entrypoints['.'].resolutions);
  assert.deepEqual(kinds.sort(), ['bundler', 'node10', 'node16-cjs', 'node16-esm']);
});

test('publint: no error, warning or suggestion', { timeout: 60_000 }, async () => {
  const { publint } = await import('publint');
  const { formatMessage } = await import('publint/utils');
  const tarballBytes = fs.readFileSync(tarball());
  const { messages, pkg } = await publint({ pack: { tarball: tarballBytes.buffer.slice(tarballBytes.byteOffset, tarballBytes.byteOffset + tarballBytes.length) }, strict: true, level: 'suggestion' });
  assert.deepEqual(messages.map((m) => formatMessage(m, pkg) ?? m.code), []);
});
