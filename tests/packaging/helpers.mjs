// What every packaging test needs: the tarball (packed once per run), a fresh project per target
// with it installed by `npm install`, a credport-server seeded for the scenario, the runtimes the
// project's set-up installed (node_modules, /usr/bin/chromium), and a check of the scenario result.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { root, scratch, startServer, connectionBody } from '../js/harness.mjs';
import { PUBLIC_NAMES } from './scenario.mjs';
import { ADMIN_PUBLIC_NAMES } from './admin-scenario.mjs';

export { root, scratch, startServer };
const here = path.dirname(fileURLToPath(import.meta.url));

/** A tool installed by the project's set-up (package.json devDependencies). */
export const bin = (name) => path.join(root, 'node_modules/.bin', name);

/** The packed tarball: `run.mjs` packs once per run (CREDPORT_TEST_TARBALL); alone, a file packs its own. */
let packed;
export function tarball() {
  const given = process.env.CREDPORT_TEST_TARBALL;
  if (given && fs.existsSync(given)) return given;
  packed ??= pack(fs.mkdtempSync(path.join(scratch(), 'pack-')));
  return packed;
}

/** `npm pack`s dist/ into `dir`; the tarball's path. */
export function pack(dir) {
  if (!fs.existsSync(path.join(root, 'dist/package.json'))) throw new Error('dist/ is not built: run `node scripts/build.mjs`');
  const out = execFileSync('npm', ['pack', path.join(root, 'dist'), '--pack-destination', dir, '--json', '--loglevel=error'], {
    encoding: 'utf8',
  });
  return path.join(dir, JSON.parse(out)[0].filename);
}

/**
 * A fresh project `name` (its package.json of `type`) with the tarball installed by npm, the
 * scenario copied in and `files` (path → text) written.
 */
export async function freshProject(name, { type = 'module', files = {} } = {}) {
  const dir = path.join(scratch(), name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `credport-${name}`, private: true, type }, null, 2));
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', tarball()], { cwd: dir });
  for (const file of ['scenario.mjs', 'admin-scenario.mjs']) fs.copyFileSync(path.join(here, file), path.join(dir, file));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** What a user's checkout of an example holds that a copy into a fresh project must not take. */
const NOT_COPIED = new Set(['node_modules', 'package.json', 'package-lock.json', '.gitignore', '.dev.vars', '.wrangler']);

/**
 * Copies `examples/<name>` into the fresh project `dir` (which has the tarball installed, so the
 * example imports the packed package by name), without its package.json and installed modules.
 * Checks that the example's package.json depends on the package built here. The copied paths.
 */
export function copyExample(name, dir) {
  const from = path.join(root, 'examples', name);
  const manifest = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8'));
  assert.equal(manifest.dependencies?.credport, 'file:../../dist', `examples/${name}/package.json depends on the package built here`);
  const copied = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
      if (NOT_COPIED.has(entry.name)) continue;
      const file = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        fs.mkdirSync(path.join(dir, file), { recursive: true });
        walk(file);
      } else {
        fs.copyFileSync(path.join(from, file), path.join(dir, file));
        copied.push(file);
      }
    }
  };
  walk('');
  return copied;
}

/** The packed package as Node imports it from the fresh project `dir`, for a test to set up and check state. */
export async function importPackage(dir) {
  const entry = path.join(dir, 'credport-node.mjs');
  fs.writeFileSync(entry, "export * from 'credport';\n");
  return import(pathToFileURL(entry).href);
}

/** Runs a command to its end; rejects with its output when it fails or outlives `timeout`. */
export function run(cmd, args, { cwd = root, env = {}, timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, timeout, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/** A driver prints its scenario result as one line `RESULT {json}`. */
export const RESULT_LINE = 'RESULT ';
export function resultOf({ stdout, stderr }) {
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_LINE));
  if (!line) assert.fail(`no result printed:\n${stdout}\n${stderr}`);
  return JSON.parse(line.slice(RESULT_LINE.length));
}

/**
 * Starts a long-running command in its own process group and resolves once a line of its output
 * matches `ready`; `stop()` ends the group.
 */
export function service(cmd, args, { cwd, env = {}, ready, timeout = 60_000 }) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${path.basename(cmd)} was not ready within ${timeout} ms:\n${output}`));
    }, timeout);
    const onData = (chunk) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, stop, output: () => output });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(cmd)} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/** A loopback port free right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
};

/** A static file server for `dir` on 127.0.0.1 (the pages' origin): `{ port, origin, close }`. */
export async function serveStatic(dir) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) return response.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) return response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    response.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { port, origin: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * A site on `server` with the scenario's data: an active `github` connection with an API key
 * credential and an inactive `slack` one. Returns the scenario's params and what it must find.
 */
export async function seed(server, target) {
  const { site, token } = await server.site({ name: `packaging ${target}` });
  const github = connectionBody('github');
  await server.connection(site.id, github);
  await server.connection(site.id, connectionBody('slack', { status: 'inactive' }));
  return {
    params: { baseUrl: server.url, apiKey: token, provider: 'github', subject: `user-${target}`, target },
    fields: github.credentials.fields,
  };
}

/** The whole scenario result compared with what the seeded site holds. */
export function checkScenario(result, seeded, { browser = false } = {}) {
  const { target, subject } = seeded.params;
  assert.deepEqual(result, {
    exports: PUBLIC_NAMES,
    ...(browser ? { guard: { name: 'InvalidArgumentError', argument: 'options.dangerouslyAllowBrowser', isInvalidArgument: true } } : {}),
    connections: [
      ['github', 'active', true],
      ['slack', 'inactive', false],
    ],
    count: 2,
    credentials: { provider: 'github', type: 'api_key', fields: seeded.fields },
    apiKey: {
      name: `packaging ${target}`,
      subject,
      secretPrefix: 'cpk_',
      before: [true, 'VALID', true],
      revoked: [true, 'packaging test'],
      after: [false, 'REVOKED'],
    },
    notFound: { name: 'NotFoundError', status: 404, code: 'not_found', instanceOf: [true, true, true, true], stack: true },
    invalid: { name: 'InvalidArgumentError', argument: 'params.limit', instanceOf: [true, true] },
    webhook: { type: 'connection.created', siteId: 'site_packaging', target: 'conn_packaging', refused: true },
  });
}

/** The params of credport/admin's scenario (admin-scenario.mjs) against `server`. */
export function adminParams(server, target) {
  return { baseUrl: server.url, adminToken: server.adminToken, target };
}

/** credport/admin's scenario result, as it must be. */
export function checkAdminScenario(result, { browser = false } = {}) {
  const target = result.site?.name?.replace(/^admin /, '');
  assert.deepEqual(result, {
    exports: ADMIN_PUBLIC_NAMES,
    ...(browser ? { guard: { name: 'InvalidArgumentError', argument: 'options.dangerouslyAllowBrowser', isInvalidArgument: true } } : {}),
    site: { name: `admin ${target}`, listed: true },
    connection: { listed: [['github', 'active', true, true]], credentials: { type: 'api_key', expiresAt: null }, same: true },
    providerConfig: ['github-prod', 'client_secret_basic', false],
    token: ['cpat_', 1, false],
    apiKeys: 0,
    notFound: { name: 'NotFoundError', status: 404, instanceOf: [true, true, true] },
    invalid: { name: 'InvalidArgumentError', argument: 'id', instanceOf: true },
    invalidSite: ['siteId', true],
  });
}

/**
 * The binary of an npm-packaged runtime (`deno`, `bun`): from its platform package
 * (@deno/<platform>, @oven/bun-<platform>), else where the package's install script put it.
 * npm may or may not have run that script; the platform package has the binary either way.
 */
export function runtimeBinary(name) {
  const nm = path.join(root, 'node_modules');
  const isBinary = (file) => fs.existsSync(file) && fs.statSync(file).size > 1_000_000;
  const scoped = { deno: ['@deno', (pkg) => path.join(pkg, 'deno')], bun: ['@oven', (pkg) => path.join(pkg, 'bin/bun')] }[name];
  const [scope, binaryIn] = scoped;
  const platform = `${process.platform}-${process.arch}`;
  const packages = fs.existsSync(path.join(nm, scope)) ? fs.readdirSync(path.join(nm, scope)) : [];
  for (const pkg of packages.filter((p) => p.includes(process.platform)).sort((a, b) => a.length - b.length)) {
    const file = binaryIn(path.join(nm, scope, pkg));
    if (isBinary(file)) return file;
  }
  const fallback = { deno: path.join(nm, 'deno/deno'), bun: path.join(nm, 'bun/bin/bun.exe') }[name];
  if (isBinary(fallback)) return fallback;
  throw new Error(`no ${name} binary for ${platform} under node_modules: run scripts/setup.sh`);
}

/** The first line a command prints about its version. */
export function versionOf(cmd, args = ['--version']) {
  return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0];
}
