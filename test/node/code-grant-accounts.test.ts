/**
 * Redeeming an authorization code checks that the account is still active, without a Postgres query in steady
 * state (accounts/storage/account-cache.ts: isolate, then Redis, then Postgres), and disabling the account is seen
 * at once: by the next redemption, in this process and in another workerd process on the same data plane.
 *
 * Steady state is proven as in token-hot-path.test.ts, by taking Postgres away: codes obtained beforehand are then
 * redeemed with 200 here (isolate cache) and in a second process that has never seen the account (its Redis entry).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redeemCode } from './refresh-helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_DATABASE_URL,
  nodePool,
  platformConfigPath,
  platformSockets,
  startWorkerd,
  type WorkerdProcess,
} from '../../scripts/lib/platform.mjs';
import { authorizeUrl, Browser, completeLogin, location, pkce } from './oidc-helpers.js';
import {
  databaseBlocker,
  type RegisteredClient,
  register,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const REDIRECT = 'https://rp.example/cb';
const user = { email: 'active.check@example.com', password: 'correct horse battery staple 5', name: 'Ada' };

let tp: TokenPlatform;
let admin: Awaited<ReturnType<typeof nodePool>>;
let blockDatabase: (allow: boolean) => Promise<void>;
let replica: WorkerdProcess | undefined;
const replicaDir = mkdtempSync(join(tmpdir(), 'esp-code-accounts-'));
let client: RegisteredClient;
let userId: string;
let browser: Browser;

/** A code for the signed-in (and consented) user of `browser`, with its PKCE verifier. */
async function code(): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(tp.platform.urls.auth, {
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    state: 's',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'openid email profile',
  });
  const redirect = browser.jar.cookies.has('session')
    ? location(await browser.get(url), tp.platform.urls.auth)
    : await completeLogin(browser, url, user);
  const value = redirect.searchParams.get('code');
  if (!value) throw new Error(`no code: ${redirect.href}`);
  return { code: value, verifier };
}

function redeemAt(base: string, c: { code: string; verifier: string }) {
  return redeemCode(base, { ...client, redirect_uri: REDIRECT }, c);
}

beforeAll(async () => {
  // Keyed state (the codes) in Redis, as Kubernetes replicas keep it: a code can be redeemed at either process.
  tp = await startTokenPlatform({ STATE_BACKEND: 'redis' });
  admin = await nodePool(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, tp.platform.pgProxy);
  blockDatabase = databaseBlocker(tp, admin);
  client = await register(tp, {
    client_name: 'Accounts app',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code'],
    scope: 'openid email profile',
  });
  const created = await fetch(`${tp.platform.urls.auth}/admin/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.adminToken}` },
    body: JSON.stringify({ ...user, email_verified: true }),
  });
  expect(created.status).toBe(201);
  userId = ((await created.json()) as { id: string }).id;
  browser = new Browser(tp.platform.urls.auth);
  // A second auth process on the same data plane (a second pod).
  replica = await startWorkerd({
    config: platformConfigPath(),
    sockets: () => platformSockets(),
    env: { ...tp.platform.env, ISSUER: tp.platform.urls.auth },
    doStorageDir: replicaDir,
  });
}, 180_000);

afterAll(async () => {
  await blockDatabase?.(true).catch(() => {});
  await admin?.end().catch(() => {});
  await replica?.stop();
  rmSync(replicaDir, { recursive: true, force: true });
  await tp?.stop();
});

describe('the account check at code redemption', () => {
  it('queries no Postgres in steady state, in this process or another', async () => {
    // The first redemption reads the account from Postgres and fills the caches.
    const first = await redeemAt(tp.platform.urls.auth, await code());
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const codes = [await code(), await code(), await code()];
    // The other process loads its signing keys (not what this test is about) before Postgres goes away.
    const other = `http://${replica!.sockets.auth}`;
    expect((await fetch(`${other}/.well-known/jwks.json`)).status).toBe(200);
    await blockDatabase(false);
    try {
      await expect(tp.sql('select 1')).rejects.toThrow();
      const here = await redeemAt(tp.platform.urls.auth, codes[0]!);
      expect(here.status, JSON.stringify(here.body)).toBe(200);
      expect(here.body.id_token).toBeTruthy();
      // The other process has never seen this account: its entry comes from Redis.
      for (const c of codes.slice(1)) {
        const there = await redeemAt(other, c);
        expect(there.status, JSON.stringify(there.body)).toBe(200);
      }
    } finally {
      await blockDatabase(true);
    }
  });

  it('refuses a disabled account at once, here and in another process', async () => {
    const codes = [await code(), await code()];
    const other = `http://${replica!.sockets.auth}`;
    // Both processes hold the account as active in their isolates.
    expect((await redeemAt(tp.platform.urls.auth, await code())).status).toBe(200);
    expect((await redeemAt(other, await code())).status).toBe(200);

    const disabled = await fetch(`${tp.platform.urls.auth}/admin/users/${userId}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tp.adminToken}` },
    });
    expect(disabled.status).toBe(200);
    // No wait: the very next redemption, in either process, is refused.
    for (const [base, c] of [
      [other, codes[0]!],
      [tp.platform.urls.auth, codes[1]!],
    ] as const) {
      const res = await redeemAt(base, c);
      expect(res.status, `${base}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
      expect(res.body.error_description).toBe('the account is not active');
    }
  });
});
