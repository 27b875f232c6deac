/**
 * Passkeys in a real browser: Debian chromium (playwright-core) with a CDP virtual authenticator
 * (`WebAuthn.addVirtualAuthenticator`) against real workerd, Postgres and Redis. The hosted pages run the WebAuthn
 * ceremonies themselves (their nonce'd script); nothing is simulated on the server side. A signed-in user adds a
 * passkey, then signs in with password + passkey (the ID token's amr has hwk and mfa) and with the passkey alone
 * (discoverable credential, no password); then a clone of the
 * authenticator (the same credential exported with an older signature counter) is refused. Several passkeys of one
 * user are named, renamed and removed one at a time from "your security". TOTP in the same browser: the secret read
 * from the enrolment page, codes from an independent implementation (otpauth), a sign-in, the code replayed refused.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pkce } from './mfa-browser.js';
import { idTokenClaims, PLATFORM_AUTHENTICATOR, REDIRECT, reachClient } from './mfa-chromium.js';
import {
  eventually,
  type RegisteredClient,
  register,
  securityEvents,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'passkey-user@example.com';
const TOTP_EMAIL = 'totp-user@example.com';
let tp: TokenPlatform;
let origin: string;
let client: RegisteredClient;
let browser: Browser;

interface Device {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  /** The authenticator in use (a test may swap it for another). */
  authenticatorId: string;
}

/** A browser profile with its own virtual platform authenticator (user verification on, presence automatic). */
async function device(): Promise<Device> {
  const context = await browser.newContext();
  // The relying party's callback: answered here, so the code can be read from the URL.
  await context.route('https://rp.example/**', (route) => route.fulfill({ status: 200, body: 'rp' }));
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: PLATFORM_AUTHENTICATOR });
  return { context, page, cdp, authenticatorId };
}

/** Runs /oauth/authorize through the password page in `page`; answers the PKCE verifier. */
async function signInWithPassword(page: Page, email = EMAIL): Promise<string> {
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
  await page.goto(`${origin}/oauth/authorize?${q}`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  // The next page loaded (its passkey script attached), not merely the click done.
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.click('button[type=submit]')]);
  return verifier;
}

const usePasskey = (page: Page) => () => page.click('#passkey-form button[type=submit]');

/** axe-core (WCAG 2.1 AA) on the page as it is: no violations. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(result.passes.length, name).toBeGreaterThan(5);
  expect(
    result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    name,
  ).toEqual([]);
}

function redeem(code: string, verifier: string) {
  return idTokenClaims(origin, client, code, verifier);
}

beforeAll(async () => {
  // One user signs in with a passkey many times here: room in the per-user second-factor budget for all of them.
  tp = await startTokenPlatform({ MFA_RATE_LIMIT_CAPACITY: '20' });
  // WebAuthn needs a domain for the relying party id (an IP address is refused): the issuer is localhost.
  const port = new URL(tp.platform.urls.auth).port;
  origin = `http://localhost:${port}`;
  await tp.platform.restartWorkerd({ ISSUER: origin });
  client = await register(tp, {
    client_name: 'Photo app',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code'],
    scope: 'openid email',
  });
  for (const email of [EMAIL, TOTP_EMAIL]) {
    const res = await fetch(`${origin}/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tp.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, email_verified: true }),
    });
    expect(res.status).toBe(201);
  }
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await tp?.stop();
});

describe('passkeys with a virtual authenticator', { timeout: 180_000 }, () => {
  let owner: Device;

  it('a signed-in user adds a passkey from "your security"', async () => {
    owner = await device();
    await signInWithPassword(owner.page);
    expect(new URL(owner.page.url()).pathname).toBe('/consent');
    await reachClient(owner.page, () => owner.page.click('button[value=allow]'));
    await owner.page.goto(`${origin}/account/security`);
    await expectAccessible(owner.page, 'your security');
    await Promise.all([owner.page.waitForLoadState('load'), owner.page.click('button:has-text("Add a passkey")')]);
    await expectAccessible(owner.page, 'add a passkey');
    await owner.page.fill('#passkey-name', 'Laptop');
    await Promise.all([
      owner.page.waitForURL(`${origin}/account/security/passkeys/confirm`),
      owner.page.click('#passkey-form button[type=submit]'),
    ]);
    expect(await owner.page.textContent('h1')).toBe('Your backup codes');
    await expectAccessible(owner.page, 'backup codes');
    const { credentials } = await owner.cdp.send('WebAuthn.getCredentials', { authenticatorId: owner.authenticatorId });
    expect(credentials).toHaveLength(1);
    const rows = await tp.sql<{ id: string; name: string }>('SELECT id, name FROM user_passkeys');
    // CDP gives the credential id in standard base64; the server stores base64url.
    expect(rows).toEqual([
      { id: Buffer.from(credentials[0]!.credentialId, 'base64').toString('base64url'), name: 'Laptop' },
    ]);
  });

  it('signs in with password then the passkey: amr has hwk and mfa', async () => {
    await owner.context.clearCookies();
    const verifier = await signInWithPassword(owner.page);
    expect(new URL(owner.page.url()).pathname).toBe('/login/mfa');
    await expectAccessible(owner.page, 'second factor');
    const callback = await reachClient(owner.page, usePasskey(owner.page));
    const claims = await redeem(callback.searchParams.get('code')!, verifier);
    expect(claims.amr).toEqual(['pwd', 'hwk', 'mfa']);
    expect(claims.acr).toBe('urn:edge-security:acr:mfa');
  });

  it('signs in with the passkey alone (discoverable credential, no email typed)', async () => {
    await owner.context.clearCookies();
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
    await owner.page.goto(`${origin}/oauth/authorize?${q}`);
    await Promise.all([
      owner.page.waitForURL(`${origin}/login/passkey`),
      owner.page.click('a:has-text("Sign in with a passkey")'),
    ]);
    await expectAccessible(owner.page, 'passwordless');
    const callback = await reachClient(owner.page, usePasskey(owner.page));
    const claims = await redeem(callback.searchParams.get('code')!, verifier);
    expect(claims.amr).toEqual(['hwk', 'mfa']);
    expect(claims.acr).toBe('urn:edge-security:acr:mfa');
  });

  it('refuses a cloned authenticator whose signature counter fell behind', async () => {
    // The clone: the credential (private key included) as it is now, counter and all.
    const { credentials } = await owner.cdp.send('WebAuthn.getCredentials', { authenticatorId: owner.authenticatorId });
    const snapshot = credentials[0]!;
    // The owner signs in once more: the server's counter moves past the snapshot's.
    await owner.context.clearCookies();
    await signInWithPassword(owner.page);
    await reachClient(owner.page, usePasskey(owner.page));

    const clone = await device();
    await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.authenticatorId, credential: snapshot });
    await signInWithPassword(clone.page);
    expect(new URL(clone.page.url()).pathname).toBe('/login/mfa');
    await Promise.all([clone.page.waitForLoadState('load'), clone.page.click('#passkey-form button[type=submit]')]);
    await clone.page.waitForURL(`${origin}/login/mfa/passkey`);
    expect(await clone.page.textContent('[role=alert]')).toContain('could not be verified');
    const cookies = await clone.context.cookies();
    expect(cookies.some((c) => c.name === 'session')).toBe(false);
    const events = await eventually(async () => {
      const all = await securityEvents(tp);
      return all.find((e) => e.type === 'mfa.challenge_failed' && (e.details ?? '').includes('counter_regression'));
    }, 5_000);
    expect(events).toBeTruthy();
    await clone.context.close();
  });

  it('names several passkeys: a second one added, one renamed, one removed, the other still signs in', async () => {
    // A session that passed the passkey: adding or removing a factor needs a recent second factor.
    await owner.context.clearCookies();
    await signInWithPassword(owner.page);
    await reachClient(owner.page, usePasskey(owner.page));
    // The second passkey lives on a security key: this authenticator already holds "Laptop" (excluded by the server).
    const { credentials } = await owner.cdp.send('WebAuthn.getCredentials', { authenticatorId: owner.authenticatorId });
    const laptop = credentials[0]!;
    await owner.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: owner.authenticatorId });
    const { authenticatorId: securityKey } = await owner.cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { ...PLATFORM_AUTHENTICATOR, transport: 'usb' },
    });
    owner.authenticatorId = securityKey;
    await owner.page.goto(`${origin}/account/security`);
    await Promise.all([owner.page.waitForLoadState('load'), owner.page.click('button:has-text("Add a passkey")')]);
    await owner.page.fill('#passkey-name', 'Security key');
    await Promise.all([
      owner.page.waitForURL(`${origin}/account/security/passkeys/confirm`),
      owner.page.click('#passkey-form button[type=submit]'),
    ]);
    expect(await owner.page.textContent('[role=status]')).toContain('Passkey “Security key” added.');
    const names = async () =>
      (await tp.sql<{ name: string }>('SELECT name FROM user_passkeys ORDER BY created_at')).map((r) => r.name);
    expect(await names()).toEqual(['Laptop', 'Security key']);
    expect(await owner.page.locator('ul.sessions > li strong').allTextContents()).toEqual(['Laptop', 'Security key']);
    await expectAccessible(owner.page, 'your security with two passkeys');

    // Renamed from the list, by its own form (CSRF token included).
    await owner.page.fill('#passkey-name-0', 'Work laptop');
    await Promise.all([
      owner.page.waitForURL(`${origin}/account/security/passkeys/rename`),
      owner.page.click('button:has-text("Rename passkey Laptop")'),
    ]);
    expect(await owner.page.textContent('[role=status]')).toContain('Passkey renamed to “Work laptop”.');
    expect(await names()).toEqual(['Work laptop', 'Security key']);

    // The security key removed: only it goes.
    await Promise.all([
      owner.page.waitForURL(`${origin}/account/security/passkeys/remove`),
      owner.page.click('button:has-text("Remove passkey Security key")'),
    ]);
    expect(await owner.page.textContent('[role=status]')).toContain('The passkey was removed.');
    expect(await names()).toEqual(['Work laptop']);
    const removed = await eventually(async () => {
      const all = await securityEvents(tp);
      return all.find((e) => e.type === 'mfa.removed' && (e.details ?? '').includes('webauthn'));
    }, 5_000);
    expect(removed).toBeTruthy();

    // The remaining passkey, back on a platform authenticator of its own, still signs in.
    await owner.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: securityKey });
    const { authenticatorId: platform } = await owner.cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { ...PLATFORM_AUTHENTICATOR, transport: 'internal' },
    });
    owner.authenticatorId = platform;
    await owner.cdp.send('WebAuthn.addCredential', { authenticatorId: platform, credential: laptop });
    await owner.context.clearCookies();
    const verifier = await signInWithPassword(owner.page);
    const callback = await reachClient(owner.page, usePasskey(owner.page));
    expect((await redeem(callback.searchParams.get('code')!, verifier)).amr).toContain('mfa');
  });
});

describe('TOTP in a real browser', { timeout: 180_000 }, () => {
  it('enrols from the page’s secret (codes from otpauth), signs in with a code, refuses the code replayed', async () => {
    const { context, page } = await device();
    await signInWithPassword(page, TOTP_EMAIL);
    await reachClient(page, () => page.click('button[value=allow]'));
    await page.goto(`${origin}/account/security`);
    await Promise.all([
      page.waitForURL(`${origin}/account/security/totp`),
      page.click('text=Set up an authenticator app'),
    ]);
    expect(await page.locator('figure svg').count()).toBe(1);
    await expectAccessible(page, 'set up an authenticator app');
    // The secret as a person would type it from the page: grouped base32, spaces dropped.
    const typed = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(typed) });
    // The previous step (accepted within ±1): the sign-in below uses the current one, later as the guard requires.
    await page.fill('#code', totp.generate({ timestamp: Date.now() - 30_000 }));
    await Promise.all([
      page.waitForURL(`${origin}/account/security/totp/confirm`),
      page.click('text=Verify and turn on'),
    ]);
    expect(await page.textContent('h1')).toBe('Your backup codes');

    await context.clearCookies();
    const verifier = await signInWithPassword(page, TOTP_EMAIL);
    expect(new URL(page.url()).pathname).toBe('/login/mfa');
    const code = totp.generate();
    await page.fill('#code', code);
    const callback = await reachClient(page, () => page.click('button:has-text("Verify")'));
    const claims = await redeem(callback.searchParams.get('code')!, verifier);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe('urn:edge-security:acr:mfa');

    // The same code again, from a fresh sign-in: refused, no session.
    await context.clearCookies();
    await signInWithPassword(page, TOTP_EMAIL);
    await page.fill('#code', code);
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Verify")')]);
    await page.waitForURL(`${origin}/login/mfa`);
    expect(await page.textContent('[role=alert]')).toContain('not valid');
    expect((await context.cookies()).some((c) => c.name === 'session')).toBe(false);
    await context.close();
  });
});
