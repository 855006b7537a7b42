// credport/admin's Node entry (ES module), as index.mjs: bundled by the build with the admin
// core's `web` glue (web/credport_admin.mjs) and errors.mjs into one file, reading the same .wasm
// the web entries load. Both Node entries of credport/admin hand out one instance (see admin.cjs),
// and the error classes are credport's own (errors.sharedErrors).
import {
  initSync,
  __setErrorFactory,
  CredportAdmin,
  Sites,
  SiteAdmin,
  AdminConnections,
  ConnectSessions,
  ProviderConfigs,
  AdminPersonalAccessTokens,
  AdminApiKeys,
  AdminEvents,
  WebhookEndpoints,
} from './web/credport_admin.mjs';
import { sharedErrors } from './errors.mjs';
import { olderNodeWasmBytes, wasmBytes } from './node-wasm.mjs';

const shared = Symbol.for(`credport admin ${CREDPORT_VERSION}`);

const wasmFile = 'credport_admin_bg.wasm';
const api = globalThis[shared] ?? load(wasmBytes(import.meta, wasmFile) ?? (await olderNodeWasmBytes(import.meta, wasmFile)));

function load(bytes) {
  initSync({ module: bytes });
  const { createError, ...errorClasses } = sharedErrors(Symbol.for(`credport errors ${CREDPORT_VERSION}`));
  __setErrorFactory(createError);
  const made = {
    CredportAdmin,
    Sites,
    SiteAdmin,
    AdminConnections,
    ConnectSessions,
    ProviderConfigs,
    AdminPersonalAccessTokens,
    AdminApiKeys,
    AdminEvents,
    WebhookEndpoints,
    ...errorClasses,
  };
  Object.defineProperty(globalThis, shared, { value: made });
  return made;
}

// Exported under other local names, as in index.mjs (a bundled class keeps its binding's name).
const {
  CredportAdmin: credportAdmin,
  Sites: sites,
  SiteAdmin: siteAdmin,
  AdminConnections: adminConnections,
  ConnectSessions: connectSessions,
  ProviderConfigs: providerConfigs,
  AdminPersonalAccessTokens: adminPersonalAccessTokens,
  AdminApiKeys: adminApiKeys,
  AdminEvents: adminEvents,
  WebhookEndpoints: webhookEndpoints,
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
  WebhookVerificationError: webhookVerificationError,
} = api;

export {
  credportAdmin as CredportAdmin,
  sites as Sites,
  siteAdmin as SiteAdmin,
  adminConnections as AdminConnections,
  connectSessions as ConnectSessions,
  providerConfigs as ProviderConfigs,
  adminPersonalAccessTokens as AdminPersonalAccessTokens,
  adminApiKeys as AdminApiKeys,
  adminEvents as AdminEvents,
  webhookEndpoints as WebhookEndpoints,
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
  webhookVerificationError as WebhookVerificationError,
};
