// Weight: what a browser page downloads to "construct a client and make one call", for credport
// and the SDKs it is compared with, bundled by esbuild (minified) and compressed by node:zlib.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { sdks } from './sdks.mjs';
import { benchDir, distDir, shown, sizes, addSizes } from './util.mjs';

const require = createRequire(path.join(benchDir, 'package.json'));

/** Every condition name used anywhere in a package.json `exports` map. */
function exportConditions(exports, found = new Set()) {
  if (exports && typeof exports === 'object') {
    for (const [key, value] of Object.entries(exports)) {
      if (!key.startsWith('.')) found.add(key);
      exportConditions(value, found);
    }
  }
  return found;
}

function version(pkg) {
  if (pkg === 'credport') return JSON.parse(fs.readFileSync(path.join(distDir, 'package.json'), 'utf8')).version;
  return JSON.parse(fs.readFileSync(path.join(benchDir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

async function bundle(esbuild, name, source, platform) {
  const dir = path.join(benchDir, '.cache/weight', name.replace(/[^a-z0-9]+/gi, '_'), platform);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const options = {
    stdin: { contents: source, resolveDir: benchDir, sourcefile: 'entry.mjs', loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    outdir: dir,
    absWorkingDir: benchDir,
    entryNames: 'bundle',
    assetNames: '[name]',
    loader: { '.wasm': 'file' },
    metafile: true,
    write: true,
    logLevel: 'silent',
    legalComments: 'none',
  };
  if (platform === 'neutral') {
    options.mainFields = ['module', 'main'];
    options.conditions = ['import', 'default'];
  }
  const result = await esbuild.build(options);
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.resolve(benchDir, file));
  const inputs = Object.keys(result.metafile.inputs).map((file) => path.resolve(benchDir, file));
  return { dir, outputs, inputs, warnings: result.warnings.length };
}

/** Bundles `source` for the browser, else neutral, else node; the first that builds wins. */
async function bundleAnywhere(esbuild, name, source, platforms = ['browser', 'neutral', 'node']) {
  const failures = [];
  for (const platform of platforms) {
    try {
      return { platform, failures, ...(await bundle(esbuild, name, source, platform)) };
    } catch (error) {
      const first = error.errors?.[0]?.text ?? error.message;
      failures.push(`${platform}: ${first}`);
    }
  }
  throw new Error(`${name} did not bundle: ${failures.join('; ')}`);
}

function jsSizes(outputs) {
  const js = outputs.filter((f) => f.endsWith('.js'));
  return addSizes(...js.map((f) => sizes(fs.readFileSync(f))));
}

/** The wasm a credport bundle loads: emitted by esbuild, or referenced by name next to the glue. */
function credportWasm(built) {
  const emitted = built.outputs.filter((f) => f.endsWith('.wasm'));
  if (emitted.length) return { files: emitted, how: 'emitted by esbuild (file loader)' };
  const text = built.outputs.filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const dirs = new Set(built.inputs.filter((f) => f.startsWith(fs.realpathSync(distDir))).map((f) => path.dirname(f)));
  const referenced = [];
  for (const dir of dirs) {
    for (const file of fs.readdirSync(dir)) {
      if (file.endsWith('.wasm') && text.includes(file)) referenced.push(path.join(dir, file));
    }
  }
  if (referenced.length) return { files: referenced, how: 'loaded at run time by file name, next to the glue' };
  return { files: [], how: 'no separate .wasm found (inlined in the bundle, or not loaded)' };
}

/** The wasm-bindgen glue that goes with a wasm file: `<name>.js` beside `<name>_bg.wasm`. */
function glueFor(wasmFile) {
  const dir = path.dirname(wasmFile);
  const base = path.basename(wasmFile).replace(/_bg\.wasm$|\.wasm$/, '');
  const candidates = [`${base}.js`, `${base}.mjs`, `${base}.cjs`].map((f) => path.join(dir, f));
  return candidates.find((f) => fs.existsSync(f)) ?? null;
}

export async function measureWeight({ log }) {
  const esbuild = require('esbuild');
  const distManifest = JSON.parse(fs.readFileSync(path.join(distDir, 'package.json'), 'utf8'));
  const conditions = [...exportConditions(distManifest.exports)];
  const hasBrowser = conditions.includes('browser') || typeof distManifest.browser === 'string';
  const notes = [];
  const results = [];

  for (const sdk of sdks) {
    log(`weight: bundling ${sdk.name}`);
    let built;
    if (sdk.name === 'credport') {
      // Without a `browser` condition the package only has its Node entry; measure that (glue + wasm).
      built = await bundleAnywhere(esbuild, sdk.name, sdk.call, hasBrowser ? ['browser'] : ['node']);
      if (!hasBrowser) {
        notes.push(
          `dist/package.json has no \`browser\` export condition (conditions: ${conditions.join(', ') || 'none'}): ` +
            'credport is measured through its Node entry (esbuild --platform=node), glue + wasm.',
        );
      }
    } else {
      built = await bundleAnywhere(esbuild, sdk.name, sdk.call);
    }
    const js = jsSizes(built.outputs);
    const row = { name: sdk.name, version: version(sdk.pkg), platform: built.platform, js, wasm: null, total: js };
    if (built.failures.length) row.note = `not bundled for ${built.failures.map((f) => f.split(':')[0]).join(', ')}: ${built.failures.join('; ')}`;
    if (sdk.name === 'credport') {
      const wasm = credportWasm(built);
      row.wasmHow = wasm.how;
      row.wasmFiles = wasm.files.map((f) => shown(f));
      if (wasm.files.length) row.wasm = addSizes(...wasm.files.map((f) => sizes(fs.readFileSync(f))));
      row.total = addSizes(js, row.wasm);
      // The parts, whatever the bundle did with them: the package's wasm and its wasm-bindgen glue.
      const source = wasm.files.find((f) => !f.startsWith(built.dir)) ?? path.join(distDir, 'web/credport_bg.wasm');
      const wasmFile = fs.existsSync(source) ? source : path.join(distDir, 'web/credport_bg.wasm');
      const glueFile = glueFor(wasmFile) ?? glueFor(path.join(distDir, 'web/credport_bg.wasm'));
      const glueSource = fs.readFileSync(glueFile);
      const minified = await esbuild.transform(glueSource.toString('utf8'), { minify: true, loader: 'js', legalComments: 'none' });
      row.parts = {
        wasmFile: shown(wasmFile),
        wasm: sizes(fs.readFileSync(wasmFile)),
        glueFile: shown(glueFile),
        glue: sizes(glueSource),
        glueMinified: sizes(Buffer.from(minified.code)),
      };
      row.parts.wasmPlusGlueGzip = row.parts.wasm.gzip + row.parts.glueMinified.gzip;
      row.parts.wasmPlusGlueBrotli = row.parts.wasm.brotli + row.parts.glueMinified.brotli;
      // What Node loads for `import 'credport'`: the ES entry (errors and web glue bundled in) and the wasm.
      row.parts.nodeEntryGzip = sizes(fs.readFileSync(path.join(distDir, 'index.mjs'))).gzip + sizes(fs.readFileSync(path.join(distDir, 'web/credport_bg.wasm'))).gzip;
      row.entry = hasBrowser ? 'browser' : 'node';
    }
    results.push(row);
  }

  const credport = results.find((r) => r.name === 'credport');
  const others = results.filter((r) => r.name !== 'credport');
  const smallest = others.reduce((a, b) => (a.total.gzip <= b.total.gzip ? a : b));
  return {
    method:
      'esbuild --bundle --minify --format=esm --target=es2022 of "construct a client and make one call"; platform browser ' +
      '(neutral or node only where the browser build fails); .wasm counted separately; gzip level 9, brotli quality 11 (node:zlib); 1 KiB = 1024 bytes',
    esbuild: require('esbuild/package.json').version,
    exportConditions: conditions,
    browserEntry: hasBrowser,
    notes,
    sdks: results,
    target: { wasmPlusGlueGzipKiB: 55 },
    smallestCompetitor: { name: smallest.name, totalGzip: smallest.total.gzip },
    verdict: {
      wasmPlusGlueGzip: credport.parts.wasmPlusGlueGzip,
      bundleTotalGzip: credport.total.gzip,
      meetsTarget: credport.parts.wasmPlusGlueGzip <= 55 * 1024,
    },
  };
}
