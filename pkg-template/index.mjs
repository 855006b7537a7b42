// Node entry (ES module). The build bundles index.cjs and what it requires into this file, so
// that `import` never loads Node's CommonJS loader (about 1.5 ms of a cold start): the glue's
// `require` of `fs` and `path` is served by process.getBuiltinModule (Node 20.16+, 22.3+, Bun),
// and by `import` on older versions. Both entries hand out one instance (see index.cjs).
import api from './index.cjs';

// Exported under other local names: bundled, a top-level name would make the bundler rename the
// class of that name inside, and a class is named after its binding (`APIError2`).
const {
  Credport: credport,
  Connections: connections,
  ApiKeys: apiKeys,
  PersonalAccessTokens: personalAccessTokens,
  CredportError: credportError,
  APIError: apiError,
  BadRequestError: badRequestError,
  AuthenticationError: authenticationError,
  PermissionDeniedError: permissionDeniedError,
  NotFoundError: notFoundError,
  ConflictError: conflictError,
  RateLimitError: rateLimitError,
  InternalServerError: internalServerError,
  APIResponseValidationError: apiResponseValidationError,
  APIConnectionError: apiConnectionError,
  APIConnectionTimeoutError: apiConnectionTimeoutError,
  APIUserAbortError: apiUserAbortError,
  InvalidArgumentError: invalidArgumentError,
} = api;

export {
  credport as Credport,
  connections as Connections,
  apiKeys as ApiKeys,
  personalAccessTokens as PersonalAccessTokens,
  credportError as CredportError,
  apiError as APIError,
  badRequestError as BadRequestError,
  authenticationError as AuthenticationError,
  permissionDeniedError as PermissionDeniedError,
  notFoundError as NotFoundError,
  conflictError as ConflictError,
  rateLimitError as RateLimitError,
  internalServerError as InternalServerError,
  apiResponseValidationError as APIResponseValidationError,
  apiConnectionError as APIConnectionError,
  apiConnectionTimeoutError as APIConnectionTimeoutError,
  apiUserAbortError as APIUserAbortError,
  invalidArgumentError as InvalidArgumentError,
};
