// Runs in its own `node` process (forked by run.mjs, with --expose-gc): the SDK against raw fetch,
// against a running credport-server. Modes: percall, throughput, memory. Sends its result over IPC.
import { createRequire } from 'node:module';
import path from 'node:path';
import { median, percentile, round } from './util.mjs';

const config = JSON.parse(process.argv[2]);
const { mode, url, token, keyId, dist } = config;
// The raw-fetch memory baseline runs without the SDK loaded at all.
const { Credport } = config.useRaw ? {} : await import(config.entry ?? 'credport');

const now = () => process.hrtime.bigint();
const micros = (from, to) => Number(to - from) / 1e3;

function gc() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
}

/** The requests the SDK makes for each call, as sent (URL and headers), so raw fetch sends the same. */
async function sdkRequest(call) {
  let seen;
  const probe = new Credport({
    apiKey: token,
    baseUrl: url,
    maxRetries: 0,
    fetch: (input, init) => {
      const request = new Request(input, init);
      seen = { url: request.url, method: request.method, headers: Object.fromEntries(request.headers) };
      return fetch(request);
    },
  });
  await call(probe);
  return seen;
}

/** Raw fetch + JSON.parse with the SDK's URL and headers; throws on a non-2xx answer like the SDK. */
function rawCall(request) {
  return async () => {
    const response = await fetch(request.url, { method: request.method, headers: request.headers });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return JSON.parse(text);
  };
}

/**
 * rawCall plus what any production call needs and the SDK does on every attempt: a timeout that
 * aborts the request (an AbortController, its signal passed to fetch, a timer). The SDK's cost
 * beyond this one is the SDK's own.
 */
function rawTimedCall(request, timeoutMs = 60_000) {
  return async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetch(request.url, { method: request.method, headers: request.headers, signal: controller.signal });
      const text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return JSON.parse(text);
    } finally {
      clearTimeout(timer);
    }
  };
}

const client = Credport ? new Credport({ apiKey: token, baseUrl: url, maxRetries: 0 }) : null;

const calls = {
  list5: { name: 'connections.list (5 items)', sdk: (c) => c.connections.list({ pageSize: 5 }), items: 5, target: 1.2 },
  list100: { name: 'connections.list (100 items)', sdk: (c) => c.connections.list({ pageSize: 100 }), items: 100, target: 1.5 },
  get: { name: 'apiKeys.get', sdk: (c) => c.apiKeys.get(keyId), target: 1.2 },
};

async function prepare(key) {
  const spec = calls[key];
  const request = await sdkRequest(spec.sdk);
  const sdk = () => spec.sdk(client);
  const raw = rawCall(request);
  const rawTimed = rawTimedCall(request);
  // All answer the same thing.
  const [a, b] = [await sdk(), await raw()];
  await rawTimed();
  if (spec.items !== undefined && (a.payload.length !== spec.items || b.payload.length !== spec.items)) {
    throw new Error(`${spec.name}: expected ${spec.items} items, got ${a.payload.length} (SDK) and ${b.payload.length} (raw)`);
  }
  return { ...spec, request, sdk, raw, rawTimed };
}

async function perCall() {
  const { rounds, callsPerRound, warmup } = config;
  const out = [];
  for (const key of ['list5', 'list100', 'get']) {
    const c = await prepare(key);
    for (let i = 0; i < warmup; i++) {
      await c.sdk();
      await c.raw();
      await c.rawTimed();
    }
    const samples = { sdk: [], raw: [], rawTimed: [] };
    const roundRatios = [];
    const timedRatios = [];
    const floorRatios = [];
    // Three orders in turn, so that none of the clients always runs first.
    const orders = [['sdk', 'raw', 'rawTimed'], ['raw', 'rawTimed', 'sdk'], ['rawTimed', 'sdk', 'raw']];
    for (let r = 0; r < rounds; r++) {
      const round = { sdk: [], raw: [], rawTimed: [] };
      const order = orders[r % orders.length];
      for (const which of order) {
        const fn = c[which];
        for (let i = 0; i < callsPerRound; i++) {
          const t0 = now();
          await fn();
          round[which].push(micros(t0, now()));
        }
      }
      samples.sdk.push(...round.sdk);
      samples.raw.push(...round.raw);
      samples.rawTimed.push(...round.rawTimed);
      roundRatios.push(median(round.sdk) / median(round.raw));
      timedRatios.push(median(round.sdk) / median(round.rawTimed));
      floorRatios.push(median(round.rawTimed) / median(round.raw));
    }
    const sdkUs = median(samples.sdk);
    const rawUs = median(samples.raw);
    const rawTimedUs = median(samples.rawTimed);
    out.push({
      name: c.name,
      path: new URL(c.request.url).pathname + new URL(c.request.url).search,
      headers: Object.keys(c.request.headers).sort(),
      calls: samples.sdk.length,
      sdkUs: round(sdkUs, 1),
      rawUs: round(rawUs, 1),
      sdkP90Us: round(percentile(samples.sdk, 90), 1),
      rawP90Us: round(percentile(samples.raw, 90), 1),
      overheadUs: round(sdkUs - rawUs, 1),
      rawTimedUs: round(rawTimedUs, 1),
      ratioToTimed: round(median(timedRatios), 3),
      // What the timeout alone costs raw fetch: no client that keeps SDK.md's timeout goes below it.
      timedToRaw: round(median(floorRatios), 3),
      ratio: round(median(roundRatios), 3),
      ratioOfMedians: round(sdkUs / rawUs, 3),
      target: c.target,
      // The target is against raw fetch with a timeout: the SDK's own cost.
      meetsTarget: median(timedRatios) <= c.target,
    });
  }
  return { cases: out };
}

async function inFlight(fn, total, concurrency) {
  let started = 0;
  let errors = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      try {
        await fn();
      } catch {
        errors++;
      }
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(now() - t0) / 1e9;
  return { seconds, callsPerSec: total / seconds, errors };
}

/**
 * `total` calls per client with `concurrency` in flight, in `reps` chunks that alternate between
 * the SDK and raw fetch (who goes first alternates too). Server and clients share this machine's
 * cores, so the rate of a whole run swings by a third from one run to the next; a chunk pair runs
 * under nearly the same conditions, and the ratio is the median of the pairs' ratios.
 */
async function throughput() {
  const { total, concurrency, reps } = config;
  const c = await prepare('get');
  const warmup = Math.min(2000, Math.ceil(total / 5));
  await inFlight(c.sdk, warmup, concurrency);
  await inFlight(c.raw, warmup, concurrency);
  const chunk = Math.ceil(total / reps);
  const runs = { sdk: [], raw: [] };
  const ratios = [];
  for (let r = 0; r < reps; r++) {
    for (const which of r % 2 === 0 ? ['sdk', 'raw'] : ['raw', 'sdk']) runs[which].push(await inFlight(c[which], chunk, concurrency));
    ratios.push(runs.raw[r].callsPerSec / runs.sdk[r].callsPerSec);
  }
  const rate = (list) => (list.length * chunk) / list.reduce((a, x) => a + x.seconds, 0);
  return {
    call: c.name,
    calls: chunk * reps,
    inFlight: concurrency,
    reps,
    sdkCallsPerSec: round(rate(runs.sdk), 0),
    rawCallsPerSec: round(rate(runs.raw), 0),
    // As a cost, like the per-call ratio: > 1 means the SDK gets fewer calls done.
    ratio: round(median(ratios), 3),
    errors: { sdk: runs.sdk.reduce((a, x) => a + x.errors, 0), raw: runs.raw.reduce((a, x) => a + x.errors, 0) },
  };
}

async function memory() {
  const { total, concurrency, warmupCalls, checkpoints, useRaw } = config;
  const require = createRequire(import.meta.url);
  const wasmMemory = useRaw ? null : require(path.join(dist, 'node/credport.js')).__wasmMemory?.();
  const snapshot = (calls) => {
    gc();
    const m = process.memoryUsage();
    return { calls, rss: m.rss, heapUsed: m.heapUsed, external: m.external, wasm: wasmMemory ? wasmMemory.buffer.byteLength : null };
  };
  // A mix: a small object, a 5-item list and a 404 that becomes a thrown NotFoundError.
  // The same requests as the SDK sends (checked by the per-call section): Authorization and Accept.
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const raw = (route) => rawCall({ url: `${url}${route}`, method: 'GET', headers });
  const mix = useRaw
    ? [raw(`/v1/api_keys/${encodeURIComponent(keyId)}`), raw('/v1/connections?page_size=5'), raw('/v1/connections/conn_missing')]
    : [() => client.apiKeys.get(keyId), () => client.connections.list({ pageSize: 5 }), () => client.connections.get('conn_missing')];
  let n = 0;
  const next = () => mix[n++ % mix.length]();
  const start = snapshot(0);
  let done = 0;
  let errors = 0;
  const runCalls = async (count) => {
    let started = 0;
    const worker = async () => {
      while (started < count) {
        started++;
        try {
          await next();
        } catch {
          errors++;
        }
        done++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  await runCalls(warmupCalls);
  const afterWarmup = snapshot(done);
  const points = [afterWarmup];
  const step = Math.ceil((total - warmupCalls) / checkpoints);
  while (done < total) {
    await runCalls(Math.min(step, total - done));
    points.push(snapshot(done));
  }
  const end = points[points.length - 1];
  // The trend after warm-up (least squares over the checkpoints): single readings of RSS swing by
  // tens of MiB as the allocator keeps or returns pages; a leak shows as a steady slope.
  const slope = (key) => {
    const xs = points.map((p) => p.calls);
    const ys = points.map((p) => p[key]);
    if (xs.length < 2 || ys.some((y) => y === null)) return null;
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = ys.reduce((a, b) => a + b) / ys.length;
    const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
    const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    return den === 0 ? 0 : (num / den) * 10_000;
  };
  return {
    client: useRaw ? 'raw fetch' : 'credport',
    calls: done,
    inFlight: concurrency,
    mix: ['apiKeys.get', 'connections.list (5 items)', 'connections.get (404 → NotFoundError)'],
    expectedErrors: Math.floor(done / 3),
    errors,
    start,
    afterWarmup,
    end,
    growthSinceWarmup: {
      rss: end.rss - afterWarmup.rss,
      heapUsed: end.heapUsed - afterWarmup.heapUsed,
      wasm: end.wasm === null ? null : end.wasm - afterWarmup.wasm,
    },
    trendPer10kCalls: { rss: round(slope('rss'), 0), heapUsed: round(slope('heapUsed'), 0), wasm: slope('wasm') === null ? null : round(slope('wasm'), 0) },
    checkpoints: points,
  };
}

const modes = { percall: perCall, throughput, memory };
try {
  const result = await modes[mode]();
  process.send({ ok: true, result }, () => process.exit(0));
} catch (error) {
  process.send({ ok: false, error: error.stack ?? String(error) }, () => process.exit(1));
}
