// Before and after events: credport-server as it was before the audit log (commit BEFORE_EVENTS)
// against this build, in one run, on the two paths recording touches most: reading credentials
// (a read that became a write: the `credentials.read` event) and an admin write (its event and the
// webhook outbox's look-up, in the same transaction). The two servers take turns, twice, each
// seeded alike; requests per second are the median of the two turns. On SQLite, and on PostgreSQL
// too when PGHOST names a cluster (`npm run bench` runs under scripts/with-postgres.sh): each server
// then gets a new database of its own.
//
// The old server is built once from git (a detached worktree at BEFORE_EVENTS, `cargo build
// --release` with its own target directory) and kept in bench/.cache/before-events/<commit>.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureWrk, spread } from './load.mjs';
import { postgresDatabase, startSeededServer } from './server.mjs';
import { benchDir, median, root, round } from './util.mjs';

/** main just before events were added. */
export const BEFORE_EVENTS = 'b8a9ba5';
/** The cost of recording events may take at most this share of throughput (issue 24). */
const BUDGET = 0.15;

/**
 * The old server is compiled as this tree's server is (`[profile.release]` of Cargo.toml), so that
 * the two differ in their code only: at BEFORE_EVENTS the release profile was the SDK's
 * (opt-level "z", panics abort), since given its own.
 */
export const SAME_PROFILE = ['--config', 'profile.release.opt-level=3', '--config', 'profile.release.lto="thin"',
  '--config', 'profile.release.codegen-units=16', '--config', 'profile.release.panic="unwind"'];

/** The old server's binary, built on first use. */
function beforeEventsBinary(log) {
  const cache = path.join(benchDir, '.cache/before-events', `${BEFORE_EVENTS}-opt3`);
  const binary = path.join(cache, 'target/release/credport-server');
  if (fs.existsSync(binary)) return binary;
  const tree = path.join(cache, 'tree');
  const git = (...args) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  try {
    git('cat-file', '-e', `${BEFORE_EVENTS}^{commit}`);
  } catch {
    throw new Error(`commit ${BEFORE_EVENTS} (before events) is not in this clone (a shallow clone?): fetch it to compare`);
  }
  log(`building credport-server before events (${BEFORE_EVENTS}) once, into ${path.relative(root, cache)}`);
  fs.rmSync(tree, { recursive: true, force: true });
  git('worktree', 'add', '--detach', '--force', tree, BEFORE_EVENTS);
  try {
    execFileSync('cargo', ['build', '--release', '-p', 'credport-server', ...SAME_PROFILE], {
      cwd: tree,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CARGO_TARGET_DIR: path.join(cache, 'target') },
    });
  } finally {
    git('worktree', 'remove', '--force', tree);
  }
  return binary;
}

/** The two requests measured, against a seeded server. */
function targets(seeded, connectionId) {
  return [
    {
      name: 'credentials read',
      method: 'GET',
      path: '/v1/connections/credentials/provider_000',
      headers: { Authorization: `Bearer ${seeded.token}`, Accept: 'application/json' },
    },
    {
      name: 'admin write',
      method: 'PATCH',
      path: `/v1/admin/sites/${seeded.siteId}/connections/${connectionId}`,
      headers: { Authorization: `Bearer ${seeded.server.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ metadata: { tenantId: 't-0', region: 'eu-west-1', tier: 'pro' } }),
    },
  ];
}

/** One connection of the seeded site, for the admin write. */
async function firstConnection(seeded) {
  const response = await fetch(`${seeded.server.url}/v1/connections?page_size=1`, {
    headers: { authorization: `Bearer ${seeded.token}` },
  });
  const page = await response.json();
  return page.payload[0].id;
}

/** The stores measured: SQLite, and PostgreSQL when there is a cluster. */
function defaultStores() {
  return process.env.PGHOST ? ['SQLite', 'PostgreSQL'] : ['SQLite'];
}

export async function measureEvents({ binary, seconds, warmupSeconds, install, log, stores = defaultStores() }) {
  const wrk = await ensureWrk({ install });
  const servers = [
    { name: `before events (${BEFORE_EVENTS})`, binary: beforeEventsBinary(log) },
    { name: 'this build', binary },
  ];
  const connections = 32;
  const threads = 2;
  const routes = [];
  for (const store of stores) {
    const samples = servers.map(() => ({ 'credentials read': [], 'admin write': [] }));
    for (let turn = 0; turn < 2; turn++) {
      for (const [k, server] of servers.entries()) {
        log(`events: ${server.name} on ${store}, turn ${turn + 1}: seeding, then ${seconds}s per request`);
        const database = store === 'PostgreSQL' ? postgresDatabase() : undefined;
        const seeded = await startSeededServer(server.binary, { database });
        try {
          const id = await firstConnection(seeded);
          for (const target of targets(seeded, id)) {
            const opts = { seconds, connections, threads };
            if (warmupSeconds > 0) await spread(wrk, target, [seeded.server.url], { ...opts, seconds: warmupSeconds });
            const measured = await spread(wrk, target, [seeded.server.url], opts);
            if (measured.errors > 0) throw new Error(`${target.name} on ${server.name}: ${measured.errors} errors`);
            samples[k][target.name].push(measured.rps);
          }
        } finally {
          await seeded.server.stop();
        }
      }
    }
    for (const name of ['credentials read', 'admin write']) {
      const [before, after] = samples.map((s) => median(s[name]));
      const cost = 1 - after / before;
      routes.push({ name, store, beforeRps: round(before, 0), afterRps: round(after, 0), cost: round(cost, 3), withinBudget: cost <= BUDGET });
    }
  }
  return {
    method:
      `credport-server before events (commit ${BEFORE_EVENTS}) and this build, release builds on ${stores.join(' and on ')} ` +
      `(a new database per server), each seeded like the server ` +
      `section; ${seconds} s per request after a ${warmupSeconds} s warm-up, ${connections} keep-alive connections, ` +
      `${wrk ? 'wrk' : 'the node:http load generator'}; the two servers take turns, twice; medians of the turns. ` +
      `Cost = 1 − after/before; the budget is ${BUDGET * 100}%.`,
    servers: servers.map((s) => s.name),
    routes,
  };
}
