/**
 * The OpenID Provider as a black box: real workerd, Postgres and Redis. A user signs in through the hosted pages by
 * plain HTTP form posts with a cookie jar, consents, and the relying party redeems the code (PKCE S256) for an
 * access token and an ID token it verifies against the JWKS; UserInfo answers; then the attacks: unregistered and
 * slightly different redirect URIs, missing / plain / wrong PKCE, a code redeemed twice and twice concurrently,
 * a form post without its CSRF token, the cookie flags, throttled sign-in, prompt=none without a session, logout.
 */
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizeParams, Browser, authorizeUrl, completeLogin, csrfOf, location, pkce } from './oidc-helpers.js';
import {
  basicHeader,
  eventually,
  introspect,
  type RegisteredClient,
  register,
  securityEvents,
  sleep,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

let tp: TokenPlatform;
let origin: string;
let webClient: RegisteredClient;
let publicClient: RegisteredClient & { redirect_uris?: string[] };
const REDIRECT = 'https://rp.example/cb';
const POST_LOGOUT = 'https://rp.example/bye';
const user = { email: 'Jane.Doe@Example.com', password: 'correct horse battery staple', name: 'Jane Doe' };

async function redeem(client: RegisteredClient | null, fields: Record<string, string>) {
  const headers: Record<string, string> = client
    ? { authorization: basicHeader(client.client_id, client.client_secret) }
    : {};
  return fetch(`${origin}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'authorization_code', ...fields }).toString(),
  });
}

/** Signs in (a fresh browser unless given) and answers the code, the verifier and the browser. */
async function codeFor(params: Partial<AuthorizeParams> = {}, browser = new Browser(origin)) {
  const { verifier, challenge } = pkce();
  const redirect = await completeLogin(
    browser,
    authorizeUrl(origin, {
      client_id: webClient.client_id,
      redirect_uri: REDIRECT,
      state: 'st-1',
      nonce: 'n-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...params,
    }),
    user,
  );
  return { redirect, code: redirect.searchParams.get('code') ?? '', verifier, browser };
}

beforeAll(async () => {
  // The address bucket (shared limiter) is sized for this file's sign-ins; the last test floods it.
  tp = await startTokenPlatform({
    SIGN_UP_ENABLED: 'true',
    LOGIN_RATE_LIMIT_IP_CAPACITY: '80',
    LOGIN_RATE_LIMIT_IP_REFILL_PER_SECOND: '0.01',
  });
  origin = tp.platform.urls.auth;
  webClient = await register(tp, {
    client_name: 'Photo app',
    redirect_uris: [REDIRECT],
    post_logout_redirect_uris: [POST_LOGOUT],
    grant_types: ['authorization_code'],
    scope: 'openid email profile',
  });
  publicClient = (await register(tp, {
    client_name: 'Native app',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/cb'],
    token_endpoint_auth_method: 'none',
    scope: 'openid email',
  })) as RegisteredClient & { redirect_uris?: string[] };
  const res = await fetch(`${origin}/admin/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.adminToken}` },
    body: JSON.stringify({ ...user, email_verified: true }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}, 180_000);

afterAll(async () => {
  await tp?.stop();
});

describe('accounts', () => {
  it('POST /admin/users needs an admin credential and refuses a duplicate or a common password', async () => {
    const anon = await fetch(`${origin}/admin/users`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(anon.status).toBe(401);
    const post = (body: unknown) =>
      fetch(`${origin}/admin/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.adminToken}` },
        body: JSON.stringify(body),
      });
    expect((await post({ email: 'jane.doe@example.com', password: 'another long passphrase' })).status).toBe(409);
    const weak = await post({ email: 'weak@example.com', password: 'password123' });
    expect(weak.status).toBe(400);
    expect(weak.headers.get('content-type')).toContain('application/problem+json');
    const rows = await tp.sql<{ password_hash: string; email_key: string }>(
      'SELECT password_hash, email_key FROM users',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.email_key).toBe('jane.doe@example.com');
    expect(rows[0]!.password_hash).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
  });
});

describe('password hashes', () => {
  it('a hash made with older scrypt parameters is replaced at the next sign-in', async () => {
    const email = 'old.hash@example.com';
    const password = 'a passphrase from long ago';
    const created = await fetch(`${origin}/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.adminToken}` },
      body: JSON.stringify({ email, password }),
    });
    expect(created.status).toBe(201);
    // The same PHC layout the Worker writes, with ln=12 (N=4096) instead of 14.
    const salt = randomBytes(16);
    const key = scryptSync(Buffer.from(password.normalize('NFKC')), salt, 32, { N: 4096, r: 8, p: 1 });
    const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    const old = `$scrypt$ln=12,r=8,p=1$${b64(salt)}$${b64(key)}`;
    await tp.sql('UPDATE users SET password_hash = $1 WHERE email_key = $2', [old, email]);
    const redirect = await completeLogin(
      new Browser(origin),
      authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, ...pkceParams() }),
      { email, password },
    );
    expect(redirect.searchParams.get('code')).toBeTruthy();
    const rows = await tp.sql<{ password_hash: string }>('SELECT password_hash FROM users WHERE email_key = $1', [
      email,
    ]);
    expect(rows[0]?.password_hash).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
  });
});

describe('authorization code flow (confidential client)', () => {
  it('signs in by form posts, consents, and redeems the code for verified tokens and UserInfo', async () => {
    const { redirect, code, verifier, browser } = await codeFor();
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT);
    expect(redirect.searchParams.get('state')).toBe('st-1');
    expect(redirect.searchParams.get('iss')).toBe(tp.issuer.href.replace(/\/$/, ''));
    const res = await redeem(webClient, { code, redirect_uri: REDIRECT, code_verifier: verifier });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.token_type).toBe('Bearer');
    expect(body.scope).toBe('openid email profile');
    const jwks = createRemoteJWKSet(new URL(`${origin}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.id_token!, jwks, {
      issuer: origin,
      audience: webClient.client_id,
    });
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload.nonce).toBe('n-1');
    expect(payload.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.amr).toEqual(['pwd']);
    expect(typeof payload.auth_time).toBe('number');
    expect(typeof payload.sid).toBe('string');
    const atHash = createHash('sha256').update(body.access_token!).digest().subarray(0, 16).toString('base64url');
    expect(payload.at_hash).toBe(atHash);
    for (const method of ['GET', 'POST']) {
      const info = await fetch(`${origin}/oauth/userinfo`, {
        method,
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      expect(info.status).toBe(200);
      expect(await info.json()).toEqual({
        sub: payload.sub,
        email: user.email,
        email_verified: true,
        name: user.name,
        updated_at: expect.any(Number),
      });
    }
    // The session cookie: HttpOnly, SameSite=Lax, Path=/; the issuer is plain-http loopback, so no Secure and no
    // __Host- prefix (browsers refuse both on http); an https issuer gets both (login/domain/cookies.ts tests).
    const session = browser.jar.cookies.get('session');
    expect(session?.attributes).toMatch(/Path=\/; HttpOnly; SameSite=Lax/);
    expect(session?.attributes).not.toMatch(/Secure/);
    // Already consented and signed in: the next request goes straight back with a code.
    const again = await browser.get(
      authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, ...pkceParams() }),
    );
    expect(location(again, origin).searchParams.get('code')).toBeTruthy();
  });

  it('a code redeemed twice fails and revokes the tokens issued from it', async () => {
    const { code, verifier } = await codeFor();
    const first = await redeem(webClient, { code, redirect_uri: REDIRECT, code_verifier: verifier });
    const { access_token } = (await first.json()) as { access_token: string };
    expect((await introspect(tp, webClient, access_token)).body.active).toBe(true);
    const second = await redeem(webClient, { code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(second.status).toBe(400);
    expect(((await second.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await introspect(tp, webClient, access_token)).body.active).toBe(false);
    const seen = await eventually(
      async () => (await securityEvents(tp)).some((e) => e.type === 'authorization_code.reused'),
      10_000,
    );
    expect(seen).toBe(true);
  });

  it('of concurrent redemptions of one code exactly one succeeds', async () => {
    const { code, verifier } = await codeFor();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => redeem(webClient, { code, redirect_uri: REDIRECT, code_verifier: verifier })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(7);
  });

  it('refuses a wrong or missing PKCE verifier, another redirect_uri, and another client', async () => {
    const { code, verifier } = await codeFor();
    const wrong = await redeem(webClient, { code, redirect_uri: REDIRECT, code_verifier: pkce().verifier });
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_grant');
    const missing = await redeem(webClient, { code, redirect_uri: REDIRECT });
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_grant');
    const otherUri = await redeem(webClient, { code, redirect_uri: `${REDIRECT}/`, code_verifier: verifier });
    expect(((await otherUri.json()) as { error: string }).error).toBe('invalid_grant');
    // The failed attempts did not burn the code: the genuine client still redeems it.
    const ok = await redeem(webClient, { code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(ok.status).toBe(200);
  });
});

function pkceParams() {
  const { challenge } = pkce();
  return { code_challenge: challenge, code_challenge_method: 'S256' };
}

describe('the authorization endpoint never redirects to an unregistered URI', () => {
  for (const uri of ['https://evil.example/cb', `${REDIRECT}/`, 'https://rp.example/cb?x=1', 'HTTPS://rp.example/cb']) {
    it(`shows the error page for ${uri}`, async () => {
      const res = await new Browser(origin).get(
        authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: uri, ...pkceParams() }),
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
    });
  }

  it('redirects missing and plain PKCE back to the registered URI as invalid_request, with state and iss', async () => {
    for (const extra of [{}, { code_challenge: pkce().verifier, code_challenge_method: 'plain' }]) {
      const res = await new Browser(origin).get(
        authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, state: 's-2', ...extra }),
      );
      const to = location(res, origin);
      expect(`${to.origin}${to.pathname}`).toBe(REDIRECT);
      expect(to.searchParams.get('error')).toBe('invalid_request');
      expect(to.searchParams.get('state')).toBe('s-2');
      expect(to.searchParams.get('iss')).toBe(origin);
    }
  });

  it('answers request objects with request_not_supported', async () => {
    const res = await new Browser(origin).get(
      authorizeUrl(origin, {
        client_id: webClient.client_id,
        redirect_uri: REDIRECT,
        request: 'eyJ.x.y',
        ...pkceParams(),
      }),
    );
    expect(location(res, origin).searchParams.get('error')).toBe('request_not_supported');
  });

  it('prompt=none without a session is login_required at the client', async () => {
    const res = await new Browser(origin).get(
      authorizeUrl(origin, {
        client_id: webClient.client_id,
        redirect_uri: REDIRECT,
        prompt: 'none',
        state: 's-3',
        ...pkceParams(),
      }),
    );
    const to = location(res, origin);
    expect(to.searchParams.get('error')).toBe('login_required');
    expect(to.searchParams.get('state')).toBe('s-3');
  });
});

describe('hosted login defences', () => {
  async function signInPage(browser: Browser) {
    await browser.get(
      authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, ...pkceParams() }),
    );
    const res = await browser.get('/login');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'nonce-[^']+'/);
    const html = await res.text();
    expect(html).toContain('<label for="email">Email</label>');
    expect(html).toContain('<label for="password">Password</label>');
    return html;
  }

  it('refuses a form post without its CSRF token, or from another origin', async () => {
    const browser = new Browser(origin);
    const html = await signInPage(browser);
    const noToken = await browser.post('/login', { email: user.email, password: user.password });
    expect(noToken.status).toBe(403);
    const crossSite = await browser.post(
      '/login',
      { csrf_token: csrfOf(html), email: user.email, password: user.password },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    expect(browser.jar.cookies.has('session')).toBe(false);
  });

  it('a throttled sign-in gets the same answer as a wrong password, even with the right one', async () => {
    const email = 'throttle@example.com';
    const password = 'a perfectly fine passphrase';
    await fetch(`${origin}/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.adminToken}` },
      body: JSON.stringify({ email, password }),
    });
    // The owner signed in from this browser before: it holds a device cookie for the account.
    const owner = new Browser(origin);
    const authorize = () =>
      authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, ...pkceParams() });
    await completeLogin(owner, authorize(), { email, password });
    expect(owner.jar.cookies.has('device')).toBe(true);
    const attacker = new Browser(origin);
    let wrongAnswer: { status: number; alert: string } | undefined;
    let guesses = 0;
    const guessWrong = async () => {
      const html = await signInPage(attacker);
      const res = await attacker.post('/login', {
        csrf_token: csrfOf(html),
        email,
        password: `wrong guess ${guesses++}`,
      });
      wrongAnswer = { status: res.status, alert: /role="alert">([^<]*)</.exec(await res.text())?.[1] ?? '' };
    };
    // Five free failures, then one that costs a 1 s wait. A failure is only counted once the wait before it is over,
    // and each doubles the wait: waiting out 1, 2 and 4 s leaves an 8 s wait after the ninth, so the right password
    // below meets an active throttle however slowly this machine answers (a refused guess is not counted).
    for (let i = 0; i < 6; i++) await guessWrong();
    for (const wait of [1, 2, 4]) {
      await sleep((wait + 1.2) * 1000);
      await guessWrong();
    }
    expect(wrongAnswer).toEqual({ status: 401, alert: 'The email address or password is incorrect.' });
    const html = await signInPage(attacker);
    const right = await attacker.post('/login', { csrf_token: csrfOf(html), email, password });
    expect({ status: right.status, alert: /role="alert">([^<]*)</.exec(await right.text())?.[1] }).toEqual(wrongAnswer);
    // The stranger cannot lock the owner out: the owner's browser (same address here) keeps its own budget.
    const ownerAgain = await completeLogin(owner, `${authorize()}&prompt=login`, { email, password });
    expect(ownerAgain.searchParams.get('code')).toBeTruthy();
    const seen = await eventually(
      async () => (await securityEvents(tp)).some((e) => e.type === 'user.login_throttled'),
      10_000,
    );
    expect(seen).toBe(true);
  }, 60_000);
});

describe('public native client, sign-up, sessions and logout', () => {
  it('signs up, redeems with client_id + PKCE only, and needs PKCE', async () => {
    const browser = new Browser(origin);
    const { verifier, challenge } = pkce();
    const redirect = await completeLogin(
      browser,
      authorizeUrl(origin, {
        client_id: publicClient.client_id,
        redirect_uri: 'http://127.0.0.1:49152/cb',
        scope: 'openid email',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      { email: 'new.user@example.org', password: 'my own long passphrase', signUp: true },
    );
    expect(redirect.origin).toBe('http://127.0.0.1:49152');
    const code = redirect.searchParams.get('code')!;
    const base = { client_id: publicClient.client_id, code, redirect_uri: 'http://127.0.0.1:49152/cb' };
    expect(((await (await redeem(null, base)).json()) as { error: string }).error).toBe('invalid_grant');
    const res = await redeem(null, { ...base, code_verifier: verifier });
    expect(res.status).toBe(200);
    expect(publicClient.client_secret).toBeUndefined();
  });

  it('lists and revokes sessions, and RP-initiated logout ends the session and returns with state', async () => {
    const { code, verifier, browser } = await codeFor();
    const tokens = (await (
      await redeem(webClient, { code, redirect_uri: REDIRECT, code_verifier: verifier })
    ).json()) as {
      id_token: string;
    };
    const page = await (await browser.get('/sessions')).text();
    expect(page).toContain('(this browser)');
    const out = await browser.get(
      `/oauth/logout?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: POST_LOGOUT, state: 'bye-1' })}`,
    );
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe(`${POST_LOGOUT}?state=bye-1`);
    expect(browser.jar.cookies.has('session')).toBe(false);
    // An unregistered post-logout URI is never redirected to.
    const bad = await browser.get(
      `/oauth/logout?${new URLSearchParams({ client_id: webClient.client_id, post_logout_redirect_uri: 'https://evil.example/' })}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('location')).toBeNull();
  });

  it('prompt=login and max_age=0 ask for the password again; a new session id is issued at every sign-in', async () => {
    const { browser } = await codeFor();
    const before = browser.jar.cookies.get('session')?.value;
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }]) {
      const res = await browser.get(
        authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, ...pkceParams(), ...extra }),
      );
      expect(location(res, origin).pathname).toBe('/login');
    }
    const again = await completeLogin(
      browser,
      authorizeUrl(origin, {
        client_id: webClient.client_id,
        redirect_uri: REDIRECT,
        prompt: 'login',
        ...pkceParams(),
      }),
      user,
    );
    expect(again.searchParams.get('code')).toBeTruthy();
    const after = browser.jar.cookies.get('session')?.value;
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    // The replaced session is dead: presenting the old id is like having no session.
    const fixated = new Browser(origin);
    fixated.jar.cookies.set('session', { value: before as string, attributes: '' });
    const none = await fixated.get(
      authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, prompt: 'none', ...pkceParams() }),
    );
    expect(location(none, origin).searchParams.get('error')).toBe('login_required');
  });

  it('a user ends another browser\'s session from "your sessions"; an operator ends them all', async () => {
    const promptNone = (b: Browser) =>
      b.get(
        authorizeUrl(origin, {
          client_id: webClient.client_id,
          redirect_uri: REDIRECT,
          prompt: 'none',
          ...pkceParams(),
        }),
      );
    const { browser: laptop } = await codeFor();
    const { browser: phone } = await codeFor();
    expect(location(await promptNone(phone), origin).searchParams.get('code')).toBeTruthy();
    const page = await (await laptop.get('/sessions')).text();
    const phoneHandle = [...page.matchAll(/<li>[\s\S]*?name="session" value="([^"]+)"[\s\S]*?<\/li>/g)]
      .filter((m) => !m[0].includes('(this browser)'))
      .map((m) => m[1] as string);
    expect(phoneHandle.length).toBeGreaterThan(0);
    // Without the page's CSRF token the form is refused.
    expect((await laptop.post('/sessions', { session: phoneHandle[0] as string })).status).toBe(403);
    for (const handle of phoneHandle) {
      const res = await laptop.post('/sessions', { csrf_token: csrfOf(page), session: handle });
      expect(res.status).toBe(303);
    }
    expect(location(await promptNone(phone), origin).searchParams.get('error')).toBe('login_required');
    expect(location(await promptNone(laptop), origin).searchParams.get('code')).toBeTruthy();

    const rows = await tp.sql<{ id: string }>('SELECT id FROM users WHERE email_key = $1', ['jane.doe@example.com']);
    const id = rows[0]?.id as string;
    const revoke = (bearer?: string) =>
      fetch(`${origin}/admin/users/${id}/sessions/revoke`, {
        method: 'POST',
        headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
      });
    expect((await revoke()).status).toBe(401);
    const res = await revoke(tp.adminToken);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sessions_revoked: number }).sessions_revoked).toBeGreaterThan(0);
    expect(location(await promptNone(laptop), origin).searchParams.get('error')).toBe('login_required');
  });

  it('remembers consent until the user revokes it on "apps you allowed"; the app then asks again', async () => {
    const { browser } = await codeFor();
    const authorize = () =>
      browser.get(authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, ...pkceParams() }));
    expect(location(await authorize(), origin).searchParams.get('code')).toBeTruthy();
    const page = await (await browser.get('/apps')).text();
    expect(page).toContain('Photo app');
    expect((await browser.post('/apps', { client_id: webClient.client_id })).status).toBe(403);
    expect((await browser.post('/apps', { csrf_token: csrfOf(page), client_id: webClient.client_id })).status).toBe(
      303,
    );
    expect(location(await authorize(), origin).pathname).toBe('/consent');
    const seen = await eventually(
      async () => (await securityEvents(tp)).some((e) => e.type === 'consent.revoked'),
      10_000,
    );
    expect(seen).toBe(true);
  });

  it('response_mode=form_post answers with a self-posting form to the registered URI; prompt=consent asks again', async () => {
    const { browser } = await codeFor();
    const res = await browser.get(
      authorizeUrl(origin, {
        client_id: webClient.client_id,
        redirect_uri: REDIRECT,
        response_mode: 'form_post',
        state: 'fp-1',
        ...pkceParams(),
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(
      /script-src 'nonce-[^']+'.*form-action 'self' https:\/\/rp\.example/,
    );
    const html = await res.text();
    expect(html).toContain(`<form method="post" action="${REDIRECT}">`);
    expect(html).toMatch(/name="code" value="[A-Za-z0-9_-]{43}"/);
    expect(html).toContain('name="state" value="fp-1"');
    expect(html).toContain(`name="iss" value="${origin}"`);
    const again = await browser.get(
      authorizeUrl(origin, {
        client_id: webClient.client_id,
        redirect_uri: REDIRECT,
        prompt: 'consent',
        ...pkceParams(),
      }),
    );
    expect(location(again, origin).pathname).toBe('/consent');
  });

  it('prompt=select_account offers "continue as" the signed-in user, or another account', async () => {
    const { browser } = await codeFor();
    const ask = () =>
      browser.get(
        authorizeUrl(origin, {
          client_id: webClient.client_id,
          redirect_uri: REDIRECT,
          prompt: 'select_account',
          ...pkceParams(),
        }),
      );
    expect(location(await ask(), origin).pathname).toBe('/login/select');
    const page = await (await browser.get('/login/select')).text();
    expect(page).toContain(`Continue as ${user.email}`);
    const other = await browser.post('/login/select', { csrf_token: csrfOf(page), account: 'other' });
    expect(location(other, origin).pathname).toBe('/login');
    expect(location(await ask(), origin).pathname).toBe('/login/select');
    const again = await (await browser.get('/login/select')).text();
    expect((await browser.post('/login/select', { account: 'current' })).status).toBe(403);
    const current = await browser.post('/login/select', { csrf_token: csrfOf(again), account: 'current' });
    expect(location(current, origin).searchParams.get('code')).toBeTruthy();
  });

  it('id_token_hint: our own ID token for the signed-in user passes prompt=none; a forged one is refused; login_hint prefills', async () => {
    const { code, verifier, browser } = await codeFor();
    const tokens = (await (
      await redeem(webClient, { code, redirect_uri: REDIRECT, code_verifier: verifier })
    ).json()) as {
      id_token: string;
    };
    const withHint = (hint: string) =>
      browser.get(
        authorizeUrl(origin, {
          client_id: webClient.client_id,
          redirect_uri: REDIRECT,
          prompt: 'none',
          id_token_hint: hint,
          ...pkceParams(),
        }),
      );
    expect(location(await withHint(tokens.id_token), origin).searchParams.get('code')).toBeTruthy();
    const [h, p] = tokens.id_token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${tokens.id_token.split('.')[2]}`;
    expect(location(await withHint(forged), origin).searchParams.get('error')).toBe('invalid_request');

    const fresh = new Browser(origin);
    await fresh.get(
      authorizeUrl(origin, {
        client_id: webClient.client_id,
        redirect_uri: REDIRECT,
        login_hint: 'hint@example.com',
        ...pkceParams(),
      }),
    );
    expect(await (await fresh.get('/login')).text()).toContain('value="hint@example.com"');
  });

  it('advertises exactly what is built in discovery', async () => {
    const doc = (await (await fetch(`${origin}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc.authorization_endpoint).toBe(`${origin}/oauth/authorize`);
    expect(doc.userinfo_endpoint).toBe(`${origin}/oauth/userinfo`);
    expect(doc.end_session_endpoint).toBe(`${origin}/oauth/logout`);
    expect(doc.response_types_supported).toEqual(['code']);
    expect(doc.grant_types_supported).toEqual(['authorization_code', 'client_credentials', 'refresh_token']);
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.request_parameter_supported).toBe(false);
  });
});

describe('sign-in flood from one address (runs last: it empties the address bucket)', () => {
  it('is cut by the shared limiter with the same answer as a wrong password', async () => {
    const browser = new Browser(origin);
    await browser.get(
      authorizeUrl(origin, { client_id: webClient.client_id, redirect_uri: REDIRECT, ...pkceParams() }),
    );
    const csrf = csrfOf(await (await browser.get('/login')).text());
    const answers: { status: number; alert: string | undefined }[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await browser.post('/login', {
        csrf_token: csrf,
        email: `flood${i}@example.com`,
        password: 'guess guess',
      });
      answers.push({ status: res.status, alert: /role="alert">([^<]*)</.exec(await res.text())?.[1] });
      const events = await securityEvents(tp);
      if (events.some((e) => e.type === 'user.login_throttled' && e.details?.includes('address_rate'))) break;
    }
    expect(answers.length).toBeLessThan(100);
    for (const answer of answers) {
      expect(answer).toEqual({ status: 401, alert: 'The email address or password is incorrect.' });
    }
  });
});
