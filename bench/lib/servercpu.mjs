// credport-server's CPU per request (issue 27, item 4), from the processes' own counters: a
// mixed load (50% credentials reads, 30% `verify`, 20% `connections.list`) against the 404 floor,
// a path no route matches, which answers before authentication and before any database access.
// CPU time per request does not depend on how many cores the machine has or on what else runs on
// them, as requests per second and latency do; the floor, measured on the same process under the
// same load, is what any request costs in HTTP, routing, the request layer and the load tool's
// share of the kernel's work, so the ratio is the cost of the route's own work.
//
// The server before the work (commit BEFORE, built once from git into bench/.cache/server) and
// this build take turns, twice (who goes first alternating), each seeded alike on a new database: SQLite, and PostgreSQL too
// when PGHOST names a cluster (`npm run bench` runs under scripts/with-postgres.sh), where the
// CPU of the cluster's processes is counted beside the server's.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureWrk, luaString, parseWrk } from './load.mjs';
import { postgresDatabase, serverAtCommit, startSeededServer } from './server.mjs';
import { benchDir, median, round, run } from './util.mjs';

/** main at the start of issue 27's native async PostgreSQL store. */
export const BEFORE = '5821619';
/** Issue 27's targets. */
export const TARGETS = { ratioToFloor: 4, postgresUs: 120, sqliteP99Ms: 25 };
/** No route has this path: its 404 is the router's fallback, answered without a token or the database. */
const FLOOR_PATH = '/v1/nonexistent/floor';

// ---------------------------------------------------------------------------------------------
// CPU time from /proc: utime + stime, in clock ticks.

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The fields of /proc/<pid>/stat after the command name: [0] is the state, [1] the parent. */
function statFields(pid) {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of all of a process's threads, those that ended included. */
function processTicks(pid) {
  const f = statFields(pid);
  return Number(f[11]) + Number(f[12]);
}

/** The PostgreSQL cluster's postmaster: the first line of its socket's lock file in PGHOST. */
function postmasterPid() {
  const lock = path.join(process.env.PGHOST, `.s.PGSQL.${process.env.PGPORT ?? 5432}.lock`);
  return Number(fs.readFileSync(lock, 'utf8').split('\n')[0]);
}

/**
 * The cluster's CPU: the postmaster's own, its children's that ended (cutime + cstime, once it
 * has reaped them) and its live children's (backends, WAL writer, checkpointer, …). A child
 * reaped between the two readings of the postmaster would be counted twice or not at all: then
 * it is read again.
 */
function clusterTicks(postmaster) {
  for (;;) {
    const own = statFields(postmaster);
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const f = statFields(pid);
        if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      } catch {} // ended meanwhile
    }
    const again = statFields(postmaster);
    if (again[13] === own[13] && again[14] === own[14]) return ticks;
  }
}

// ---------------------------------------------------------------------------------------------
// The load: a cycle of requests on keep-alive connections, with wrk or the node:http generator.

/**
 * The mixed load as a cycle of 200 requests, in a fixed interleaving of 10 (5 credentials reads,
 * 3 `verify`, 2 `connections.list`); the credentials reads go through the 100 seeded providers.
 * bench/instructions.mjs weighs its routes by this same cycle.
 */
export function mixedCycle(seeded) {
  const auth = { Authorization: `Bearer ${seeded.token}`, Accept: 'application/json' };
  const verify = {
    method: 'POST',
    path: '/v1/api_keys/verify',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ secret: seeded.secret }),
  };
  const list = { method: 'GET', path: '/v1/connections', headers: auth };
  const cycle = [];
  let provider = 0;
  const credentials = () => ({
    method: 'GET',
    path: `/v1/connections/credentials/provider_${String(provider++ % seeded.connections).padStart(3, '0')}`,
    headers: auth,
  });
  for (let i = 0; i < 20; i++) {
    cycle.push(credentials(), verify, credentials(), list, credentials(), verify, credentials(), verify, credentials(), list);
  }
  return cycle;
}

/** The floor: an unauthenticated GET of a path no route matches. */
const floorCycle = [{ method: 'GET', path: FLOOR_PATH, headers: { Accept: 'application/json' } }];

let scriptCount = 0;

/**
 * wrk with a script that sends the cycle in turn on each thread. Errors: socket errors, and the
 * answers of status 400 or more (wrk's own count), or, with `expectStatus` (the floor), those of
 * another status, counted by the script: a `response` callback costs wrk the copy of every
 * answer into Lua, a few per cent of requests per second, so the mixed load does without.
 */
async function wrkCycle(wrk, url, cycle, { expectStatus, seconds, connections, threads }) {
  const dir = path.join(benchDir, '.cache/load');
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(dir, `servercpu-${process.pid}-${(scriptCount += 1)}.lua`);
  const table = (headers) => `{ ${Object.entries(headers).map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`).join(', ')} }`;
  const specs = cycle.map((r) => `  { ${luaString(r.method)}, ${luaString(r.path)}, ${table(r.headers)}, ${r.body ? luaString(r.body) : 'nil'} },`);
  const lua = `local specs = {
${specs.join('\n')}
}
function init(args)
  sent = 0
  requests = {}
  for i, r in ipairs(specs) do requests[i] = wrk.format(r[1], r[2], r[3], r[4]) end
end
function request()
  sent = sent + 1
  return requests[(sent - 1) % #requests + 1]
end
${expectStatus ? expectedStatusCount(expectStatus) : ''}`;
  fs.writeFileSync(script, lua, { mode: 0o600 });
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '--latency', '-s', script, url];
  let result;
  try {
    result = await run(wrk, args, { timeoutMs: (seconds + 30) * 1000 });
  } finally {
    fs.rmSync(script, { force: true }); // it holds the throwaway server's token and key
  }
  if (result.code !== 0) throw new Error(`wrk failed: ${result.stderr || result.stdout}`);
  const parsed = parseWrk(result.stdout);
  if (!expectStatus) return parsed;
  const unexpected = /unexpected statuses: (\d+)/.exec(result.stdout);
  if (!unexpected) throw new Error(`wrk's script did not report its count: ${result.stdout.slice(-300)}`);
  return { ...parsed, errors: Number(unexpected[1]) + parsed.socketErrors };
}

/** The part of wrk's script that counts answers of another status than `status`, over all threads. */
function expectedStatusCount(status) {
  return `local threads = {}
function setup(thread) table.insert(threads, thread) end
unexpected = 0
function response(status, headers, body)
  if status ~= ${status} then unexpected = unexpected + 1 end
end
function done(summary, latency, reqs)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("unexpected") end
  io.write(string.format("unexpected statuses: %d\\n", n))
end
`;
}

async function nodeCycle(url, cycle, { expectStatus, seconds, connections }) {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loadgen.mjs');
  const config = { cycle: cycle.map((r) => ({ ...r, url: `${url}${r.path}` })), expectStatus, seconds, connections };
  const result = await run(process.execPath, [script, JSON.stringify(config)], { timeoutMs: (seconds + 30) * 1000 });
  if (result.code !== 0) throw new Error(`load generator failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * One measured load: CPU ticks of the server (and of the cluster) read just before the load tool
 * starts and just after it ends, divided by the requests it completed.
 */
async function measuredLoad({ wrk, url, cycle, options, pid, postmaster }) {
  const ticks = () => ({ server: processTicks(pid), postgres: postmaster ? clusterTicks(postmaster) : null });
  const before = ticks();
  const result = wrk ? await wrkCycle(wrk, url, cycle, options) : await nodeCycle(url, cycle, options);
  const after = ticks();
  const usPerRequest = (key) => (after[key] === null ? null : ((after[key] - before[key]) / TICKS_PER_SECOND / result.requests) * 1e6);
  return { ...result, serverUs: usPerRequest('server'), postgresUs: usPerRequest('postgres') };
}

/** The floor, then the mixed load, on a newly seeded server of `binary`. */
async function oneServer({ binary, store, wrk, seconds, warmupSeconds, connections, threads }) {
  const database = store === 'PostgreSQL' ? postgresDatabase() : undefined;
  const seeded = await startSeededServer(binary, { database });
  try {
    const probe = await fetch(`${seeded.server.url}${FLOOR_PATH}`);
    await probe.arrayBuffer();
    if (probe.status !== 404) throw new Error(`the floor's path ${FLOOR_PATH} answered ${probe.status}, not 404`);
    const common = { wrk, url: seeded.server.url, pid: seeded.server.child.pid, postmaster: store === 'PostgreSQL' ? postmasterPid() : null };
    const options = { seconds, connections, threads };
    const mixed = mixedCycle(seeded);
    if (warmupSeconds > 0) await measuredLoad({ ...common, cycle: mixed, options: { ...options, seconds: warmupSeconds } });
    const floor = await measuredLoad({ ...common, cycle: floorCycle, options: { ...options, expectStatus: 404 } });
    const load = await measuredLoad({ ...common, cycle: mixed, options });
    for (const [name, r] of [['404 floor', floor], ['mixed load', load]]) {
      if (r.errors > 0) throw new Error(`${name} on ${store}: ${r.errors} of ${r.requests} requests failed (unexpected status or socket error)`);
    }
    return { floor, load };
  } finally {
    await seeded.server.stop();
  }
}

function cpuModel() {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

/** The stores measured: SQLite, and PostgreSQL when there is a cluster. */
function defaultStores() {
  return process.env.PGHOST ? ['SQLite', 'PostgreSQL'] : ['SQLite'];
}

export async function measureServerCpu({ binary, seconds, warmupSeconds, connections, turns, install, log, stores = defaultStores() }) {
  const loadAverageStart = os.loadavg();
  const wrk = await ensureWrk({ install });
  const threads = 2;
  const servers = [
    { name: `before (${BEFORE})`, binary: serverAtCommit(BEFORE, 'before issue 27') },
    { name: 'this build', binary },
  ];
  const results = [];
  for (const store of stores) {
    const samples = servers.map(() => []);
    for (let turn = 0; turn < turns; turn++) {
      // Who goes first alternates (before, after; after, before; …): a machine getting busier
      // or quieter during the run weighs on both alike.
      const order = turn % 2 === 0 ? [0, 1] : [1, 0];
      for (const k of order) {
        const server = servers[k];
        log(`servercpu: ${server.name} on ${store}, turn ${turn + 1} of ${turns}: seeding, then the 404 floor and the mixed load, ${seconds}s each`);
        const sample = await oneServer({ binary: server.binary, store, wrk, seconds, warmupSeconds, connections, threads });
        const ratio = sample.load.serverUs / sample.floor.serverUs;
        log(
          `servercpu:   ${Math.round(sample.load.rps)} req/s, server ${Math.round(sample.load.serverUs)} µs CPU/request ` +
            `(floor ${Math.round(sample.floor.serverUs)} µs: ${ratio.toFixed(1)}×)` +
            (sample.load.postgresUs === null ? '' : `, PostgreSQL ${Math.round(sample.load.postgresUs)} µs`) +
            `, p99 ${sample.load.p99Ms?.toFixed(1)} ms`,
        );
        samples[k].push(sample);
      }
    }
    const perServer = samples.map((s, k) => {
      const m = (pick, digits = 1) => round(median(s.map(pick)), digits);
      const serverUs = m((x) => x.load.serverUs);
      const floorUs = m((x) => x.floor.serverUs);
      const postgresUs = store === 'PostgreSQL' ? m((x) => x.load.postgresUs) : null;
      const p99Ms = m((x) => x.load.p99Ms, 2);
      const ratioToFloor = round(median(s.map((x) => x.load.serverUs / x.floor.serverUs)), 2);
      return {
        server: servers[k].name,
        rps: m((x) => x.load.rps, 0),
        p50Ms: m((x) => x.load.p50Ms, 2),
        p99Ms,
        serverUs,
        floorUs,
        floorRps: m((x) => x.floor.rps, 0),
        floorPostgresUs: store === 'PostgreSQL' ? m((x) => x.floor.postgresUs) : null,
        ratioToFloor,
        postgresUs,
        requests: s.reduce((a, x) => a + x.load.requests, 0),
        floorRequests: s.reduce((a, x) => a + x.floor.requests, 0),
        meets: {
          ratioToFloor: ratioToFloor <= TARGETS.ratioToFloor,
          ...(store === 'PostgreSQL' ? { postgresUs: postgresUs <= TARGETS.postgresUs } : { p99Ms: p99Ms <= TARGETS.sqliteP99Ms }),
        },
        turns: s.map((x) => ({
          rps: round(x.load.rps, 0),
          serverUs: round(x.load.serverUs, 1),
          floorUs: round(x.floor.serverUs, 1),
          postgresUs: round(x.load.postgresUs, 1),
          p99Ms: round(x.load.p99Ms, 2),
        })),
      };
    });
    results.push({ store, perServer });
  }
  const tool = wrk ? `wrk -t${threads} -c${connections} with a Lua script` : `the node:http load generator (bench/lib/loadgen.mjs), ${connections} connections`;
  return {
    method:
      `Each server seeded like the server section on a new database, then ${warmupSeconds} s of the mixed load (discarded), ` +
      `${seconds} s of the 404 floor (unauthenticated \`GET ${FLOOR_PATH}\`) and ${seconds} s of the mixed load ` +
      `(50% \`GET /v1/connections/credentials/{provider}\` through the 100 providers, 30% \`POST /v1/api_keys/verify\`, ` +
      `20% \`GET /v1/connections\`), ${tool}, keep-alive, no rate limit (\`CREDPORT_RATE_LIMIT\` unset: off); an answer of ` +
      `status 400 or more (on the floor: any but 404) or a socket error fails the section. CPU per request: utime + stime from /proc/<pid>/stat of the server` +
      (stores.includes('PostgreSQL') ? ' and of the PostgreSQL cluster (the postmaster, its live children and those it reaped)' : '') +
      `, read before and after the load, over the requests completed. The server before (commit ${BEFORE}) and this build take ` +
      `turns (${turns === 1 ? 'once' : `${turns} times, who goes first alternating`}); medians of the turns. The load tool, the server${stores.includes('PostgreSQL') ? ', PostgreSQL' : ''} and the bench on the same machine.`,
    tool,
    connections,
    seconds,
    ticksPerSecond: TICKS_PER_SECOND,
    machine: { cores: os.cpus().length, cpuModel: cpuModel(), loadAverageStart, loadAverageEnd: os.loadavg() },
    servers: servers.map((s) => s.name),
    targets: TARGETS,
    stores: results,
  };
}
