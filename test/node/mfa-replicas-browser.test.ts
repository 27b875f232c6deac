/**
 * Passkeys and TOTP across two replicas of the auth Worker, as on Kubernetes: two workerd processes on the same
 * Postgres and Redis with STATE_BACKEND=redis (each with its own Durable Object folder, unused), and headless
 * Chromium whose requests are routed per step, so each challenge is created on one replica and answered on the
 * other: the passkey registration and authentication challenges, the TOTP enrolment and the second-factor step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import type { Browser, Page, Route } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformConfigPath, platformSockets, startWorkerd } from '../../scripts/lib/platform.mjs';
import { pkce } from './mfa-browser.js';
import { idTokenClaims, PLATFORM_AUTHENTICATOR, REDIRECT, reachClient } from './mfa-chromium.js';
import { register, startTokenPlatform, type TokenPlatform } from './token-helpers.js';

const user = { email: 'replicas@example.com', password: 'correct horse battery staple' };
const STATE = { STATE_BACKEND: 'redis', MFA_RATE_LIMIT_CAPACITY: '20' };
let tp: TokenPlatform;
let replicaB: Awaited<ReturnType<typeof startWorkerd>>;
let replicaBUrl: string;
let doDir: string;
let origin: string;
let clientId: string;
let clientSecret: string;
let browser: Browser;
/** Which replica answered each request: `METHOD path -> A|B`. */
const served: string[] = [];

/**
 * The answering steps go to replica B; the steps that create the challenges (and all else, the origin being
 * replica A's port) to replica A.
 */
const ANSWERED_ON_B = new Set([
  'POST /account/security/passkeys/confirm',
  'POST /account/security/totp/confirm',
  'POST /login/mfa/passkey',
  'POST /login/mfa',
]);

async function toReplica(route: Route): Promise<void> {
  const url = new URL(route.request().url());
  const step = `${route.request().method()} ${url.pathname}`;
  if (!ANSWERED_ON_B.has(step)) {
    served.push(`${step} -> A`);
    return route.continue();
  }
  served.push(`${step} -> B`);
  const response = await route.fetch({ url: `${replicaBUrl}${url.pathname}${url.search}`, maxRedirects: 0 });
  return route.fulfill({ response });
}

beforeAll(async () => {
  tp = await startTokenPlatform(STATE);
  // WebAuthn needs a domain for the relying party id: the issuer (both replicas) is localhost at replica A's port.
  origin = `http://localhost:${new URL(tp.platform.urls.auth).port}`;
  await tp.platform.restartWorkerd({ ISSUER: origin });
  doDir = mkdtempSync(join(tmpdir(), 'mfa-replica-b-'));
  const sockets = await platformSockets(undefined);
  replicaB = await startWorkerd({
    config: platformConfigPath(),
    sockets,
    env: { ...tp.platform.env, ...STATE, ISSUER: origin },
    doStorageDir: doDir,
  });
  replicaBUrl = `http://${sockets.auth}`;
  const client = await register(tp, {
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code'],
    scope: 'openid',
  });
  clientId = client.client_id;
  clientSecret = client.client_secret;
  const res = await fetch(`${origin}/admin/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tp.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...user, email_verified: true }),
  });
  expect(res.status).toBe(201);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await replicaB?.stop();
  await tp?.stop();
  if (doDir) rmSync(doDir, { recursive: true, force: true });
});

async function signIn(page: Page): Promise<string> {
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  await page.goto(`${origin}/oauth/authorize?${q}`);
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
  return verifier;
}

const amrOf = async (callback: URL, verifier: string) =>
  (
    await idTokenClaims(
      origin,
      { client_id: clientId, client_secret: clientSecret },
      callback.searchParams.get('code')!,
      verifier,
    )
  ).amr;

describe('passkeys and TOTP across two replicas (keyed state in Redis)', { timeout: 240_000 }, () => {
  it('registers a passkey, signs in with it, enrols TOTP and signs in with a code: each challenge answered on the other replica', async () => {
    const context = await browser.newContext();
    await context.route('https://rp.example/**', (route) => route.fulfill({ status: 200, body: 'rp' }));
    await context.route(`${origin}/**`, toReplica);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', { options: PLATFORM_AUTHENTICATOR });

    // Password only (no factor yet), then a passkey: options and challenge from A, the response verified by B.
    await signIn(page);
    await reachClient(page, () => page.click('button[value=allow]'));
    await page.goto(`${origin}/account/security`);
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Add a passkey")')]);
    await page.waitForURL(`${origin}/account/security/passkeys`);
    await page.fill('#passkey-name', 'Laptop');
    await Promise.all([
      page.waitForURL(`${origin}/account/security/passkeys/confirm`),
      page.click('#passkey-form button[type=submit]'),
    ]);
    expect(await page.textContent('h1')).toBe('Your backup codes');

    // Password, then the passkey as second factor: the challenge parked and issued by A, the assertion checked by B.
    await context.clearCookies();
    let verifier = await signIn(page);
    expect(new URL(page.url()).pathname).toBe('/login/mfa');
    const withPasskey = await reachClient(page, () => page.click('#passkey-form button[type=submit]'));
    expect(await amrOf(withPasskey, verifier)).toEqual(['pwd', 'hwk', 'mfa']);

    // TOTP (the session just passed a factor): the pending secret written by A, the first code checked by B.
    await page.goto(`${origin}/account/security`);
    await Promise.all([
      page.waitForURL(`${origin}/account/security/totp`),
      page.click('text=Set up an authenticator app'),
    ]);
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    await page.fill('#code', totp.generate({ timestamp: Date.now() - 30_000 }));
    await Promise.all([
      page.waitForURL(`${origin}/account/security/totp/confirm`),
      page.click('text=Verify and turn on'),
    ]);
    expect(await page.textContent('[role=status]')).toContain('authenticator app is set up');

    // Password, then a TOTP code on B; the same code again is refused (the step taken in Redis).
    await context.clearCookies();
    verifier = await signIn(page);
    const code = totp.generate();
    await page.fill('#code', code);
    const withCode = await reachClient(page, () => page.click('button:has-text("Verify")'));
    expect(await amrOf(withCode, verifier)).toEqual(['pwd', 'otp', 'mfa']);
    await context.clearCookies();
    await signIn(page);
    await page.fill('#code', code);
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Verify")')]);
    await page.waitForURL(`${origin}/login/mfa`);
    expect(await page.textContent('[role=alert]')).toContain('not valid');

    // Each challenge was created on A and answered on B. (A redirect the browser follows skips the route: it goes
    // to the origin, replica A, so the second-factor page after `POST /login` is A's too.)
    for (const step of [
      'POST /account/security/passkeys -> A',
      'POST /account/security/passkeys/confirm -> B',
      'POST /login -> A',
      'POST /login/mfa/passkey -> B',
      'POST /account/security/totp -> A',
      'POST /account/security/totp/confirm -> B',
      'POST /login/mfa -> B',
    ]) {
      expect(served, step).toContain(step);
    }
    await context.close();
  });
});
