// The error classes of credport. Defined once: every entry point of the package loads this one
// module, so `instanceof` holds whether the SDK came in through `import` or `require`.
// The wasm core creates them through `createError`, handed to it when the package loads.

/** The base of every error credport throws. `code` is stable: branch on it. */
export class CredportError extends Error {
  constructor(message, props = {}) {
    super(message);
    this.code = props.code ?? 'credport_error';
  }
}

/** The server answered with an error status. */
export class APIError extends CredportError {
  constructor(message, props = {}) {
    super(message, props);
    this.status = props.status ?? null;
    this.requestId = props.requestId ?? null;
    this.details = props.details ?? null;
    this.headers = props.headers ?? {};
  }
}

export class BadRequestError extends APIError {}
export class AuthenticationError extends APIError {}
export class PermissionDeniedError extends APIError {}
export class NotFoundError extends APIError {}
export class ConflictError extends APIError {}
export class RateLimitError extends APIError {
  constructor(message, props = {}) {
    super(message, props);
    /** Seconds the server asked to wait, from `Retry-After`. */
    this.retryAfter = props.retryAfter ?? null;
  }
}
export class InternalServerError extends APIError {}
/** The server answered 2xx with a body that is not what the API promises. */
export class APIResponseValidationError extends APIError {}

/** The request got no answer: refused, reset, DNS, TLS. */
export class APIConnectionError extends CredportError {}
export class APIConnectionTimeoutError extends APIConnectionError {}
/** The caller's `AbortSignal` fired. */
export class APIUserAbortError extends CredportError {}
/** A bad argument, found before any request was sent. `argument` names it. */
export class InvalidArgumentError extends CredportError {
  constructor(message, props = {}) {
    super(message, props);
    this.argument = props.argument ?? null;
  }
}

const classes = {
  CredportError, APIError, BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError,
  ConflictError, RateLimitError, InternalServerError, APIResponseValidationError, APIConnectionError,
  APIConnectionTimeoutError, APIUserAbortError, InvalidArgumentError,
};

// `name` set explicitly so that it survives minifiers that rename classes.
for (const [name, cls] of Object.entries(classes)) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true });
}

/** @internal Called by the wasm core: `(className, message, props) => Error`. */
export function createError(name, message, props) {
  const Class = Object.prototype.hasOwnProperty.call(classes, name) ? classes[name] : CredportError;
  return new Class(message, props);
}

/**
 * @internal The classes and factory every Node entry of the package hands out. Node's entries
 * (index.cjs, index.mjs, admin.cjs, admin.mjs) each have a copy of this module bundled in; the
 * first copy a process loads registers itself under `key`, and the others hand out those same
 * classes, so that `instanceof` holds across `credport` and `credport/admin`, `import` and
 * `require`. (The other runtimes' entries import this one file, so they share it anyway.)
 */
export function sharedErrors(key) {
  if (!globalThis[key]) Object.defineProperty(globalThis, key, { value: { ...classes, createError } });
  return globalThis[key];
}
