// Before and after: the last build of the SDK's previous core (hand-written JSON scanner, shape
// tables, the attempts and retries in JavaScript; commit OLD_CORE) against the current build, in
// one run: size, cold start and per-call cost, measured the same way side by side.
//
// The old core is built once from git (a detached worktree at OLD_CORE, its own `node
// scripts/build.mjs`) and kept in bench/.cache/old-core/<commit>/dist; later runs reuse it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { benchDir, median, root, round, run } from './util.mjs';

/** The last commit whose SDK core was the hand-written one (before the design's stack). */
export const OLD_CORE = '7c55353';

/** The old core's built package, built on first use. */
export function oldCoreDist(log) {
  const cache = path.join(benchDir, '.cache/old-core', OLD_CORE);
  const dist = path.join(cache, 'dist');
  if (fs.existsSync(path.join(dist, 'web/credport_bg.wasm'))) return dist;
  const tree = path.join(cache, 'tree');
  const git = (...args) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  try {
    git('cat-file', '-e', `${OLD_CORE}^{commit}`);
  } catch {
    throw new Error(`the old core's commit ${OLD_CORE} is not in this clone (a shallow clone?): fetch it to compare`);
  }
  log(`building the old core (${OLD_CORE}) once, into ${path.relative(root, cache)}`);
  fs.rmSync(tree, { recursive: true, force: true });
  git('worktree', 'add', '--detach', '--force', tree, OLD_CORE);
  try {
    // The old build uses the same tools: the repository's node_modules (binaryen, esbuild).
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    execFileSync(process.execPath, ['scripts/build.mjs'], {
      cwd: tree,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CARGO_TARGET_DIR: path.join(cache, 'target') },
    });
    fs.cpSync(path.join(tree, 'dist'), dist, { recursive: true });
  } finally {
    git('worktree', 'remove', '--force', tree);
  }
  return dist;
}

/** wasm + web glue, gzip level 9, in bytes: the size target's measure. */
function wasmPlusGlueGzip(dist) {
  const gzip = (file) => zlib.gzipSync(fs.readFileSync(path.join(dist, file)), { level: 9 }).length;
  return { wasm: fs.statSync(path.join(dist, 'web/credport_bg.wasm')).size, gzip: gzip('web/credport_bg.wasm') + gzip('web/credport.mjs') };
}

/** Medians of import + construct over `runs` fresh processes per core, the cores taking turns. */
async function coldStarts(cores, runs) {
  const script = (dist) => `const start = performance.now();
const { Credport } = await import(${JSON.stringify(path.join(dist, 'index.mjs'))});
new Credport({ apiKey: 'cpat_bench', baseUrl: 'http://127.0.0.1:9' });
process.stdout.write(String(performance.now() - start));
`;
  const samples = cores.map(() => []);
  for (let i = 0; i <= runs; i++) {
    for (const [k, core] of cores.entries()) {
      const result = await run(process.execPath, ['--input-type=module', '-e', script(core.dist)], { timeoutMs: 30_000 });
      if (result.code !== 0) throw new Error(`cold start of ${core.name} failed: ${result.stderr.slice(0, 300)}`);
      if (i > 0) samples[k].push(Number(result.stdout)); // the first run of each only warms the file cache
    }
  }
  return samples.map((s) => round(median(s), 2));
}

export async function measureCores({ server, forkChild, percall, coldstartRuns, log }) {
  const cores = [
    { name: `old core (${OLD_CORE})`, dist: oldCoreDist(log) },
    { name: 'this build', dist: server.dist },
  ];
  log('cores: size and cold start, old and new side by side');
  const sizes = cores.map((core) => wasmPlusGlueGzip(core.dist));
  const cold = await coldStarts(cores, coldstartRuns);
  log('cores: per-call cost, old and new taking turns');
  const runs = cores.map(() => []);
  for (let round = 0; round < 2; round++) {
    for (const [k, core] of cores.entries()) {
      runs[k].push(await forkChild({ ...server, entry: path.join(core.dist, 'index.mjs'), mode: 'percall', ...percall }));
    }
  }
  const calls = runs[0][0].cases.map((c, i) => ({
    name: c.name,
    target: runs[1][0].cases[i].target,
    perCore: runs.map((r) => ({
      sdkUs: round(median(r.map((x) => x.cases[i].sdkUs)), 1),
      ratioToTimed: round(median(r.map((x) => x.cases[i].ratioToTimed)), 3),
      ratio: round(median(r.map((x) => x.cases[i].ratio)), 3),
    })),
  }));
  return {
    method:
      `The old core built from commit ${OLD_CORE} and this build, measured alike in one run: wasm + web glue gzip (level 9); ` +
      `import + construct, median of ${coldstartRuns} fresh processes each, the two taking turns; per call, the per-call section's ` +
      `method in two processes per core, taking turns, medians of the two.`,
    cores: cores.map((core, k) => ({ name: core.name, wasmBytes: sizes[k].wasm, wasmPlusGlueGzip: sizes[k].gzip, importMs: cold[k] })),
    calls,
  };
}
