// The benchmark in smoke mode (tiny samples): proves `npm run bench` runs end to end and that its
// report has every section with numbers. The real benchmark is never part of the test command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, runChild } from './harness.mjs';

const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);

/** Runs the benchmark with `args`. */
function runBench(args, limitMs) {
  return runChild(process.execPath, [path.join(root, 'bench/run.mjs'), ...args], { what: `bench ${args.join(' ')}`, limitMs, cwd: root });
}

test('bench --smoke writes a report with every section measured', { timeout: 240_000 }, async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'credport-bench-smoke-'));
  try {
    const began = Date.now();
    // Killed before the test's own 240 s timeout, so that a hang fails with what the benchmark said.
    const { code, stdout, stderr } = await runBench(['--smoke', '--no-install', '--out', out], 220_000);
    const seconds = (Date.now() - began) / 1000;
    assert.equal(code, 0, `bench --smoke failed:\n${stderr.slice(-3000)}`);

    const report = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'));
    assert.equal(report.smoke, true);
    const s = report.sections;
    for (const name of ['weight', 'coldstart', 'percall', 'throughput', 'memory', 'server']) {
      assert.ok(s[name], `section ${name} missing`);
      assert.equal(s[name].error, undefined, `section ${name} failed: ${s[name].error}`);
    }

    // 1. Weight: credport and the three other SDKs, sizes in bytes; credport's wasm and glue counted.
    assert.deepEqual(s.weight.sdks.map((x) => x.name), ['credport', 'openai', '@clerk/backend', '@unkey/api']);
    for (const sdk of s.weight.sdks) {
      for (const k of ['raw', 'gzip', 'brotli']) assert.ok(isNumber(sdk.total[k]) && sdk.total[k] > 0, `${sdk.name} total.${k}`);
    }
    const credport = s.weight.sdks[0];
    assert.ok(credport.wasm && credport.wasm.gzip > 0, 'credport wasm counted');
    assert.ok(credport.parts.wasmPlusGlueGzip > 0);

    // 2. Cold start: medians for every SDK and the no-SDK baseline.
    assert.equal(s.coldstart.sdks.length, 5);
    for (const sdk of s.coldstart.sdks) {
      for (const k of ['importMs', 'sinceProcessStartMs', 'wallMs']) assert.ok(isNumber(sdk[k].median), `${sdk.name} ${k}`);
    }

    // 3. Per-call: three calls, SDK and raw, a ratio.
    assert.deepEqual(s.percall.cases.map((c) => c.name), ['connections.list (5 items)', 'connections.list (100 items)', 'apiKeys.get']);
    for (const c of s.percall.cases) {
      for (const k of ['sdkUs', 'rawUs', 'ratio']) assert.ok(isNumber(c[k]) && c[k] > 0, `${c.name} ${k}`);
      assert.deepEqual(c.headers, ['accept', 'authorization']);
    }

    // 4. Throughput.
    assert.ok(s.throughput.sdkCallsPerSec > 0 && s.throughput.rawCallsPerSec > 0 && isNumber(s.throughput.ratio));
    assert.deepEqual(s.throughput.errors, { sdk: 0, raw: 0 });

    // 5. Memory: RSS for both clients, wasm memory for the SDK.
    const [sdkMem, rawMem] = s.memory.runs;
    assert.equal(sdkMem.client, 'credport');
    assert.equal(rawMem.client, 'raw fetch');
    for (const run of [sdkMem, rawMem]) {
      assert.ok(run.calls >= 1000);
      assert.equal(run.errors, run.expectedErrors, `${run.client}: only the 404s fail`);
      assert.ok(isNumber(run.start.rss) && isNumber(run.end.rss) && isNumber(run.growthSinceWarmup.rss));
    }
    assert.ok(isNumber(sdkMem.start.wasm) && sdkMem.start.wasm > 0 && isNumber(sdkMem.end.wasm));

    // 6. Server under load.
    assert.deepEqual(s.server.routes.map((r) => r.name), ['verify', 'connections.list']);
    for (const r of s.server.routes) {
      assert.ok(r.rps > 0, `${r.name} rps`);
      assert.ok(isNumber(r.p50Ms) && isNumber(r.p99Ms) && r.p99Ms >= r.p50Ms, `${r.name} latency`);
      assert.equal(r.errors, 0, `${r.name} errors`);
    }

    // The readable outputs.
    const md = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
    assert.equal(stdout.trim(), md.trim());
    for (const heading of ['1. Weight', '2. Cold start', '3. Per-call', '4. Throughput', '5. Memory', '6. credport-server']) {
      assert.ok(md.includes(`## ${heading}`), `table has ${heading}`);
    }
    const svg = fs.readFileSync(path.join(out, 'bench.svg'), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok(svg.trim().endsWith('</svg>'));
    assert.ok(fs.readdirSync(out).some((f) => /^\d{4}-\d\d-\d\dT.*Z\.json$/.test(f)), 'timestamped report');
    t.diagnostic(`bench --smoke took ${seconds.toFixed(1)} s`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
