/**
 * A browser without a browser: plain HTTP with a cookie jar, driving the auth Worker's hosted login the way a
 * user's browser would (form posts with their CSRF tokens, the Origin header browsers send, no redirects followed
 * automatically so each step can be checked).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';

export class CookieJar {
  readonly cookies = new Map<string, { value: string; attributes: string }>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const attributes = attrs.join(';');
      if (/max-age=0\b/i.test(attributes) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes });
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v.value}`).join('; ');
  }
}

export class Browser {
  readonly jar = new CookieJar();
  /** The `x-upstream` of each response (which replica answered, behind the test proxy). */
  readonly upstreams: string[] = [];
  constructor(readonly origin: string) {}

  private seen(res: Response): Response {
    this.jar.store(res);
    const upstream = res.headers.get('x-upstream');
    if (upstream) this.upstreams.push(upstream);
    return res;
  }

  async get(pathOrUrl: string): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.origin}${pathOrUrl}`;
    return this.seen(await fetch(url, { redirect: 'manual', headers: { cookie: this.jar.header() } }));
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(`${this.origin}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.jar.header(),
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.origin,
        'sec-fetch-site': 'same-origin',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
    return this.seen(res);
  }
}

export function csrfOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no CSRF token in page: ${html.slice(0, 300)}`);
  return m[1]!;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface AuthorizeParams {
  client_id: string;
  redirect_uri: string;
  scope?: string;
  state?: string;
  nonce?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  [name: string]: string | undefined;
}

export function authorizeUrl(origin: string, params: AuthorizeParams): string {
  const q = new URLSearchParams();
  q.set('response_type', 'code');
  q.set('scope', 'openid email profile');
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  return `${origin}/oauth/authorize?${q}`;
}

/** The location a response sends the browser to, resolved against the issuer. */
export function location(res: Response, origin: string): URL {
  const value = res.headers.get('location');
  if (!value) throw new Error(`no redirect (status ${res.status})`);
  return new URL(value, origin);
}

/**
 * Runs sign-in (the second factor's code when asked, and consent) after GET /oauth/authorize; answers the final
 * redirect to the client. `signUp` creates the account on the sign-up page instead of signing in.
 */
export async function completeLogin(
  browser: Browser,
  authorize: string,
  creds: { email: string; password: string; signUp?: boolean; name?: string; secondFactor?: () => string },
): Promise<URL> {
  let res = await browser.get(authorize);
  for (let step = 0; step < 6; step++) {
    if (res.status !== 303 && res.status !== 302)
      throw new Error(`unexpected ${res.status}: ${(await res.text()).slice(0, 400)}`);
    const next = location(res, browser.origin);
    if (next.origin !== browser.origin) return next;
    if (next.pathname === '/login') {
      const path = creds.signUp ? '/signup' : '/login';
      const page = await (await browser.get(path)).text();
      const fields: Record<string, string> = { csrf_token: csrfOf(page), email: creds.email, password: creds.password };
      if (creds.signUp && creds.name) fields.name = creds.name;
      res = await browser.post(path, fields);
    } else if (next.pathname === '/consent') {
      const page = await (await browser.get('/consent')).text();
      res = await browser.post('/consent', { csrf_token: csrfOf(page), decision: 'allow' });
    } else if (next.pathname === '/login/mfa' && creds.secondFactor) {
      const page = await (await browser.get('/login/mfa')).text();
      res = await browser.post('/login/mfa', { csrf_token: csrfOf(page), code: creds.secondFactor() });
    } else {
      throw new Error(`unexpected step ${next.pathname}`);
    }
  }
  throw new Error('the login did not finish');
}

/**
 * Enrols TOTP on the signed-in browser's "your security" page; answers the authenticator (otpauth, fed the page's
 * secret) and the secret. The enrolment uses the previous time step's code (accepted, ±1), so a sign-in right after
 * can use the current one: each step is used once.
 */
export async function enrolTotp(browser: Browser): Promise<{ totp: OTPAuth.TOTP; secret: string }> {
  const overview = await (await browser.get('/account/security')).text();
  const started = await (await browser.post('/account/security/totp', { csrf_token: csrfOf(overview) })).text();
  const secret = /data-secret="([A-Z2-7]+)"/.exec(started)?.[1];
  if (!secret) throw new Error(`no TOTP enrolment in page: ${started.slice(0, 300)}`);
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
  const confirmed = await browser.post('/account/security/totp/confirm', {
    csrf_token: csrfOf(started),
    code: totp.generate({ timestamp: Date.now() - 30_000 }),
  });
  if (confirmed.status !== 200) throw new Error(`TOTP enrolment refused: ${confirmed.status}`);
  return { totp, secret };
}
