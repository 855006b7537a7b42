// Node entry (ES module): the CommonJS entry's exports, so `import` and `require` in one process
// see the same classes (no dual-package hazard).
import cjs from './index.cjs';

export const {
  Credport,
  Connections,
  ApiKeys,
  PersonalAccessTokens,
  CredportError,
  APIError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  InternalServerError,
  APIResponseValidationError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  InvalidArgumentError,
} = cjs;
