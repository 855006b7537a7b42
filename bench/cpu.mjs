// Client CPU per call, with no network and no server: the caller's `fetch` answers every request
// in-process with a canned `new Response(text)`, so what is measured is the SDK's own work (and
// the runtime's `Request`/`Response`), set against raw `fetch` + `JSON.parse` of the same answer.
// The measure behind docs/performance.md's "Where a call's CPU goes" (issue 26).
//
//   node bench/cpu.mjs [--items 5] [--calls 300] [--rounds 9] DIST...   CPU per call, interleaved rounds, medians
//   node bench/cpu.mjs --named OUT [--wasm FILE]                        OUT/web/credport.mjs + .wasm with function names kept
//                                                                        (FILE: cargo's credport.wasm, by default target/'s)
//   node bench/cpu.mjs --profile [--items 5] [--calls 20000] DIST       a CPU profile of the calls, read top-down
//
// Each DIST is a built package (dist/ after `node scripts/build.mjs`, or a copy of one) or an OUT
// of `--named` (the shipped build's wasm-bindgen and wasm-opt passes, plus `-g`). Several DISTs
// are loaded side by side in one process (each its own instance) and measured round after round.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandLine, median, root } from './lib/util.mjs';

const args = process.argv.slice(2);
const { option, flag } = commandLine(args);

const named = option('--named');
const compiled = option('--wasm', path.join(root, 'target/wasm32-unknown-unknown/wasm/credport.wasm'));
const profile = flag('--profile');
const items = Number(option('--items', 5));
const calls = Number(option('--calls', profile ? 20000 : 300));
const rounds = Number(option('--rounds', 9));

if (named) {
  buildNamed(path.resolve(named));
  process.exit(0);
}
if (args.length === 0) args.push(path.join(root, 'dist'));

/** A page of `n` connections as credport's server writes it. */
function page(n) {
  const connection = (i) => ({
    id: `conn_${String(i).padStart(24, '0')}`,
    provider: 'google',
    provider_config_key: 'google-prod',
    root_resource_id: `user${i}@example.com`,
    root_resource_name: `User ${i}`,
    scopes: ['openid', 'email', 'https://www.googleapis.com/auth/drive.readonly'],
    status: 'active',
    token_expires_at: '2030-01-01T00:00:00Z',
    credentials: { type: 'oauth2', expires_at: '2030-01-01T00:00:00Z' },
    metadata: { team: 'growth', seat: i },
    last_refreshed_at: '2026-12-01T10:00:00Z',
    refresh_error: null,
    created_at: '2026-11-01T10:00:00Z',
    updated_at: '2026-12-01T10:00:00Z',
  });
  return { count: n, page: 1, page_size: n, next: null, previous: null, payload: Array.from({ length: n }, (_, i) => connection(i)) };
}

const body = JSON.stringify(page(items));
const head = { 'content-type': 'application/json', 'x-request-id': 'req_cpu' };
/** The caller's `fetch`: every request answered at once, in-process. */
const canned = async () => new Response(body, { status: 200, headers: head });

/** A client of the build in `dir`, its own wasm instance (the web glue, instantiated here). */
async function load(dir) {
  const glue = await import(pathToFileURL(path.join(dir, 'web', 'credport.mjs')));
  glue.initSync({ module: fs.readFileSync(path.join(dir, 'web', 'credport_bg.wasm')) });
  const errors = await import(pathToFileURL(path.join(fs.existsSync(path.join(dir, 'errors.mjs')) ? dir : path.join(root, 'pkg-template'), 'errors.mjs')));
  glue.__setErrorFactory(errors.createError);
  const client = new glue.Credport({ apiKey: 'cp_sk_cpu', baseUrl: 'http://credport.test', fetch: canned, maxRetries: 2 });
  return { name: path.relative(process.cwd(), dir) || dir, call: () => client.connections.list() };
}

/** raw `fetch` + `JSON.parse`: the floor for any client of this API. */
const raw = {
  name: 'raw fetch + json()',
  call: async () => {
    const response = await canned('http://credport.test/v1/connections', { headers: { authorization: 'Bearer cp_sk_cpu', accept: 'application/json' } });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  },
};

const subjects = [raw, ...(await Promise.all(args.map((dir) => load(path.resolve(dir)))))];
for (const { name, call } of subjects) {
  const result = await call();
  const count = (result.payload ?? []).length;
  if (count !== items) throw new Error(`${name} read ${count} items, not ${items}`);
}

/** CPU microseconds (user + system) per call of `n` calls, one after another. */
async function cpuPerCall(call, n) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await call();
  const { user, system } = process.cpuUsage(start);
  return (user + system) / n;
}

if (profile) {
  const subject = subjects[1];
  for (let i = 0; i < 2000; i++) await subject.call(); // warm: optimised code, not the tiers before it
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  const perCall = await cpuPerCall(subject.call, calls);
  const { profile: cpuProfile } = await session.post('Profiler.stop');
  session.disconnect();
  const file = path.join(process.cwd(), `cpu-${items}-items.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(cpuProfile));
  console.log(`${subject.name}: ${calls} calls, ${perCall.toFixed(1)} µs CPU per call (profiled); profile in ${path.relative(process.cwd(), file)}\n`);
  summarize(cpuProfile);
} else {
  for (const { call } of subjects) await cpuPerCall(call, calls); // warm
  const samples = subjects.map(() => []);
  for (let round = 0; round < rounds; round++) {
    subjects.forEach((subject, i) => samples[i].push(0));
    // Each round measures every subject once, in a rotating order.
    for (let k = 0; k < subjects.length; k++) {
      const i = (k + round) % subjects.length;
      samples[i][round] = await cpuPerCall(subjects[i].call, calls);
    }
  }
  const floor = median(samples[0]);
  console.log(`${items} items, ${rounds} rounds of ${calls} calls, CPU µs per call (median; min–max)`);
  subjects.forEach(({ name }, i) => {
    const m = median(samples[i]);
    const range = `${Math.min(...samples[i]).toFixed(0)}–${Math.max(...samples[i]).toFixed(0)}`;
    console.log(`  ${name.padEnd(40)} ${m.toFixed(1).padStart(8)}  (${range})  ${(m / floor).toFixed(2)}× raw`);
  });
}

/**
 * The profile read two ways: self time by function (where the samples land), and the share of
 * the time spent under each kind of frame (glue, wasm, undici, promises, GC), counted once per
 * sample at its innermost frame of that kind.
 */
function summarize({ nodes, samples, timeDeltas }) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const weight = new Map();
  samples.forEach((id, i) => weight.set(id, (weight.get(id) ?? 0) + (timeDeltas[i] ?? 0)));
  const total = [...weight.values()].reduce((a, b) => a + b, 0);
  const where = ({ callFrame: f }) => {
    const file = f.url.replace(/^.*\//, '');
    return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const kind = ({ callFrame: f }) => {
    if (f.url.startsWith('wasm://')) return 'wasm';
    if (/credport(_bg)?\.m?js$/.test(f.url)) return 'glue (wasm-bindgen JS)';
    if (f.url.includes('undici') || f.url.includes('internal/deps')) return 'undici (Request, Response, Headers)';
    if (f.url.startsWith('node:') || f.url.includes('internal/')) return 'node internals';
    if (f.url.includes('cpu.mjs')) return 'benchmark';
    if (f.functionName.startsWith('(')) return f.functionName;
    return f.url ? 'other JS' : 'builtins (no frame: JSON.parse, Promise, TextDecoder…)';
  };
  const self = new Map();
  const kinds = new Map();
  for (const [id, t] of weight) {
    const node = byId.get(id);
    self.set(where(node), (self.get(where(node)) ?? 0) + t);
    kinds.set(kind(node), (kinds.get(kind(node)) ?? 0) + t);
  }
  const pct = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
  console.log('self time by kind of frame:');
  for (const [k, t] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(t)}  ${k}`);
  console.log('\nself time, top 40 functions:');
  for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${pct(t)}  ${name}`);
  // Inclusive time of each function (a sample counts once however often its stack repeats it).
  const inclusive = new Map();
  for (const [id, t] of weight) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const name = where(byId.get(at));
      if (!seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + t);
      seen.add(name);
    }
  }
  console.log('\ninclusive time, top 50 functions:');
  for (const [name, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 50)) console.log(`  ${pct(t)}  ${name}`);
}

/** The `web` build of cargo's `compiled` wasm with names kept: wasm-bindgen, wasm-opt as shipped plus `-g`. */
function buildNamed(out) {
  fs.mkdirSync(path.join(out, 'web'), { recursive: true });
  execFileSync('wasm-bindgen', ['--target', 'web', '--keep-debug', '--out-dir', path.join(out, 'web'), compiled], { stdio: 'inherit' });
  const toml = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
  const flags = JSON.parse(toml.split('\n').find((l) => l.startsWith('wasm-opt = [')).replace(/^wasm-opt = /, ''));
  const wasm = path.join(out, 'web', 'credport_bg.wasm');
  execFileSync(path.join(root, 'node_modules/.bin/wasm-opt'), [...flags, '-g', wasm, '-o', wasm], { stdio: 'inherit' });
  fs.renameSync(path.join(out, 'web', 'credport.js'), path.join(out, 'web', 'credport.mjs'));
  console.log(`${out}/web: credport.mjs and credport_bg.wasm with function names`);
}
