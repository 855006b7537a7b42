'use strict';
// Node entry (CommonJS). The ES module entry re-exports this one, so both share one wasm instance
// and one set of error classes.
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
