// Refresh tokens from the platform obtained the way a client obtains them: a user signed in through the hosted login
// (form posts with their CSRF tokens), consent, and the authorization code redeemed with PKCE S256, for measurements
// of grant_type=refresh_token. The user and the client are created through the platform's own APIs.
import { createHash, randomBytes } from 'node:crypto';
import { basicAuth, FORM, redeemForRefreshToken, refreshTokensOf, registerClient } from './oauth.mjs';
import { cookieJar } from './hosted-login.mjs';

export const REFRESH_USER = { email: 'bench.refresh@example.com', password: 'correct horse battery staple 71' };
const REDIRECT = 'https://rp.example/cb';

/** Creates the user (POST /admin/users) and registers a confidential code-flow client allowed refresh tokens. */
export async function platformRefreshClient(platform) {
  const user = await fetch(`${platform.urls.auth}/admin/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.secrets.ADMIN_BOOTSTRAP_TOKEN}` },
    body: JSON.stringify({ ...REFRESH_USER, email_verified: true }),
  });
  if (user.status !== 201 && user.status !== 409) throw new Error(`user: HTTP ${user.status} ${await user.text()}`);
  const client = await registerClient(platform, {
    client_name: 'bench refresh',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid offline_access read',
  });
  return { clientId: client.client_id, clientSecret: client.client_secret, redirectUri: REDIRECT };
}

const csrfOf = (html) => {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no CSRF token in the page: ${html.slice(0, 200)}`);
  return m[1];
};

/** One sign-in + consent + code exchange; resolves to the token response ({ access_token, refresh_token }). */
export async function platformCodeFlow(origin, client, user = REFRESH_USER) {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    scope: 'openid offline_access read',
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const jar = cookieJar();
  const send = async (url, form) => {
    const res = await fetch(new URL(url, origin), {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(form ? { 'content-type': FORM, origin, 'sec-fetch-site': 'same-origin' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    jar.take(res);
    return res;
  };
  let res = await send(`/oauth/authorize?${query}`);
  for (let hop = 0; hop < 8; hop++) {
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location)
      throw new Error(`platform authorization flow: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const next = new URL(location, origin);
    if (next.href.startsWith(client.redirectUri)) {
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`platform authorization flow ended without a code: ${next.href}`);
      return redeemForRefreshToken(
        `${origin}/oauth/token`,
        basicAuth(client.clientId, client.clientSecret),
        { code, redirectUri: client.redirectUri, verifier },
        'platform',
      );
    }
    if (next.pathname === '/login') {
      const page = await (await send(next.href)).text();
      res = await send('/login', { csrf_token: csrfOf(page), email: user.email, password: user.password });
    } else if (next.pathname === '/consent') {
      const page = await (await send(next.href)).text();
      res = await send('/consent', { csrf_token: csrfOf(page), decision: 'allow' });
    } else {
      res = await send(next.href);
    }
  }
  throw new Error('platform authorization flow: too many redirects');
}

/** `n` refresh tokens of `n` independent families, from `n` code flows, a few at a time. */
export function platformRefreshTokens(origin, client, n, concurrency = 4) {
  return refreshTokensOf(() => platformCodeFlow(origin, client), n, concurrency);
}
