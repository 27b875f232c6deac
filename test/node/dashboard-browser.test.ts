/**
 * The dashboard in headless Chromium (Debian chromium + playwright-core) against the real platform (workerd,
 * Postgres, Redis): an operator signs in through the platform's own hosted login (OIDC code flow with PKCE, the
 * admin Worker a confidential client asking for the `admin` scope, which the shipped policy allows only with a
 * second factor: refused without one and told where to enrol it, then password and TOTP, codes from otpauth),
 * creates a client and sees its secret once, publishes and activates a policy version, acknowledges an alert raised
 * by a real attack, revokes a user's session (which is then gone for the user's browser), and signs out. Every page
 * is screenshotted to .test-out/artifacts/ and checked with axe-core: a finding of serious or critical impact fails
 * the test. The CSP must block nothing the pages need.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolTotpInBrowser } from '../../scripts/lib/totp-browser.mjs';
import { ROOT } from '../../scripts/lib/workers.mjs';
import type * as OTPAuth from 'otpauth';
import { authorizeUrl, Browser as HttpBrowser, completeLogin, enrolTotp, pkce } from './oidc-helpers.js';
import { adminCredential } from './security-helpers.js';
import {
  basicHeader,
  eventually,
  type RegisteredClient,
  register,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const ARTIFACTS = join(ROOT, '.test-out', 'artifacts');
const OPERATOR = { email: 'operator@example.com', password: 'violet tugboat quantum lantern 58' };
const MEMBER = { email: 'member@example.com', password: 'amber kettle orbit meadow 31' };
const RP_REDIRECT = 'https://rp.example/cb';
const SECOND_PASSWORD = 'cobalt meadow lantern piano 27';

let tp: TokenPlatform;
let browser: Browser;
let page: Page;
let admin: string;
let rp: RegisteredClient;
let memberId = '';
let operatorId = '';
let guessed = '';
/** The operator's authenticator app, once enrolled. */
let operatorTotp: OTPAuth.TOTP;
const accessibility: Record<string, string[]> = {};

async function v1(method: string, path: string, body?: unknown) {
  const res = await fetch(`${tp.platform.urls.admin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tp.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

/** Screenshot and axe-core check of the current page; serious or critical findings are collected (and fail). */
async function audit(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  accessibility[name] = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(accessibility[name], `axe on ${name}`).toEqual([]);
  const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
  expect(violations, `CSP violations on ${name}`).toEqual([]);
}

/**
 * The hosted login, from its sign-in page: the password, then (when `totp` is given) the second factor the policy
 * asks for, and consent when shown (the test's dashboard client is not first-party); ends back at the dashboard.
 */
async function signIn(p: Page, who: { email: string; password: string }, totp?: OTPAuth.TOTP): Promise<void> {
  const auth = tp.platform.urls.auth;
  await p.waitForURL((u) => u.origin === auth && u.pathname === '/login');
  await p.getByLabel('Email').fill(who.email);
  await p.getByLabel('Password').fill(who.password);
  await p.getByRole('button', { name: /sign in/i }).click();
  await p.waitForURL((u) => u.origin !== auth || u.pathname !== '/login', { timeout: 20_000 });
  if (totp) {
    expect(new URL(p.url()).pathname).toBe('/login/mfa');
    await p.fill('#code', totp.generate());
    await p.click('button:has-text("Verify")');
    await p.waitForURL((u) => u.pathname !== '/login/mfa', { timeout: 20_000 });
  }
  if (new URL(p.url()).pathname === '/consent') await p.getByRole('button', { name: 'Allow' }).click();
  await p
    .waitForURL((u) => u.origin === admin, { timeout: 20_000 })
    .catch(async (err) => {
      throw new Error(`${err}\nat ${p.url()}: ${(await p.locator('body').textContent())?.slice(0, 500)}`);
    });
}

const memberAuthorize = () =>
  authorizeUrl(tp.platform.urls.auth, {
    client_id: rp.client_id,
    redirect_uri: RP_REDIRECT,
    scope: 'openid email',
    state: 's',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  });

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  tp = await startTokenPlatform();
  admin = tp.platform.urls.admin;
  const { nodePool } = await import('../../scripts/lib/platform.mjs');
  const pool = await nodePool(tp.platform.databaseUrl, tp.platform.pgProxy);
  try {
    // The operator: a platform user with an admin credential for principal user:<sub> (its roles apply).
    const op = await v1('POST', '/v1/users', { ...OPERATOR, name: 'Olivia Operator' });
    expect(op.status).toBe(201);
    operatorId = op.body.id;
    await adminCredential(pool, `user:${op.body.id}`, ['superadmin']);
    // A member with a session in their own browser, to be revoked from the dashboard.
    const member = await v1('POST', '/v1/users', { ...MEMBER, name: 'Max Member' });
    memberId = member.body.id;
  } finally {
    await pool.end();
  }
  // The dashboard's client: confidential, code flow.
  // Registered as "native" only because the test's admin origin is http://127.0.0.1 (RFC 8252 loopback); deployed,
  // the dashboard's redirect URI is an https one of a web client.
  const dashboard = await register(tp, {
    application_type: 'native',
    client_name: 'Edge Security dashboard',
    redirect_uris: [`${admin}/dashboard/callback`],
    grant_types: ['authorization_code'],
    scope: 'openid email admin',
  });
  rp = await register(tp, {
    client_name: 'Member app',
    redirect_uris: [RP_REDIRECT],
    grant_types: ['authorization_code'],
    scope: 'openid email',
  });
  await tp.platform.restartWorkerd({
    ISSUER: tp.platform.urls.auth,
    DASHBOARD_ISSUER: tp.platform.urls.auth,
    DASHBOARD_CLIENT_ID: dashboard.client_id,
    DASHBOARD_CLIENT_SECRET: dashboard.client_secret,
  });
  // An alert from a real attack: guessing a client's secret.
  const victim = await register(tp, { grant_types: ['client_credentials'] });
  guessed = victim.client_id;
  for (let i = 0; i < 12; i++) {
    const res = await fetch(`${tp.platform.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicHeader(victim.client_id, `wrong-${i}`),
      },
      body: 'grant_type=client_credentials',
    });
    await res.body?.cancel();
  }
  browser = await launchChromium();
  const context = await browser.newContext();
  page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await tp?.stop();
});

describe('the dashboard in Chromium', () => {
  it('refuses anonymous use: the sign-in page', async () => {
    const res = await page.goto(`${admin}/dashboard/clients`);
    expect(res?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/default-src 'none'; style-src 'nonce-[A-Za-z0-9_-]{16,}'; form-action 'self'/);
    expect(csp).not.toContain('script-src');
    await audit('sign-in');
  });

  it('an operator without a second factor is refused, and told where to set one up', async () => {
    const auth = tp.platform.urls.auth;
    await page.getByRole('link', { name: 'Sign in with Edge Security' }).click();
    await signIn(page, OPERATOR);
    expect(new URL(page.url()).pathname).toBe('/dashboard/callback');
    await expect(page.locator('h1').textContent()).resolves.toBe('Second factor needed');
    const text = ((await page.locator('main p').textContent()) ?? '').replace(/\s+/g, ' ');
    expect(text).toBe(
      `Operators sign in with a second factor. Set one up under ${auth}/account/security ` +
        '(you are signed in there now), then sign in again.',
    );
    expect((await page.context().cookies()).find((c) => c.name === 'esp_dashboard')).toBeUndefined();
    await audit('second-factor-needed');
    // The link: "your security", where that sign-in left the operator signed in. TOTP from the page's secret.
    await page.getByRole('link', { name: `${auth}/account/security` }).click();
    await page.waitForURL(`${auth}/account/security`);
    ({ totp: operatorTotp } = await enrolTotpInBrowser(page));
    await expect(page.locator('h1').textContent()).resolves.toBe('Your backup codes');
  });

  it("signs the operator in through the platform's hosted login, password then TOTP (code flow, PKCE)", async () => {
    // A fresh browser session: the whole sign-in again.
    await page.context().clearCookies();
    await page.goto(`${admin}/dashboard`);
    await page.getByRole('link', { name: 'Sign in with Edge Security' }).click();
    await signIn(page, OPERATOR, operatorTotp);
    await page.waitForURL(`${admin}/dashboard`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Overview');
    await expect(page.locator('header').textContent()).resolves.toContain(OPERATOR.email);
    const session = (await page.context().cookies()).find((c) => c.name === 'esp_dashboard');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    await audit('overview');
    // The session's audit event says how the operator authenticated (the ID token's amr and acr).
    const signedIn = await eventually(async () => {
      const a = await v1('GET', `/v1/audit?type=admin.action&actor=user:${operatorId}&limit=100`);
      return (a.body.events as { details: Record<string, unknown> }[]).find(
        (e) => e.details.action === 'dashboard_sign_in',
      );
    }, 20_000);
    expect(signedIn!.details).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:edge-security:acr:mfa' });
  });

  it("overview figures are the monitor's counts of the audit log: the attack's failed authentications", async () => {
    await eventually(async () => {
      await page.goto(`${admin}/dashboard`);
      const text = (await page.locator('.cards').textContent()) ?? '';
      const m = /(\d+)\s*failed client authentications/.exec(text);
      if (!m || Number(m[1]) < 12) return false;
      // The same figure the API counts (nothing else authenticates clients meanwhile), not a capped page length.
      const counts = await v1('GET', '/v1/audit/counts');
      const failed = (counts.body.counts as { type: string; count: number }[])
        .filter((x) => x.type === 'client.authentication_failed')
        .reduce((n, x) => n + x.count, 0);
      return Number(m[1]) === failed;
    }, 30_000);
    expect(await page.locator('.cards').textContent()).toMatch(/\d+ \([\d.]+\/min\)tokens issued/);
  });

  it('creates a client and shows its secret once', async () => {
    await page.goto(`${admin}/dashboard/clients`);
    await audit('clients');
    await page.getByLabel('Name').fill('browser made');
    await page.getByLabel('Scopes (space-separated)').fill('read');
    await page.getByRole('button', { name: 'Create client' }).click();
    const secret = (await page.locator('#new-client-secret').textContent()) ?? '';
    const clientId = (await page.locator('#new-client-id').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    await audit('client-created');
    // The secret is real (a token with it), and never shown again.
    const token = await fetch(`${tp.platform.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicHeader(clientId, secret),
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    await page.goto(`${admin}/dashboard/clients`);
    expect(await page.content()).toContain(clientId);
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    expect(await page.content()).not.toContain(secret);
    // Rotating shows the new secret once; the old one stops working.
    await page.getByRole('button', { name: 'Rotate secret of browser made' }).click();
    const rotated = (await page.locator('#new-client-secret').textContent()) ?? '';
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(rotated).not.toBe(secret);
    const withOld = await fetch(`${tp.platform.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicHeader(clientId, secret) },
      body: 'grant_type=client_credentials',
    });
    expect(withOld.status).toBe(401);
    await page.goto(`${admin}/dashboard/clients`);
    expect(await page.content()).not.toContain(rotated);
    // Updated on the client's page: only the changed fields are sent.
    await page.getByRole('link', { name: clientId }).click();
    await audit('client-page');
    await page.getByLabel(/^Scopes/).fill('read write');
    await page.getByLabel(/^First-party/).check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toBe('Client updated (scope, first_party).');
    expect((await v1('GET', `/v1/clients/${clientId}`)).body).toMatchObject({ scope: 'read write', first_party: true });
    await page.goto(`${admin}/dashboard/clients`);
    // Deleted: gone from the token endpoint at once.
    await page.getByRole('button', { name: 'Delete browser made' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toMatch(/^Client deleted/);
    const withRotated = await fetch(`${tp.platform.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicHeader(clientId, rotated) },
      body: 'grant_type=client_credentials',
    });
    expect(withRotated.status).toBe(401);
  });

  it('publishes a policy version and activates it', async () => {
    await page.goto(`${admin}/dashboard/policies`);
    await audit('policies');
    const before = Number(await page.locator('#active-version').textContent());
    // A version Cedar refuses: its messages are shown, nothing is published.
    await page.getByLabel('Cedar policies').fill('permit (principal, action, resource) when { nonsense };');
    await page.getByRole('button', { name: /Publish/ }).click();
    await expect(page.locator('.problem').textContent()).resolves.toMatch(/^400/);
    const text = readFileSync(join(ROOT, 'workers/policy/policies/default.cedar'), 'utf8');
    await page.getByLabel('Cedar policies').fill(text);
    await page.getByLabel('Comment').fill('from the dashboard');
    await page.getByRole('button', { name: /Publish/ }).click();
    const notice = (await page.locator('.notice').textContent()) ?? '';
    const version = Number(/Version (\d+) published/.exec(notice)?.[1]);
    expect(version).toBeGreaterThan(before);
    await page.getByRole('button', { name: `Activate version ${version}` }).click();
    await expect(page.locator('.notice').textContent()).resolves.toBe(`Version ${version} is active.`);
    await expect(page.locator('#active-version').textContent()).resolves.toBe(String(version));
    await page.goto(`${admin}/dashboard/policies?from=${before}&to=${version}`);
    await audit('policies-diff');
    // Policy entities: stored (attributes as JSON), listed, deleted; malformed JSON refused before any call.
    await page.getByRole('link', { name: 'Policy entities' }).click();
    await page.getByLabel('Type', { exact: true }).fill('User');
    await page.getByLabel('Id', { exact: true }).fill('dash-u1');
    await page.getByLabel(/^Attributes/).fill('{"clearance": ');
    await page.getByRole('button', { name: 'Store entity' }).click();
    await expect(page.locator('.problem').textContent()).resolves.toBe('Attributes must be a JSON object.');
    await page.getByLabel('Type', { exact: true }).fill('User');
    await page.getByLabel('Id', { exact: true }).fill('dash-u1');
    await page.getByLabel(/^Attributes/).fill('{"clearance": "high"}');
    await page.getByRole('button', { name: 'Store entity' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toBe('Stored User::"dash-u1".');
    await expect(page.locator('table').textContent()).resolves.toContain('{"clearance":"high"}');
    await audit('entities');
    await page.getByRole('button', { name: 'Delete User::"dash-u1"' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toBe('Deleted User::"dash-u1".');
  });

  it('acknowledges an alert raised by the attack', async () => {
    const alert = await eventually(async () => {
      const a = await v1('GET', '/v1/alerts?status=open&detector=client_secret_guessing');
      return (a.body.alerts as { id: string; subject: { client_id?: string }; summary: string }[]).find(
        (x) => x.subject.client_id === guessed,
      );
    }, 30_000);
    await page.goto(`${admin}/dashboard/alerts`);
    await audit('alerts');
    await page.getByRole('button', { name: `Acknowledge ${alert!.summary}` }).click();
    await expect(page.locator('.notice').textContent()).resolves.toBe('Alert acknowledged.');
    expect((await v1('GET', `/v1/alerts/${alert!.id}`)).body).toMatchObject({ status: 'acknowledged' });
  });

  it("revokes a user's session: it is gone for the user's browser", async () => {
    const member = new HttpBrowser(tp.platform.urls.auth);
    const first = await completeLogin(member, memberAuthorize(), MEMBER);
    expect(first.searchParams.get('code')).toBeTruthy();
    const signedIn = async () => {
      const res = await member.get(`${memberAuthorize()}&prompt=none`);
      return new URL(res.headers.get('location') ?? '', tp.platform.urls.auth).searchParams.has('code');
    };
    expect(await signedIn()).toBe(true);
    await page.goto(`${admin}/dashboard/users?search=member`);
    await audit('users');
    await page.getByRole('link', { name: MEMBER.email }).click();
    await page.waitForURL(`${admin}/dashboard/users/${memberId}`);
    await audit('user-sessions');
    await page.getByRole('button', { name: /^Revoke session/ }).click();
    await expect(page.locator('.notice').textContent()).resolves.toBe('Session revoked.');
    await expect(page.getByText('No active sessions.').count()).resolves.toBe(1);
    expect(await signedIn()).toBe(false);
  });

  it('sets a one-time password reset that the user redeems on the hosted page, once', async () => {
    await page.goto(`${admin}/dashboard/users/${memberId}`);
    await page.getByRole('button', { name: 'Set a one-time password reset' }).click();
    const notice = (await page.locator('.notice').textContent()) ?? '';
    const code = /: ([A-Za-z0-9_-]{43})$/.exec(notice)?.[1] ?? '';
    expect(code).not.toBe('');
    await page.reload();
    expect(await page.content()).not.toContain(code);
    const user = await (await browser.newContext()).newPage();
    await user.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(e.violatedDirective));
    });
    await user.goto(`${tp.platform.urls.auth}/password-reset`);
    const result = await new AxeBuilder({ page: user })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await user.getByLabel('Reset code').fill(code);
    await user.getByLabel('New password').fill('short');
    await user.getByRole('button', { name: 'Set password' }).click();
    await expect(user.locator('#password-error').count()).resolves.toBe(1);
    await user.getByLabel('Reset code').fill(code);
    await user.getByLabel('New password').fill('saffron harbor pixel glacier 64');
    await user.getByRole('button', { name: 'Set password' }).click();
    await expect(user.locator('h1').textContent()).resolves.toBe('Your password is changed');
    await user.screenshot({ path: join(ARTIFACTS, 'password-reset-done.png') });
    expect(await user.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).toEqual([]);
    // Once only; and the new password signs the member in.
    await user.goto(`${tp.platform.urls.auth}/password-reset`);
    await user.getByLabel('Reset code').fill(code);
    await user.getByLabel('New password').fill('another fresh passphrase 12');
    await user.getByRole('button', { name: 'Set password' }).click();
    await expect(user.locator('.alert').textContent()).resolves.toContain('unknown, used or expired');
    const member = new HttpBrowser(tp.platform.urls.auth);
    const redirect = await completeLogin(member, memberAuthorize(), {
      email: MEMBER.email,
      password: 'saffron harbor pixel glacier 64',
    });
    expect(redirect.searchParams.get('code')).toBeTruthy();
    MEMBER.password = 'saffron harbor pixel glacier 64';
    await user.context().close();
  });

  it('creates a user and makes them an operator, then revokes it', async () => {
    await page.goto(`${admin}/dashboard/users`);
    await page.getByLabel('Email').fill('second.operator@example.com');
    await page.getByLabel('Name', { exact: true }).fill('Second Operator');
    await page.getByLabel(/^Initial password/).fill(SECOND_PASSWORD);
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toBe('User created.');
    await expect(page.locator('h1').textContent()).resolves.toBe('User second.operator@example.com');
    await audit('user-created');
    const userId = (await v1('GET', '/v1/users?search=second.operator')).body.users[0].id as string;
    await expect(page.locator('main').textContent()).resolves.toContain('Authenticator app (TOTP): not enrolled');
    // The user enrols an authenticator app on their own security page: the dashboard shows it, and no secret.
    const user = new HttpBrowser(tp.platform.urls.auth);
    await completeLogin(user, memberAuthorize(), { email: 'second.operator@example.com', password: SECOND_PASSWORD });
    const { secret } = await enrolTotp(user);
    await page.goto(`${admin}/dashboard/users/${userId}`);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toMatch(/Authenticator app \(TOTP\): enrolled \d{4}-/);
    expect(text).toContain('Backup codes left: 10');
    expect(await page.content()).not.toContain(secret);
    await audit('user-factors');
    await page.getByLabel(/^Operator roles/).fill('readonly secops');
    await page.getByRole('button', { name: 'Make operator' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toMatch(/^Operator roles set: readonly, secops\./);
    const operators = (await v1('GET', '/v1/operators')).body.operators as { user_id: string; roles: string[] }[];
    expect(operators.find((o) => o.user_id === userId)?.roles).toEqual(['readonly', 'secops']);
    await page.getByRole('button', { name: 'Revoke operator access' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toMatch(/^Operator access revoked/);
    const after = (await v1('GET', '/v1/operators')).body.operators as { user_id: string }[];
    expect(after.map((o) => o.user_id)).not.toContain(userId);
  });

  it('shows keys and the audit log, with the actions the operator took', async () => {
    await page.goto(`${admin}/dashboard/keys`);
    await audit('keys');
    // An emergency rotation: a new key signs, every other key is revoked.
    const before = (await v1('GET', '/v1/keys')).body.keys as { kid: string }[];
    await page.getByLabel(/^Reason/).fill('drill: suspected key exposure');
    await page.getByRole('button', { name: 'Emergency rotation' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toMatch(/^Emergency rotation done/);
    const keys = (await v1('GET', '/v1/keys')).body.keys as { kid: string; signing: boolean }[];
    const signing = keys.find((k) => k.signing);
    expect(before.map((k) => k.kid)).not.toContain(signing?.kid);
    await page.goto(`${admin}/dashboard/audit?type=admin.action`);
    const content = (await page.locator('table').textContent()) ?? '';
    expect(content).toContain('admin.action');
    await audit('audit');
  });

  it('refuses a change without the CSRF token (a cross-site form)', async () => {
    const res = await page.request.post(`${admin}/dashboard/keys/rotate`, {
      form: { csrf_token: 'forged' },
      headers: { origin: admin },
    });
    expect(res.status()).toBe(403);
    const cross = await page.request.post(`${admin}/dashboard/keys/rotate`, {
      form: { csrf_token: 'forged' },
      headers: { origin: 'https://evil.example' },
    });
    expect(cross.status()).toBe(403);
  });

  it('a session whose token no longer authenticates ends: the sign-in page, the cookie cleared', async () => {
    const context = await browser.newContext();
    await context.addCookies([
      {
        name: 'esp_dashboard',
        value: 'esp_not-a-live-token.tok_x.someone',
        domain: new URL(admin).hostname,
        path: '/dashboard',
      },
    ]);
    const other = await context.newPage();
    await other.goto(`${admin}/dashboard/clients`);
    await expect(other.locator('h1').textContent()).resolves.toBe('Sign in');
    await expect(other.locator('.notice').textContent()).resolves.toBe('Your session has ended. Sign in again.');
    expect((await context.cookies()).find((c) => c.name === 'esp_dashboard')).toBeUndefined();
    await context.close();
  });

  it('signs out: the session token is revoked and the pages ask for a sign-in again', async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'esp_dashboard')!;
    const token = cookie.value.split('.')[0]!;
    await page.goto(`${admin}/dashboard`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.locator('.notice').textContent()).resolves.toBe('You are signed out.');
    await audit('signed-out');
    // The token the cookie held no longer works anywhere (other isolates within their 5 s credential cache).
    await eventually(async () => {
      const res = await fetch(`${admin}/v1/keys`, { headers: { authorization: `Bearer ${token}` } });
      await res.body?.cancel();
      return res.status === 401;
    }, 10_000);
    await page.goto(`${admin}/dashboard/users`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Sign in');
    // Sign-in, every change and sign-out are in the audit log under the operator's principal.
    const actions = await eventually(async () => {
      const a = await v1('GET', `/v1/audit?type=admin.action&actor=user:${operatorId}&limit=100`);
      const names = (a.body.events as { details: { action: string } }[]).map((e) => e.details.action);
      return names.includes('dashboard_sign_out') ? names : undefined;
    }, 20_000);
    expect(actions).toEqual(
      expect.arrayContaining([
        'dashboard_sign_in',
        'Admin_clients_create',
        'Admin_policy_publish',
        'Admin_policy_activate',
        'Admin_alerts_acknowledge',
        'Admin_users_sessions_revoke',
        'Admin_users_create',
        'Admin_credentials_create',
        'Admin_credentials_revoke',
        'Admin_keys_emergency_rotate',
        'Admin_clients_delete',
        'Admin_clients_update',
        'Admin_entities_write',
      ]),
    );
  });

  it('a signed-in user who is not an operator is refused', async () => {
    // With a second factor (the policy's condition for the admin scope), so the refusal is the dashboard's own.
    const member = new HttpBrowser(tp.platform.urls.auth);
    await completeLogin(member, memberAuthorize(), MEMBER);
    const { totp } = await enrolTotp(member);
    // A fresh browser (the operator's hosted-login session would sign them straight back in).
    page = await (await browser.newContext()).newPage();
    const res = await page.goto(`${admin}/dashboard/login`);
    expect(res).toBeTruthy();
    await signIn(page, MEMBER, totp);
    await page.waitForURL(/\/dashboard\/callback/);
    await expect(page.locator('.problem').textContent()).resolves.toContain('is not an operator');
  });
});
