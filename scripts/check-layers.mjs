#!/usr/bin/env node
// Keeps the crates' module structure as the shared design's LAYOUT.md draws it, by reading the
// `use crate::…` / `super::…` paths of every Rust file (comments and strings left out):
// - credport-server (server/src): each top-level module belongs to a layer of LAYERS and imports
//   only from its own layer or those below it; no circle between top-level modules, nor between
//   the files of one folder;
// - the SDK (src): no circle between its files.
// A file using its own parent (`super::X` from a folder's file to the folder's mod.rs) is how Rust
// folders work, and is no circle.
// Usage: node scripts/check-layers.mjs [repo root]. Exits 1 naming each offending file and import.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** credport-server's layers, lowest first: a module may import from its layer and those below. */
const LAYERS = [
  ['ground', ['error', 'echo', 'clock', 'crypto', 'keys']],
  ['db', ['db']],
  ['store', ['store']],
  ['services', ['auth', 'refresh', 'connect', 'events', 'ops', 'console']],
  ['http', ['http']],
  ['app', ['app']],
  ['routes', ['routes']],
  ['start-up', ['cli', 'config', 'server', 'demo']],
];

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const problems = [];

/** Every `.rs` file under `dir`, as [module key, path]: `db/sql`, `db` for `db/mod.rs`, `` for lib.rs. */
function modules(dir) {
  const found = new Map();
  const walk = (sub) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.rs')) {
        let key = rel.slice(0, -3);
        if (key === 'lib' || key === 'main') key = '';
        else if (key.endsWith('/mod')) key = key.slice(0, -4);
        if (rel !== 'main.rs') found.set(key, join(dir, rel));
      }
    }
  };
  walk('');
  return found;
}

/** `text` with comments, strings and char literals blanked out (newlines kept, so lines count). */
function code(text) {
  const blank = (s) => s.replace(/[^\n]/g, ' ');
  return text.replace(
    /\/\/[^\n]*|\/\*[\s\S]*?\*\/|r(#*)"[\s\S]*?"\1|b?"(?:\\[\s\S]|[^"\\])*"|b?'(?:\\.|[^\\'\n])'/g,
    blank,
  );
}

/** The paths of a `use` tree (`crate::a::{b, c::{self, D}}`) as segment lists. */
function expand(tree) {
  tree = tree.trim();
  const open = tree.indexOf('{');
  if (open < 0) return [tree.replace(/\s+as\s+\w+$/, '').replace(/\s+/g, '').split('::').filter(Boolean)];
  const prefix = tree.slice(0, open).replace(/\s+/g, '').split('::').filter(Boolean);
  const inner = tree.slice(open + 1, tree.lastIndexOf('}'));
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= inner.length; i++) {
    const c = inner[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if ((c === ',' && depth === 0) || i === inner.length) {
      if (inner.slice(start, i)) parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  return parts.flatMap((p) => expand(p).map((s) => (s[0] === 'self' ? prefix : [...prefix, ...s])));
}

/** The imports of the file of module `key`: {from, to, line, text}, `to` a module key. */
function imports(key, path, known) {
  const text = code(readFileSync(path, 'utf8'));
  const found = [];
  const inline = []; // inline `mod x {` blocks open here, with the brace depth they opened at
  let depth = 0;
  const pattern =
    /\bmod\s+(\w+)\s*\{|\{|\}|\buse\s+((?:crate|super|self)\b[^;]*);|\b((?:crate|super|self)(?:\s*::\s*\w+)+)/g;
  for (const m of text.matchAll(pattern)) {
    if (m[1]) {
      inline.push(depth++);
      continue;
    }
    if (m[0] === '{') depth++;
    else if (m[0] === '}') {
      depth--;
      if (inline.at(-1) === depth) inline.pop();
    }
    const paths = m[2] ? expand(m[2]) : m[3] ? [m[3].replace(/\s+/g, '').split('::')] : [];
    for (const segments of paths) {
      // The module the path starts from: the crate root, or this file's module (inline
      // modules count as levels below it) and its parents.
      let base = key ? key.split('/') : [];
      let level = inline.length;
      let rest = segments;
      if (rest[0] === 'crate') {
        base = [];
        level = 0;
        rest = rest.slice(1);
      } else {
        while (rest[0] === 'super' || rest[0] === 'self') {
          if (rest[0] === 'super') {
            if (level > 0) level--;
            else base = base.slice(0, -1);
          }
          rest = rest.slice(1);
        }
      }
      if (level > 0) continue; // a path inside this file's own inline modules
      let to = null;
      for (let n = rest.length; n >= 0 && to === null; n--) {
        const candidate = [...base, ...rest.slice(0, n)].join('/');
        if (known.has(candidate)) to = candidate;
      }
      if (to === null || to === key) continue;
      const line = text.slice(0, m.index).split('\n').length;
      found.push({ from: key, to, line, text: segments.join('::') });
    }
  }
  return found;
}

/** The circles of a graph (edges grouped by `from`): its strongly connected components of 2 or more. */
function circles(nodes, edges) {
  const next = new Map(nodes.map((n) => [n, new Set()]));
  for (const e of edges) next.get(e.from)?.add(e.to);
  let index = 0;
  const order = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const found = [];
  const visit = (v) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), order.get(w)));
    }
    if (low.get(v) === order.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const n of nodes) if (!order.has(n)) visit(n);
  return found;
}

/** Reports one circle through `component`: its shortest loop from its first module, one import a step. */
function reportCircles(label, component, edges, where) {
  const inside = new Set(component);
  const step = new Map(); // "from>to" -> the first import making that step
  for (const e of edges) if (inside.has(e.from) && inside.has(e.to)) step.set(`${e.from}>${e.to}`, step.get(`${e.from}>${e.to}`) ?? e);
  const start = component[0];
  const back = new Map([[start, null]]);
  const queue = [start];
  let last = null;
  while (queue.length && last === null) {
    const v = queue.shift();
    for (const e of step.values()) {
      if (e.from !== v) continue;
      if (e.to === start) {
        last = e;
        break;
      }
      if (!back.has(e.to)) {
        back.set(e.to, e);
        queue.push(e.to);
      }
    }
  }
  const loop = [last];
  for (let e = back.get(last.from); e; e = back.get(e.from)) loop.unshift(e);
  const lines = loop.map((e) => `    ${where(e)}:${e.line} imports ${e.text}`);
  problems.push(`${label}: import circle ${[...loop.map((e) => e.from), start].join(' -> ')}:\n${lines.join('\n')}`);
}

function checkCrate(name, dir, layered) {
  const known = modules(dir);
  const edges = [...known].flatMap(([key, path]) => imports(key, path, known));
  const where = (e) => relative(root, known.get(e.from));
  const unit = (key) => key.split('/')[0];

  if (layered) {
    const layerOf = new Map(LAYERS.flatMap(([layer, units], i) => units.map((u) => [u, { layer, i }])));
    for (const key of known.keys()) {
      if (key && !layerOf.has(unit(key))) {
        problems.push(
          `${name}: ${relative(root, known.get(key))} is in no layer: add \`${unit(key)}\` to LAYERS in scripts/check-layers.mjs`,
        );
      }
    }
    for (const e of edges) {
      const [a, b] = [layerOf.get(unit(e.from)), layerOf.get(unit(e.to))];
      if (a && b && b.i > a.i) {
        problems.push(
          `${name}: ${where(e)}:${e.line} imports ${e.text}: ${unit(e.from)} (layer ${a.layer}) may not ` +
            `import ${unit(e.to)} (layer ${b.layer}, above it); move what it needs down, or pass it in`,
        );
      }
    }
    // Circles between top-level modules (a folder counts as one).
    const units = [...new Set([...known.keys()].filter(Boolean).map(unit))];
    const between = edges
      .filter((e) => e.from && unit(e.from) !== unit(e.to))
      .map((e) => ({ ...e, from: unit(e.from), to: unit(e.to), file: where(e) }));
    for (const c of circles(units, between)) reportCircles(name, c, between, (e) => e.file);
  }
  // Circles between files, except a file using its own parent folder's mod.rs.
  const ancestor = (a, b) => b === '' || a.startsWith(`${b}/`);
  const fileEdges = edges.filter((e) => !ancestor(e.from, e.to) && (!layered || unit(e.from) === unit(e.to)));
  for (const c of circles([...known.keys()], fileEdges)) reportCircles(name, c, fileEdges, where);
}

checkCrate('credport-server', join(root, 'server/src'), true);
checkCrate('credport SDK', join(root, 'src'), false);

if (problems.length) {
  console.error(`check-layers: ${problems.length} problem(s) (see the shared design's LAYOUT.md):`);
  for (const p of problems) console.error(`- ${p}`);
  process.exit(1);
}
console.log('check-layers: server layers and import circles OK');
