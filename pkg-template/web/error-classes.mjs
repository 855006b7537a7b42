// The error classes every web entry exports (credport's and credport/admin's): those of
// ../errors.mjs, without the factory the entries hand to the wasm core.
export {
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
  WebhookVerificationError,
} from '../errors.mjs';
