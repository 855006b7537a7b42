// The public names of credport/admin's entries built on the `web` wasm (admin.mjs for browsers,
// Deno and bundlers; admin-workerd.mjs, admin-deno.mjs): the admin core's classes and the error
// classes (the same ones as credport's). ../admin.mjs lists the same names for Node and Bun.
export {
  CredportAdmin,
  Sites,
  SiteAdmin,
  AdminConnections,
  ProviderConfigs,
  AdminPersonalAccessTokens,
  AdminApiKeys,
} from './credport_admin.mjs';
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
} from '../errors.mjs';
