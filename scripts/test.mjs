// `npm test`: everything the project tests, from a fresh clone. Set-up, the Rust tests (model,
// server on SQLite and on PostgreSQL, SDK), the API document linted and fuzzed against the real
// server, the npm package built and packed, the JS tests against the real server and the
// packaging tests. Each step's output streams live; at the end, a summary: each suite with its
// tests passed, failed and skipped and its time, the first failing test of a failed suite, and
// the total as a last line `N passed, N failed, N skipped`.
//
// A failed suite or check does not stop the run (the summary then shows every suite); a failed
// build or set-up does, as nothing after it could run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
// The server binary the API document's fuzzing and the JS tests run (cargo's target folder may be
// set elsewhere with CARGO_TARGET_DIR).
const serverBin = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug', 'credport-server');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'credport-test-'));
const project = path.join(scratch, 'project');
fs.mkdirSync(project);
const env = { ...process.env, CREDPORT_SERVER_BIN: serverBin, CREDPORT_TEST_PROJECT: project };
const postgres = ['bash', 'scripts/with-postgres.sh'];
// Server tests that never reach the store, run on SQLite only: the HTTP timeouts of clients that
// send nothing (35 s of waiting), the raised file limit, and the document's own consistency.
const storeless = [
  'heads_and_bodies_have_30_seconds',
  'the_soft_file_limit_is_raised_to_the_hard_one',
  'the_document_lists_exactly_the_router_table',
  'every_reference_resolves',
  'every_operation_documents_its_contract',
  'the_document_states_the_servers_input_rules',
];

/**
 * The server's integration tests (not its unit tests: they use no store), less `storeless`. A
 * name there that no test has (one renamed) would skip nothing and run that test twice: refused.
 */
function storeTests() {
  const files = fs.readdirSync('server/tests').filter((file) => file.endsWith('.rs'));
  const sources = files.map((file) => fs.readFileSync(path.join('server/tests', file), 'utf8')).join('\n');
  const unknown = storeless.filter((name) => !new RegExp(`\\bfn ${name}\\(`).test(sources));
  if (unknown.length > 0) throw new Error(`scripts/test.mjs: no server test is named ${unknown.join(', ')} (storeless)`);
  return [...files.flatMap((file) => ['--test', file.slice(0, -3)]), '--', '--exact', ...storeless.flatMap((name) => ['--skip', name])];
}

const steps = [
  { title: 'module layers: no import circle, no import from a lower layer to a higher one', command: ['node', 'scripts/check-layers.mjs'], check: true },
  { title: 'set-up', command: ['bash', 'scripts/setup.sh'] },
  // rustfmt's stable style is fixed by the crates' edition, so this check reads the same on any
  // toolchain; clippy's lints change from one release to the next and are left to the developer.
  { title: 'Rust formatting: cargo fmt --check', command: ['cargo', 'fmt', '--all', '--check'], check: true },
  // The package first: the console (built on it, into console/dist/) is embedded in
  // credport-server when it compiles, so every server below (Rust tests, fuzzing, JS tests)
  // serves it.
  { title: 'build: npm package and console', command: ['node', 'scripts/build.mjs'] },
  { title: 'Rust: model', command: ['cargo', 'test', '-p', 'credport-model'], read: 'cargo' },
  // One build of the server's tests, shared by the SQLite and PostgreSQL runs; it leaves the
  // server binary (the one the integration tests run) in target/debug for schemathesis and the JS
  // tests. A separate `cargo build` would compile the server again: without the dev-dependencies,
  // cargo unifies other features.
  { title: 'build: server and its tests', command: ['cargo', 'test', '-p', 'credport-server', '--no-run'] },
  // --no-fail-fast: a failing test program must not hide the ones after it from the summary.
  { title: 'Rust: server on SQLite', command: ['cargo', 'test', '-p', 'credport-server', '--no-fail-fast'], read: 'cargo' },
  {
    // Only what touches the store runs again on PostgreSQL (storeTests).
    title: 'Rust: server on PostgreSQL',
    command: [...postgres, 'cargo', 'test', '-p', 'credport-server', '--no-fail-fast', ...storeTests()],
    env: { CREDPORT_TEST_STORE: 'postgres' },
    read: 'cargo',
  },
  { title: 'API document: redocly lint', command: ['npx', '--no-install', 'redocly', 'lint', 'docs/openapi.yaml'] },
  { title: 'API document: schemathesis', command: ['.venv-schemathesis/bin/python', 'tests/schemathesis/run.py', serverBin], read: 'schemathesis' },
  { title: 'Rust: SDK unit tests (native)', command: ['cargo', 'test', '-p', 'credport', '--lib'], read: 'cargo' },
  {
    title: 'npm package: packed and installed in a fresh project',
    command: ['node', '-e', "import('./tests/js/harness.mjs').then((h) => h.installPackage(process.argv[1]))", project],
  },
  { title: 'JS tests against credport-server', command: ['node', '--test', '--test-concurrency=1', 'tests/js/'], read: 'node' },
  // The 413 of an oversized body through Node's fetch, on PostgreSQL too.
  { title: 'JS: oversized body on PostgreSQL', command: [...postgres, 'node', '--test', 'tests/js/oversized-body.test.mjs'], read: 'node' },
  { title: 'Console in Chromium (axe-core; no page error, console error or CSP violation)', command: ['node', '--test', '--test-concurrency=1', 'tests/console/'], read: 'node' },
  { title: 'Packaging: Node, TypeScript, Deno, Bun, workerd, Chromium, esbuild, Vite', command: ['node', 'tests/packaging/run.mjs'], read: 'node' },
];

/** Runs one command, its output streamed live and kept; resolves to its exit code and output. */
function run(command, extraEnv) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (chunk) => { process.stdout.write(chunk); chunks.push(chunk); });
    child.stderr.on('data', (chunk) => { process.stderr.write(chunk); chunks.push(chunk); });
    child.on('error', (error) => { chunks.push(Buffer.from(String(error))); });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output: Buffer.concat(chunks).toString() }));
  });
}

/** cargo test: the sum of every `test result:` line, the first `test NAME ... FAILED`. */
function readCargo(output) {
  const counts = { passed: 0, failed: 0, skipped: 0, first: null };
  for (const [, passed, failed, ignored] of output.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/gm)) {
    counts.passed += Number(passed);
    counts.failed += Number(failed);
    counts.skipped += Number(ignored);
  }
  counts.first = output.match(/^test (\S+) \.\.\. FAILED$/m)?.[1] ?? null;
  return counts;
}

/** node --test, TAP (stdout not a terminal, Node 20) or spec: its closing counts, the first
 *  failing test. */
function readNode(output) {
  const count = (name) => [...output.matchAll(new RegExp(`^(?:#|ℹ) ${name} (\\d+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  const first = output.match(/^\s*not ok \d+ - (.+)$/m)?.[1] ?? output.match(/^\s*✖ (?!failing tests)(.+?) \(\d[\d.]*ms\)$/m)?.[1] ?? null;
  return { passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo'), first };
}

function readSchemathesis(resultFile) {
  try {
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    return { passed: result.passed, failed: result.failed, skipped: result.skipped, first: result.first_failure };
  } catch {
    return { passed: 0, failed: 0, skipped: 0, first: null };
  }
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const results = [];
let stopped = false;
try {
  for (const step of steps) {
    console.log(`\n== ${step.title}`);
    const resultFile = path.join(scratch, 'schemathesis.json');
    const started = Date.now();
    const { code, output } = await run(step.command, { ...step.env, ...(step.read === 'schemathesis' ? { CREDPORT_TEST_RESULT: resultFile } : {}) });
    const time = Date.now() - started;
    if (!step.read) {
      results.push({ step, time, ok: code === 0 });
      if (code !== 0 && !step.check) {
        stopped = true;
        break;
      }
      continue;
    }
    const counts = step.read === 'cargo' ? readCargo(output) : step.read === 'node' ? readNode(output) : readSchemathesis(resultFile);
    // A suite that failed without a failing test (it did not build, it crashed) still fails.
    if (code !== 0 && counts.failed === 0) {
      counts.failed = 1;
      counts.first ??= `the command exited with ${code} before any test failed`;
    }
    results.push({ step, time, ok: code === 0, counts });
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

console.log('\n== Summary');
const width = Math.max(...steps.map((s) => s.title.length));
const total = { passed: 0, failed: 0, skipped: 0 };
for (const { step, time, ok, counts } of results) {
  const what = counts
    ? `${String(counts.passed).padStart(5)} passed ${String(counts.failed).padStart(3)} failed ${String(counts.skipped).padStart(3)} skipped`
    : (ok ? 'done' : 'FAILED').padEnd(31);
  console.log(`  ${step.title.padEnd(width)}  ${what}  ${seconds(time).padStart(8)}`);
  if (counts) for (const key of Object.keys(total)) total[key] += counts[key];
}
const totalTime = results.reduce((sum, r) => sum + r.time, 0);
console.log(`  ${'total'.padEnd(width)}  ${' '.repeat(31)}  ${seconds(totalTime).padStart(8)}`);
for (const { step, ok, counts } of results.filter((r) => !r.ok)) {
  console.log(counts ? `FAILED: ${step.title}: first failing test: ${counts.first ?? '(not named in its output)'}` : `FAILED: ${step.title}`);
}
if (stopped) {
  console.log(`not run: ${steps.slice(results.length).map((s) => s.title).join('; ')}`);
}
// A check or a build that failed counts as a failure in the closing line too.
total.failed += results.filter((r) => !r.ok && !r.counts).length;
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exitCode = results.every((r) => r.ok) && !stopped ? 0 : 1;
