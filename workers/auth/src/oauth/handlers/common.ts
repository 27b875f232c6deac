/**
 * What the OAuth endpoints share: reading the form or JSON body as RFC 6749 errors, and reporting security
 * events with the request's origin.
 */
import { readFormBody, readJsonBody } from '../../../../../shared/body.js';
import { OAuthError, PlatformError } from '../../../../../shared/errors.js';
import type { SecurityEventOutcome, SecurityEventType } from '../../../../../shared/events/event.js';
import { secureJson } from '../../../../../shared/security-headers.js';
import { loginEvent } from '../../login/handlers/events.js';
import type { AuthContext } from '../../services.js';

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * A successful token or introspection answer: 200, JSON, `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749
 * §5.1, RFC 7662 §2.2), built with every security header at once (shared/security-headers.ts): these are the hot
 * endpoints. The same headers as `c.json(body, 200, NO_STORE)`.
 *
 * Hono adds headers prepared with `c.header` only to responses it builds itself. The one header these handlers
 * prepare is the rate limit's on allowed requests (RATE_LIMIT_SUCCESS_HEADERS, off by default), so with it on the
 * answer goes through `c.json`.
 */
export function tokenJson(c: AuthContext, body: Record<string, unknown>): Response {
  if (c.get('services').rateLimits.successHeaders) return c.json(body, 200, NO_STORE);
  return secureJson(c.env, body, 200, 'no-store, pragma');
}

/**
 * Body-reading failures as RFC 6749 errors. A wrong media type (a JSON body at the token endpoint) is
 * `invalid_request` with status 400, not 415: RFC 6749 §5.2 answers request errors with 400, and clients switch
 * on `error`. An oversized body keeps its 413.
 */
function asOAuthError(err: unknown): unknown {
  if (err instanceof OAuthError || !(err instanceof PlatformError)) return err;
  const status = err.status === 415 ? 400 : err.status;
  return new OAuthError('invalid_request', err.message, status, err.headers);
}

/** Reads an application/x-www-form-urlencoded body (duplicate parameters are rejected, except `repeatable`). */
export async function readOAuthForm(c: AuthContext, repeatable?: ReadonlySet<string>): Promise<Map<string, string[]>> {
  try {
    return await readFormBody(c.req.raw, c.get('services').config.MAX_BODY_BYTES, repeatable);
  } catch (err) {
    throw asOAuthError(err);
  }
}

export async function readOAuthJson(c: AuthContext): Promise<unknown> {
  try {
    return await readJsonBody(c.req.raw, c.get('services').config.MAX_BODY_BYTES);
  } catch (err) {
    throw asOAuthError(err);
  }
}

/** A parameter that may appear at most once (duplicates were already rejected by the form reader). */
/** A grant of `POST /oauth/token` (tokens/handlers/token.ts dispatches): the form read, the client address known. */
export type TokenGrant = (
  c: AuthContext,
  form: ReadonlyMap<string, readonly string[]>,
  ip: string,
) => Promise<Response>;

export function param(form: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  return form.get(name)?.[0];
}

/** Reports a security event of this request (`ip`: the client address, read once per request by the handler). */
export function emit(
  c: AuthContext,
  ip: string,
  type: SecurityEventType,
  outcome: SecurityEventOutcome,
  clientId: string | undefined,
  details: Record<string, unknown> = {},
): void {
  loginEvent(c, ip, type, outcome, { clientId }, details);
}
