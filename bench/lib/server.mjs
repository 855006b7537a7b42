// A credport-server for the benchmark: the test harness' startServer() with the binary chosen by
// run.mjs, quiet logs, and one site seeded with 100 connections, a PAT and an API key; on SQLite
// (a temporary file) or on a fresh database of the PostgreSQL cluster PGHOST points at, where
// more instances can join it.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, connectionBody } from '../../tests/js/harness.mjs';
import { benchDir, root, runInherit, log } from './util.mjs';

/**
 * The server binary: CREDPORT_SERVER_BIN if set; else a release build (built here, idempotent);
 * in smoke mode the debug build that the test command makes, when it is there.
 */
export async function serverBinary({ smoke }) {
  if (process.env.CREDPORT_SERVER_BIN) return { path: process.env.CREDPORT_SERVER_BIN, profile: 'given (CREDPORT_SERVER_BIN)' };
  const debug = path.join(root, 'target/debug/credport-server');
  const release = path.join(root, 'target/release/credport-server');
  if (smoke) {
    if (fs.existsSync(debug)) return { path: debug, profile: 'debug' };
    if (fs.existsSync(release)) return { path: release, profile: 'release' };
    log('building credport-server (debug, smoke mode)');
    await runInherit('cargo', ['build', '-p', 'credport-server']);
    return { path: debug, profile: 'debug' };
  }
  log('building credport-server (release; nothing to do when up to date)');
  await runInherit('cargo', ['build', '--release', '-p', 'credport-server']);
  return { path: release, profile: 'release' };
}

/**
 * Cargo settings that compile an older server as this tree's `[profile.release]` does, so that two
 * servers differ in their code only: until 2026-12-05 the release profile was the SDK's
 * (opt-level "z", panics abort), since given its own (`[profile.wasm]`).
 */
const SAME_PROFILE = ['--config', 'profile.release.opt-level=3', '--config', 'profile.release.lto="thin"',
  '--config', 'profile.release.codegen-units=16', '--config', 'profile.release.panic="unwind"'];

/**
 * credport-server as it was at `commit` (a release build), for the sections that put an older
 * server beside this build: built once from git (a detached worktree at `commit`, `cargo build
 * --release` with its own target directory) into bench/.cache/server/<commit>; later runs reuse
 * it. `what` names the commit in messages ("before events"). With `sameProfile`, compiled with
 * this tree's release settings ([`SAME_PROFILE`]) rather than its own.
 */
export function serverAtCommit(commit, what, { sameProfile = false } = {}) {
  const cache = path.join(benchDir, '.cache/server', sameProfile ? `${commit}-release-profile` : commit);
  const binary = path.join(cache, 'target/release/credport-server');
  if (fs.existsSync(binary)) return binary;
  const tree = path.join(cache, 'tree');
  const git = (...args) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  try {
    git('cat-file', '-e', `${commit}^{commit}`);
  } catch {
    throw new Error(`commit ${commit} (${what}) is not in this clone (a shallow clone?): fetch it to compare`);
  }
  log(`building credport-server ${what} (${commit}) once, into ${path.relative(root, cache)}`);
  fs.rmSync(tree, { recursive: true, force: true });
  git('worktree', 'add', '--detach', '--force', tree, commit);
  try {
    execFileSync('cargo', ['build', '--release', '-p', 'credport-server', ...(sameProfile ? SAME_PROFILE : [])], {
      cwd: tree,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CARGO_TARGET_DIR: path.join(cache, 'target') },
    });
  } finally {
    git('worktree', 'remove', '--force', tree);
  }
  return binary;
}

/** A new database on the PostgreSQL cluster of PGHOST (unix socket), as a postgres:// URL. */
export function postgresDatabase() {
  const name = `credport_bench_${crypto.randomBytes(6).toString('hex')}`;
  execFileSync('createdb', [name]);
  return `postgres://${process.env.PGUSER ?? 'postgres'}@/${name}?host=${process.env.PGHOST}&port=${process.env.PGPORT ?? 5432}`;
}

/** The harness' server with `binary`, quiet logs and `env`/`database` (default: SQLite). */
async function start(binary, { env = {}, database } = {}) {
  const previous = process.env.CREDPORT_SERVER_BIN;
  process.env.CREDPORT_SERVER_BIN = binary;
  try {
    return await startServer({ env: { CREDPORT_LOG: 'warn', ...env }, database });
  } finally {
    if (previous === undefined) delete process.env.CREDPORT_SERVER_BIN;
    else process.env.CREDPORT_SERVER_BIN = previous;
  }
}

/** Another instance on the database of `seeded` (PostgreSQL), with the same secrets. */
export function startInstance(binary, seeded) {
  const { CREDPORT_DATABASE, CREDPORT_ADMIN_TOKEN, CREDPORT_ENCRYPTION_KEY } = seeded.server.settings;
  return start(binary, { database: CREDPORT_DATABASE, env: { CREDPORT_ADMIN_TOKEN, CREDPORT_ENCRYPTION_KEY } });
}

export async function startSeededServer(binary, { database } = {}) {
  const server = await start(binary, { database });
  const { site, token } = await server.site({ name: 'Bench site', user: 'bench-user' });
  const providers = [];
  for (let i = 0; i < 100; i++) {
    const provider = `provider_${String(i).padStart(3, '0')}`;
    providers.push(provider);
    await server.connection(site.id, connectionBody(provider, { metadata: { tenantId: `t-${i}`, region: 'eu-west-1', tier: 'pro' } }));
  }
  const response = await fetch(`${server.url}/v1/api_keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'bench key',
      subject: 'bench-user',
      description: 'made by the benchmark',
      claims: { plan: 'pro', seats: 5 },
      scopes: ['read', 'write'],
    }),
  });
  const key = await response.json();
  if (!response.ok) throw new Error(`could not create an API key: ${JSON.stringify(key)}`);
  const verified = await fetch(`${server.url}/v1/api_keys/verify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ secret: key.secret }),
  }).then((r) => r.json());
  if (verified.valid !== true) throw new Error(`the seeded API key does not verify: ${JSON.stringify(verified.code)}`);
  return { server, siteId: site.id, token, keyId: key.id, secret: key.secret, connections: providers.length };
}
