'use strict';
// Node entry (CommonJS). The ES module entry re-exports this one, so both share one wasm instance
// and one set of error classes.
const errors = require('./errors.cjs');
const core = require('./node/credport.js');

core.__setErrorFactory(errors.createError);

module.exports = {
  Credport: core.Credport,
  Connections: core.Connections,
  ApiKeys: core.ApiKeys,
  PersonalAccessTokens: core.PersonalAccessTokens,
  CredportError: errors.CredportError,
  APIError: errors.APIError,
  BadRequestError: errors.BadRequestError,
  AuthenticationError: errors.AuthenticationError,
  PermissionDeniedError: errors.PermissionDeniedError,
  NotFoundError: errors.NotFoundError,
  ConflictError: errors.ConflictError,
  RateLimitError: errors.RateLimitError,
  InternalServerError: errors.InternalServerError,
  APIResponseValidationError: errors.APIResponseValidationError,
  APIConnectionError: errors.APIConnectionError,
  APIConnectionTimeoutError: errors.APIConnectionTimeoutError,
  APIUserAbortError: errors.APIUserAbortError,
  InvalidArgumentError: errors.InvalidArgumentError,
};
