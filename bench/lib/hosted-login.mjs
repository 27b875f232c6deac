// A user agent without a browser for the platform's hosted login: a cookie jar, manual redirects, and the forms of
// the hosted pages read from their HTML (action, hidden fields such as csrf_token). The scenarios use it to get a
// signed-in session, a remembered consent and authorization codes the way a browser gets them.
import { createHash, randomBytes } from 'node:crypto';
import { expectJson, FORM, registerClient } from './oauth.mjs';

/** Cookie jar of one user agent for one origin: keeps name=value of every Set-Cookie, sends them all back. */
export function cookieJar() {
  const jar = new Map();
  return {
    take(res) {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair.indexOf('=');
        const value = pair.slice(eq + 1);
        if (/max-age=0/i.test(c) || value === '') jar.delete(pair.slice(0, eq));
        else jar.set(pair.slice(0, eq), value);
      }
    },
    header: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
  };
}

const decode = (s) =>
  s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"' })[e] ?? "'");

function attr(tag, name) {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m ? decode(m[1]) : undefined;
}

/**
 * The forms of a page: each with its absolute action URL, its hidden fields, and its submit buttons' name/value.
 * @returns {{ action: string, hidden: Record<string, string>, buttons: { name?: string, value?: string, text: string }[], fields: string[] }[]}
 */
export function readForms(html, pageUrl) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, open, inner] = m;
    const hidden = {};
    const fields = [];
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (!name) continue;
      if ((attr(input[0], 'type') ?? 'text').toLowerCase() === 'hidden') hidden[name] = attr(input[0], 'value') ?? '';
      else fields.push(name);
    }
    const buttons = [...inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((b) => ({
      name: attr(b[1], 'name'),
      value: attr(b[1], 'value'),
      text: decode(b[2].replace(/<[^>]*>/g, '').trim()),
    }));
    forms.push({ action: new URL(attr(open, 'action') ?? pageUrl, pageUrl).href, hidden, buttons, fields });
  }
  return forms;
}

/** The text of the page's first h1. */
export const heading = (html) => decode((/<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1] ?? '').replace(/<[^>]*>/g, ''));

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * One user agent at the provider. `walk` follows redirects and answers the hosted pages it meets (sign-in with
 * the account's email and password, consent with Allow) until the browser would leave for `redirectUri`, and
 * returns that URL (carrying code, state, iss). Every step is checked; anything unexpected throws with the page.
 */
export function userAgent({ email, password }) {
  const jar = cookieJar();
  const pages = [];

  async function request(url, init = {}) {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...init.headers, cookie: jar.header() },
    });
    jar.take(res);
    return res;
  }

  async function submit(form, pageUrl, values) {
    const origin = new URL(pageUrl).origin;
    return request(form.action, {
      method: 'POST',
      // What a browser sends on a same-origin form post.
      headers: { 'content-type': FORM, origin, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ ...form.hidden, ...values }).toString(),
    });
  }

  async function walk(startUrl, redirectUri, maxSteps = 12) {
    let res = await request(startUrl);
    let url = startUrl;
    for (let step = 0; step < maxSteps; step++) {
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, url).href;
        if (next.startsWith(redirectUri)) return new URL(next);
        url = next;
        res = await request(url);
        continue;
      }
      const html = await res.text();
      const title = heading(html);
      pages.push({ url, status: res.status, title });
      const forms = readForms(html, url);
      const signIn = forms.find((f) => f.fields.includes('email') && f.fields.includes('password'));
      if (res.status === 200 && signIn && title === 'Sign in') {
        res = await submit(signIn, url, { email, password });
        continue;
      }
      const consent = forms.find((f) => f.buttons.some((b) => b.value === 'allow'));
      if (res.status === 200 && consent) {
        res = await submit(consent, url, { decision: 'allow' });
        continue;
      }
      throw new Error(`hosted login: unexpected page ${res.status} "${title}" at ${url}: ${html.slice(0, 600)}`);
    }
    throw new Error(`hosted login: more than ${maxSteps} steps from ${startUrl}`);
  }

  /** Follows redirects from `startUrl` to the sign-in page; resolves to its URL and form. */
  async function signInForm(startUrl, maxSteps = 6) {
    let url = startUrl;
    for (let step = 0; step < maxSteps; step++) {
      const res = await request(url);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).href;
        continue;
      }
      const html = await res.text();
      const form = readForms(html, url).find((f) => f.fields.includes('email') && f.fields.includes('password'));
      if (res.status !== 200 || !form)
        throw new Error(`expected the sign-in page at ${url}, got ${res.status}: ${html.slice(0, 600)}`);
      return { url, form };
    }
    throw new Error(`no sign-in page within ${maxSteps} redirects of ${startUrl}`);
  }

  return { request, submit, walk, signInForm, jar, pages };
}

/**
 * The authorization request URL for a code flow (PKCE S256, a random state, `nonce` for OpenID).
 * @param {{ authorizationEndpoint: string, clientId: string, redirectUri: string, scope?: string, challenge: string }} p
 */
export function authorizationUrl(p) {
  const url = new URL(p.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: p.clientId,
    redirect_uri: p.redirectUri,
    scope: p.scope ?? 'openid profile email',
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
    state: randomBytes(12).toString('base64url'),
    nonce: randomBytes(12).toString('base64url'),
  }).toString();
  return url.href;
}

/**
 * What a sign-in scenario starts from on the shared platform: the OpenID configuration, one user created by the
 * operator API (self-service sign-up is off in production), and one third-party code-flow client (a loopback
 * redirect URI, never contacted: the user agent stops at it).
 */
export async function codeFlowFixture(platform, { name = 'bench' } = {}) {
  const auth = platform.urls.auth;
  const discovery = await expectJson(await fetch(`${auth}/.well-known/openid-configuration`), 'discovery');
  const user = {
    email: `${name}-${randomBytes(4).toString('hex')}@example.com`,
    password: randomBytes(12).toString('base64url'),
    name,
  };
  await expectJson(
    await fetch(`${auth}/admin/users`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${platform.secrets.ADMIN_BOOTSTRAP_TOKEN}`,
      },
      body: JSON.stringify({ email: user.email, password: user.password, name: user.name, email_verified: true }),
    }),
    'POST /admin/users',
  );
  const redirectUri = 'http://127.0.0.1:9/cb';
  const client = await registerClient(platform, {
    client_name: `${name} RP`,
    application_type: 'native',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid profile email',
  });
  // A user agent for the user, and where its flows start (the authorization request, PKCE `challenge`).
  const startUrl = (challenge) =>
    authorizationUrl({
      authorizationEndpoint: discovery.authorization_endpoint,
      clientId: client.client_id,
      redirectUri,
      challenge,
    });
  return { discovery, user, client, redirectUri, ua: userAgent(user), startUrl };
}
