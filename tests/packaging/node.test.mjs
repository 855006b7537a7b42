// Node (ESM and CJS), TypeScript (node16 and bundler resolution), and the package's metadata
// (attw, publint), each on the tarball installed into a fresh project.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { adminParams, bin, checkAdminScenario, checkScenario, freshProject, resultOf, root, run, seed, startServer, tarball, versionOf } from './helpers.mjs';

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

const adminEsm = `import * as admin from 'credport/admin';
import { adminScenario } from './admin-scenario.mjs';

console.log('RESULT ' + JSON.stringify({ ...(await adminScenario(admin, JSON.parse(process.argv[2]))), entry: import.meta.resolve('credport/admin') }));
`;

const adminCjs = `'use strict';
const admin = require('credport/admin');

import('./admin-scenario.mjs')
  .then(({ adminScenario }) => adminScenario(admin, JSON.parse(process.argv[2])))
  .then((result) => console.log('RESULT ' + JSON.stringify({ ...result, entry: require.resolve('credport/admin') })))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
`;

test(`Node ESM and CJS: credport/admin (${process.version})`, { timeout: 120_000 }, async () => {
  const dir = await freshProject('node-admin', { files: { 'admin.mjs': adminEsm, 'admin.cjs': adminCjs } });
  for (const [target, file, entry] of [
    ['node-esm', 'admin.mjs', 'admin.mjs'],
    ['node-cjs', 'admin.cjs', 'admin.cjs'],
  ]) {
    const { entry: resolved, ...result } = resultOf(await run(process.execPath, [file, JSON.stringify(adminParams(server, target))], { cwd: dir }));
    assert.ok(resolved.endsWith(`node_modules/credport/${entry}`), `${target} resolved ${resolved}`);
    checkAdminScenario(result);
  }
});

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

// credport/admin's declarations, under node16 (ESM and CJS) and bundler resolution.
const adminTyped = (importLine) => `${importLine}
import type { Connection, ProviderConfig, SiteList, CreatedPersonalAccessToken } from 'credport/admin';

declare const process: { argv: string[] };

function neverCalled(admin: CredportAdmin) {
  // @ts-expect-error name is required
  void admin.sites.create({});
  // @ts-expect-error credentials are required
  void admin.site('s').connections.create({ provider: 'p', providerConfigKey: 'k' });
  // @ts-expect-error a provider configuration never holds its client secret
  void ((c: ProviderConfig) => c.clientSecret);
  // The redirect URI to register is the server's: answered with each configuration, never sent.
  void ((c: ProviderConfig): string => c.redirectUri);
  // @ts-expect-error redirectUri is no parameter
  void admin.site('s').providerConfigs.update('k', { redirectUri: 'https://elsewhere.example/oauth/callback' });
  // @ts-expect-error the admin client has no credentials cache
  void new CredportAdmin({ adminToken: 't', credentialsCache: { maxAgeMs: 1 } });
}
void neverCalled;

async function typedCalls(admin: CredportAdmin): Promise<string> {
  const sites: SiteList = await admin.sites.list();
  const site = admin.site((await admin.sites.create({ name: 'typed' })).id);
  const connection: Connection = await site.connections.create({
    provider: 'github',
    providerConfigKey: 'github-prod',
    credentials: { type: 'api_key', fields: { api_key: 'k' } },
  });
  const deleted: void = await site.connections.delete(connection.id);
  const token: CreatedPersonalAccessToken = await site.personalAccessTokens.create({ userId: 'u', name: 'n' });
  const error: unknown = await site.connections.get(connection.id).catch((e: unknown) => e);
  return [typeof sites.totalCount, deleted === undefined, token.token.slice(0, 5), error instanceof NotFoundError && error.status].join(' ');
}
`;

test(`TypeScript: credport/admin under node16 (ESM, CJS) and bundler resolution, --strict`, { timeout: 180_000 }, async () => {
  const main = (load) => `const params = JSON.parse(process.argv[2]);
${load}
`;
  const dir = await freshProject('typescript-admin', {
    files: {
      'esm.mts': `${adminTyped("import { CredportAdmin, NotFoundError } from 'credport/admin';")}
${main("console.log('RESULT ' + JSON.stringify({ typedResult: await typedCalls(new CredportAdmin({ adminToken: params.adminToken, baseUrl: params.baseUrl })) }));")}`,
      'cjs.cts': `${adminTyped("import { CredportAdmin, NotFoundError } from 'credport/admin';")}
${main("typedCalls(new CredportAdmin({ adminToken: params.adminToken, baseUrl: params.baseUrl })).then((typedResult) => console.log('RESULT ' + JSON.stringify({ typedResult })));")}`,
      'bundler.ts': `${adminTyped("import { CredportAdmin, NotFoundError } from 'credport/admin';")}
${main("console.log('RESULT ' + JSON.stringify({ typedResult: await typedCalls(new CredportAdmin({ adminToken: params.adminToken, baseUrl: params.baseUrl })) }));")}`,
    },
  });
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const common = ['--strict', '--skipLibCheck', 'false', '--target', 'es2022', '--lib', 'es2022,dom'];
  await run(process.execPath, [tsc, ...common, '--module', 'node16', '--moduleResolution', 'node16', '--outDir', 'node16', 'esm.mts', 'cjs.cts'], { cwd: dir });
  await run(process.execPath, [tsc, ...common, '--module', 'esnext', '--moduleResolution', 'bundler', '--outDir', 'bundler', 'bundler.ts'], { cwd: dir });
  fs.renameSync(path.join(dir, 'bundler/bundler.js'), path.join(dir, 'bundler/bundler.mjs'));
  for (const file of ['node16/esm.mjs', 'node16/cjs.cjs', 'bundler/bundler.mjs']) {
    const { typedResult } = resultOf(await run(process.execPath, [file, JSON.stringify(adminParams(server, file))], { cwd: dir }));
    assert.equal(typedResult, 'number true cpat_ 404', file);
  }
});

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
  for (const entry of ['.', './admin']) {
    const kinds = Object.keys(report.analysis.entrypoints[entry].resolutions);
    assert.deepEqual(kinds.sort(), ['bundler', 'node10', 'node16-cjs', 'node16-esm'], entry);
  }
});

test('publint: no error, warning or suggestion', { timeout: 60_000 }, async () => {
  const { publint } = await import('publint');
  const { formatMessage } = await import('publint/utils');
  const tarballBytes = fs.readFileSync(tarball());
  const { messages, pkg } = await publint({ pack: { tarball: tarballBytes.buffer.slice(tarballBytes.byteOffset, tarballBytes.byteOffset + tarballBytes.length) }, strict: true, level: 'suggestion' });
  assert.deepEqual(messages.map((m) => formatMessage(m, pkg) ?? m.code), []);
});
