/**
 * TOTP secrets and backup codes across a key-encryption-key rotation, on real workerd and Postgres. Enrolled under
 * KEK 1, then the Worker restarts with KEK 2: without KEK 1 kept as retired, the TOTP step answers a clear 503 page
 * (never a 500); with it kept, sign-in works, the secret is re-sealed under KEK 2 on use, a backup code made under
 * KEK 1 still matches, and after that KEK 1 can go.
 */
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, csrfOf, location, pkce } from './mfa-browser.js';
import { type RegisteredClient, register, startTokenPlatform, type TokenPlatform } from './token-helpers.js';

let tp: TokenPlatform;
let origin: string;
let client: RegisteredClient;
const REDIRECT = 'https://rp.example/cb';
const user = { email: 'kek.rotation@example.com', password: 'correct horse battery staple' };
const kek2 = randomBytes(32).toString('base64');

beforeAll(async () => {
  tp = await startTokenPlatform({ KEK_ID: 'kek-1', MFA_RATE_LIMIT_CAPACITY: '50' });
  origin = tp.platform.urls.auth;
  client = await register(tp, {
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code'],
    scope: 'openid',
  });
  const created = await fetch(`${origin}/admin/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tp.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...user, email_verified: true }),
  });
  expect(created.status).toBe(201);
}, 180_000);

afterAll(async () => {
  await tp?.stop();
});

/** A browser at the second-factor page: authorization request, then the password. */
async function atSecondStep(): Promise<Browser> {
  const browser = new Browser(origin);
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  });
  await browser.get(`/oauth/authorize?${q}`);
  const login = await (await browser.get('/login')).text();
  const res = await browser.post('/login', { csrf_token: csrfOf(login), ...user });
  if (location(res, origin).pathname !== '/login/mfa') {
    // Signed in without a second factor (before enrolment): through consent to the client.
    const consent = await (await browser.get('/consent')).text();
    await browser.post('/consent', { csrf_token: csrfOf(consent), decision: 'allow' });
  }
  return browser;
}

async function postCode(browser: Browser, code: string): Promise<Response> {
  const page = await (await browser.get('/login/mfa')).text();
  return browser.post('/login/mfa', { csrf_token: csrfOf(page), code });
}

/** Where a passed second step leads: consent or the client, never the second-factor page again. */
const passed = (res: Response) => res.status === 303 && location(res, origin).pathname !== '/login/mfa';

describe('KEK rotation', { timeout: 240_000 }, () => {
  let totp: OTPAuth.TOTP;
  let backupCodes: string[];

  it('enrols TOTP and backup codes under KEK 1', async () => {
    const owner = await atSecondStep();
    const overview = await (await owner.get('/account/security')).text();
    const started = await (await owner.post('/account/security/totp', { csrf_token: csrfOf(overview) })).text();
    totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(/data-secret="([A-Z2-7]+)"/.exec(started)![1]!) });
    // The previous step: the later sign-ins below each need a later one (the replay guard only moves forward).
    const code = totp.generate({ timestamp: Date.now() - 30_000 });
    const confirmed = await owner.post('/account/security/totp/confirm', { csrf_token: csrfOf(started), code });
    expect(confirmed.status).toBe(200);
    backupCodes = [...(await confirmed.text()).matchAll(/<code>([a-z2-9]{5}-[a-z2-9]{5})<\/code>/g)].map((m) => m[1]!);
    expect(backupCodes).toHaveLength(10);
    const rows = await tp.sql<{ kek_id: string }>('select kek_id from user_totp_factors');
    expect(rows).toEqual([{ kek_id: 'kek-1' }]);
  });

  it('KEK 1 dropped: the TOTP step answers a clear 503 page, not a 500', async () => {
    await tp.platform.restartWorkerd({ KEY_ENCRYPTION_KEY: kek2, KEK_ID: 'kek-2' });
    const browser = await atSecondStep();
    const res = await postCode(browser, totp.generate());
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('cannot be checked right now');
  });

  it('KEK 1 kept as retired: TOTP signs in and is re-sealed under KEK 2; a KEK 1 backup code still works', async () => {
    await tp.platform.restartWorkerd({
      KEY_ENCRYPTION_KEYS_RETIRED: `kek-1:${Buffer.from(tp.kek).toString('base64')}`,
    });
    const browser = await atSecondStep();
    expect(passed(await postCode(browser, totp.generate()))).toBe(true);
    const rows = await tp.sql<{ kek_id: string }>('select kek_id from user_totp_factors');
    expect(rows).toEqual([{ kek_id: 'kek-2' }]);

    const other = await atSecondStep();
    const used = await postCode(other, backupCodes[0]!);
    expect(used.status).toBe(200);
    expect(await used.text()).toContain('9');
  });

  it('after the re-seal KEK 1 can go: TOTP still signs in under KEK 2 alone', async () => {
    await tp.platform.restartWorkerd({ KEY_ENCRYPTION_KEYS_RETIRED: '' });
    const browser = await atSecondStep();
    expect(passed(await postCode(browser, totp.generate({ timestamp: Date.now() + 30_000 })))).toBe(true);
  });
});
