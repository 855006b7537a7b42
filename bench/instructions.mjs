// credport-server's instructions per request, route by route, under valgrind's callgrind: a
// count that does not move with the machine's load, where CPU time per request (bench/run.mjs's
// servercpu section, issue 27's measure) moves by a fifth between runs on a small shared host
// and hides a change of a few per cent. It counts the server's own instructions only (not the
// kernel's, which the floor is mostly made of), one request at a time: use it to tell whether a
// change to a route's work took instructions out, and servercpu for what a request costs.
//
//   node bench/instructions.mjs [--requests 300] [--routes floor,credentials,verify,list] BINARY...
//
// Each BINARY (by default target/release/credport-server) is started under callgrind and seeded
// like the server section (one site, 100 connections, a PAT, an API key; SQLite, or a new
// database of the PostgreSQL cluster PGHOST names, under scripts/with-postgres.sh). Each route
// is called 30 times, its counters are zeroed, and it is called --requests times more, one after
// another on one keep-alive connection. With the three routes of servercpu's mixed load, their
// counts are also weighed as that load's cycle (and set against the floor's). The counts of each
// route are kept in bench/.cache/callgrind/ for `callgrind_annotate --inclusive=yes FILE`. Needs
// Debian's valgrind.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { postgresDatabase, startSeededServer } from './lib/server.mjs';
import { mixedCycle } from './lib/servercpu.mjs';
import { benchDir, commandLine, root } from './lib/util.mjs';

const args = process.argv.slice(2);
const { option } = commandLine(args);
const requests = Number(option('--requests', 300));
const routes = option('--routes', 'floor,credentials,verify,list').split(',');
const binaries = args.length > 0 ? args.map((b) => path.resolve(b)) : [path.join(root, 'target/release/credport-server')];

/** Stops with one line saying what is wrong. */
function refuse(why) {
  process.stderr.write(`instructions: ${why}\n`);
  process.exit(2);
}

/** One request of each route, the i-th of its run (credentials go through the 100 providers). */
const ROUTES = {
  floor: ({ url }) => fetch(`${url}/v1/nonexistent/floor`),
  credentials: ({ url, auth }, i) => fetch(`${url}/v1/connections/credentials/provider_${String(i % 100).padStart(3, '0')}`, { headers: auth }),
  verify: ({ url, auth, secret }) =>
    fetch(`${url}/v1/api_keys/verify`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ secret }) }),
  list: ({ url, auth }) => fetch(`${url}/v1/connections`, { headers: auth }),
};
if (!Number.isInteger(requests) || requests < 1) refuse('--requests must be a positive whole number');
for (const route of routes) {
  if (!ROUTES[route]) refuse(`unknown route ${route} (routes: ${Object.keys(ROUTES).join(', ')})`);
}
for (const binary of binaries) if (!fs.existsSync(binary)) refuse(`no server binary at ${binary}`);
try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  refuse('valgrind is not installed (Debian: apt-get install valgrind)');
}

const outDir = path.join(benchDir, '.cache/callgrind');
fs.mkdirSync(outDir, { recursive: true });

/** `route` `times` times, in turn; a server error fails the measure. */
async function call(target, route, times) {
  for (let i = 0; i < times; i++) {
    const response = await ROUTES[route](target, i);
    await response.arrayBuffer();
    const expected = route === 'floor' ? 404 : 200;
    if (response.status !== expected) throw new Error(`${route} answered ${response.status}, not ${expected}`);
  }
}

/** Instructions per request of each route on a newly seeded server of `binary`. */
async function measure(binary, index) {
  const wrapper = path.join(outDir, `server-${index}.sh`);
  const out = path.join(outDir, `${index}-%p.out`);
  const quoted = (text) => `'${text.replaceAll("'", `'\\''`)}'`;
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec valgrind -q --tool=callgrind --callgrind-out-file=${quoted(out)} ${quoted(binary)} "$@"\n`, { mode: 0o755 });
  const database = process.env.PGHOST ? postgresDatabase() : undefined;
  const seeded = await startSeededServer(wrapper, { database });
  const pid = String(seeded.server.child.pid);
  const target = { url: seeded.server.url, auth: { authorization: `Bearer ${seeded.token}` }, secret: seeded.secret };
  const counts = {};
  try {
    for (const route of routes) {
      await call(target, route, 30);
      execFileSync('callgrind_control', ['--zero', pid], { stdio: 'ignore' });
      await call(target, route, requests);
      const dumped = new Set(fs.readdirSync(outDir));
      execFileSync('callgrind_control', [`--dump=${route}`, pid], { stdio: 'ignore' });
      const file = fs.readdirSync(outDir).find((f) => f.startsWith(`${index}-${pid}.out.`) && !dumped.has(f));
      const kept = path.join(outDir, `${index}-${route}.callgrind`);
      fs.renameSync(path.join(outDir, file), kept);
      const total = /^(?:summary|totals): (\d+)/m.exec(fs.readFileSync(kept, 'utf8'));
      if (!total) throw new Error(`no total in ${kept}`);
      counts[route] = Number(total[1]) / requests;
    }
  } finally {
    // Its temporary database goes with it; callgrind's dump at exit (what ran after the last
    // route's) is not one of the counts.
    await seeded.server.stop();
    fs.rmSync(path.join(outDir, `${index}-${pid}.out`), { force: true });
  }
  return counts;
}

const results = [];
for (const [i, binary] of binaries.entries()) {
  process.stderr.write(`[instructions] ${binary}: ${routes.join(', ')}, ${requests} requests each, under callgrind\n`);
  results.push(await measure(binary, i));
}
const kilo = (n) => `${(n / 1000).toFixed(1)}k`;
const label = (b) => (path.relative(process.cwd(), b).startsWith('..') ? b : path.relative(process.cwd(), b));
const header = ['route', ...binaries.map((b, i) => `${i}: ${label(b)}`), ...(binaries.length > 1 ? ['last / first'] : [])];
/** A row of the table: a count per build, and the last against the first. */
const row = (name, counts) => [name, ...counts.map(kilo), ...(binaries.length > 1 ? [`${(counts.at(-1) / counts[0]).toFixed(3)}×`] : [])];
const rows = routes.map((route) => row(route, results.map((r) => r[route])));
const mix = mixShares();
if (Object.keys(mix).every((route) => routes.includes(route))) {
  // What a request of servercpu's mixed load costs, and that against the floor (in instructions:
  // the floor's CPU time is mostly the kernel's, which callgrind does not count).
  const mixed = results.map((r) => Object.entries(mix).reduce((sum, [route, share]) => sum + share * r[route], 0));
  const shares = Object.entries(mix).map(([route, share]) => `${Math.round(share * 100)}% ${route}`);
  rows.push(row(`mixed (${shares.join(', ')})`, mixed));
  if (routes.includes('floor')) {
    rows.push(['mixed / floor', ...mixed.map((m, i) => `${(m / results[i].floor).toFixed(2)}×`), ...(binaries.length > 1 ? [''] : [])]);
  }
}
console.log(`instructions per request (server, user space), ${process.env.PGHOST ? 'PostgreSQL' : 'SQLite'}`);
console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);

/** Each route's share of servercpu's mixed load, counted in its cycle. */
function mixShares() {
  const cycle = mixedCycle({ token: '', secret: '', connections: 100 });
  const routeOf = (request) =>
    request.path.startsWith('/v1/connections/credentials/') ? 'credentials' : request.path === '/v1/api_keys/verify' ? 'verify' : request.path === '/v1/connections' ? 'list' : request.path;
  const shares = {};
  for (const request of cycle) shares[routeOf(request)] = (shares[routeOf(request)] ?? 0) + 1 / cycle.length;
  return shares;
}

console.log(`callgrind files: ${path.relative(process.cwd(), outDir)}/<build>-<route>.callgrind`);
