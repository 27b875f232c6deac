/**
 * The admin API fails closed: the admin Worker alone, as in its own pod, with its POLICY binding an external service
 * that does not exist. A valid superadmin credential gets 503 on every kind of route (read, change), never the
 * route's work; no credential is still 401 (authentication first).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startWorkerd } from '../../scripts/lib/platform.mjs';
import { ROOT } from '../../scripts/lib/workers.mjs';
import { startTestDataPlane, type TestDataPlane } from './harness.js';

const BOOTSTRAP = randomBytes(32).toString('base64url');
let dp: TestDataPlane;
let admin: Awaited<ReturnType<typeof startWorkerd>> | undefined;
const doDir = mkdtempSync(join(tmpdir(), 'esp-admin-alone-'));
let url: string;

beforeAll(async () => {
  dp = await startTestDataPlane();
  const addr = `127.0.0.1:${await freePort()}`;
  url = `http://${addr}`;
  admin = await startWorkerd({
    config: join(ROOT, 'dist', 'workerd', 'admin.capnp'),
    sockets: { admin: addr },
    env: {
      ...dp.env,
      UPSTASH_REDIS_REST_TOKEN: dp.redisTokens.admin as string,
      ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP,
    },
    doStorageDir: doDir,
  });
}, 120_000);

afterAll(async () => {
  await admin?.stop();
  await dp?.stop();
  rmSync(doDir, { recursive: true, force: true });
});

describe('the policy Worker unreachable', () => {
  for (const [method, path, body] of [
    ['GET', '/v1/clients', undefined],
    ['POST', '/v1/tokens', { name: 'x', scopes: ['Admin_clients_read'], expires_in: 600 }],
    ['POST', '/v1/keys/emergency-rotate', { reason: 'drill' }],
    ['DELETE', '/v1/policies/entities/User/u', undefined],
    ['POST', '/v1/users/00000000-0000-4000-8000-000000000001/password-reset', undefined],
    ['DELETE', '/v1/users/00000000-0000-4000-8000-000000000001/sessions/h', undefined],
    ['POST', '/v1/alerts/00000000-0000-4000-8000-000000000001/acknowledge', undefined],
    ['GET', '/v1/audit', undefined],
  ] as const) {
    it(`${method} ${path}: 503 for a superadmin, 401 without a credential`, async () => {
      const init = (authorization?: string): RequestInit => ({
        method,
        headers: {
          ...(authorization ? { authorization } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const refused = await fetch(`${url}${path}`, init(`Bearer ${BOOTSTRAP}`));
      const problem = (await refused.json()) as { code: string; detail: string };
      expect(refused.status).toBe(503);
      expect(problem.code).toBe('ERR_DEPENDENCY_UNAVAILABLE');
      expect(problem.detail).toMatch(/policy service unavailable/);
      const anonymous = await fetch(`${url}${path}`, init());
      expect(anonymous.status).toBe(401);
      await anonymous.body?.cancel();
    });
  }
  it('made no token while failing closed', async () => {
    const { nodePool } = await import('../../scripts/lib/platform.mjs');
    const pool = await nodePool(dp.databaseUrl, dp.pgProxy);
    try {
      const rows = (await pool.query('select count(*)::int as n from admin_tokens')).rows as { n: number }[];
      expect(rows[0]?.n).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
