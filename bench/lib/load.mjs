// credport-server under load: requests per second and latency percentiles for `verify` and
// `connections.list`, with wrk (Debian's package, installed here when missing and allowed) or, where
// wrk cannot be had, a keep-alive node:http load generator (loadgen.mjs) in its own process.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDir, run, log, round } from './util.mjs';

async function which(cmd) {
  const result = await run('sh', ['-c', `command -v ${cmd}`]);
  return result.code === 0 ? result.stdout.trim() : null;
}

/** wrk's path, installing it from Debian when `install` and it is missing; null when it can't be had. */
export async function ensureWrk({ install }) {
  const found = await which('wrk');
  if (found || !install) return found;
  if (!(await which('apt-get')) || process.getuid?.() !== 0) return null;
  log('installing wrk (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = await run('apt-get', ['install', '-y', '-qq', 'wrk'], { env });
  if (result.code !== 0) {
    await run('apt-get', ['update', '-qq'], { env });
    result = await run('apt-get', ['install', '-y', '-qq', 'wrk'], { env });
  }
  if (result.code !== 0) log(`wrk could not be installed: ${result.stderr.trim().split('\n').pop()}`);
  return which('wrk');
}

/** "1.23ms" / "456.00us" / "1.2s" → milliseconds. */
function wrkDuration(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[m[2]];
}

export function parseWrk(out) {
  const percentile = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? wrkDuration(m[1]) : null;
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const socket = /Socket errors:\s+connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, x) => a + Number(x), 0) : 0;
  return {
    rps: rps ? Number(rps[1]) : null,
    requests: total ? Number(total[1]) : null,
    p50Ms: percentile(50),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    errors: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
    socketErrors,
  };
}

export function luaString(value) {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

let scriptCount = 0;

async function wrkRun(wrk, target, { seconds, connections, threads }) {
  const dir = path.join(benchDir, '.cache/load');
  fs.mkdirSync(dir, { recursive: true });
  // One file per run: runs against several instances go at once.
  const script = path.join(dir, `${target.name.replace(/\W+/g, '_')}-${(scriptCount += 1)}.lua`);
  const lines = [`wrk.method = ${luaString(target.method)}`];
  for (const [k, v] of Object.entries(target.headers)) lines.push(`wrk.headers[${luaString(k)}] = ${luaString(v)}`);
  if (target.body) lines.push(`wrk.body = ${luaString(target.body)}`);
  fs.writeFileSync(script, `${lines.join('\n')}\n`, { mode: 0o600 });
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', script, target.url];
  const result = await run(wrk, args, { timeoutMs: (seconds + 30) * 1000 });
  fs.rmSync(script, { force: true }); // it holds the throwaway server's token
  if (result.code !== 0) throw new Error(`wrk failed: ${result.stderr || result.stdout}`);
  return parseWrk(result.stdout);
}

async function nodeRun(target, { seconds, connections }) {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loadgen.mjs');
  const result = await run(process.execPath, [script, JSON.stringify({ ...target, seconds, connections })], {
    timeoutMs: (seconds + 30) * 1000,
  });
  if (result.code !== 0) throw new Error(`load generator failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/**
 * Load on every instance at once, `connections` split evenly between them (one load process per
 * instance): requests per second add up, latency percentiles are the worst instance's.
 */
export async function spread(wrk, target, urls, { seconds, connections, threads }) {
  const share = Math.max(1, Math.round(connections / urls.length));
  const perInstance = { seconds, connections: share, threads: Math.max(1, Math.round(threads / urls.length)) };
  const runs = await Promise.all(
    urls.map((base) => {
      const one = { ...target, url: `${base}${target.path}` };
      return wrk ? wrkRun(wrk, one, perInstance) : nodeRun(one, perInstance);
    }),
  );
  const worst = (key) => (runs.some((r) => r[key] === null) ? null : Math.max(...runs.map((r) => r[key])));
  const sum = (key) => (runs.some((r) => r[key] === null) ? null : runs.reduce((a, r) => a + r[key], 0));
  return { rps: sum('rps'), requests: sum('requests'), errors: sum('errors'), p50Ms: worst('p50Ms'), p90Ms: worst('p90Ms'), p99Ms: worst('p99Ms') };
}

/**
 * `verify` and `connections.list` against `urls`: one instance, or several sharing one database
 * (all seeded through the first, with the same token).
 */
export async function measureServer({ seeded, urls = [seeded.server.url], seconds, warmupSeconds, install, log: say }) {
  const wrk = await ensureWrk({ install });
  const connections = 64;
  const threads = 2;
  const auth = { Authorization: `Bearer ${seeded.token}` };
  const targets = [
    {
      name: 'verify',
      method: 'POST',
      path: '/v1/api_keys/verify',
      headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ secret: seeded.secret }),
    },
    {
      name: 'connections.list',
      method: 'GET',
      path: '/v1/connections?page_size=20',
      headers: { ...auth, Accept: 'application/json' },
    },
  ];
  const wrkVersion = wrk ? /wrk (?:\S*\/)?([\d.]+)/.exec((await run(wrk, ['-v'])).stdout)?.[1] : null;
  const tool = wrk ? `wrk ${wrkVersion ?? ''} (${threads} threads)`.replace('  ', ' ') : 'node:http keep-alive load generator (bench/lib/loadgen.mjs, 1 thread)';
  const results = [];
  for (const target of targets) {
    say(`server: ${target.name} on ${urls.length} instance(s) for ${seconds}s with ${tool.split(' (')[0]}`);
    const opts = { seconds, connections, threads };
    // A short warm-up, discarded.
    if (warmupSeconds > 0) await spread(wrk, target, urls, { ...opts, seconds: warmupSeconds });
    const measured = await spread(wrk, target, urls, opts);
    results.push({
      name: target.name,
      request: `${target.method} ${target.path}`,
      rps: round(measured.rps, 0),
      p50Ms: round(measured.p50Ms, 3),
      p90Ms: round(measured.p90Ms, 3),
      p99Ms: round(measured.p99Ms, 3),
      requests: measured.requests,
      errors: measured.errors,
    });
  }
  return {
    tool,
    connections,
    threads: wrk ? threads : 1,
    seconds,
    method:
      `${seconds} s per route after a ${warmupSeconds} s warm-up, ${connections} keep-alive connections` +
      (urls.length > 1 ? ` split between the ${urls.length} instances (one load process each; requests/s summed, percentiles of the slower)` : '') +
      ', load tool and server on the same machine (loopback)',
    routes: results,
  };
}
