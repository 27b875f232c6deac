/**
 * Signing keys under compromise, and who may touch them.
 *
 * - Emergency rotation (`POST /admin/keys/rotate {"immediate": true}`) means "this key is compromised": the old
 *   keys leave the JWKS and every isolate's verification set at once, and introspection rejects what they
 *   signed, in this process and in another workerd process on the same data plane (a second pod).
 * - Introspection rejects a token whose `exp - iat` exceeds the longest lifetime the server issues
 *   (ACCESS_TOKEN_MAX_TTL_SECONDS), so a leaked key cannot mint tokens that outlive every real one.
 * - Key maintenance has its own action (`Admin_keys_maintain`): the scheduler's credential can run maintenance
 *   but cannot force a rotation.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  nodePool,
  platformConfigPath,
  platformSockets,
  startWorkerd,
  type WorkerdProcess,
} from '../../scripts/lib/platform.mjs';
import { adminCredential, type Pool, within } from './security-helpers.js';
import {
  basicHeader,
  clientCredentials,
  decodeJwt,
  decryptStoredKey,
  postForm,
  type RegisteredClient,
  register,
  signEs256,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const POLICY_API_TOKEN = randomBytes(32).toString('base64url');
/** How often an isolate checks Redis for a changed key set (the shipped default, set explicitly here). */
const SIGNING_KEY_CHECK_MS = 5_000;
const MAX_TTL = 3_600;

let tp: TokenPlatform;
let pool: Pool;
let replica: WorkerdProcess | undefined;
const replicaDir = mkdtempSync(join(tmpdir(), 'esp-sec-keys-'));
let client: RegisteredClient;

beforeAll(async () => {
  tp = await startTokenPlatform({
    POLICY_API_TOKEN,
    SIGNING_KEY_CHECK_MS: String(SIGNING_KEY_CHECK_MS),
    ACCESS_TOKEN_MAX_TTL_SECONDS: String(MAX_TTL),
  });
  pool = await nodePool(tp.platform.databaseUrl, tp.platform.pgProxy);
  client = await register(tp, { scope: 'read' });
});

afterAll(async () => {
  await replica?.stop();
  rmSync(replicaDir, { recursive: true, force: true });
  await pool?.end().catch(() => {});
  await tp?.stop();
});

/** Introspection at any auth process (`base` is its URL), authenticated as `client`. */
async function introspectAt(base: string, token: string): Promise<Record<string, unknown>> {
  const res = await postForm(`${base}/oauth/introspect`, `token=${encodeURIComponent(token)}`, {
    authorization: basicHeader(client.client_id, client.client_secret),
  });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json as Record<string, unknown>;
}

async function jwksKids(base: string): Promise<string[]> {
  const res = await fetch(`${base}/.well-known/jwks.json`);
  const body = (await res.json()) as { keys: { kid: string }[] };
  return body.keys.map((k) => k.kid);
}

async function rotate(body: unknown, bearer = tp.adminToken) {
  const res = await fetch(`${tp.platform.urls.auth}/admin/keys/rotate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('introspection bounds a token lifetime', () => {
  /** A token signed with the server's current key (as a leaked key would allow), with chosen iat/exp. */
  async function forged(lifetime: number): Promise<string> {
    const { token } = await clientCredentials(tp, client);
    const { header, claims } = decodeJwt(token.access_token);
    const jwk = await decryptStoredKey(tp, header.kid);
    const now = Math.floor(Date.now() / 1000);
    return signEs256(jwk, header, {
      ...claims,
      jti: randomBytes(16).toString('base64url'),
      iat: now,
      exp: now + lifetime,
    });
  }

  it('rejects a token whose exp - iat exceeds ACCESS_TOKEN_MAX_TTL_SECONDS', async () => {
    expect((await introspectAt(tp.platform.urls.auth, await forged(MAX_TTL))).active, 'boundary: max lifetime').toBe(
      true,
    );
    for (const lifetime of [MAX_TTL + 1, 30 * 86_400]) {
      const body = await introspectAt(tp.platform.urls.auth, await forged(lifetime));
      expect(body.active, `a token living ${lifetime} s introspected as active`).toBe(false);
    }
  });
});

describe('emergency rotation distrusts the old keys everywhere', () => {
  it('removes the old key from the JWKS and from introspection, at once here and in a second process that introspects all along', async () => {
    // A second auth process on the same data plane, warmed up with the current key.
    replica = await startWorkerd({
      config: platformConfigPath(),
      sockets: () => platformSockets(),
      env: {
        ...tp.platform.env,
        ISSUER: tp.platform.urls.auth,
        POLICY_API_TOKEN,
        SIGNING_KEY_CHECK_MS: String(SIGNING_KEY_CHECK_MS),
        ACCESS_TOKEN_MAX_TTL_SECONDS: String(MAX_TTL),
      },
      doStorageDir: replicaDir,
    });
    const other = `http://${replica.sockets.auth}`;
    const { token } = await clientCredentials(tp, client);
    const oldKid = decodeJwt(token.access_token).header.kid as string;
    expect((await introspectAt(other, token.access_token)).active).toBe(true);
    expect(await jwksKids(other)).toContain(oldKid);

    // The other process introspects the token all along, so that its isolate answers from memory under the
    // revocation lease while the key is revoked: from the moment the rotation is acknowledged, it must reject it.
    const answers: { startedAt: number; active: unknown }[] = [];
    let stop = false;
    const watching = (async () => {
      while (!stop) {
        const startedAt = performance.now();
        answers.push({ startedAt, active: (await introspectAt(other, token.access_token)).active });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const rotated = await rotate({ immediate: true });
    const acknowledged = performance.now();
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);

    // The process that rotated: at once.
    expect(await jwksKids(tp.platform.urls.auth), 'the compromised key is still published').not.toContain(oldKid);
    const here = await introspectAt(tp.platform.urls.auth, token.access_token);
    expect(here.active, 'a token signed by the compromised key is still active').toBe(false);

    // The other process: at once too (the key set's version rides in the denylist's round trip, and the rotation
    // answers only after the revocation lease).
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await watching;
    expect(answers.filter((a) => a.startedAt < acknowledged).some((a) => a.active === true)).toBe(true);
    const after = answers.filter((a) => a.startedAt >= acknowledged);
    expect(after.length).toBeGreaterThan(3);
    expect(
      after.filter((a) => a.active !== false),
      'the second process still accepts the compromised key',
    ).toEqual([]);
    // Its JWKS (and signing) follow at the next key-set check: SIGNING_KEY_CHECK_MS plus margin.
    await within(
      SIGNING_KEY_CHECK_MS + 2_000,
      async () => !(await jwksKids(other)).includes(oldKid),
      'the second process still publishes the compromised key',
    );

    // Guard: the new key works everywhere.
    const fresh = await clientCredentials(tp, client);
    expect(decodeJwt(fresh.token.access_token).header.kid).not.toBe(oldKid);
    await within(
      SIGNING_KEY_CHECK_MS + 2_000,
      async () => (await introspectAt(other, fresh.token.access_token)).active === true,
      'the second process does not accept the new key',
    );
  }, 60_000);
});

describe('key maintenance has its own action', () => {
  const CRON_ROLE = 'test-cron-only';

  it('the shipped policy knows Admin_keys_maintain and grants it to superadmins', async () => {
    const res = await fetch(`${tp.platform.urls.policy}/v1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${POLICY_API_TOKEN}` },
      body: JSON.stringify({
        principal: { type: 'Admin', id: 'probe-superadmin' },
        action: 'Admin::keys_maintain',
        resource: { type: 'AdminEndpoint', id: 'keys' },
        entities: [{ uid: { type: 'Admin', id: 'probe-superadmin' }, attrs: { roles: ['superadmin'] } }],
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect({ decision: body.decision, errors: body.errors }, JSON.stringify(body)).toEqual({
      decision: 'Allow',
      errors: [],
    });
  });

  it('a credential allowed only Admin_keys_maintain runs maintenance but gets 403 on rotation', async () => {
    // A policy version whose only grant to CRON_ROLE is Admin_keys_maintain (superadmins keep everything).
    let schema = readFileSync(join(ROOT, 'workers/policy/policies/default.cedarschema'), 'utf8');
    if (!schema.includes('"Admin_keys_maintain"')) {
      schema = schema.replace('"Admin_keys_rotate",', '"Admin_keys_rotate", "Admin_keys_maintain",');
    }
    const policies = `${readFileSync(join(ROOT, 'workers/policy/policies/default.cedar'), 'utf8')}
@id("test-cron-key-maintenance")
permit (principal is Admin, action == Action::"Admin_keys_maintain", resource is AdminEndpoint)
when { principal.roles.contains("${CRON_ROLE}") };
`;
    const published = await fetch(`${tp.platform.urls.policy}/v1/policies/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.adminToken}` },
      body: JSON.stringify({ policies, schema, comment: 'cron may only maintain keys', activate: true }),
    });
    expect(published.status, await published.clone().text()).toBe(201);

    const cron = await adminCredential(pool, 'key-cron', [CRON_ROLE]);
    const call = (path: string, body?: unknown) =>
      fetch(`${tp.platform.urls.auth}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${cron}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let last = '';
    // Activations reach every isolate within 5 s.
    await within(
      5_000,
      async () => {
        const res = await call('/admin/keys/maintain');
        last = `${res.status} ${await res.text()}`;
        return res.status === 200;
      },
      'POST /admin/keys/maintain with the maintenance-only credential kept failing',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last answer ${last}`);
    });
    for (const body of [undefined, { immediate: true }]) {
      const res = await call('/admin/keys/rotate', body);
      expect(res.status, `rotation ${JSON.stringify(body)} with the maintenance-only credential`).toBe(403);
    }
  }, 30_000);
});
