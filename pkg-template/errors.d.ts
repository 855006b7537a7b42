/** The base of every error credport throws. `code` is stable: branch on it. */
export declare class CredportError extends Error {
  readonly code: string;
  constructor(message: string, props?: Record<string, unknown>);
}

/** The server answered with an error status. */
export declare class APIError extends CredportError {
  /** The HTTP status (200 for {@link APIResponseValidationError}). */
  readonly status: number;
  /** The request id of the answer, to quote to support. */
  readonly requestId: string | null;
  /** More about the error; for a 400, `{ field }` names the field. */
  readonly details: Record<string, unknown> | null;
  /** The response headers, lower-case names. */
  readonly headers: Record<string, string>;
}
export declare class BadRequestError extends APIError {}
export declare class AuthenticationError extends APIError {}
export declare class PermissionDeniedError extends APIError {}
export declare class NotFoundError extends APIError {}
export declare class ConflictError extends APIError {}
export declare class RateLimitError extends APIError {
  /** Seconds the server asked to wait, from `Retry-After`. */
  readonly retryAfter: number | null;
}
export declare class InternalServerError extends APIError {}
/** The server answered 2xx with a body that is not what the API promises. */
export declare class APIResponseValidationError extends APIError {}
/** The request got no answer. */
export declare class APIConnectionError extends CredportError {}
export declare class APIConnectionTimeoutError extends APIConnectionError {}
/** The caller's `AbortSignal` fired. */
export declare class APIUserAbortError extends CredportError {}
/** A bad argument, found before any request was sent. */
export declare class InvalidArgumentError extends CredportError {
  /** The argument, as a path: `params.pageSize`, `id`, `options.timeoutMs`. */
  readonly argument: string;
}
/**
 * `verifyWebhook` refused a delivery: a missing header, a timestamp more than five minutes away,
 * or no signature matching the body (`code`: `webhook_verification_failed`). Answer with 400.
 */
export declare class WebhookVerificationError extends CredportError {}
