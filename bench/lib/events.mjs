// Before and after events: credport-server as it was before the audit log (commit BEFORE_EVENTS)
// against this build, in one run, on the two paths recording touches most: reading credentials
// (a read that became a write: the `credentials.read` event) and an admin write (its event and the
// webhook outbox's look-up, in the same transaction). The two servers take turns, twice, each
// seeded alike; requests per second are the median of the two turns. On SQLite, and on PostgreSQL
// too when PGHOST names a cluster (`npm run bench` runs under scripts/with-postgres.sh): each server
// then gets a new database of its own.
//
// The old server is built once from git and kept in bench/.cache/server/<commit> (serverAtCommit).
import { ensureWrk, spread } from './load.mjs';
import { postgresDatabase, serverAtCommit, startSeededServer } from './server.mjs';
import { median, round } from './util.mjs';

/** main just before events were added. */
export const BEFORE_EVENTS = 'b8a9ba5';
/** The cost of recording events may take at most this share of throughput (issue 24). */
const BUDGET = 0.15;

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
    { name: `before events (${BEFORE_EVENTS})`, binary: serverAtCommit(BEFORE_EVENTS, 'before events', { sameProfile: true }) },
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
