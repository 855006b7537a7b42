// What every JS test needs: the packed package installed in a fresh project (imported by name,
// ESM and CJS) and a real credport-server on a loopback port with its own temporary database.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * This process's scratch folder, removed when it exits (kept with CREDPORT_KEEP_TEST_DIRS=1): every
 * server's database, pack and project of a test run goes under it, so nothing piles up in the
 * system's temporary folder run after run.
 */
let scratchDir;
export function scratch() {
  if (!scratchDir) {
    scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'credport-test-'));
    if (!process.env.CREDPORT_KEEP_TEST_DIRS) process.on('exit', () => fs.rmSync(scratchDir, { recursive: true, force: true }));
  }
  return scratchDir;
}

/**
 * A fresh project with the packed tarball installed. `npm test` (scripts/test.mjs) makes it once per run
 * (CREDPORT_TEST_PROJECT); a test run on its own packs and installs here.
 */
let project;
export function testProject() {
  const given = process.env.CREDPORT_TEST_PROJECT;
  if (given && fs.existsSync(path.join(given, 'node_modules/credport'))) return given;
  project ??= installPackage(fs.mkdtempSync(path.join(scratch(), 'project-')));
  return project;
}

/** `npm pack`s dist/ and installs the tarball into `dir` with two files that import it by name. */
export function installPackage(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const packDir = fs.mkdtempSync(path.join(scratch(), 'pack-'));
  const out = execFileSync('npm', ['pack', path.join(root, 'dist'), '--pack-destination', packDir, '--json', '--loglevel=error'], {
    encoding: 'utf8',
  });
  const tarball = path.join(packDir, JSON.parse(out)[0].filename);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'credport-test-project', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir, stdio: 'inherit' });
  fs.writeFileSync(path.join(dir, 'esm.mjs'), "export * from 'credport';\n");
  fs.writeFileSync(path.join(dir, 'cjs.cjs'), "module.exports = require('credport');\n");
  fs.writeFileSync(path.join(dir, 'admin-esm.mjs'), "export * from 'credport/admin';\n");
  fs.writeFileSync(path.join(dir, 'admin-cjs.cjs'), "module.exports = require('credport/admin');\n");
  return dir;
}

/** The package as `import ... from 'credport'` sees it. */
export async function importEsm() {
  return import(pathToFileURL(path.join(testProject(), 'esm.mjs')).href);
}

/** The package as `require('credport')` sees it. */
export function requireCjs() {
  return createRequire(path.join(testProject(), 'package.json'))('./cjs.cjs');
}

/** credport/admin as `import ... from 'credport/admin'` sees it. */
export async function importAdminEsm() {
  return import(pathToFileURL(path.join(testProject(), 'admin-esm.mjs')).href);
}

/** credport/admin as `require('credport/admin')` sees it. */
export function requireAdminCjs() {
  return createRequire(path.join(testProject(), 'package.json'))('./admin-cjs.cjs');
}

export function serverBinary() {
  return process.env.CREDPORT_SERVER_BIN ?? path.join(root, 'target/debug/credport-server');
}

/**
 * Starts credport-server on 127.0.0.1:0 with a temporary database and fresh secrets; resolves
 * once it prints its address. `logs` collects everything it wrote to stderr. `stop()` removes the
 * temporary database's folder (a benchmark starts dozens of servers of 100 MB each).
 */
export async function startServer({ env = {}, database } = {}) {
  const dir = fs.mkdtempSync(path.join(scratch(), 'server-'));
  const adminToken = `admin_${crypto.randomBytes(16).toString('hex')}`;
  const settings = {
    CREDPORT_LISTEN: '127.0.0.1:0',
    CREDPORT_DATABASE: database ?? path.join(dir, 'credport.db'),
    CREDPORT_ADMIN_TOKEN: adminToken,
    CREDPORT_ENCRYPTION_KEY: crypto.randomBytes(32).toString('hex'),
    ...env,
  };
  // None of the environment's own CREDPORT_* settings (a developer's rate limit would change what
  // a test sees): each test gives the ones it means.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CREDPORT_')));
  const child = spawn(serverBinary(), [], { env: { ...inherited, ...settings }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  child.stderr.setEncoding('utf8').on('data', (chunk) => logs.push(chunk));
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      // A server that never printed its address is not left running: nothing else would stop it.
      child.kill('SIGKILL');
      reject(new Error(`credport-server did not start within 15 s: ${logs.join('')}`));
    }, 15_000);
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`credport-server exited with ${code}: ${logs.join('')}`));
    });
    // A binary that cannot be started (not built): said, rather than an uncaught 'error'.
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`credport-server could not be started from ${serverBinary()}: ${error.message}`));
    });
  });
  const server = {
    url,
    adminToken,
    settings,
    logs,
    child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (!process.env.CREDPORT_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
    },
    /** A call to the admin API; throws on a non-2xx answer. */
    async admin(method, route, body) {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    /** A new site with a PAT for `user` (all scopes unless given): `{ site, token, user }`. */
    async site({ name = 'Test site', user = 'user-1', scopes } = {}) {
      const site = await server.admin('POST', '/v1/admin/sites', { name });
      const created = await server.admin('POST', `/v1/admin/sites/${site.id}/personal_access_tokens`, {
        user_id: user,
        name: `${user} token`,
        ...(scopes ? { scopes } : {}),
      });
      return { site, token: created.token, user, tokenId: created.id };
    },
    async connection(siteId, body) {
      return server.admin('POST', `/v1/admin/sites/${siteId}/connections`, body);
    },
  };
  return server;
}

/**
 * Runs `command` with `args` to its end: `{ code, stdout, stderr }`. A child that has not ended
 * within `limitMs` is killed and the promise rejects naming `what` and what it printed, so that a
 * hung child cannot hang the suite. Not waiting for 'close' then: a server the child started may
 * still hold the pipes, so they are let go of here. Not `spawnSync`: a stand-in the child talks
 * to may run in the test's own process.
 */
export function runChild(command, args, { what, limitMs, ...options }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      child.stdout.destroy();
      child.stderr.destroy();
      reject(new Error(`${what} did not finish within ${limitMs / 1000} s and was killed; it printed:\n${stdout}${stderr.slice(-3000)}`));
    }, limitMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A connection body for the admin API. */
export function connectionBody(provider, overrides = {}) {
  return {
    provider,
    provider_config_key: `${provider}-prod`,
    root_resource_id: `acct-${provider}`,
    root_resource_name: `${provider} account`,
    scopes: ['read'],
    status: 'active',
    token_expires_at: null,
    credentials: { type: 'api_key', fields: { api_key: `secret-${provider}-${crypto.randomBytes(8).toString('hex')}` } },
    metadata: { tenantId: 't-1', 'Display Name': provider },
    ...overrides,
  };
}

/** A `fetch` that counts the requests it sends: bad input must reject with it still at zero. */
export function countingFetch() {
  const counted = (request) => {
    counted.calls += 1;
    return fetch(request);
  };
  counted.calls = 0;
  return counted;
}

/**
 * `rejection(promise)`: the error `promise` rejects with, kept in `errors` (a file then checks
 * that none of them holds a secret), or a failure if it resolves.
 */
export function rejections(errors) {
  return async (promise) => {
    try {
      await promise;
    } catch (error) {
      errors.push(error);
      return error;
    }
    assert.fail('resolved; expected a rejection');
  };
}
