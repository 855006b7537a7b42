// Node entry (ES module): the CommonJS entry's exports, so `import` and `require` in one process
// see the same classes (no dual-package hazard). Loaded with `require` rather than `import`: an
// imported CommonJS file is first scanned by Node's ES module loader for its export names, which
// cost about 2 ms of every cold start. `createRequire` from process.getBuiltinModule (Node 20.16+,
// 22.3+, Bun): importing node:module costs about 0.3 ms more, for the loader's module around the
// builtin; older versions still import it.
const { createRequire } = process.getBuiltinModule?.('module') ?? (await import('node:module'));

const cjs = createRequire(import.meta.url)('./index.cjs');

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
