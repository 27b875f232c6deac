/**
 * Bearer credentials (RFC 6750): the one parser and the one challenge every Worker uses, for admin credentials,
 * the registration access tokens, the policy decision API and the metrics endpoint.
 */
import { timingSafeEqualToSecret } from './crypto.js';
import { unauthorized } from './errors.js';

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;

/** The token of an `Authorization: Bearer <b64token>` header (RFC 6750 §2.1), or undefined. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  return BEARER.exec(header)?.[1];
}

/** The `WWW-Authenticate` value of a 401 (RFC 6750 §3): the realm, and the error when a token was presented. */
export function bearerChallenge(realm: string, error?: 'invalid_token' | 'invalid_request'): string {
  return error ? `Bearer realm="${realm}", error="${error}"` : `Bearer realm="${realm}"`;
}

/**
 * Requires `expected` as the bearer token, compared in constant time (timingSafeEqualToSecret). Throws a 401 problem
 * with the challenge otherwise. An unset `expected` requires nothing. Synchronous: it guards every decision request.
 */
export function requireStaticBearer(
  header: string | undefined | null,
  expected: string | undefined,
  realm: string,
  detail: string,
): void {
  if (!expected) return;
  if (!timingSafeEqualToSecret(bearerToken(header) ?? '', expected)) {
    throw unauthorized(detail, bearerChallenge(realm));
  }
}

/** What a resource server asks of the user's authentication (RFC 9470 §3): an `acr` among these, and/or this recent. */
export interface AuthenticationRequirement {
  acrValues?: readonly string[];
  /** Seconds since the user last authenticated. */
  maxAge?: number;
}

/** An auth-param value as a quoted-string: its quotes and backslashes escaped, control characters dropped. */
function quoted(value: string): string {
  return `"${[...value]
    .filter((ch) => ch >= ' ' && ch !== '\u007f')
    .join('')
    .replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The `WWW-Authenticate` value of a 401 whose token is valid but whose user authentication is not enough for the
 * resource (RFC 9470 §3): `insufficient_user_authentication`, with the `acr_values` (space-separated) and/or
 * `max_age` the client should ask the authorization server for in a new authorization request.
 */
export function insufficientUserAuthentication(
  realm: string,
  requirement: AuthenticationRequirement,
  description: string,
): string {
  const params = [
    `realm=${quoted(realm)}`,
    'error="insufficient_user_authentication"',
    `error_description=${quoted(description)}`,
  ];
  if (requirement.acrValues && requirement.acrValues.length > 0) {
    params.push(`acr_values=${quoted(requirement.acrValues.join(' '))}`);
  }
  if (requirement.maxAge !== undefined) params.push(`max_age=${Math.max(0, Math.floor(requirement.maxAge))}`);
  return `Bearer ${params.join(', ')}`;
}
