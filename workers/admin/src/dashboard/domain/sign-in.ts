/**
 * The dashboard's OpenID Connect sign-in, pure parts: the authorization request (state, nonce, PKCE S256) kept in
 * a short-lived cookie, and the checks on the callback. The ID token's signature is checked by the handler (jose,
 * the auth Worker's JWKS); its claims are checked here.
 */
import { base64url, sha256 } from '../../../../../shared/crypto.js';

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
  | { ok: false; reason: 'no_transaction' | 'state_mismatch' | 'issuer_mismatch' | 'denied' | 'no_code' };

/** RFC 6749 §10.12 (state), RFC 9207 (iss): the callback belongs to this browser's request and this issuer. */
export function checkCallback(params: URLSearchParams, tx: SignInTransaction | null, issuer: string): CallbackOutcome {
  if (!tx) return { ok: false, reason: 'no_transaction' };
  if (params.get('state') !== tx.state) return { ok: false, reason: 'state_mismatch' };
  const iss = params.get('iss');
  if (iss !== null && iss !== issuer) return { ok: false, reason: 'issuer_mismatch' };
  if (params.get('error')) return { ok: false, reason: 'denied' };
  const code = params.get('code');
  if (!code) return { ok: false, reason: 'no_code' };
  return { ok: true, code };
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
