/**
 * A dashboard session: an operator API token (admin_tokens, hashed, expiring, rooted at the operator's admin
 * credential) held in an HttpOnly SameSite=Lax cookie. Every page calls the admin API with it in-process, so the
 * dashboard has the API's guard, validation and audit, and no second copy of any rule.
 */
import { timingSafeEqualStrings } from '../../../../../shared/crypto.js';
import { csrfTokenFor } from '../domain/sign-in.js';

export const SESSION_COOKIE = 'esp_dashboard';
export const TX_COOKIE = 'esp_dashboard_signin';

export interface DashboardSession {
  /** The operator API token (bearer). */
  token: string;
  /** Its id (to revoke it at sign-out). */
  tokenId: string;
  /** Shown in the header. */
  name: string;
  csrf: string;
}

export function readCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header || header.length > 8192) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export function cookie(name: string, value: string, secure: boolean, maxAge: number, path = '/dashboard'): string {
  return [
    `${name}=${value}`,
    `Path=${path}`,
    'HttpOnly',
    // Lax, not Strict: the session must arrive with the redirect that ends the sign-in (it comes from the auth
    // Worker's site); cross-site POSTs still carry no cookie, and every change also needs the CSRF token.
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
    `Max-Age=${maxAge}`,
  ].join('; ');
}

const VALUE = /^[A-Za-z0-9_.~-]{1,600}$/;

export function encodeSession(s: Omit<DashboardSession, 'csrf'>): string {
  return [s.token, s.tokenId, encodeURIComponent(s.name).replace(/~/g, '%7E').replace(/%/g, '~')].join('.');
}

export async function decodeSession(value: string | undefined): Promise<DashboardSession | null> {
  if (!value || !VALUE.test(value)) return null;
  // The token and its id hold no '.'; the name (an email address) may.
  const [token, tokenId, ...rest] = value.split('.');
  const name = rest.join('.');
  if (!token || !tokenId || rest.length === 0) return null;
  let display = '';
  try {
    display = decodeURIComponent(name.replace(/~/g, '%'));
  } catch {
    return null;
  }
  return { token, tokenId, name: display, csrf: await csrfTokenFor(token) };
}

export async function csrfValid(session: DashboardSession, submitted: string | undefined): Promise<boolean> {
  return typeof submitted === 'string' && (await timingSafeEqualStrings(submitted, session.csrf));
}
