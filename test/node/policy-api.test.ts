/**
 * The policy Worker black-box, under the real workerd with real Postgres and Redis: seeding, decisions and
 * batches, the admin endpoints (authentication and authorization by the active policy itself), publishing
 * (Cedar's messages on invalid input), activation and rollback taking effect within 5 s, stored entities,
 * and steady-state decisions without Postgres.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodePool, platformConfigPath, platformSockets, startWorkerd } from '../../scripts/lib/platform.mjs';
import { type Platform, startPlatform } from './harness.js';

const BOOTSTRAP = randomBytes(32).toString('base64url');
let p: Platform;
let pool: Awaited<ReturnType<typeof nodePool>>;
let replica: Awaited<ReturnType<typeof startWorkerd>> | undefined;
const replicaDir = mkdtempSync(join(tmpdir(), 'esp-policy-replica-'));
const creds: Record<string, string> = {};

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await pool.query(text, params)).rows as T[];
}

/** An admin credential stored the way shared/admin/credentials.ts reads it (SHA-256 of the token only). */
async function credential(principal: string, roles: string[]): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const hash = createHash('sha256').update(token).digest('base64url');
  await sql('insert into admin_credentials (id, token_hash, principal_id, roles) values ($1, $2, $3, $4)', [
    `cred-${principal}`,
    hash,
    principal,
    JSON.stringify(roles),
  ]);
  return token;
}

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
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const admin = (
  id: string,
  roles: string[],
  action: string,
  resource = 'keys',
  extra: Record<string, unknown> = {},
) => ({
  principal: { type: 'Admin', id },
  action,
  resource: { type: 'AdminEndpoint', id: resource },
  entities: [{ uid: { type: 'Admin', id }, attrs: { roles } }],
  ...extra,
});

/** The decision API's bearer token: the harness generates one per run (workerd is never Cloudflare). */
const decisionToken = () => p.env.POLICY_API_TOKEN as string;

const decide = async (body: unknown) => {
  const res = await api('POST', '/v1/authorize', decisionToken(), body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as {
    decision: string;
    policy_version: number;
    reasons: string[];
    errors: unknown[];
    request_id: string;
    ignored_entities?: unknown[];
  };
};

/** Polls until `check` holds; returns the elapsed milliseconds (fails after `limitMs`). */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`condition not reached within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  p = await startPlatform({
    env: {
      ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP,
      // The steady-state test counts every Postgres session of the database: the monitor's audit-log writes (of the
      // events these decisions emit) would count as the policy Worker's. Its consumer has tests of its own.
      MONITOR_CONSUMER_ENABLED: 'false',
      // Every call comes from 127.0.0.1 and several tests present wrong credentials on purpose: the failed-admin-
      // authentication throttle has its own test (security-postgres-exhaustion) and must not answer 429 here.
      ADMIN_AUTH_RATE_LIMIT_CAPACITY: '1000',
    },
  });
  pool = await nodePool(p.databaseUrl, p.pgProxy);
  creds.readonly = await credential('rita', ['readonly']);
  creds.billing = await credential('bill', ['billing']);
  creds.secops = await credential('sam', ['secops']);
  creds.approver = await credential('ada', ['policy-approver']);
});

afterAll(async () => {
  await replica?.stop();
  rmSync(replicaDir, { recursive: true, force: true });
  await pool?.end().catch(() => {});
  await p?.stop();
});

describe('seeding and decisions', () => {
  it('seeds the shipped set exactly once, even when the first requests arrive together', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => decide(admin(`a${i}`, ['secops'], 'Admin::keys_rotate'))),
    );
    for (const a of answers)
      expect(a).toMatchObject({ decision: 'Allow', policy_version: 1, reasons: ['secops-keys-and-policy'] });
    const versions = await sql<{ version: number; created_by: string }>(
      'select version, created_by from policy_versions',
    );
    expect(versions).toEqual([{ version: 1, created_by: 'system' }]);
    const [set] = await sql<{ active_version: number }>('select active_version from policy_sets');
    expect(set?.active_version).toBe(1);
  });

  it('publishes the generation to Redis under the run prefix', async () => {
    const generation = await p.redis.get<string>(`${p.redisPrefix}policy:default:generation`);
    const [set] = await sql<{ generation: string }>('select generation from policy_sets');
    expect(String(generation)).toBe(String(set?.generation));
  });

  it('answers Cedar decisions with the version, the deciding policies and the request id', async () => {
    expect(await decide({ ...admin('u', ['user-admin'], 'Admin::users_delete_one'), request_id: 'req-42' })).toEqual({
      decision: 'Deny',
      request_id: 'req-42',
      policy_version: 1,
      reasons: ['forbid-user-delete-unless-superadmin'],
      errors: [],
    });
    expect((await decide(admin('s', ['superadmin'], 'Action::"Admin_users_delete_one"'))).decision).toBe('Allow');
    expect(
      (
        await decide({
          principal: { type: 'Client', id: 'c' },
          action: { type: 'Action', id: 'OAuth_token' },
          resource: { type: 'OAuthClient', id: 'c' },
          context: { grant_type: 'password' },
        })
      ).decision,
    ).toBe('Deny');
    const outside = await decide(admin('s', ['superadmin'], 'Admin::no_such_thing'));
    expect(outside.decision).toBe('Deny');
    expect(JSON.stringify(outside.errors)).toContain('Admin_no_such_thing');
  });

  it('batch: mixed valid and invalid items, in order, errors in place', async () => {
    const res = await api('POST', '/v1/authorize/batch', decisionToken(), {
      requests: [
        { ...admin('a', ['billing'], 'Admin::billing_read', 'billing'), request_id: 'b0' },
        { request_id: 'b1', principal: { type: 'Admin', id: 'x' }, action: 'Admin::keys_read' },
        { ...admin('a', ['billing'], 'Admin::keys_read'), request_id: 'b2' },
        { ...admin('a', ['billing'], 'Admin::keys_read'), request_id: 'b3', context: { long: 'x'.repeat(5000) } },
      ],
    });
    expect(res.status).toBe(200);
    const d = res.body.decisions;
    expect(d).toHaveLength(4);
    expect(d[0]).toMatchObject({ request_id: 'b0', decision: 'Allow', policy_version: 1 });
    expect(d[1]).toMatchObject({ request_id: 'b1', error: { status: 400, code: 'ERR_VALIDATION' } });
    expect(d[1].error.detail).toMatch(/requests\[1\]\.resource/);
    expect(d[2]).toMatchObject({ request_id: 'b2', decision: 'Deny' });
    expect(d[3]).toMatchObject({ request_id: 'b3', error: { status: 400, limit: 'max_string_length' } });
  });

  it('limits → 400 problem naming the limit', async () => {
    const res = await api(
      'POST',
      '/v1/authorize',
      decisionToken(),
      admin('a', ['secops'], 'Admin::keys_read', 'keys', {
        context: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
      }),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ code: 'ERR_VALIDATION', limit: 'max_context_keys', max: 50 });
  });

  it('steady state: decisions reach neither Postgres nor the policy store', async () => {
    const sessions = async () =>
      Number(
        (await sql<{ sessions: string }>('select sessions from pg_stat_database where datname = current_database()'))[0]
          ?.sessions,
      );
    await decide(admin('warm', ['secops'], 'Admin::keys_rotate'));
    await new Promise((r) => setTimeout(r, 1500));
    const before = await sessions();
    for (let i = 0; i < 100; i++) await decide(admin(`s${i}`, ['secops'], 'Admin::keys_rotate'));
    await new Promise((r) => setTimeout(r, 1200));
    const after = await sessions();
    // The test's own pool keeps its connections; any new session would be a Worker opening one.
    expect(after - before).toBe(0);
    // Control: the counter does see a Worker's connection (an admin read goes to Postgres).
    expect((await api('GET', '/v1/policies/versions', BOOTSTRAP)).status).toBe(200);
    await within(3000, async () => (await sessions()) > after);
  });
});

describe('admin endpoints: authentication and authorization by the active policy', () => {
  const endpoints: [string, string, unknown?][] = [
    ['GET', '/v1/policies/versions'],
    ['POST', '/v1/policies/versions', { policies: 'permit(principal, action, resource);' }],
    ['GET', '/v1/policies/versions/1'],
    ['GET', '/v1/policies/active'],
    ['POST', '/v1/policies/versions/1/activate'],
    ['GET', '/v1/entities'],
    ['PUT', '/v1/entities/User/u1', { attrs: {} }],
    ['DELETE', '/v1/entities/User/u1'],
  ];

  it.each(endpoints)('%s %s: 401 without a credential and with an invalid one', async (method, path, body) => {
    const none = await api(method, path, undefined, body);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const wrong = await api(method, path, randomBytes(32).toString('base64url'), body);
    expect(wrong.status).toBe(401);
  });

  it('a role the policy does not allow gets 403 (no bypass), a role it allows gets through', async () => {
    expect((await api('GET', '/v1/policies/versions', creds.billing)).status).toBe(403);
    expect((await api('GET', '/v1/policies/versions', creds.readonly)).status).toBe(200);
    const publish = await api('POST', '/v1/policies/versions', creds.readonly, {
      policies: 'permit(principal, action, resource);',
    });
    expect(publish.status).toBe(403);
    expect(publish.body.code).toBe('ERR_FORBIDDEN');
    expect((await api('POST', '/v1/policies/versions/1/activate', creds.readonly)).status).toBe(403);
    expect((await api('PUT', '/v1/entities/User/u1', creds.readonly, { attrs: {} })).status).toBe(403);
    expect((await api('GET', '/v1/entities', creds.readonly)).status).toBe(200);
  });
});

const V2_POLICIES = (base: string) =>
  `${base}\n@id("forbid-billing-read-v2")\nforbid (principal is Admin, action == Action::"Admin_billing_read", resource);\n`;

describe('publishing, activation and rollback', () => {
  let shipped: string;

  it("refuses an invalid policy with 400 and Cedar's own messages", async () => {
    const active = await api('GET', '/v1/policies/active', BOOTSTRAP);
    expect(active.status).toBe(200);
    shipped = active.body.policies;
    expect(active.body.version).toBe(1);

    const syntax = await api('POST', '/v1/policies/versions', BOOTSTRAP, {
      policies: 'permit(principal, action, resource) when { x };',
    });
    expect(syntax.status).toBe(400);
    expect(syntax.headers.get('content-type')).toContain('application/problem+json');
    expect(syntax.body.errors[0]).toMatchObject({
      kind: 'parse',
      message: expect.stringContaining('invalid variable: x'),
    });

    const typed = await api('POST', '/v1/policies/versions', BOOTSTRAP, {
      policies: '@id("tall") permit(principal is Admin, action, resource) when { principal.height > 180 };',
    });
    expect(typed.status).toBe(400);
    expect(typed.body.errors[0]).toMatchObject({
      kind: 'validation',
      policy_id: 'tall',
      message: expect.stringContaining('attribute `height` on entity type `Admin` not found'),
    });

    const badSchema = await api('POST', '/v1/policies/versions', BOOTSTRAP, {
      policies: '',
      schema: 'entity Admin = {',
    });
    expect(badSchema.status).toBe(400);
    expect(badSchema.body.errors[0].kind).toBe('schema');
    // Nothing was stored.
    expect((await sql('select version from policy_versions')).length).toBe(1);
  });

  it('publishes v2 (inactive), activates it, and rolls back to v1: each visible within 5 s, in another process too', async () => {
    const billing = admin('bea', ['billing'], 'Admin::billing_read', 'billing');
    expect(await decide(billing)).toMatchObject({ decision: 'Allow', policy_version: 1 });
    // A second workerd on the same Postgres and Redis: its isolates learn of activations only through Redis.
    const sockets = await platformSockets(undefined);
    replica = await startWorkerd({
      config: platformConfigPath(),
      sockets,
      env: p.env,
      doStorageDir: replicaDir,
    });
    const replicaUrl = `http://${sockets.policy}`;
    const decideOnReplica = async () => {
      const res = await fetch(`${replicaUrl}/v1/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${decisionToken()}` },
        body: JSON.stringify(billing),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { decision: string; policy_version: number };
    };
    expect(await decideOnReplica()).toMatchObject({ decision: 'Allow', policy_version: 1 });

    const published = await api('POST', '/v1/policies/versions', creds.secops, {
      policies: V2_POLICIES(shipped),
      comment: 'no billing reads',
    });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version: 2, active: false, created_by: 'sam', comment: 'no billing reads' });
    expect(published.headers.get('location')).toBe('/v1/policies/versions/2');
    // Publishing alone changes nothing.
    await new Promise((r) => setTimeout(r, 1200));
    expect(await decide(billing)).toMatchObject({ decision: 'Allow', policy_version: 1 });

    // Who publishes does not activate: secops may not, the policy-approver role may (separation of duties).
    expect((await api('POST', '/v1/policies/versions/2/activate', creds.secops)).status).toBe(403);
    const activated = await api('POST', '/v1/policies/versions/2/activate', creds.approver);
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ active_version: 2, previous_version: 1 });
    const toV2 = await within(5000, async () => (await decide(billing)).policy_version === 2);
    expect(await decide(billing)).toMatchObject({
      decision: 'Deny',
      policy_version: 2,
      reasons: ['forbid-billing-read-v2'],
    });
    const replicaToV2 = await within(5000, async () => (await decideOnReplica()).policy_version === 2);
    expect(await decideOnReplica()).toMatchObject({ decision: 'Deny', policy_version: 2 });

    const rollback = await api('POST', '/v1/policies/versions/1/activate', BOOTSTRAP);
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ active_version: 1, previous_version: 2 });
    const toV1 = await within(5000, async () => (await decide(billing)).policy_version === 1);
    expect(await decide(billing)).toMatchObject({ decision: 'Allow', policy_version: 1, reasons: ['billing-manage'] });
    const replicaToV1 = await within(5000, async () => (await decideOnReplica()).policy_version === 1);
    expect(await decideOnReplica()).toMatchObject({ decision: 'Allow', policy_version: 1 });
    console.log(
      `activation visible after ${toV2} ms here, ${replicaToV2} ms in the other process; rollback after ${toV1} / ${replicaToV1} ms`,
    );

    const list = await api('GET', '/v1/policies/versions', creds.readonly);
    expect(list.body.active_version).toBe(1);
    expect(list.body.versions.map((v: { version: number; active: boolean }) => [v.version, v.active])).toEqual([
      [2, false],
      [1, true],
    ]);
    const v2 = await api('GET', '/v1/policies/versions/2', creds.readonly);
    expect(v2.body.policies).toContain('forbid-billing-read-v2');
    expect(v2.body.schema).toContain('entity Admin');
    expect((await api('GET', '/v1/policies/versions/99', creds.readonly)).status).toBe(404);
    expect((await api('POST', '/v1/policies/versions/99/activate', BOOTSTRAP)).status).toBe(404);
  });

  it('publish with activate: true needs both permissions and takes effect', async () => {
    const res = await api('POST', '/v1/policies/versions', BOOTSTRAP, {
      policies: shipped,
      activate: true,
      comment: 'v1 again',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: 3, active: true });
    await within(5000, async () => (await decide(admin('x', ['secops'], 'Admin::keys_read'))).policy_version === 3);
  });

  it('refuses to activate a version that would lock superadmins out of the policy store', async () => {
    const res = await api('POST', '/v1/policies/versions', BOOTSTRAP, {
      policies: '@id("nobody") forbid (principal, action, resource);',
    });
    expect(res.status).toBe(201);
    const activate = await api('POST', `/v1/policies/versions/${res.body.version}/activate`, BOOTSTRAP);
    expect(activate.status).toBe(409);
    expect(activate.body.detail).toMatch(/locking the policy store/);
    expect((await decide(admin('x', ['secops'], 'Admin::keys_read'))).policy_version).toBe(3);
  });

  it('published versions are immutable in the store', async () => {
    await expect(
      sql("update policy_versions set policies = 'permit(principal, action, resource);' where version = 1"),
    ).rejects.toThrow(/immutable/);
    await expect(sql('update policy_sets set active_version = 42')).rejects.toThrow(/foreign key/);
  });
});

describe('stored entities', () => {
  it('upserts, validates against the active schema, takes effect within 5 s, deletes', async () => {
    const rotate = admin('sam', ['secops'], 'Admin::keys_rotate', 'keys');
    expect((await decide(rotate)).decision).toBe('Allow');

    const bad = await api('PUT', '/v1/entities/AdminEndpoint/keys', creds.secops, { attrs: { sensitive: 'very' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toMatch(/sensitive/);
    const unknownAttr = await api('PUT', '/v1/entities/AdminEndpoint/keys', creds.secops, { attrs: { colour: 'red' } });
    expect(unknownAttr.status).toBe(400);
    expect(unknownAttr.body.detail).toMatch(/colour/);

    const put = await api('PUT', '/v1/entities/AdminEndpoint/keys', creds.secops, { attrs: { sensitive: true } });
    expect(put.status).toBe(200);
    await within(5000, async () => (await decide(rotate)).decision === 'Deny');
    expect((await decide(rotate)).reasons).toEqual(['forbid-sensitive-without-high-clearance']);
    // Admin attributes are the credential's (sent by the calling Worker): the entity API refuses the type, and a
    // request carrying the clearance (as a credential with it would) is decided with it, the store having no Admin.
    const own = await api('PUT', '/v1/entities/Admin/sam', creds.secops, { attrs: { roles: [], clearance: 'high' } });
    expect(own.status).toBe(403);
    expect(own.body.code).toBe('ERR_FORBIDDEN');
    expect((await api('DELETE', '/v1/entities/Admin/sam', creds.secops)).status).toBe(403);
    const cleared = admin('sam', ['secops'], 'Admin::keys_rotate', 'keys');
    (cleared.entities[0] as { attrs: Record<string, unknown> }).attrs.clearance = 'high';
    expect((await decide(cleared)).decision).toBe('Allow');

    // A stored entity is authoritative: a request declaring the area non-sensitive changes nothing, and is told so.
    const overriding = {
      ...rotate,
      entities: [...rotate.entities, { uid: { type: 'AdminEndpoint', id: 'keys' }, attrs: { sensitive: false } }],
    };
    const overridden = await decide(overriding);
    expect(overridden.decision).toBe('Deny');
    expect(overridden.ignored_entities).toEqual([{ type: 'AdminEndpoint', id: 'keys' }]);

    const listed = await api('GET', '/v1/entities?type=AdminEndpoint', creds.readonly);
    expect(listed.body.entities).toEqual([
      { uid: { type: 'AdminEndpoint', id: 'keys' }, attrs: { sensitive: true }, parents: [] },
    ]);

    expect((await api('DELETE', '/v1/entities/AdminEndpoint/keys', creds.secops)).status).toBe(204);
    expect((await api('DELETE', '/v1/entities/AdminEndpoint/keys', creds.secops)).status).toBe(404);
    await within(5000, async () => (await decide(rotate)).decision === 'Allow');
  });
});
