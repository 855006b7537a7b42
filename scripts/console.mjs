// Builds the console (console/: the admin interface credport-server serves at /console) into
// console/dist/, which server/build.rs embeds in the binary. Run by scripts/build.mjs after the
// package is assembled in dist/; on its own (`node scripts/console.mjs`) it rebuilds the console
// from the dist/ already there. console/dist/ is generated: never committed.
//
// The page imports `credport/admin` as any browser app would: esbuild resolves it through
// dist/package.json's exports with the "browser" condition, bundles it with the console's
// modules, and the .wasm it loads (`new URL(…, import.meta.url)`, which esbuild leaves alone) is
// copied next to the bundle.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'console');
export const consoleDist = path.join(source, 'dist');

/** The .wasm files a bundle loads from beside itself, by name. */
function wasmReferences(code) {
  return [...new Set([...code.matchAll(/new URL\(\s*["']\.\/([\w.-]+\.wasm)["']\s*,\s*import\.meta\.url\s*\)/g)].map((m) => m[1]))];
}

/** Every file under `dir` called `name`. */
function findFile(dir, name) {
  return fs.readdirSync(dir, { recursive: true }).map((file) => path.join(dir, file)).filter((file) => path.basename(file) === name);
}

export async function buildConsole({ packageDir = path.join(root, 'dist') } = {}) {
  if (!fs.existsSync(path.join(packageDir, 'package.json'))) throw new Error(`the console is built on the package: ${packageDir} has no package.json (run node scripts/build.mjs)`);
  // `credport` resolved as an installed package: a node_modules of one link to the built package.
  const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'credport-console-'));
  fs.symlinkSync(packageDir, path.join(modules, 'credport'), 'dir');
  try {
    fs.rmSync(consoleDist, { recursive: true, force: true });
    const result = await build({
      entryPoints: { console: path.join(source, 'src', 'main.mjs') },
      outdir: consoleDist,
      chunkNames: 'console-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['browser'],
      nodePaths: [modules],
      target: ['chrome110', 'firefox115', 'safari16'],
      minify: true,
      legalComments: 'none',
      write: true,
      metafile: true,
      logLevel: 'warning',
    });
    const outputs = Object.keys(result.metafile.outputs).map((file) => path.resolve(root, file));
    const wasm = new Set(outputs.flatMap((file) => wasmReferences(fs.readFileSync(file, 'utf8'))));
    if (wasm.size === 0) throw new Error('the console bundle loads no .wasm: it should call the API through credport/admin');
    for (const name of wasm) {
      const [found, ...more] = findFile(packageDir, name);
      if (!found || more.length) throw new Error(`the console loads ${name}: expected one file of that name in ${packageDir}, found ${[found, ...more].filter(Boolean).length}`);
      fs.copyFileSync(found, path.join(consoleDist, name));
    }
    for (const file of ['index.html', 'console.css', 'favicon.svg']) fs.copyFileSync(path.join(source, file), path.join(consoleDist, file));
    const files = fs.readdirSync(consoleDist);
    const kib = (files.reduce((sum, file) => sum + fs.statSync(path.join(consoleDist, file)).size, 0) / 1024).toFixed(1);
    console.log(`built console/dist/ (${files.length} files, ${kib} KiB): build credport-server to embed it`);
  } finally {
    fs.rmSync(modules, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildConsole();
