'use strict';
// Node entry (CommonJS). The build bundles the two files required here into this file; index.mjs,
// the ES module entry, is the same core through the `web` glue (see scripts/build.mjs). Whichever of
// the two a process loads first makes the wasm instance and the classes; the other hands out the
// same ones (no dual-package hazard): they are kept under a symbol of this version on globalThis.
// CREDPORT_VERSION is the package's version, written in by the build (esbuild's `define`).
const shared = Symbol.for(`credport ${CREDPORT_VERSION}`);

module.exports = globalThis[shared] ?? load();

function load() {
  const errors = require('./errors.cjs');
  const core = require('./node/credport.js');

  // Every error class of ./errors.cjs (shared with credport/admin); `createError` is the wasm
  // core's, not the user's.
  const { createError, ...errorClasses } = errors.sharedErrors(Symbol.for(`credport errors ${CREDPORT_VERSION}`));
  core.__setErrorFactory(createError);

  const api = {
    Credport: core.Credport,
    Connections: core.Connections,
    ApiKeys: core.ApiKeys,
    PersonalAccessTokens: core.PersonalAccessTokens,
    ...errorClasses,
  };
  // For the package's node/credport.js, once the core is bundled in here: the core's internals
  // (`__wasmMemory`, read by the leak tests and the benchmark) from this instance. Not enumerable
  // and under a symbol: not part of the API.
  Object.defineProperty(api, Symbol.for('credport.core'), { value: { __wasmMemory: core.__wasmMemory } });
  Object.defineProperty(globalThis, shared, { value: api });
  return api;
}
