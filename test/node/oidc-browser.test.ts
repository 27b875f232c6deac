/**
 * The real browser path of OpenID Connect: headless Chromium (Debian's `chromium`, driven by playwright-core with
 * `executablePath`, no browser download) against the real workerd, Postgres and Redis, and the sample relying
 * party of examples/rp (openid-client 6) in this process.
 *
 * The browser signs up at the hosted pages, consents for the RP, which then validates the ID token (signature
 * against the JWKS, iss, aud, exp, nonce), redeems the code with its PKCE verifier and calls UserInfo. It signs out
 * through the end_session_endpoint, then signs in again with the password (the consent is remembered). Every page
 * is checked with axe-core (serious and critical findings fail) and for CSP violations, and screenshotted into
 * .test-out/artifacts/oidc-browser/.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelyingParty, type RelyingParty } from '../../examples/rp/relying-party.mjs';
import { freePort } from '../../scripts/lib/platform.mjs';
import { ROOT } from '../../scripts/lib/workers.mjs';
import { type RegisteredClient, register, startTokenPlatform, type TokenPlatform } from './token-helpers.js';

const ARTIFACTS = join(ROOT, '.test-out', 'artifacts', 'oidc-browser');
const CLIENT_NAME = 'Sample RP';
const USER = { name: 'Ada Lovelace', email: `ada.${Date.now()}@example.com`, password: 'analytical engine notes 1843' };

let tp: TokenPlatform;
let client: RegisteredClient;
let rp: RelyingParty;
let rpServer: Server;
let rpUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const rpLog: string[] = [];
const requests: string[] = [];
let shot = 0;

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  tp = await startTokenPlatform(SIGN_IN_ENV);
  const rpPort = await freePort();
  rpUrl = `http://127.0.0.1:${rpPort}`;
  // A confidential client on a loopback redirect URI: the platform only lets http redirect URIs be registered for
  // native clients (RFC 8252 §7.3), and a sample RP on 127.0.0.1 is exactly that. Third party: it gets consent.
  client = await register(tp, {
    client_name: CLIENT_NAME,
    application_type: 'native',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${rpUrl}/callback`],
    post_logout_redirect_uris: [`${rpUrl}/logged-out`],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid profile email',
  });
  rp = await createRelyingParty({
    issuer: tp.issuer,
    clientId: client.client_id,
    clientSecret: client.client_secret,
    baseUrl: rpUrl,
    log: (m) => rpLog.push(m),
  });
  rpServer = await rp.listen(rpPort, '127.0.0.1');
  browser = await launchChromium();
  context = await browser.newContext();
  context.setDefaultTimeout(30_000);
  page = await context.newPage();
  // The navigation log beside the screenshots: every document request, with the headers of form posts.
  page.on('response', async (res) => {
    const req = res.request();
    if (req.resourceType() !== 'document') return;
    const post = req.method() === 'POST' ? ` ${JSON.stringify(await req.allHeaders())}` : '';
    requests.push(`${res.status()} ${req.method()} ${req.url()}${post}`);
  });
  // Init scripts run whatever the page's CSP says: they record what the policy blocked.
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await new Promise((r) => (rpServer ? rpServer.close(r) : r(undefined)));
  writeFileSync(join(ARTIFACTS, 'rp.log'), rpLog.join('\n'));
  writeFileSync(join(ARTIFACTS, 'navigation.log'), requests.join('\n'));
  if (tp) writeFileSync(join(ARTIFACTS, 'workerd.log'), tp.platform.logs());
  await tp?.stop();
});

/**
 * Variables the hosted login needs in this test: self-service sign-up on, and sign-in throttling far from these
 * few attempts.
 */
const SIGN_IN_ENV: Record<string, string> = {
  SIGN_UP_ENABLED: 'true',
};

const authOrigin = () => new URL(tp.platform.urls.auth).origin;

/** Screenshot of the current page (of `on`, the main page by default), numbered in the order taken. */
async function screenshot(name: string, on: Page = page): Promise<void> {
  shot += 1;
  await on.screenshot({ path: join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/**
 * A hosted page of the provider: it is served by the auth Worker, axe-core finds nothing serious or critical on it
 * (all findings are written next to the screenshots), and its CSP had nothing to block.
 */
async function checkHostedPage(name: string, heading: RegExp): Promise<void> {
  await page.waitForLoadState('load');
  expect(new URL(page.url()).origin, `${name} is served by the provider`).toBe(authOrigin());
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 10_000 }).toMatch(heading);
  await screenshot(name);
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  writeFileSync(join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.axe.json`), JSON.stringify(result, null, 2));
  expect(result.passes.length, `${name}: axe ran its rules`).toBeGreaterThan(5);
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `${name}: serious or critical accessibility findings`).toEqual([]);
  const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  expect(violations, `${name}: CSP violations`).toEqual([]);
}

/** What the RP shows once signed in: the validated ID token claims and the UserInfo answer. */
async function signedInAtRp(
  on: Page = page,
  base = rpUrl,
): Promise<{ claims: Record<string, any>; userinfo: Record<string, any> }> {
  await on.waitForURL(`${base}/`);
  await expect.poll(() => on.locator('#who').count(), { timeout: 10_000 }).toBe(1);
  const claims = JSON.parse((await on.locator('#id-token-claims').textContent()) ?? '{}');
  const userinfo = JSON.parse((await on.locator('#userinfo').textContent()) ?? '{}');
  return { claims, userinfo };
}

function expectIdTokenFor(
  claims: Record<string, any>,
  userinfo: Record<string, any>,
  clientId = client.client_id,
): void {
  expect(claims.iss).toBe(rp.config.serverMetadata().issuer);
  expect(claims.aud === clientId || (Array.isArray(claims.aud) && claims.aud.includes(clientId))).toBe(true);
  expect(typeof claims.sub).toBe('string');
  // sub is stable and not the email (OIDC Core §5.7 advises against reassignable identifiers).
  expect(claims.sub).not.toContain('@');
  expect(typeof claims.nonce).toBe('string');
  expect(typeof claims.auth_time).toBe('number');
  expect(userinfo.sub).toBe(claims.sub);
  expect(userinfo.email).toBe(USER.email);
  expect(userinfo.name).toBe(USER.name);
}

describe('OpenID Connect in a real browser', { timeout: 240_000 }, () => {
  let firstSub = '';

  it('signs up, consents, and the RP validates the ID token and calls UserInfo', async () => {
    await page.goto(`${rpUrl}/`);
    await screenshot('rp-signed-out');
    await page.getByRole('link', { name: /sign in with/i }).click();

    await checkHostedPage('sign-in', /^Sign in$/);
    await page.getByRole('link', { name: 'Create an account' }).click();

    await checkHostedPage('sign-up', /^Create an account$/);
    await page.getByLabel('Name').fill(USER.name);
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Create account' }).click();

    // After sign-up the provider may sign the new user in at once or ask for the password: both are standard.
    await page.waitForLoadState('load');
    if ((await page.getByRole('heading', { level: 1 }).textContent())?.trim() === 'Sign in') {
      await checkHostedPage('sign-in-after-sign-up', /^Sign in$/);
      await page.getByLabel('Email').fill(USER.email);
      await page.getByLabel('Password').fill(USER.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }

    await checkHostedPage('consent', new RegExp(`^${CLIENT_NAME} wants to access your account$`));
    await page.getByText(USER.email).first().waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Allow' }).click();

    const { claims, userinfo } = await signedInAtRp();
    await screenshot('rp-signed-in');
    expectIdTokenFor(claims, userinfo);
    firstSub = claims.sub;
  });

  it('the session cookie is HttpOnly and SameSite=Lax, and the RP kept no code in the URL', async () => {
    const cookies = await context.cookies(authOrigin());
    const session = cookies.find((c) => c.name === 'session' || c.name === '__Host-session');
    expect(session, JSON.stringify(cookies.map((c) => c.name))).toBeDefined();
    expect(session!.httpOnly).toBe(true);
    expect(session!.sameSite).toBe('Lax');
    expect(page.url()).toBe(`${rpUrl}/`);
  });

  it('signs out through the end_session_endpoint and comes back with its state', async () => {
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForLoadState('load');
    // The provider may ask before ending its session (a confirmation page), then sends the browser back.
    if (new URL(page.url()).origin === authOrigin()) {
      await checkHostedPage('sign-out', /^Sign out\?$/);
      await page.getByRole('button', { name: 'Sign out' }).click();
    }
    await page.waitForURL((u) => u.href.startsWith(`${rpUrl}/logged-out`));
    expect(await page.locator('#logout-state').textContent()).toBe('Signed out at the provider too.');
    await screenshot('rp-logged-out');
  });

  it('signs in again with the password; the consent is remembered; same subject', async () => {
    await page.goto(`${rpUrl}/login`);
    // The provider's session ended: it must ask for the password again.
    await checkHostedPage('sign-in-again', /^Sign in$/);
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill(USER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const { claims, userinfo } = await signedInAtRp();
    await screenshot('rp-signed-in-again');
    expectIdTokenFor(claims, userinfo);
    expect(claims.sub).toBe(firstSub);
  });

  it('a wrong password is refused on the sign-in page, which stays accessible with its error shown', async () => {
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForLoadState('load');
    if (new URL(page.url()).origin === authOrigin()) await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${rpUrl}/logged-out`));
    await page.goto(`${rpUrl}/login`);
    await checkHostedPage('sign-in-before-wrong-password', /^Sign in$/);
    await page.getByLabel('Email').fill(USER.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await checkHostedPage('sign-in-wrong-password', /^Sign in$/);
    await page.getByRole('alert').waitFor({ state: 'visible' });
    expect(new URL(page.url()).origin).toBe(authOrigin());
  });

  it('a public client (no secret, PKCE only) in a browser without JavaScript: sign in, consent, ID token, UserInfo', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const publicClient = await register(tp, {
      client_name: 'Public Sample RP',
      application_type: 'native',
      grant_types: ['authorization_code'],
      redirect_uris: [`${base}/callback`],
      post_logout_redirect_uris: [`${base}/logged-out`],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile email',
    });
    expect(publicClient.client_secret).toBeUndefined();
    const publicRp = await createRelyingParty({
      issuer: tp.issuer,
      clientId: publicClient.client_id,
      baseUrl: base,
      log: (m) => rpLog.push(`public: ${m}`),
    });
    const server = await publicRp.listen(port, '127.0.0.1');
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await noJs.newPage();
      p.setDefaultTimeout(30_000);
      await p.goto(`${base}/login`);
      await p.waitForURL((u) => u.origin === authOrigin());
      expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');
      await screenshot('no-js-sign-in', p);
      await p.getByLabel('Email').fill(USER.email);
      await p.getByLabel('Password').fill(USER.password);
      await p.getByRole('button', { name: 'Sign in' }).click();
      // Another client: consent is asked again, and remembered per client.
      await p.getByRole('button', { name: 'Allow' }).waitFor();
      expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe(
        'Public Sample RP wants to access your account',
      );
      await screenshot('no-js-consent', p);
      await p.getByRole('button', { name: 'Allow' }).click();
      const { claims, userinfo } = await signedInAtRp(p, base);
      await screenshot('no-js-rp-signed-in', p);
      expectIdTokenFor(claims, userinfo, publicClient.client_id);
      expect(claims.sub).toBe(firstSub);
    } finally {
      await noJs.close();
      await new Promise((r) => server.close(r));
    }
  });
});
