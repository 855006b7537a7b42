// Node entry (ES module). The build bundles it with the `web` glue (web/credport.mjs) and
// errors.mjs into this one file. All three are ES modules, so the bundle is one flat module
// scope: bundled CommonJS parts each sit in a wrapper function that V8 parses twice (once with
// the module, once when it runs) and hand their exports over by copying them, about 0.5 ms of a
// cold start. The .wasm is the same file the web entries load. Both Node entries hand out one
// instance (see index.cjs): whichever a process loads first makes it, the other returns it.
// CREDPORT_VERSION is the package's version, written in by the build (esbuild's `define`).
import { initSync, __setErrorFactory, __wasmMemory, Credport, Connections, ApiKeys, PersonalAccessTokens } from './web/credport.mjs';
import { sharedErrors } from './errors.mjs';

const shared = Symbol.for(`credport ${CREDPORT_VERSION}`);

const api = globalThis[shared] ?? load(process.getBuiltinModule && import.meta.dirname ? wasmBytes() : await olderNodeWasmBytes());

/**
 * The .wasm's bytes, read from beside this file with `fs` and `path` from
 * process.getBuiltinModule (Node 20.16+, 22.3+, Bun): an `import` of node:fs costs about 1.5 ms
 * more.
 */
function wasmBytes() {
  const file = process.getBuiltinModule('path').join(import.meta.dirname, 'web', 'credport_bg.wasm');
  return process.getBuiltinModule('fs').readFileSync(file);
}

/** The same on older Node, with the builtins imported. */
async function olderNodeWasmBytes() {
  const [fs, url] = await Promise.all([import('node:fs'), import('node:url')]);
  return fs.readFileSync(url.fileURLToPath(new URL('./web/credport_bg.wasm', import.meta.url)));
}

function load(bytes) {
  initSync({ module: bytes });
  // Every error class of ./errors.mjs (shared with credport/admin); `createError` is the wasm
  // core's, not the user's.
  const { createError, ...errorClasses } = sharedErrors(Symbol.for(`credport errors ${CREDPORT_VERSION}`));
  __setErrorFactory(createError);
  const made = { Credport, Connections, ApiKeys, PersonalAccessTokens, ...errorClasses };
  // As in index.cjs: the core's internals for the package's node/credport.js. Only those, so
  // that the bundler leaves out what Node never runs (the glue's fetching `init`).
  Object.defineProperty(made, Symbol.for('credport.core'), { value: { __wasmMemory } });
  Object.defineProperty(globalThis, shared, { value: made });
  return made;
}

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
