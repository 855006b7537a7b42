// Cold start in Node: a fresh `node` process per run that imports an SDK and constructs a client.
// Three numbers per run: import + construct (from the script's first line), the time since the
// process started (performance.now(), whose origin is process start) and the process' whole wall time
// as the parent sees it (spawn to exit). Runs of the SDKs are interleaved; medians are reported.
import fs from 'node:fs';
import path from 'node:path';
import { sdks, baseline } from './sdks.mjs';
import { benchDir, median, percentile, round, run } from './util.mjs';

function script(sdk) {
  return `const start = performance.now();
${sdk.construct}
const ready = performance.now();
process.stdout.write(JSON.stringify({ start, ready, constructed: typeof client === 'object' && client !== null }));
`;
}

export async function measureColdStart({ runs, log }) {
  const dir = path.join(benchDir, '.cache/coldstart');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const all = [...sdks, baseline].map((sdk) => {
    const file = path.join(dir, `${sdk.name.replace(/[^a-z0-9]+/gi, '_')}.mjs`);
    fs.writeFileSync(file, script(sdk));
    return { sdk, file, samples: [] };
  });

  const once = async (entry) => {
    const begin = process.hrtime.bigint();
    const result = await run(process.execPath, [entry.file], { cwd: dir, timeoutMs: 30_000 });
    const wallMs = Number(process.hrtime.bigint() - begin) / 1e6;
    if (result.code !== 0) throw new Error(`cold start of ${entry.sdk.name} failed: ${result.stderr.slice(0, 500)}`);
    const out = JSON.parse(result.stdout);
    if (!out.constructed) throw new Error(`cold start of ${entry.sdk.name} built no client`);
    return { importMs: out.ready - out.start, sinceProcessStartMs: out.ready, wallMs };
  };

  // One discarded run each: the file cache is warm for every SDK alike.
  for (const entry of all) await once(entry);
  for (let i = 0; i < runs; i++) {
    log(`cold start: round ${i + 1}/${runs}`);
    // A different order each round, so no SDK always runs right after the same neighbour.
    const order = all.map((_, k) => all[(k + i) % all.length]);
    for (const entry of order) entry.samples.push(await once(entry));
  }

  const summary = (samples, key) => ({
    median: round(median(samples.map((s) => s[key]))),
    min: round(Math.min(...samples.map((s) => s[key]))),
    p90: round(percentile(samples.map((s) => s[key]), 90)),
  });
  const results = all.map(({ sdk, samples }) => ({
    name: sdk.name,
    baseline: sdk === baseline,
    runs: samples.length,
    importMs: summary(samples, 'importMs'),
    sinceProcessStartMs: summary(samples, 'sinceProcessStartMs'),
    wallMs: summary(samples, 'wallMs'),
  }));
  const credport = results.find((r) => r.name === 'credport');
  return {
    method:
      `${runs} fresh \`node\` processes per SDK (interleaved, after one discarded warm-up each), ESM dynamic import + construct; ` +
      'importMs: first script line to constructed client; sinceProcessStartMs: performance.now() at that point (origin: process start); ' +
      'wallMs: spawn to exit in the parent. Medians.',
    node: process.version,
    sdks: results,
    target: { importMs: 15 },
    verdict: { importMs: credport.importMs.median, meetsTarget: credport.importMs.median <= 10 },
  };
}
