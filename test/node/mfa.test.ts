/**
 * Multi-factor sign-in as a black box: real workerd, Postgres and Redis, the hosted pages driven by plain HTTP form
 * posts with a cookie jar. TOTP codes come from an independent implementation (otpauth) fed the secret read from
 * the enrolment page. The attacks: every MFA route without a session and with another user's session (the original
 * platform's MFA routes answered anyone), skipping the second step, a replayed TOTP code, a reused backup code,
 * guessing past the per-user budget, removing the factor from a session that never passed it.
 */
import * as OTPAuth from 'otpauth';
import { redeemCode } from './refresh-helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, csrfOf, location, pkce } from './mfa-browser.js';
import {
  basicHeader,
  decodeJwt,
  eventually,
  type RegisteredClient,
  register,
  securityEvents,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

let tp: TokenPlatform;
let origin: string;
let client: RegisteredClient;
const REDIRECT = 'https://rp.example/cb';
const PASSWORD = 'correct horse battery staple';

async function createUser(email: string): Promise<string> {
  const res = await fetch(`${origin}/admin/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tp.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, email_verified: true }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Starts an authorization request in `browser`; answers the PKCE verifier. */
async function authorize(browser: Browser): Promise<string> {
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    scope: 'openid email',
    state: 's',
    nonce: 'n',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const res = await browser.get(`/oauth/authorize?${q}`);
  expect(location(res, origin).pathname).toBe('/login');
  return verifier;
}

async function postPassword(browser: Browser, email: string): Promise<Response> {
  const page = await (await browser.get('/login')).text();
  return browser.post('/login', { csrf_token: csrfOf(page), email, password: PASSWORD });
}

/** Follows our own redirects (consent allowed) until the client's redirect URI. */
async function finish(browser: Browser, res: Response): Promise<URL> {
  for (let i = 0; i < 5; i++) {
    const next = location(res, origin);
    if (next.origin !== origin) return next;
    if (next.pathname !== '/consent') throw new Error(`unexpected step ${next.pathname}`);
    const page = await (await browser.get('/consent')).text();
    res = await browser.post('/consent', { csrf_token: csrfOf(page), decision: 'allow' });
  }
  throw new Error('the flow did not reach the client');
}

/** Password sign-in of a user without a second factor: a signed-in browser. */
async function signedInBrowser(email: string): Promise<Browser> {
  const browser = new Browser(origin);
  await authorize(browser);
  await finish(browser, await postPassword(browser, email));
  return browser;
}

async function postMfaCode(browser: Browser, code: string): Promise<Response> {
  const page = await (await browser.get('/login/mfa')).text();
  return browser.post('/login/mfa', { csrf_token: csrfOf(page), code });
}

/** The tokens for a code of `rp`: the access token, and the ID token's claims. */
async function tokensOf(rp: RegisteredClient, code: string, verifier: string) {
  const res = await redeemCode(origin, { ...rp, redirect_uri: REDIRECT }, { code, verifier });
  expect(res.status).toBe(200);
  return { accessToken: res.body.access_token as string, claims: decodeJwt(res.body.id_token as string).claims };
}

async function redeem(code: string, verifier: string) {
  return (await tokensOf(client, code, verifier)).claims;
}

/** An authorization request of `rp` for `scope` (and `extra` parameters) in `browser`; answers the response. */
async function authorizeAs(browser: Browser, rp: RegisteredClient, scope: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: rp.client_id,
    redirect_uri: REDIRECT,
    scope,
    state: 's',
    nonce: 'n',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return { res: await browser.get(`/oauth/authorize?${q}`), verifier };
}

/** Enrols TOTP from the browser's "your security" page; answers the authenticator and the backup codes. */
async function enrolTotp(browser: Browser) {
  const overview = await (await browser.get('/account/security')).text();
  const started = await browser.post('/account/security/totp', { csrf_token: csrfOf(overview) });
  expect(started.status).toBe(200);
  const page = await started.text();
  const secret = /data-secret="([A-Z2-7]+)"/.exec(page)![1]!;
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
  const confirmed = await browser.post('/account/security/totp/confirm', {
    csrf_token: csrfOf(page),
    code: totp.generate(),
  });
  expect(confirmed.status).toBe(200);
  const codes = [...(await confirmed.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]!);
  return { totp, page, codes };
}

/** After a backup code: the page's Continue link, followed to the client. */
async function continueAfterBackupCode(browser: Browser, page: string): Promise<URL> {
  const href = new URL(/<a href="([^"]+)">Continue<\/a>/.exec(page)![1]!.replaceAll('&amp;', '&'), origin);
  if (href.origin !== origin) return href;
  if (href.pathname === '/consent') {
    const page = await (await browser.get('/consent')).text();
    return finish(browser, await browser.post('/consent', { csrf_token: csrfOf(page), decision: 'allow' }));
  }
  return finish(browser, await browser.get(href.href));
}

/** The code of the step after the current one: accepted (±1 step) and not yet used by anyone. */
const nextCode = (totp: OTPAuth.TOTP) => totp.generate({ timestamp: Date.now() + 30_000 });

// Both keyed-state backends: Durable Objects (Cloudflare, npm start) and Redis (Kubernetes).
describe.each(['durable-object', 'redis'] as const)('STATE_BACKEND=%s', (backend) => {
  beforeAll(async () => {
    tp = await startTokenPlatform({
      STATE_BACKEND: backend,
      SIGN_UP_ENABLED: 'true',
      MFA_RATE_LIMIT_CAPACITY: '12',
      MFA_RATE_LIMIT_REFILL_PER_SECOND: '0.0001',
    });
    origin = tp.platform.urls.auth;
    client = await register(tp, {
      client_name: 'Photo app',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code'],
      scope: 'openid email',
    });
  }, 180_000);

  afterAll(async () => {
    await tp?.stop();
  });

  describe('MFA routes need the browser’s own session', { timeout: 120_000 }, () => {
    it('without a session: every enrolment and management route is refused, nothing is enrolled', async () => {
      const id = await createUser('nosession@example.com');
      const anonymous = new Browser(origin);
      expect((await anonymous.get('/account/security')).status).toBe(401);
      for (const path of [
        '/account/security/totp',
        '/account/security/totp/confirm',
        '/account/security/totp/remove',
        '/account/security/backup-codes',
        '/account/security/passkeys',
        '/account/security/passkeys/confirm',
        '/account/security/passkeys/rename',
        '/account/security/passkeys/remove',
      ]) {
        const res = await anonymous.post(path, { code: '123456', csrf_token: 'x' });
        expect(res.status, path).toBe(401);
      }
      // The second step of a login: without a login transaction there is nothing to verify.
      expect((await anonymous.get('/login/mfa')).status).toBe(400);
      expect((await anonymous.post('/login/mfa', { code: '123456', csrf_token: 'x' })).status).toBe(400);
      expect((await anonymous.post('/login/mfa/passkey', { credential: '{}', csrf_token: 'x' })).status).toBe(400);
      expect(await tp.sql('SELECT 1 FROM user_totp_factors WHERE user_id = $1', [id])).toHaveLength(0);
    });

    it('another user’s session cannot complete an enrolment it did not start; a post without the CSRF token is refused', async () => {
      const aliceId = await createUser('enrol-alice@example.com');
      const bobId = await createUser('enrol-bob@example.com');
      const alice = await signedInBrowser('enrol-alice@example.com');
      const bob = await signedInBrowser('enrol-bob@example.com');

      expect((await alice.post('/account/security/totp', {})).status).toBe(403);
      const overview = await (await alice.get('/account/security')).text();
      const started = await (await alice.post('/account/security/totp', { csrf_token: csrfOf(overview) })).text();
      const secret = /data-secret="([A-Z2-7]+)"/.exec(started)![1]!;
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
      // Bob, signed in, posts Alice's valid code with his own CSRF token: he has no enrolment, Alice's is not his.
      const bobPage = await (await bob.get('/account/security')).text();
      const hijack = await bob.post('/account/security/totp/confirm', {
        csrf_token: csrfOf(bobPage),
        code: totp.generate(),
      });
      expect(hijack.status).toBe(400);
      // Alice's CSRF token in Bob's browser is not Bob's.
      const crossed = await bob.post('/account/security/totp/confirm', {
        csrf_token: csrfOf(started),
        code: totp.generate(),
      });
      expect(crossed.status).toBe(403);
      expect(await tp.sql('SELECT 1 FROM user_totp_factors WHERE user_id = $1', [bobId])).toHaveLength(0);
      // Likewise a passkey response posted by a session that asked for no registration challenge.
      const passkeyPost = await bob.post('/account/security/passkeys/confirm', {
        csrf_token: csrfOf(bobPage),
        credential: JSON.stringify({ id: 'x', rawId: 'x', type: 'public-key', response: {} }),
      });
      expect(passkeyPost.status).toBe(400);
      // A signed-in user with no login transaction of their own reaches no second-factor step.
      expect((await bob.get('/login/mfa')).status).toBe(400);
      expect((await bob.post('/login/mfa', { csrf_token: csrfOf(bobPage), code: totp.generate() })).status).toBe(400);
      expect(await tp.sql('SELECT 1 FROM user_totp_factors WHERE user_id = $1', [aliceId])).toHaveLength(0);
    });
  });

  describe('TOTP and backup codes through the hosted login', { timeout: 180_000 }, () => {
    const email = 'alice@example.com';
    let userId: string;
    let totp: OTPAuth.TOTP;
    /** The TOTP code the password-then-TOTP sign-in used, which the replay test presents again. */
    let signedInWith: string;
    let backupCodes: string[];
    let enrolling: Browser;
    let freshCodes: string[];

    it('enrols TOTP from "your security": QR code as SVG and the secret, only after a valid code', async () => {
      userId = await createUser(email);
      enrolling = await signedInBrowser(email);
      const overview = await enrolling.get('/account/security');
      expect(overview.status).toBe(200);
      const started = await enrolling.post('/account/security/totp', { csrf_token: csrfOf(await overview.text()) });
      const page = await started.text();
      const csp = started.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/style-src 'nonce-[A-Za-z0-9_-]+'/);
      expect(page).toMatch(/<svg [^>]*viewBox/);
      expect(page).not.toMatch(/<script/);
      const secret = /data-secret="([A-Z2-7]+)"/.exec(page)![1]!;
      totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });

      // A wrong code enrols nothing.
      const wrong = String((Number(totp.generate()) + 500_000) % 1_000_000).padStart(6, '0');
      const refused = await enrolling.post('/account/security/totp/confirm', { csrf_token: csrfOf(page), code: wrong });
      expect(refused.status).toBe(400);
      expect(await tp.sql('SELECT 1 FROM user_totp_factors WHERE user_id = $1', [userId])).toHaveLength(0);

      const done = await enrolling.post('/account/security/totp/confirm', {
        csrf_token: csrfOf(page),
        code: totp.generate(),
      });
      expect(done.status).toBe(200);
      backupCodes = [...(await done.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]!);
      expect(backupCodes).toHaveLength(10);

      // At rest: the secret encrypted, the backup codes hashed.
      const [row] = await tp.sql<{ secret_ciphertext: string }>(
        'SELECT secret_ciphertext FROM user_totp_factors WHERE user_id = $1',
        [userId],
      );
      expect(row!.secret_ciphertext).toMatch(/^v1\./);
      expect(row!.secret_ciphertext).not.toContain(secret);
      const stored = await tp.sql<{ code_hash: string }>('SELECT code_hash FROM user_backup_codes WHERE user_id = $1', [
        userId,
      ]);
      expect(stored).toHaveLength(10);
      for (const code of backupCodes) {
        expect(stored.map((r) => r.code_hash)).not.toContain(code);
        expect(stored.map((r) => r.code_hash)).not.toContain(code.replace('-', ''));
      }
    });

    it('removing the factor needs a session that passed it', async () => {
      const page = await (await enrolling.get('/account/security')).text();
      const res = await enrolling.post('/account/security/totp/remove', { csrf_token: csrfOf(page) });
      expect(res.status).toBe(403);
      expect(await tp.sql('SELECT 1 FROM user_totp_factors WHERE user_id = $1', [userId])).toHaveLength(1);
    });

    it('signs in with password then TOTP; the second step cannot be skipped; amr and acr say so', async () => {
      const browser = new Browser(origin);
      const verifier = await authorize(browser);
      const afterPassword = await postPassword(browser, email);
      expect(location(afterPassword, origin).pathname).toBe('/login/mfa');
      expect(browser.cookies.has('session')).toBe(false);
      // Skipping the second page: consent and a fresh authorization request both lead back to the sign-in page.
      expect(location(await browser.get('/consent'), origin).pathname).toBe('/login');

      signedInWith = nextCode(totp);
      const res = await postMfaCode(browser, signedInWith);
      const redirect = await finish(browser, res);
      const code = redirect.searchParams.get('code')!;
      const claims = await redeem(code, verifier);
      expect(claims.sub).toBe(userId);
      expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
      expect(claims.acr).toBe('urn:edge-security:acr:mfa');
    });

    it('refuses a replayed TOTP code', async () => {
      const browser = new Browser(origin);
      await authorize(browser);
      await postPassword(browser, email);
      // The very code the sign-in above used: generating it again would give a new code if a 30 s step ended between.
      const replay = await postMfaCode(browser, signedInWith);
      expect(replay.status).toBe(401);
      expect(browser.cookies.has('session')).toBe(false);
      const events = await eventually(async () => {
        const all = await securityEvents(tp);
        return all.some((e) => e.type === 'mfa.challenge_failed' && (e.details ?? '').includes('replayed'))
          ? all
          : null;
      }, 5_000);
      expect(events).not.toBeNull();
      // The replay guard lives in the selected backend: on Redis, one key per user.
      const guardKey = `${tp.platform.redisPrefix}state:totp-replay:${userId}`;
      expect(await tp.platform.redis.exists(guardKey)).toBe(backend === 'redis' ? 1 : 0);
    });

    it('a backup code signs in once, says how many remain, and never again', async () => {
      const first = new Browser(origin);
      const verifier = await authorize(first);
      await postPassword(first, email);
      const used = await postMfaCode(first, backupCodes[0]!.toUpperCase());
      expect(used.status).toBe(200);
      const page = await used.text();
      expect(page).toContain('<strong>9</strong> backup codes left');
      const redirect = await continueAfterBackupCode(first, page);
      const claims = await redeem(redirect.searchParams.get('code')!, verifier);
      expect(claims.amr).toContain('mfa');

      const second = new Browser(origin);
      await authorize(second);
      await postPassword(second, email);
      const again = await postMfaCode(second, backupCodes[0]!);
      expect(again.status).toBe(401);
      expect(second.cookies.has('session')).toBe(false);
    });

    it('regenerating backup codes (after a second factor) voids the old set', async () => {
      const browser = new Browser(origin);
      await authorize(browser);
      await postPassword(browser, email);
      const used = await postMfaCode(browser, backupCodes[1]!);
      expect(used.status).toBe(200);
      await continueAfterBackupCode(browser, await used.text());
      const overview = await (await browser.get('/account/security')).text();
      const regenerated = await browser.post('/account/security/backup-codes', { csrf_token: csrfOf(overview) });
      expect(regenerated.status).toBe(200);
      const fresh = [...(await regenerated.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map(
        (m) => m[1]!,
      );
      expect(fresh).toHaveLength(10);

      const old = new Browser(origin);
      await authorize(old);
      await postPassword(old, email);
      expect((await postMfaCode(old, backupCodes[2]!)).status).toBe(401);
      expect((await postMfaCode(old, fresh[0]!)).status).toBe(200);
      freshCodes = fresh;
    });

    it('a relying party asking acr_values for MFA steps a password-only session up with the second factor', async () => {
      // `enrolling` signed in with the password alone, before the factor existed.
      const { verifier, challenge } = pkce();
      const params = {
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: REDIRECT,
        scope: 'openid email',
        state: 's',
        nonce: 'n',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        acr_values: 'urn:edge-security:acr:mfa',
      };
      // prompt=none may show no page: the client hears interaction_required.
      const silent = await enrolling.get(`/oauth/authorize?${new URLSearchParams({ ...params, prompt: 'none' })}`);
      expect(location(silent, origin).searchParams.get('error')).toBe('interaction_required');

      const res = await enrolling.get(`/oauth/authorize?${new URLSearchParams(params)}`);
      expect(location(res, origin).pathname).toBe('/login/mfa');
      const redirect = await continueAfterBackupCode(
        enrolling,
        await (await postMfaCode(enrolling, freshCodes[1]!)).text(),
      );
      const claims = await redeem(redirect.searchParams.get('code')!, verifier);
      expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
      expect(claims.acr).toBe('urn:edge-security:acr:mfa');
    });
  });

  describe('second-factor guessing', { timeout: 120_000 }, () => {
    it('is limited per user, apart from password failures', async () => {
      const email = 'carol@example.com';
      await createUser(email);
      const { totp } = await enrolTotp(await signedInBrowser(email)); // 1 attempt of the 12
      const browser = new Browser(origin);
      await authorize(browser);
      await postPassword(browser, email);
      const wrong = String((Number(totp.generate()) + 500_000) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 11; i++) expect((await postMfaCode(browser, wrong)).status).toBe(401);
      // The budget is spent: even the right code is refused.
      const limited = await postMfaCode(browser, nextCode(totp));
      expect(limited.status).toBe(429);
      expect(await limited.text()).toContain('Too many attempts');
      // The password counters are untouched: the password still leads to the second step.
      const again = new Browser(origin);
      await authorize(again);
      expect(location(await postPassword(again, email), origin).pathname).toBe('/login/mfa');
    });
  });

  describe('step-up decided by the policy Worker (Cedar)', { timeout: 120_000 }, () => {
    let adminClient: RegisteredClient;
    const authorizeAdmin = (browser: Browser, extra: Record<string, string> = {}) =>
      authorizeAs(browser, adminClient, 'openid admin', extra);

    beforeAll(async () => {
      adminClient = await register(tp, {
        client_name: 'Admin console',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code'],
        scope: 'openid admin',
      });
    });

    it('the admin scope steps a password-only session up to a second factor', async () => {
      const email = 'dave@example.com';
      await createUser(email);
      const browser = await signedInBrowser(email); // password only, before any factor
      const { codes } = await enrolTotp(browser);
      const { res, verifier } = await authorizeAdmin(browser);
      expect(location(res, origin).pathname).toBe('/login/mfa');
      const page = await (await postMfaCode(browser, codes[0]!)).text();
      const redirect = await continueAfterBackupCode(browser, page);
      const code = redirect.searchParams.get('code');
      expect(code, redirect.href).toBeTruthy();
      const tokenRes = await fetch(`${origin}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicHeader(adminClient.client_id, adminClient.client_secret),
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code!,
          redirect_uri: REDIRECT,
          code_verifier: verifier,
        }),
      });
      expect(tokenRes.status).toBe(200);
      const claims = decodeJwt(((await tokenRes.json()) as { id_token: string }).id_token).claims;
      expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    });

    it('a user with no factor is refused the admin scope (access_denied)', async () => {
      const email = 'erin@example.com';
      await createUser(email);
      const browser = await signedInBrowser(email);
      const { res } = await authorizeAdmin(browser);
      const redirect = location(res, origin);
      expect(redirect.origin).toBe('https://rp.example');
      expect(redirect.searchParams.get('error')).toBe('access_denied');
    });

    it('a password sign-in refused for want of a factor keeps its session: the user can enrol one at once', async () => {
      const email = 'gina@example.com';
      await createUser(email);
      const browser = new Browser(origin);
      await authorizeAdmin(browser);
      const redirect = location(await postPassword(browser, email), origin);
      expect(redirect.origin).toBe('https://rp.example');
      expect(redirect.searchParams.get('error')).toBe('access_denied');
      expect(redirect.searchParams.get('error_description')).toBe('a second factor is required and none is enrolled');
      expect(browser.cookies.has('session')).toBe(true);
      const security = await browser.get('/account/security');
      expect(security.status).toBe(200);
      expect(await security.text()).toContain('Set up an authenticator app');
    });
  });

  describe('RFC 9470: the resource server asks for a stronger sign-in', { timeout: 120_000 }, () => {
    const userinfo = (token: string) =>
      fetch(`${origin}/oauth/userinfo`, { headers: { authorization: `Bearer ${token}` } });

    it('userinfo challenges a password-only token once the policy wants MFA for its client; re-authorizing with the challenge’s acr_values passes', async () => {
      const payroll = await register(tp, {
        client_name: 'Payroll',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code'],
        scope: 'openid email',
      });
      const email = 'frank@example.com';
      await createUser(email);
      const browser = new Browser(origin);
      const first = await authorizeAs(browser, payroll, 'openid email');
      const firstRedirect = await finish(browser, await postPassword(browser, email));
      const weak = await tokensOf(payroll, firstRedirect.searchParams.get('code')!, first.verifier);
      expect(weak.claims.amr).toEqual(['pwd']);
      expect((await userinfo(weak.accessToken)).status).toBe(200);
      const { totp } = await enrolTotp(browser);

      // The policy tightens: signing in to Payroll now needs a second factor (a Cedar rule, published and activated).
      const policyApi = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${tp.platform.urls.policy}${path}`, {
          method,
          headers: { authorization: `Bearer ${tp.adminToken}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        expect(res.status, await res.clone().text()).toBeLessThan(300);
        const text = await res.text();
        return (text ? JSON.parse(text) : {}) as { policies: string; version: number };
      };
      const active = await policyApi('GET', '/v1/policies/active');
      const rule = `@id("payroll-needs-mfa")\nforbid (principal is User, action == Action::"User_sign_in", resource == OAuthClient::"${payroll.client_id}")\nwhen { !context.mfa };\n`;
      const published = await policyApi('POST', '/v1/policies/versions', { policies: `${active.policies}\n${rule}` });
      await policyApi('POST', `/v1/policies/versions/${published.version}/activate`);

      // The resource server (userinfo) now answers the token with RFC 9470's challenge.
      const challenged = await eventually(async () => {
        const res = await userinfo(weak.accessToken);
        return res.status === 401 ? res : undefined;
      }, 10_000);
      const header = challenged!.headers.get('www-authenticate')!;
      expect(header).toMatch(
        /^Bearer realm="userinfo", error="insufficient_user_authentication", error_description="[^"]+"/,
      );
      expect(((await challenged!.json()) as { error: string }).error).toBe('insufficient_user_authentication');
      const acrValues = /acr_values="([^"]+)"/.exec(header)![1]!;
      expect(acrValues).toBe('urn:edge-security:acr:mfa');

      // The client asks again with those acr_values: the password-only session steps up with the second factor.
      const again = await authorizeAs(browser, payroll, 'openid email', { acr_values: acrValues });
      expect(location(again.res, origin).pathname).toBe('/login/mfa');
      const redirect = await finish(browser, await postMfaCode(browser, nextCode(totp)));
      const strong = await tokensOf(payroll, redirect.searchParams.get('code')!, again.verifier);
      expect(strong.claims.acr).toBe(acrValues);
      expect(strong.claims.amr).toEqual(['pwd', 'otp', 'mfa']);
      const passed = await userinfo(strong.accessToken);
      expect(passed.status).toBe(200);
      expect(((await passed.json()) as { email: string }).email).toBe(email);
      // The old token stays challenged, and the shipped policy comes back for the tests after this one.
      expect((await userinfo(weak.accessToken)).status).toBe(401);
      await policyApi('POST', `/v1/policies/versions/${active.version}/activate`);
    });
  });
});
