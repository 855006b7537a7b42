'use strict';
// Node entry (CommonJS). The ES module entry re-exports this one, so both share one wasm instance
// and one set of error classes. The build bundles the two files required here into this one.
const errors = require('./errors.cjs');
const core = require('./node/credport.js');

// Every error class of ./errors.cjs; `createError` is the wasm core's, not the user's.
const { createError, ...errorClasses } = errors;
core.__setErrorFactory(createError);

module.exports = {
  Credport: core.Credport,
  Connections: core.Connections,
  ApiKeys: core.ApiKeys,
  PersonalAccessTokens: core.PersonalAccessTokens,
  ...errorClasses,
};
// For the package's node/credport.js, once the core is bundled in here: the core's own exports
// (`__wasmMemory`, read by the leak tests and the benchmark) from this instance. Not enumerable
// and under a symbol: not part of the API.
Object.defineProperty(module.exports, Symbol.for('credport.core'), { value: core });
