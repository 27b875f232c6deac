/**
 * Callers of the policy Worker fail closed: when it cannot be reached, or cannot decide, an admin action that
 * needs its decision gets 503 — never a pass. Exercised through the auth Worker's key rotation
 * (`POST /admin/keys/rotate`, authorized with shared/policy-client.ts), under the real workerd.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startWorkerd } from '../../scripts/lib/platform.mjs';
import { type Platform, startPlatform, startTestDataPlane, type TestDataPlane } from './harness.js';

const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const BOOTSTRAP = randomBytes(32).toString('base64url');
const authEnv = (issuer: string) => ({
  ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP,
  ISSUER: issuer,
  KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
});

async function rotate(authUrl: string) {
  const res = await fetch(`${authUrl}/admin/keys/rotate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BOOTSTRAP}` },
  });
  return { status: res.status, body: (await res.json()) as { code?: string; detail?: string } };
}

describe('the policy Worker unreachable: its binding points nowhere', () => {
  let dp: TestDataPlane;
  let auth: Awaited<ReturnType<typeof startWorkerd>> | undefined;
  const doDir = mkdtempSync(join(tmpdir(), 'esp-auth-alone-'));
  let url: string;

  beforeAll(async () => {
    dp = await startTestDataPlane();
    const addr = `127.0.0.1:${await freePort()}`;
    url = `http://${addr}`;
    // The auth Worker alone, as in the one-Worker-per-process deployment: its POLICY binding is an external
    // service ("policy:8081") that does not exist here.
    auth = await startWorkerd({
      config: join(ROOT, 'dist', 'workerd', 'auth.capnp'),
      sockets: { auth: addr },
      // auth.capnp is the one-Worker config: its Redis token under the plain name, as in its own pod.
      env: { ...dp.env, UPSTASH_REDIS_REST_TOKEN: dp.redisTokens.auth as string, ...authEnv(url) },
      doStorageDir: doDir,
    });
  });

  afterAll(async () => {
    await auth?.stop();
    await dp?.stop();
    rmSync(doDir, { recursive: true, force: true });
  });

  it('key rotation by a superadmin credential gets 503, not a rotation', async () => {
    const res = await rotate(url);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('ERR_DEPENDENCY_UNAVAILABLE');
    expect(res.body.detail).toMatch(/policy service unavailable/);
  });

  it('without a credential it is still 401 (authentication comes first)', async () => {
    const res = await fetch(`${url}/admin/keys/rotate`, { method: 'POST' });
    expect(res.status).toBe(401);
  });
});

describe('the policy Worker reachable but unable to decide (its store and Redis down)', () => {
  let p: Platform;

  beforeAll(async () => {
    p = await startPlatform({ env: authEnv('http://127.0.0.1:8080') });
  });

  afterAll(async () => {
    await p?.stop();
  });

  const decisionBody = JSON.stringify({
    principal: { type: 'Admin', id: 'bootstrap' },
    action: 'Admin::keys_rotate',
    resource: { type: 'AdminEndpoint', id: 'keys' },
    entities: [{ uid: { type: 'Admin', id: 'bootstrap' }, attrs: { roles: ['superadmin'] } }],
  });

  it('with POLICY_API_TOKEN set, service-binding callers carry it and anyone else gets 401', async () => {
    const token = randomBytes(32).toString('base64url');
    await p.restartWorkerd({ ISSUER: p.urls.auth, POLICY_API_TOKEN: token });
    const direct = (authorization?: string) =>
      fetch(`${p.urls.policy}/v1/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: decisionBody,
      });
    expect((await direct()).status).toBe(401);
    expect((await direct('Bearer not-the-policy-api-token')).status).toBe(401);
    expect((await direct(`Bearer ${token}`)).status).toBe(200);
    // The auth Worker's key rotation asks the policy Worker through its binding, with the token.
    expect((await rotate(p.urls.auth)).status).toBe(200);
  });

  it('works while the policy Worker can decide, then fails closed with 503 when it cannot', async () => {
    const token = randomBytes(32).toString('base64url');
    await p.restartWorkerd({ ISSUER: p.urls.auth, POLICY_API_TOKEN: token });
    const ok = await rotate(p.urls.auth);
    expect(ok.status).toBe(200);

    // Same workerd, Postgres and Redis pointed at a closed port: the policy Worker has no verified policy.
    await p.restartWorkerd({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
      UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
    });
    const decision = await fetch(`${p.urls.policy}/v1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: decisionBody,
    });
    expect(decision.status).toBe(503);
    const res = await rotate(p.urls.auth);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('ERR_DEPENDENCY_UNAVAILABLE');
    // The refusal is the policy decision failing (the rotation itself would also need Postgres).
    expect(res.body.detail).toMatch(/policy service unavailable: answered HTTP 503/);
  });
});
