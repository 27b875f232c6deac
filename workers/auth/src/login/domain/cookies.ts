/**
 * The hosted login's cookies: how they are written and read.
 *
 * Every cookie is host-only (no Domain), Path=/, HttpOnly and SameSite=Lax (Lax, not Strict: the browser must
 * send the session cookie on the top-level GET that brings the user back from a client to /oauth/authorize).
 * Over https the name carries the `__Host-` prefix, which makes the browser refuse the cookie unless it is
 * Secure, host-only and Path=/, so a sibling subdomain cannot plant or shadow it. Plain http is only allowed for
 * a loopback issuer (local development), where browsers refuse Secure and `__Host-` cookies: the name is then
 * unprefixed and the cookie not Secure.
 *
 * Reading is bounded and strict: an oversized header or a value outside the cookie-octet set reads as absent,
 * and so does a name sent twice (which of the two would be ours?).
 */

export type CookieName = 'session' | 'login' | 'device';

export interface CookieSecurity {
  /** True for an https issuer. */
  secure: boolean;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
export const MAX_COOKIE_HEADER = 8192;
export const MAX_COOKIE_VALUE = 512;
/** RFC 6265 §4.1.1 cookie-octet. */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

/** Cookie security for an issuer URL; throws for plain http on anything but a loopback host. */
export function cookieSecurityFor(issuer: string): CookieSecurity {
  const url = new URL(issuer);
  if (url.protocol === 'https:') return { secure: true };
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return { secure: false };
  throw new Error('the issuer must be https (plain http is only for a loopback issuer)');
}

export function cookieName(name: CookieName, sec: CookieSecurity): string {
  return sec.secure ? `__Host-${name}` : name;
}

export interface SetCookieOptions {
  /** Seconds; 0 deletes the cookie; omitted makes a browser-session cookie. */
  maxAge?: number;
}

export function setCookie(name: CookieName, value: string, sec: CookieSecurity, opts: SetCookieOptions = {}): string {
  if (!COOKIE_VALUE.test(value) || value.length > MAX_COOKIE_VALUE) throw new Error('invalid cookie value');
  const parts = [`${cookieName(name, sec)}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (sec.secure) parts.push('Secure');
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`);
  return parts.join('; ');
}

export function clearCookie(name: CookieName, sec: CookieSecurity): string {
  return setCookie(name, '', sec, { maxAge: 0 });
}

/** The value of our cookie `name` in a Cookie header, or undefined. */
export function readCookie(
  header: string | null | undefined,
  name: CookieName,
  sec: CookieSecurity,
): string | undefined {
  if (!header || header.length > MAX_COOKIE_HEADER) return undefined;
  const wanted = cookieName(name, sec);
  let found: string | undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== wanted) continue;
    if (found !== undefined) return undefined;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value === '' || value.length > MAX_COOKIE_VALUE || !COOKIE_VALUE.test(value)) return undefined;
    found = value;
  }
  return found;
}
