/**
 * What the refresh-token black-box tests need: a user signed in through the hosted login by plain HTTP (a cookie
 * jar, form posts with their CSRF tokens and the Origin header a browser sends), the authorization code redeemed
 * with PKCE for the first refresh token, and the refresh_token grant itself. Everything against real servers.
 */
import { createHash, randomBytes } from 'node:crypto';

class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(readonly origin: string) {}

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0\b/i.test(attrs.join(';'))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string): Promise<Response> {
    const res = await fetch(new URL(url, this.origin), { redirect: 'manual', headers: { cookie: this.cookie() } });
    this.store(res);
    return res;
  }

  async post(path: string, fields: Record<string, string>): Promise<Response> {
    const res = await fetch(new URL(path, this.origin), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.cookie(),
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.origin,
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.store(res);
    return res;
  }
}

const csrfOf = (html: string) => {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error(`no CSRF token in the page: ${html.slice(0, 200)}`);
  return m[1];
};

export interface CodeFlowClient {
  client_id: string;
  client_secret?: string;
  redirect_uri: string;
}

/** Signs `user` in at `origin`, consents, and answers the authorization code with its PKCE verifier. */
export async function authorizationCode(
  origin: string,
  client: CodeFlowClient,
  user: { email: string; password: string },
  scope: string,
): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    scope,
    state: 's',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const browser = new Browser(origin);
  let res = await browser.get(`/oauth/authorize?${q}`);
  for (let step = 0; step < 8; step++) {
    if (res.status !== 302 && res.status !== 303)
      throw new Error(`login: ${res.status} ${(await res.text()).slice(0, 300)}`);
    const next = new URL(res.headers.get('location') as string, origin);
    if (next.origin !== new URL(origin).origin) {
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`no code: ${next}`);
      return { code, verifier };
    }
    if (next.pathname === '/login') {
      const page = await (await browser.get(next.toString())).text();
      res = await browser.post('/login', { csrf_token: csrfOf(page), email: user.email, password: user.password });
    } else if (next.pathname === '/consent') {
      const page = await (await browser.get(next.toString())).text();
      res = await browser.post('/consent', { csrf_token: csrfOf(page), decision: 'allow' });
    } else {
      res = await browser.get(next.toString());
    }
  }
  throw new Error('the login did not finish');
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export interface TokenAnswer {
  status: number;
  body: Record<string, any>;
  upstream: string | null;
}

/** POST /oauth/token (or another form endpoint) as `client`: Basic for a confidential one, client_id for a public one. */
export async function tokenRequest(
  origin: string,
  client: CodeFlowClient,
  params: Record<string, string | string[]>,
  path = '/oauth/token',
): Promise<TokenAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams();
  if (client.client_secret) headers.authorization = basic(client.client_id, client.client_secret);
  else body.set('client_id', client.client_id);
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  const res = await fetch(new URL(path, origin), { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: Record<string, any> = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, upstream: res.headers.get('x-upstream') };
}

/** Runs the code flow and redeems the code: the first access token and refresh token of a new family. */
export async function startFamily(
  origin: string,
  client: CodeFlowClient,
  user: { email: string; password: string },
  scope = 'openid offline_access read write',
): Promise<TokenAnswer> {
  const { code, verifier } = await authorizationCode(origin, client, user, scope);
  return tokenRequest(origin, client, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: client.redirect_uri,
  });
}

export const refresh = (origin: string, client: CodeFlowClient, token: string, extra: Record<string, string> = {}) =>
  tokenRequest(origin, client, { grant_type: 'refresh_token', refresh_token: token, ...extra });

/** The claims of a JWT, unverified (the tests verify signatures elsewhere; here they read `rfid`). */
export function claimsOf(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'));
}
