/**
 * CSRF protection for every form the hosted pages post (sign-in, sign-up, consent, sign-out, session revocation).
 *
 * Primary defence, a synchronizer token: HMAC(key, form, binding) where the binding is the login transaction id
 * or session id, both of which live only in HttpOnly cookies. A cross-site attacker can make the browser send the
 * cookie but cannot read it, so it cannot compute the token; a token from one form is not valid for another,
 * and one bound to an old transaction is not valid for the current one.
 *
 * Defence in depth: requests the browser marks as cross-site (`Sec-Fetch-Site`) or whose `Origin` is not ours
 * are refused before the token is even looked at. Browsers that send neither header still need the token.
 */
import { hmacTag, verifyHmacTag } from './hmac.js';

export type CsrfForm =
  | 'sign-in'
  | 'sign-up'
  | 'consent'
  | 'sign-out'
  | 'revoke-session'
  | 'revoke-consent'
  | 'select-account';

export const CSRF_FIELD = 'csrf_token';
const PURPOSE = 'csrf-v1';

export function csrfToken(key: CryptoKey, form: CsrfForm, binding: string): Promise<string> {
  return hmacTag(key, PURPOSE, [form, binding]);
}

export function verifyCsrfToken(key: CryptoKey, form: CsrfForm, binding: string, presented: unknown): Promise<boolean> {
  if (binding === '') return Promise.resolve(false);
  return verifyHmacTag(key, PURPOSE, [form, binding], presented);
}

export interface RequestOrigin {
  /** The `Origin` header, if sent. */
  origin: string | null;
  /** The `Sec-Fetch-Site` header, if sent. */
  secFetchSite: string | null;
}

export type OriginVerdict = 'ok' | 'cross-site' | 'wrong-origin';

/** Checks where a form post comes from. `expectedOrigin` is the issuer's origin, e.g. "https://auth.example.com". */
export function checkFormOrigin(req: RequestOrigin, expectedOrigin: string): OriginVerdict {
  const site = req.secFetchSite?.toLowerCase();
  // "same-site" is refused too: a sibling subdomain is another application, not this one.
  if (site !== undefined && site !== 'same-origin') return 'cross-site';
  // Our pages are served with `Referrer-Policy: no-referrer`, which makes browsers send `Origin: null` on the
  // page's own form posts (Fetch, "serializing a request origin"); the browser's Sec-Fetch-Site vouches for them.
  if (req.origin === 'null' && site === 'same-origin') return 'ok';
  if (req.origin !== null && req.origin !== expectedOrigin) return 'wrong-origin';
  return 'ok';
}
