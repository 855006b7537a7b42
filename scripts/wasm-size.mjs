// Where the wasm's bytes go, by function and by crate, after the same wasm-bindgen and wasm-opt
// passes as the shipped build, with the function names kept (`wasm-opt -g`). The size profile
// behind docs/performance.md; twiggy would say the same but is one more tool to install.
//
//   node scripts/build.mjs && node scripts/wasm-size.mjs [how many functions, default 40]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'target/wasm32-unknown-unknown/wasm/credport.wasm');
if (!fs.existsSync(built)) throw new Error(`${built} is missing: run node scripts/build.mjs first`);
const top = Number(process.argv[2] ?? 40);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'credport-wasm-size-'));
try {
  execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', dir, built], { stdio: 'inherit' });
  const flags = readWasmOptFlags();
  const named = path.join(dir, 'named.wasm');
  const wasmOpt = path.join(root, 'node_modules/.bin/wasm-opt');
  execFileSync(wasmOpt, [...flags, '-g', path.join(dir, 'credport_bg.wasm'), '-o', named], { stdio: 'inherit' });
  report(fs.readFileSync(named), fs.statSync(path.join(root, 'dist/web/credport_bg.wasm'), { throwIfNoEntry: false })?.size);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The wasm-opt flags of Cargo.toml's `[package.metadata.wasm-pack.profile.release]`. */
function readWasmOptFlags() {
  const toml = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
  const line = toml.split('\n').find((l) => l.startsWith('wasm-opt = ['));
  if (!line) throw new Error('Cargo.toml has no wasm-opt flags');
  return JSON.parse(line.slice(line.indexOf('[')));
}

/** Reads the code section's function bodies and the name section's function names. */
function functions(bytes) {
  let at = 8;
  const leb = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const skipLimits = () => {
    const flags = bytes[at++];
    leb();
    if (flags & 1) leb();
  };
  let imported = 0;
  const sizes = [];
  const names = new Map();
  let data = 0;
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        for (const _name of ['module', 'field']) {
          const length = leb();
          at += length;
        }
        const kind = bytes[at++];
        if (kind === 0) {
          leb();
          imported++;
        } else if (kind === 1) {
          at++;
          skipLimits();
        } else if (kind === 2) skipLimits();
        else if (kind === 3) at += 2;
      }
    } else if (id === 10) {
      for (let n = leb(); n > 0; n--) {
        const body = leb();
        sizes.push(body);
        at += body;
      }
    } else if (id === 11) {
      data += size;
    } else if (id === 0) {
      const nameLength = leb();
      const section = bytes.subarray(at, at + nameLength).toString();
      at += nameLength;
      while (section === 'name' && at < end) {
        const sub = bytes[at++];
        const subSize = leb();
        const subEnd = at + subSize;
        if (sub === 1) {
          for (let n = leb(); n > 0; n--) {
            const index = leb();
            const length = leb();
            names.set(index, bytes.subarray(at, at + length).toString());
            at += length;
          }
        }
        at = subEnd;
      }
    }
    at = end;
  }
  const list = sizes.map((size, i) => ({ size, name: (names.get(i + imported) ?? `func${i + imported}`).replace(/\[[0-9a-f]+\]/g, '') }));
  return { list, data };
}

/** The crate a (demangled) function name belongs to; `<a::B as c::D>` counts for `a`. */
function crateOf(name) {
  const match = /^<?&?(?:dyn )?([a-z_][a-z0-9_]*)::/.exec(name);
  if (!match) return name.includes('shim') ? 'wasm-bindgen export shims' : 'other';
  return match[1] === 'credport' ? `credport::${name.split('::')[1]}` : match[1];
}

function report(bytes, shipped) {
  const { list, data } = functions(bytes);
  const code = list.reduce((sum, f) => sum + f.size, 0);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`code ${kib(code)} in ${list.length} functions, data ${kib(data)}${shipped ? `; shipped file ${kib(shipped)}` : ''}\n`);
  const crates = new Map();
  for (const f of list) crates.set(crateOf(f.name), (crates.get(crateOf(f.name)) ?? 0) + f.size);
  console.log('by crate or module:');
  for (const [crate, size] of [...crates].sort((a, b) => b[1] - a[1])) console.log(`  ${kib(size).padStart(9)}  ${crate}`);
  console.log(`\nthe ${top} largest functions:`);
  for (const f of [...list].sort((a, b) => b.size - a.size).slice(0, top)) console.log(`  ${String(f.size).padStart(6)}  ${f.name.slice(0, 140)}`);
}
