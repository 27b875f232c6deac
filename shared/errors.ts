/**
 * Error model shared by every Worker.
 *
 * Two wire formats exist, chosen by where the error happens, not by who throws it:
 * - OAuth endpoints answer RFC 6749 §5.2 JSON (`{error, error_description}`),
 * - everything else answers RFC 9457 problem+json.
 *
 * Every class carries a stable string `code` (as jose does) so tests and callers never match on messages.
 */

export type ErrorCode =
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_MALFORMED_BODY'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_VALIDATION'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_CONFLICT'
  | 'ERR_RATE_LIMITED'
  | 'ERR_DEPENDENCY_UNAVAILABLE'
  | 'ERR_INTERNAL'
  | 'ERR_MISCONFIGURED'
  | 'ERR_OAUTH';

/** Base class: an error that already knows its HTTP status and how to describe itself safely. */
export class PlatformError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'PlatformError';
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

/** RFC 9457 problem. `type` defaults to a URN derived from the code so clients can switch on it. */
export class ProblemError extends PlatformError {
  readonly title: string;
  readonly extra: Record<string, unknown>;
  constructor(
    code: ErrorCode,
    status: number,
    title: string,
    detail?: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(code, status, detail ?? title, headers);
    this.name = 'ProblemError';
    this.title = title;
    this.extra = extra;
  }
}

/** RFC 6749 §5.2 error codes plus the RFC 7591, RFC 6750 and RFC 8707 ones this platform answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'slow_down';

export class OAuthError extends PlatformError {
  readonly error: OAuthErrorCode;
  constructor(error: OAuthErrorCode, description: string, status = 400, headers: Record<string, string> = {}) {
    super('ERR_OAUTH', status, description, headers);
    this.name = 'OAuthError';
    this.error = error;
  }
}

// Factories for the errors every Worker raises, so status, code and title never drift apart.
export const notFound = (detail?: string) => new ProblemError('ERR_NOT_FOUND', 404, 'Not Found', detail);
export const methodNotAllowed = (allow: string[]) =>
  new ProblemError('ERR_METHOD_NOT_ALLOWED', 405, 'Method Not Allowed', undefined, {}, { allow: allow.join(', ') });
/** 413. A route with a limit of its own names it (`{limit: name, max}`), so a caller knows which one it crossed. */
export const bodyTooLarge = (limit: number, name?: string) =>
  name === undefined
    ? new ProblemError('ERR_BODY_TOO_LARGE', 413, 'Payload Too Large', `request body exceeds ${limit} bytes`, {
        limit,
      })
    : new ProblemError('ERR_BODY_TOO_LARGE', 413, 'Payload Too Large', `request body exceeds ${name} (${limit})`, {
        limit: name,
        max: limit,
      });
export const malformedBody = (detail: string) => new ProblemError('ERR_MALFORMED_BODY', 400, 'Malformed Body', detail);
export const unsupportedMediaType = (expected: string) =>
  new ProblemError('ERR_UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported Media Type', `expected ${expected}`);
export const validationFailed = (detail: string, extra: Record<string, unknown> = {}) =>
  new ProblemError('ERR_VALIDATION', 400, 'Validation Failed', detail, extra);
export const unauthorized = (detail = 'authentication required', scheme = 'Bearer') =>
  new ProblemError('ERR_UNAUTHORIZED', 401, 'Unauthorized', detail, {}, { 'www-authenticate': scheme });
export const forbidden = (detail = 'access denied') => new ProblemError('ERR_FORBIDDEN', 403, 'Forbidden', detail);
export const conflict = (detail: string) => new ProblemError('ERR_CONFLICT', 409, 'Conflict', detail);
export const dependencyUnavailable = (detail: string) =>
  new ProblemError('ERR_DEPENDENCY_UNAVAILABLE', 503, 'Service Unavailable', detail);
