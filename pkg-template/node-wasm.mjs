// How Node's ES module entries (index.mjs, admin.mjs) read their .wasm, from the package's web/
// folder (the one copy the web entries load too). Bundled into each entry by the build; not
// shipped on its own. `meta` is the entry's `import.meta` (the package's root).

/**
 * The bytes of web/`file`, read with `fs` and `path` from process.getBuiltinModule (Node 20.16+,
 * 22.3+, Bun): an `import` of node:fs costs about 1.5 ms more. `undefined` where there is none.
 */
export function wasmBytes(meta, file) {
  if (!process.getBuiltinModule || !meta.dirname) return undefined;
  return process.getBuiltinModule('fs').readFileSync(process.getBuiltinModule('path').join(meta.dirname, 'web', file));
}

/** The same on older Node, with the builtins imported. */
export async function olderNodeWasmBytes(meta, file) {
  const [fs, url] = await Promise.all([import('node:fs'), import('node:url')]);
  return fs.readFileSync(url.fileURLToPath(new URL(`./web/${file}`, meta.url)));
}
