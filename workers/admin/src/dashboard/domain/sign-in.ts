/**
 * The dashboard's OpenID Connect sign-in, pure parts: the authorization request (state, nonce, PKCE S256) kept in
 * a short-lived cookie, and the checks on the callback. The ID token's signature is checked by the handler (jose,
 * the auth Worker's JWKS); its claims are checked here.
 */
import { base64url, sha256 } from '../../../../../shared/crypto.js';
import { SECOND_FACTOR_MISSING } from '../../../../../shared/oauth-error-text.js';

/**
 * What the dashboard asks for. `admin` makes the policy Worker decide the operator's authentication (Cedar's
 * `User_sign_in`; the shipped policy forbids it without a second factor, so the auth Worker steps the sign-in up):
 * the dashboard holds no rule of its own about it, and a token response granting `admin` is the policy's yes.
 */
export const ADMIN_SCOPE = 'admin';
export const DASHBOARD_SCOPES: readonly string[] = ['openid', 'email', ADMIN_SCOPE];

export interface SignInTransaction {
  state: string;
  nonce: string;
  verifier: string;
  /** Epoch seconds after which the callback is refused. */
  expiresAt: number;
}

export const TRANSACTION_SECONDS = 600;

export async function pkceChallenge(verifier: string): Promise<string> {
  return base64url(await sha256(verifier));
}

export function encodeTransaction(tx: SignInTransaction): string {
  return base64url(new TextEncoder().encode(JSON.stringify(tx)));
}

const B64URL = /^[A-Za-z0-9_-]+$/;

export function decodeTransaction(value: string | undefined, now: number): SignInTransaction | null {
  if (!value || value.length > 1024 || !B64URL.test(value)) return null;
  try {
    const padded = value.replace(/-/g, '+').replace(/_/g, '/');
    const tx = JSON.parse(atob(padded + '='.repeat((4 - (padded.length % 4)) % 4))) as SignInTransaction;
    if (
      typeof tx.state !== 'string' ||
      typeof tx.nonce !== 'string' ||
      typeof tx.verifier !== 'string' ||
      typeof tx.expiresAt !== 'number' ||
      tx.expiresAt <= now
    ) {
      return null;
    }
    return tx;
  } catch {
    return null;
  }
}

export type CallbackOutcome =
  | { ok: true; code: string }
  | {
      ok: false;
      reason: 'no_transaction' | 'state_mismatch' | 'issuer_mismatch' | 'denied' | 'second_factor_missing' | 'no_code';
    };

/** RFC 6749 §10.12 (state), RFC 9207 (iss): the callback belongs to this browser's request and this issuer. */
export function checkCallback(params: URLSearchParams, tx: SignInTransaction | null, issuer: string): CallbackOutcome {
  if (!tx) return { ok: false, reason: 'no_transaction' };
  if (params.get('state') !== tx.state) return { ok: false, reason: 'state_mismatch' };
  const iss = params.get('iss');
  if (iss !== null && iss !== issuer) return { ok: false, reason: 'issuer_mismatch' };
  const error = params.get('error');
  if (error === 'access_denied' && params.get('error_description') === SECOND_FACTOR_MISSING) {
    return { ok: false, reason: 'second_factor_missing' };
  }
  if (error) return { ok: false, reason: 'denied' };
  const code = params.get('code');
  if (!code) return { ok: false, reason: 'no_code' };
  return { ok: true, code };
}

/** Whether the token response's `scope` (RFC 6749 §5.1) grants `admin`. */
export function grantsAdmin(scope: unknown): boolean {
  return typeof scope === 'string' && scope.split(' ').includes(ADMIN_SCOPE);
}

/** How the operator authenticated, from the verified ID token: `amr` (RFC 8176) and `acr`, for the audit log. */
export function authenticationOf(claims: { amr?: unknown; acr?: unknown }): { amr: string[]; acr?: string } {
  const listed: unknown[] = Array.isArray(claims.amr) ? claims.amr : [];
  const amr = listed.filter((m): m is string => typeof m === 'string').slice(0, 16);
  return typeof claims.acr === 'string' ? { amr, acr: claims.acr } : { amr };
}

/** The CSRF token of a dashboard session: bound to its (HttpOnly) session token, so a page elsewhere cannot know it. */
export async function csrfTokenFor(sessionToken: string): Promise<string> {
  return base64url(await sha256(`dashboard-csrf:${sessionToken}`));
}

/**
 * Whether a form post comes from the dashboard's own pages: Sec-Fetch-Site, when sent, must be same-origin; an
 * Origin, when sent, must be ours, or `null` (the pages' `Referrer-Policy: no-referrer` makes browsers send that on
 * their own posts) vouched for by Sec-Fetch-Site. The CSRF token is checked besides.
 */
export function sameOriginPost(origin: string | undefined, secFetchSite: string | undefined, own: string): boolean {
  const site = secFetchSite?.toLowerCase();
  if (site !== undefined && site !== 'same-origin') return false;
  if (origin === 'null') return site === 'same-origin';
  return origin === undefined || origin === own;
}
