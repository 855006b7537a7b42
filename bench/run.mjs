#!/usr/bin/env node
// The credport benchmark: weight, cold start, per-call cost, throughput, memory, and credport-server
// under load, side by side with other SDKs and raw fetch, in one run. See docs/performance.md.
//
//   node bench/run.mjs                       everything (a few minutes); `npm run bench` builds first
//   node bench/run.mjs --only weight,percall  some sections; the others are carried over in latest.*
//   node bench/run.mjs --smoke               tiny samples, well under a minute, to prove it runs
//   node bench/run.mjs --out DIR             write the report, table and chart into DIR instead
import { fork, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDir, root, distDir, log, runInherit } from './lib/util.mjs';

const SECTIONS = ['weight', 'coldstart', 'percall', 'throughput', 'memory', 'server', 'cores', 'events', 'servercpu'];
const SERVER_SECTIONS = ['percall', 'throughput', 'memory', 'server', 'cores', 'events', 'servercpu'];
/** Sections whose first run builds old code: a smoke run leaves them out unless --only names them. */
const BUILDS_OLD_CODE = ['cores', 'events', 'servercpu'];

function usage(code) {
  process.stdout.write(`usage: node bench/run.mjs [--smoke] [--only ${SECTIONS.join(',')}] [--out DIR] [--no-install]
  --smoke       tiny samples (well under a minute); writes to bench/results/smoke/ unless --out;
                leaves out ${BUILDS_OLD_CODE.join(', ')} (their first runs build old code) unless --only names them
  --only LIST   run these sections only; latest.* keep the other sections of the previous run
  --out DIR     write <timestamp>.json, latest.json, latest.md and bench.svg into DIR
  --no-install  do not install a load tool (wrk); the built-in load generator is used if wrk is missing
  --render      measure nothing: write latest.md and the chart again from latest.json
`);
  process.exit(code);
}

function parseArgs(argv) {
  const args = { smoke: false, only: null, out: null, install: true, render: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) usage(2);
      return argv[++i];
    };
    if (a === '--smoke') args.smoke = true;
    else if (a === '--no-install') args.install = false;
    else if (a === '--render') args.render = true;
    else if (a === '--only' || a.startsWith('--only=')) args.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--out' || a.startsWith('--out=')) args.out = path.resolve(value());
    else if (a === '--help' || a === '-h') usage(0);
    else {
      process.stderr.write(`unknown argument: ${a}\n`);
      usage(2);
    }
  }
  for (const s of args.only ?? []) {
    if (!SECTIONS.includes(s)) {
      process.stderr.write(`unknown section: ${s} (sections: ${SECTIONS.join(', ')})\n`);
      process.exit(2);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const selected = args.only ?? (args.smoke ? SECTIONS.filter((s) => !BUILDS_OLD_CODE.includes(s)) : SECTIONS);
const smoke = args.smoke;
const params = smoke
  ? {
      coldstartRuns: 3,
      percall: { rounds: 2, callsPerRound: 20, warmup: 10 },
      throughput: { total: 1000, concurrency: 64, reps: 1 },
      memory: { total: 1500, concurrency: 8, warmupCalls: 300, checkpoints: 3 },
      server: { seconds: 2, warmupSeconds: 0 },
      servercpu: { seconds: 2, warmupSeconds: 0, connections: 16, turns: 1 },
    }
  : {
      coldstartRuns: 15,
      // V8 is still optimising after a few hundred calls: 2,000 warm-up calls per client.
      percall: { rounds: 12, callsPerRound: 200, warmup: 2000 },
      throughput: { total: 20000, concurrency: 64, reps: 10 },
      memory: { total: 100000, concurrency: 8, warmupCalls: 5000, checkpoints: 10 },
      server: { seconds: 10, warmupSeconds: 1 },
      servercpu: { seconds: 6, warmupSeconds: 1, connections: 64, turns: 2 },
    };

// ---------------------------------------------------------------------------------------------
// Set-up: the built package, the benchmark's own dependencies, credport linked in beside them.

const builtDist = path.join(root, 'dist');
// The bench measures a copy of dist/ taken at its start, so a rebuild of dist/ during a run (other
// people work in this tree) can't mix two builds or pull files away mid-section.
const dist = distDir;
const isBuilt = (dir) => fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'web/credport_bg.wasm'));

async function snapshotDist() {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (isBuilt(builtDist)) {
      fs.rmSync(dist, { recursive: true, force: true });
      fs.cpSync(builtDist, dist, { recursive: true });
      if (isBuilt(dist)) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a build in progress
  }
  process.stderr.write('dist/ is not built: run `npm run build` (or `npm run bench`, which builds first)\n');
  process.exit(2);
}

async function ensureDependencies() {
  await snapshotDist();
  const modules = path.join(benchDir, 'node_modules');
  const installed = path.join(modules, '.package-lock.json');
  const lock = path.join(benchDir, 'package-lock.json');
  if (!fs.existsSync(installed) || fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs) {
    log('installing the benchmark dependencies (npm ci --prefix bench)');
    await runInherit('npm', ['ci', '--prefix', benchDir, '--no-audit', '--no-fund', '--loglevel=error']);
  }
  // `import 'credport'` from bench/ resolves to the copy of dist/, through its package.json exports.
  const link = path.join(modules, 'credport');
  const target = path.relative(modules, dist);
  let current = null;
  try {
    current = fs.readlinkSync(link);
  } catch {}
  if (current !== target) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(target, link, 'dir');
  }
}

// ---------------------------------------------------------------------------------------------
// What the machine was doing: the bench shares 2 cores with people compiling Rust.

function compilersRunning() {
  let n = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (/^(rustc|cargo|cc1|cc1plus|ld|rust-lld|lld|wasm-opt|wasm-bindgen|clang)$/.test(comm)) n++;
    } catch {}
  }
  return n;
}

function git(...a) {
  try {
    return execFileSync('git', a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------

function forkChild(config) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.CREDPORT_LOG; // the SDK's own logging would be measured too
    const child = fork(path.join(benchDir, 'lib/client-child.mjs'), [JSON.stringify(config)], {
      cwd: benchDir,
      env,
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
      process.stderr.write(d);
    });
    let answer = null;
    child.on('message', (m) => (answer = m));
    child.on('error', reject);
    child.on('close', (code) => {
      if (answer?.ok) resolve(answer.result);
      else reject(new Error(answer?.error ?? `client benchmark (${config.mode}) exited with ${code}: ${stderr.trim().split('\n').slice(0, 3).join(' ')}`));
    });
  });
}

function outputDir() {
  return args.out ?? path.join(benchDir, smoke ? 'results/smoke' : 'results');
}

/** latest.md and the chart from a report. */
async function render(report, outDir) {
  const { markdown, chart } = await import('./lib/report.mjs');
  const md = markdown(report);
  fs.writeFileSync(path.join(outDir, 'latest.md'), md);
  const svgPath = args.out || smoke ? path.join(outDir, 'bench.svg') : path.join(root, 'docs/bench.svg');
  fs.mkdirSync(path.dirname(svgPath), { recursive: true });
  fs.writeFileSync(svgPath, chart(report));
  return { md, svgPath };
}

/**
 * The server section on PostgreSQL (the cluster of PGHOST): one instance, then two on one
 * database, each seeded like the SQLite server.
 */
async function measurePostgres(binary, options) {
  const { measureServer } = await import('./lib/load.mjs');
  const { postgresDatabase, startInstance, startSeededServer } = await import('./lib/server.mjs');
  const results = [];
  for (const instances of [1, 2]) {
    log(`server: PostgreSQL, ${instances} instance(s), seeding 100 connections`);
    const seeded = await startSeededServer(binary, { database: postgresDatabase() });
    const servers = [seeded.server];
    try {
      while (servers.length < instances) servers.push(await startInstance(binary, seeded));
      const measured = await measureServer({ seeded, urls: servers.map((s) => s.url), ...options });
      results.push({ store: 'PostgreSQL', instances, routes: measured.routes });
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
  return results;
}

async function main() {
  if (args.render) {
    const outDir = outputDir();
    const { md, svgPath } = await render(JSON.parse(fs.readFileSync(path.join(outDir, 'latest.json'), 'utf8')), outDir);
    process.stdout.write(`\n${md}\n`);
    log(`rendered ${path.relative(process.cwd(), path.join(outDir, 'latest.md'))} and ${path.relative(process.cwd(), svgPath)}`);
    return;
  }

  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const t0 = Date.now();
  let compilersSeenMax = compilersRunning();
  const sampler = setInterval(() => (compilersSeenMax = Math.max(compilersSeenMax, compilersRunning())), 2000);
  const loadAverageStart = os.loadavg();
  log(`${smoke ? 'smoke run' : 'run'}: ${selected.join(', ')}`);

  await ensureDependencies();

  const sections = {};
  const measure = async (name, fn) => {
    if (!selected.includes(name)) return;
    const began = Date.now();
    try {
      sections[name] = { measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ...(await fn()) };
    } catch (error) {
      log(`${name} failed: ${error.stack ?? error}`);
      sections[name] = { measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), error: error.message ?? String(error) };
    }
    sections[name].seconds = Math.round((Date.now() - began) / 100) / 10;
  };

  await measure('weight', async () => (await import('./lib/weight.mjs')).measureWeight({ log }));
  await measure('coldstart', async () => (await import('./lib/coldstart.mjs')).measureColdStart({ runs: params.coldstartRuns, log }));

  let server = null;
  let serverInfo = null;
  let binaryPath = null;
  if (selected.some((s) => SERVER_SECTIONS.includes(s))) {
    const { serverBinary, startSeededServer } = await import('./lib/server.mjs');
    try {
      const binary = await serverBinary({ smoke });
      binaryPath = binary.path;
      log(`starting credport-server (${binary.profile}) and seeding 100 connections`);
      server = await startSeededServer(binary.path);
      serverInfo = `${binary.profile} build, CREDPORT_LOG=warn, SQLite in a temporary directory, on ${server.server.url}${process.env.PGHOST ? '; PostgreSQL (server section) on a throwaway local cluster, unix socket' : ''}`;
    } catch (error) {
      log(`credport-server could not be started: ${error.stack ?? error}`);
      for (const s of SERVER_SECTIONS.filter((x) => selected.includes(x))) {
        sections[s] = { error: `credport-server could not be started: ${error.message}` };
      }
    }
  }
  try {
    if (server) {
      const base = { url: server.server.url, token: server.token, keyId: server.keyId, dist: fs.realpathSync(dist) };
      await measure('percall', async () => {
        log('per-call: sequential calls, SDK against raw fetch');
        const result = await forkChild({ ...base, mode: 'percall', ...params.percall });
        return {
          method:
            `Sequential calls after ${params.percall.warmup} warm-up calls each; ${params.percall.rounds} rounds × ${params.percall.callsPerRound} calls ` +
            'per client, the three clients taking turns at going first; median µs per call over all calls; ratio = median over rounds of ' +
            '(SDK median / raw median) in the same round. Raw: fetch + text() + JSON.parse with the URL and headers the SDK sent. ' +
            'Raw fetch with a timeout: the same plus what the SDK does on every attempt, an AbortController whose signal goes to fetch and a ' +
            '60 s timer; "that/raw" is what the timeout alone costs (no client that keeps SDK.md\'s timeout can go below it), and the last ' +
            'column is the SDK against it (the cost that is the SDK\'s own). SDK: maxRetries 0, default timeouts.',
          ...result,
        };
      });
      await measure('throughput', async () => {
        log(`throughput: ${params.throughput.total} calls, ${params.throughput.concurrency} in flight`);
        return forkChild({ ...base, mode: 'throughput', ...params.throughput });
      });
      await measure('memory', async () => {
        log(`memory: ${params.memory.total} calls with the SDK, then with raw fetch`);
        const sdk = await forkChild({ ...base, mode: 'memory', ...params.memory });
        const raw = await forkChild({ ...base, mode: 'memory', useRaw: true, ...params.memory });
        return {
          method:
            `${params.memory.total.toLocaleString('en-US')} calls, ${params.memory.concurrency} in flight, a mix of apiKeys.get, connections.list (5 items) ` +
            `and a 404 (NotFoundError), each client in a fresh process (node --expose-gc, gc() before every reading); warm-up ${params.memory.warmupCalls.toLocaleString('en-US')} calls.`,
          runs: [sdk, raw],
          verdict: {
            wasmGrowth: sdk.growthSinceWarmup.wasm,
            wasmGrowthSinceStart: sdk.end.wasm === null ? null : sdk.end.wasm - sdk.start.wasm,
            rssGrowth: sdk.growthSinceWarmup.rss,
            rawRssGrowth: raw.growthSinceWarmup.rss,
            rssTrendPer10k: sdk.trendPer10kCalls.rss,
            rawRssTrendPer10k: raw.trendPer10kCalls.rss,
            heapTrendPer10k: sdk.trendPer10kCalls.heapUsed,
          },
        };
      });
      await measure('cores', async () => {
        const { measureCores } = await import('./lib/cores.mjs');
        return measureCores({ server: base, forkChild, percall: params.percall, coldstartRuns: params.coldstartRuns, log });
      });
      await measure('server', async () => {
        const { measureServer } = await import('./lib/load.mjs');
        const options = { ...params.server, install: args.install && !smoke, log };
        const sqlite = await measureServer({ seeded: server, ...options });
        const stores = [{ store: 'SQLite', instances: 1, routes: sqlite.routes }];
        if (process.env.PGHOST) stores.push(...(await measurePostgres(binaryPath, options)));
        else log('server: PostgreSQL left out (no PGHOST; `npm run bench` runs under scripts/with-postgres.sh)');
        return { ...sqlite, stores };
      });
      await measure('events', async () => {
        const { measureEvents } = await import('./lib/events.mjs');
        return measureEvents({ binary: binaryPath, ...params.server, install: args.install && !smoke, log });
      });
      await measure('servercpu', async () => {
        const { measureServerCpu } = await import('./lib/servercpu.mjs');
        return measureServerCpu({ binary: binaryPath, ...params.servercpu, install: args.install && !smoke, log });
      });
    }
  } finally {
    await server?.server.stop();
  }

  clearInterval(sampler);
  const report = {
    schema: 1,
    startedAt,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    smoke,
    only: selected,
    params,
    conditions: {
      commit: git('rev-parse', '--short', 'HEAD') ?? 'unknown',
      dirty: (git('status', '--porcelain', '--', 'src', 'pkg-template', 'server', 'model', 'Cargo.toml', 'Cargo.lock') ?? '') !== '',
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      loadAverageStart,
      loadAverageEnd: os.loadavg(),
      compilersSeenMax,
      server: serverInfo,
    },
    sections,
  };

  // Output: the JSON report, the table and the chart.
  const outDir = outputDir();
  fs.mkdirSync(outDir, { recursive: true });
  const latestPath = path.join(outDir, 'latest.json');
  const merged = structuredClone(report);
  if (args.only && fs.existsSync(latestPath)) {
    // A partial run keeps the other sections of the last report in latest.*, marked as carried over.
    try {
      const previous = JSON.parse(fs.readFileSync(latestPath, 'utf8'));
      for (const s of SECTIONS) {
        if (!merged.sections[s] && previous.sections?.[s]) {
          merged.sections[s] = { ...previous.sections[s], carriedFrom: previous.sections[s].carriedFrom ?? previous.startedAt };
        }
      }
    } catch {}
  }
  const stamp = startedAt.replace(/[:]/g, '-');
  fs.writeFileSync(path.join(outDir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(latestPath, `${JSON.stringify(merged, null, 2)}\n`);
  const { md, svgPath } = await render(merged, outDir);
  process.stdout.write(`\n${md}\n`);
  log(`report: ${path.relative(process.cwd(), latestPath)}, table: ${path.relative(process.cwd(), path.join(outDir, 'latest.md'))}, chart: ${path.relative(process.cwd(), svgPath)} (${report.seconds} s)`);
  const failed = Object.entries(sections).filter(([, s]) => s.error);
  if (failed.length) {
    log(`failed sections: ${failed.map(([k]) => k).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
