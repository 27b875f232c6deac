/**
 * The policy Worker as an attacker sees it:
 * - stored entities are authoritative: a request may add entities the store does not have, never change the
 *   attributes or parents of stored ones (`Client.status`, `Resource.sensitive`, `Admin.clearance`);
 * - outside Cloudflare the decision API requires POLICY_API_TOKEN: without it configured, decisions are refused,
 *   never answered to anyone who asks;
 * - the entity API cannot write the security attributes of `Admin` entities (roles, clearance, mfa_verified,
 *   authenticated), so an admin cannot raise their own clearance; and no role of the shipped policy short of
 *   superadmin may both publish and activate a policy version;
 * - `/v1/authorize/batch` accepts its documented 100 requests when they carry their entities (the body limit is
 *   sized for the item limit).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodePool } from '../../scripts/lib/platform.mjs';
import { type Platform, startPlatform } from './harness.js';
import { adminCredential, type Pool, within } from './security-helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BOOTSTRAP = randomBytes(32).toString('base64url');
const POLICY_API_TOKEN = randomBytes(32).toString('base64url');

let p: Platform;
let pool: Pool;

beforeAll(async () => {
  p = await startPlatform({ env: { ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP, POLICY_API_TOKEN, SERVICE_TIMEOUT_MS: '10000' } });
  pool = await nodePool(p.databaseUrl, p.pgProxy);
});

afterAll(async () => {
  await pool?.end().catch(() => {});
  await p?.stop();
});

async function api(method: string, path: string, token: string | undefined, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${p.urls.policy}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

async function decide(request: unknown): Promise<{ decision: string; reasons: string[]; errors: unknown[] }> {
  const res = await api('POST', '/v1/authorize', POLICY_API_TOKEN, request);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function storeEntity(type: string, id: string, attrs: Record<string, unknown>): Promise<void> {
  const res = await api('PUT', `/v1/entities/${type}/${id}`, BOOTSTRAP, { attrs });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe('stored entities are authoritative', () => {
  beforeAll(async () => {
    // First decision seeds the shipped policy set.
    await decide({
      principal: { type: 'User', id: 'seed' },
      action: 'read',
      resource: { type: 'Resource', id: 'seed' },
    });
    await storeEntity('Resource', 'payroll', { sensitive: true });
    await storeEntity('Client', 'suspended-client', { status: 'suspended' });
    // An admin's clearance as the operator stored it (written to the store directly: the entity API is not the
    // point here), then any API write to make every isolate reload the store.
    await pool.query(
      `insert into policy_entities (policy_set_id, entity_type, entity_id, attrs, parents)
       values ('default', 'Admin', 'eve', '{"roles": [], "clearance": "low"}', '[]')`,
    );
    await storeEntity('Resource', 'reload-marker', {});
    await within(
      5_000,
      async () =>
        (
          await decide({
            principal: { type: 'Admin', id: 'eve' },
            action: 'read',
            resource: { type: 'Resource', id: 'payroll' },
            entities: [{ uid: { type: 'Admin', id: 'eve' }, attrs: { roles: [], authenticated: true } }],
          })
        ).reasons.includes('forbid-sensitive-without-high-clearance'),
      'the stored entities did not take effect',
    );
  });

  it('a request cannot declare a stored sensitive Resource non-sensitive', async () => {
    const d = await decide({
      principal: { type: 'User', id: 'mallory' },
      action: 'read',
      resource: { type: 'Resource', id: 'payroll' },
      entities: [
        { uid: { type: 'User', id: 'mallory' }, attrs: { authenticated: true } },
        { uid: { type: 'Resource', id: 'payroll' }, attrs: { sensitive: false } },
      ],
    });
    expect(d.decision, `decided ${JSON.stringify(d)}`).toBe('Deny');
  });

  it('a request cannot reactivate a stored suspended Client', async () => {
    const d = await decide({
      principal: { type: 'Client', id: 'suspended-client' },
      action: 'OAuth_token',
      resource: { type: 'OAuthClient', id: 'suspended-client' },
      context: { grant_type: 'client_credentials' },
      entities: [{ uid: { type: 'Client', id: 'suspended-client' }, attrs: { status: 'active' } }],
    });
    expect(d.decision, `decided ${JSON.stringify(d)}`).toBe('Deny');
  });

  it("a request cannot raise a stored Admin's clearance", async () => {
    const d = await decide({
      principal: { type: 'Admin', id: 'eve' },
      action: 'read',
      resource: { type: 'Resource', id: 'payroll' },
      entities: [{ uid: { type: 'Admin', id: 'eve' }, attrs: { roles: [], authenticated: true, clearance: 'high' } }],
    });
    expect(d.decision, `decided ${JSON.stringify(d)}`).toBe('Deny');
    // Guard: entities the store does not have are still taken from the request.
    const added = await decide({
      principal: { type: 'User', id: 'newcomer' },
      action: 'read',
      resource: { type: 'Resource', id: 'public-doc' },
      entities: [{ uid: { type: 'User', id: 'newcomer' }, attrs: { authenticated: true } }],
    });
    expect(added.decision).toBe('Allow');
  });
});

describe('Admin entities: security attributes are not writable through the entity API', () => {
  it("an admin allowed Admin_entities_write cannot set their own (or anyone's) clearance or MFA flag", async () => {
    const sam = await adminCredential(pool, 'sam', ['secops']);
    const rollback = {
      principal: { type: 'Admin', id: 'sam' },
      action: 'Admin::pq_emergency_rollback',
      resource: { type: 'AdminEndpoint', id: 'pq' },
      context: { method: 'POST', path: '/admin/pq/rollback' },
      entities: [{ uid: { type: 'Admin', id: 'sam' }, attrs: { roles: ['secops'] } }],
    };
    expect((await decide(rollback)).decision, 'without MFA the rollback is denied').toBe('Deny');

    const own = await api('PUT', '/v1/entities/Admin/sam', sam, {
      attrs: { roles: ['secops'], mfa_verified: true, clearance: 'high' },
    });
    expect(
      [400, 403],
      `writing own mfa_verified/clearance answered ${own.status} ${JSON.stringify(own.body)}`,
    ).toContain(own.status);
    const other = await api('PUT', '/v1/entities/Admin/alice', sam, {
      attrs: { roles: ['superadmin'], clearance: 'high' },
    });
    expect([400, 403], `writing another admin's roles/clearance answered ${other.status}`).toContain(other.status);
    const { rows } = await pool.query(
      "select entity_id from policy_entities where entity_type = 'Admin' and entity_id in ('sam', 'alice')",
    );
    expect(rows, 'nothing was stored').toEqual([]);
    expect((await decide(rollback)).decision).toBe('Deny');
  });

  it('no role of the shipped policy other than superadmin may both publish and activate a policy version', async () => {
    const shipped = readFileSync(join(ROOT, 'workers/policy/policies/default.cedar'), 'utf8');
    const roles = [...new Set([...shipped.matchAll(/roles\.contains\("([^"]+)"\)/g)].map((m) => m[1] as string))];
    expect(roles.length).toBeGreaterThan(2);
    const both: string[] = [];
    for (const role of roles.filter((r) => r !== 'superadmin')) {
      const id = `probe-${role}`;
      const ask = async (action: string) =>
        (
          await decide({
            principal: { type: 'Admin', id },
            action,
            resource: { type: 'AdminEndpoint', id: 'policy' },
            entities: [{ uid: { type: 'Admin', id }, attrs: { roles: [role] } }],
          })
        ).decision;
      if ((await ask('Admin::policy_publish')) === 'Allow' && (await ask('Admin::policy_activate')) === 'Allow') {
        both.push(role);
      }
    }
    expect(both, 'roles that can publish and activate alone').toEqual([]);
  });
});

describe('/v1/authorize/batch body limit matches its item limit', () => {
  /** A realistic request: the caller's own view of principal, resource and the principal's team. */
  function request(i: number) {
    const team = Array.from({ length: 6 }, (_, k) => ({
      uid: { type: 'User', id: `team-${i}-member-${k}@directory.example.com` },
      attrs: { authenticated: true, roles: ['member', 'reader'], email: `member-${k}@example.com`, status: 'active' },
    }));
    return {
      request_id: `batch-item-${i}`,
      principal: { type: 'User', id: `user-${i}@directory.example.com` },
      action: 'read',
      resource: { type: 'Resource', id: `documents/2026/quarterly-report-${i}.pdf` },
      context: { method: 'GET', path: `/documents/2026/quarterly-report-${i}.pdf`, source_ip: '198.51.100.20' },
      entities: [
        {
          uid: { type: 'User', id: `user-${i}@directory.example.com` },
          attrs: {
            authenticated: true,
            mfa_verified: true,
            clearance: 'standard',
            roles: ['analyst', 'reader', 'finance'],
            email: `user-${i}@example.com`,
            status: 'active',
          },
        },
        {
          uid: { type: 'Resource', id: `documents/2026/quarterly-report-${i}.pdf` },
          attrs: {
            classification: 'internal',
            owner: { __entity: { type: 'User', id: `user-${i}@directory.example.com` } },
          },
        },
        ...team,
      ],
    };
  }

  for (const count of [50, 100]) {
    it(`decides a batch of ${count} requests that carry their entities`, async () => {
      const body = { requests: Array.from({ length: count }, (_, i) => request(i)) };
      const bytes = Buffer.byteLength(JSON.stringify(body));
      const res = await api('POST', '/v1/authorize/batch', POLICY_API_TOKEN, body);
      expect(res.status, `a ${bytes}-byte batch of ${count} answered ${res.status} ${JSON.stringify(res.body)}`).toBe(
        200,
      );
      expect(res.body.decisions).toHaveLength(count);
      for (const d of res.body.decisions) expect(d.decision).toBe('Allow');
    });
  }
});

describe('POLICY_API_TOKEN outside Cloudflare', () => {
  it('without it configured, the decision API answers no one (workerd is never Cloudflare)', async () => {
    await p.restartWorkerd({ POLICY_API_TOKEN: '' });
    const one = await api('POST', '/v1/authorize', undefined, {
      principal: { type: 'Admin', id: 'x' },
      action: 'Admin::keys_rotate',
      resource: { type: 'AdminEndpoint', id: 'keys' },
      entities: [{ uid: { type: 'Admin', id: 'x' }, attrs: { roles: ['superadmin'] } }],
    });
    const batch = await api('POST', '/v1/authorize/batch', undefined, {
      requests: [{ principal: { type: 'User', id: 'u' }, action: 'read', resource: { type: 'Resource', id: 'r' } }],
    });
    for (const [name, res] of [
      ['/v1/authorize', one],
      ['/v1/authorize/batch', batch],
    ] as const) {
      expect(
        [401, 503],
        `${name} without POLICY_API_TOKEN answered ${res.status} ${JSON.stringify(res.body)}`,
      ).toContain(res.status);
      expect(res.body?.decision ?? res.body?.decisions).toBeUndefined();
    }
  });
});
