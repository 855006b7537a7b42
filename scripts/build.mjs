// Builds the npm package: wasm-pack compiles the SDK crate, then the package is assembled from
// pkg-template/ into dist/, ready for `npm pack`. Then the console (console/ → console/dist/,
// scripts/console.mjs), which credport-server embeds when it is compiled next.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { renameInGlue, shortenWasmNames } from './wasm-names.mjs';
import { buildConsole } from './console.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const template = path.join(root, 'pkg-template');

function run(cmd, args, env = {}) {
  const PATH = `${path.join(root, 'node_modules/.bin')}:${process.env.PATH}`;
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, PATH, ...env } });
}

/**
 * RUSTFLAGS for the wasm. The source paths a panic location names (the standard library's and
 * the crates' from the cargo registry) without the build machine's directories: the shipped file
 * should not say where it was built, and is the same on every machine; shorter, too. And LLVM's
 * inliner a little bolder than `opt-level = "z"` leaves it (threshold 20): at "z" serde_json's
 * hot loops call one-line helpers out of line for every byte, and this takes a fifth of a call's
 * CPU for 0.8 KiB gzip (measured in docs/performance.md, "Where a call's CPU goes").
 */
function wasmRustflags() {
  const cargoHome = process.env.CARGO_HOME ?? path.join(os.homedir(), '.cargo');
  const sysroot = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
  const remaps = [`${path.join(cargoHome, 'registry', 'src')}=/cargo`, `${sysroot}=/rust`, `${root}=/credport`];
  return [process.env.RUSTFLAGS, '-Cllvm-args=-inline-threshold=20', ...remaps.map((r) => `--remap-path-prefix=${r}`)].filter(Boolean).join(' ');
}

/** An ES module's top-level `export` declarations as plain ones (`body`), and their `names`. */
function unexport(source) {
  const declaration = /^export (async function\*?|function|const|let|class) (\w+)/gm;
  return { body: source.replace(declaration, '$1 $2'), names: [...source.matchAll(declaration)].map((m) => m[2]) };
}

/** The errors module is written once, as an ES module; CommonJS entries get this translation. */
export function errorsToCommonJs(source) {
  const { body, names } = unexport(source);
  return `'use strict';\n${body}\nmodule.exports = { ${names.join(', ')} };\n`;
}

/**
 * The Node glue reading the web build's .wasm (the same bytes) instead of a copy beside it; from
 * the package's root, where the glue runs once bundled into its Node entries
 * (bundleNodeEntries()). `name` is the core's: `credport`, or `credport_admin`.
 */
export function sharedWasm(glue, name = 'credport') {
  const own = `const wasmPath = \`\${__dirname}/${name}_bg.wasm\`;`;
  if (!glue.includes(own)) throw new Error('the nodejs glue no longer reads its .wasm as the build expects: see sharedWasm()');
  return glue.replace(own, `const wasmPath = require('path').join(__dirname, 'web', '${name}_bg.wasm');`);
}

/**
 * The glue's imports that catch a JS exception (`X: function() { return handleError(function
 * (arg0, arg1) {…}, arguments); }`) declared with the parameters they are called with. V8 compiles
 * a wasm-to-JS wrapper per import signature along with the module, for a function of as many
 * parameters; an import of another `length` needs a second wrapper, compiled when the module is
 * instantiated: 7 TurboFan compiles, about 0.5 ms of every Node cold start.
 */
export function arityMatchedImports(glue) {
  const catching = /^(\s+[\w$]+: function)\(\) \{ return handleError\(function \(([\w$, ]*)\) \{$/gm;
  const out = glue.replace(catching, '$1($2) { return handleError(function ($2) {');
  if (/function\(\) \{ return handleError\(function \([^)]/.test(out)) throw new Error('a catching import the build does not know how to match: see arityMatchedImports()');
  return out;
}

/**
 * The glue's classes without `free()` and `[Symbol.dispose]()` (nor `__destroy_into_raw`, which
 * only `free()` calls). SDK.md: objects hold nothing to free. A client and its resources are
 * shared by every call made through them, and freeing one left every later call rejecting with
 * a plain `Error: null pointer passed to rust`, not a CredportError; the glue's
 * FinalizationRegistry frees each one once it is unreachable, as it already did.
 */
export function withoutFree(glue) {
  const free = /^ {4}__destroy_into_raw\(\) \{\n(?: {8}.*\n)*? {4}\}\n {4}free\(\) \{\n(?: {8}.*\n)*? {4}\}\n/gm;
  const dispose = /^if \(Symbol\.dispose\) (\w+)\.prototype\[Symbol\.dispose\] = \1\.prototype\.free;\n/gm;
  const out = glue.replace(free, '').replace(dispose, '');
  if (/\bfree\(\)|__destroy_into_raw|Symbol\.dispose/.test(out)) throw new Error('the glue frees its classes in a way the build does not know: see withoutFree()');
  return out;
}

/** The declarations of the glue's classes without `free()` and `[Symbol.dispose]()` (withoutFree()). */
export function typesWithoutFree(types) {
  const out = types.replace(/^ {4}free\(\): void;\n {4}\[Symbol\.dispose\]\(\): void;\n/gm, '');
  if (/\bfree\(\)|Symbol\.dispose/.test(out)) throw new Error('the declarations free their classes in a way the build does not know: see typesWithoutFree()');
  return out;
}

/**
 * A bundled class keeps the name it is exported under. esbuild writes a class that refers to
 * itself (wasm-bindgen's `static __wrap` does) as `var ApiKeys = class _ApiKeys`, and then
 * `ApiKeys.name`, and every stack frame of its methods, says `_ApiKeys`. Inside its body a class's
 * own name is bound to the class itself, so the inner name can be the outer one.
 */
export function classNamesKept(code) {
  const renamed = [...code.matchAll(/\bvar (\w+) = class _\1\b/g)].map((m) => m[1]);
  return renamed.reduce((out, name) => out.replace(new RegExp(`\\b_${name}\\b`, 'g'), name), code);
}

/**
 * Node's two entries, each one file: index.cjs with errors.cjs and the nodejs glue bundled in,
 * and index.mjs with errors.mjs and the web glue (the same core, as an ES module) bundled in.
 * Node resolves, reads and compiles each file it loads: one file instead of three takes about
 * 0.5 ms off a cold start, an ES module that loads no CommonJS about 1.5 ms more, and one built
 * from ES modules only (no CommonJS wrappers inside) about 0.5 ms more. The two share one
 * instance at run time (see pkg-template/index.cjs). Not minified: parsing 22 KB instead of
 * 34 KB measured 0.06 ms faster (again for index.mjs as it is now), not worth code that people
 * cannot read in their node_modules. node/credport.js stays for readers of the core's internals
 * (`__wasmMemory`: the leak tests, the benchmark) as that same instance, not a second one.
 */
function bundleNodeEntries(version) {
  /** Bundles `file` in place, class names kept (classNamesKept()); returns the bundle's text. */
  const bundle = (file, format) => {
    const { outputFiles } = buildSync({
      entryPoints: [path.join(dist, file)],
      outfile: path.join(dist, file),
      write: false,
      absWorkingDir: dist, // the bundle names its parts by their paths in the package
      bundle: true,
      platform: 'node',
      format,
      target: 'node18',
      define: { CREDPORT_VERSION: JSON.stringify(version) },
      logLevel: 'warning',
    });
    const text = classNamesKept(outputFiles[0].text);
    fs.writeFileSync(path.join(dist, file), text);
    return text;
  };
  for (const entry of ['index', 'admin']) {
    if (/\b__(commonJS|require|toESM)\b/.test(bundle(`${entry}.mjs`, 'esm'))) {
      throw new Error(`${entry}.mjs bundles CommonJS: it must be built from ES modules only (see bundleNodeEntries())`);
    }
    bundle(`${entry}.cjs`, 'cjs');
  }
  // Bundled into the entries above; not shipped on their own. (credport/admin's Node glue too: only
  // its declarations stay, which admin.d.ts reads.)
  for (const file of ['errors.cjs', 'node-wasm.mjs', 'node/credport_admin.js']) fs.rmSync(path.join(dist, file));
  const core = `'use strict';
// The wasm core's internals (\`__wasmMemory\`), from the one instance of ../index.cjs (or ../index.mjs).
module.exports = require('../index.cjs')[Symbol.for('credport.core')];
`;
  fs.writeFileSync(path.join(dist, 'node', 'credport.js'), core);
}

function cargoVersion() {
  const toml = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
  const pkg = toml.slice(toml.indexOf('[package]'));
  return pkg.match(/^version\s*=\s*"([^"]+)"/m)[1];
}

// Two cores, each built twice (cargo compiles each once; wasm-bindgen writes the glue per target):
// `credport`, and `credport_admin` (the crate with its `admin` feature: credport/admin, a .wasm of
// its own so that credport's does not grow). `nodejs` for Node and Bun (CommonJS), `web` for
// everything else (an ES module that the web entries instantiate; see docs/runtimes.md). A core's
// two .wasm files are the same bytes, so the package ships one, web/<core>_bg.wasm, and the Node
// glue reads that one.
const cores = [
  { name: 'credport', pkg: 'pkg', features: [] },
  { name: 'credport_admin', pkg: 'pkg/admin', features: ['--features', 'admin'] },
];
const targets = [
  { target: 'nodejs', dir: 'node', glue: (name) => [`${name}.js`, `${name}.js`], types: (name) => [`${name}.d.ts`, `${name}.d.ts`] },
  // .mjs: an ES module whatever the package's "type" ("commonjs", for node/credport.js).
  { target: 'web', dir: 'web', glue: (name) => [`${name}.js`, `${name}.mjs`], wasm: (name) => [`${name}_bg.wasm`, `${name}_bg.wasm`] },
];
const rustflags = wasmRustflags();
// `--skip-wasm` re-assembles dist/ from the last wasm-pack output in pkg/ (for work on pkg-template/).
// The admin core first: cargo leaves the last build's .wasm in target/wasm32-unknown-unknown/wasm
// under the crate's name, and scripts/wasm-size.mjs profiles the one there, credport's.
for (const { name, pkg, features } of process.argv.includes('--skip-wasm') ? [] : [...cores].reverse()) {
  for (const { target, dir } of targets) {
    const args = ['build', '--profile', 'wasm', '--target', target, '--out-dir', `${pkg}/${dir}`, '--out-name', name, '--no-pack'];
    run('wasm-pack', [...args, ...(features.length ? ['--', ...features] : [])], { RUSTFLAGS: rustflags });
  }
}

fs.rmSync(dist, { recursive: true, force: true });
const built = {};
for (const { name, pkg } of cores) {
  const sameWasm = ['node', 'web'].map((dir) => fs.readFileSync(path.join(root, pkg, dir, `${name}_bg.wasm`)));
  if (!sameWasm[0].equals(sameWasm[1])) throw new Error(`${pkg}/node and ${pkg}/web hold different .wasm files: the package ships only one`);
  // The one .wasm with short import and export names; both glues get the same names (wasm-names.mjs).
  const glues = Object.fromEntries(targets.map(({ dir }) => [dir, fs.readFileSync(path.join(root, pkg, dir, `${name}.js`), 'utf8')]));
  const { wasm, names } = shortenWasmNames(sameWasm[1], Object.values(glues));
  built[name] = { wasm, names };
  for (const { dir, glue, types, wasm: wasmFile } of targets) {
    fs.mkdirSync(path.join(dist, dir), { recursive: true });
    const source = path.join(root, pkg, dir, glue(name)[0]);
    // The SDK has no JavaScript snippets of its own: a glue that imports one is a mistake.
    if (/snippets\//.test(glues[dir])) throw new Error(`${source} imports a JavaScript snippet: the SDK's JavaScript is its entries and errors only`);
    const matched = withoutFree(arityMatchedImports(renameInGlue(glues[dir], names, source)));
    fs.writeFileSync(path.join(dist, dir, glue(name)[1]), dir === 'node' ? sharedWasm(matched, name) : matched);
    if (types) fs.writeFileSync(path.join(dist, dir, types(name)[1]), typesWithoutFree(fs.readFileSync(path.join(root, pkg, dir, types(name)[0]), 'utf8')));
    if (wasmFile) fs.writeFileSync(path.join(dist, dir, wasmFile(name)[1]), wasm);
  }
}
// Every template file goes in as it is; the manifest and the CommonJS errors are derived below.
fs.cpSync(template, dist, { recursive: true, filter: (src) => path.basename(src) !== 'package.json' });
// The project's licence, which the package names (MIT), travels with it.
fs.copyFileSync(path.join(root, 'LICENSE'), path.join(dist, 'LICENSE'));
for (const entry of ['index', 'admin']) fs.copyFileSync(path.join(template, `${entry}.d.ts`), path.join(dist, `${entry}.d.mts`));
const errors = fs.readFileSync(path.join(template, 'errors.mjs'), 'utf8');
fs.writeFileSync(path.join(dist, 'errors.cjs'), errorsToCommonJs(errors));
const manifest = JSON.parse(fs.readFileSync(path.join(template, 'package.json'), 'utf8'));
manifest.version = cargoVersion();
bundleNodeEntries(manifest.version);
fs.writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

const kib = (bytes) => `${(bytes.length / 1024).toFixed(1)} KiB`;
const dropped = built.credport.names.dropped.join(', ') || 'none';
console.log(
  `built dist/ (credport ${manifest.version}, wasm ${kib(built.credport.wasm)} and credport/admin's ${kib(built.credport_admin.wasm)}, ` +
    `each one file for node and web; exports dropped as unread: ${dropped})`,
);

await buildConsole({ packageDir: dist });
