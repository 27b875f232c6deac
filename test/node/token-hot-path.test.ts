/**
 * The token hot path makes no Postgres query in steady state.
 *
 * Proof by taking Postgres away: after a warm-up, the run's database refuses every connection
 * (`ALTER DATABASE ... ALLOW_CONNECTIONS false` plus terminating its sessions). A control request that must read
 * Postgres then fails with 503, while token issuance and introspection go on answering 200 for several cache
 * periods, including for a client this isolate has never served (it comes from Redis). If any of those requests
 * touched Postgres, it would fail.
 *
 * Also: a change published by another isolate (the Redis version key moves) reaches this isolate within
 * CLIENT_CACHE_TTL_MS.
 */
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_URL, nodePool } from '../../scripts/lib/platform.mjs';
import { createCacheSeal } from '../../workers/auth/src/clients/domain/cache-seal.js';
import {
  basicHeader,
  clientCredentials,
  databaseBlocker,
  insecure,
  introspect,
  postForm,
  type RegisteredClient,
  register,
  sleep,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const CACHE_TTL_MS = 200;
let tp: TokenPlatform;
let admin: Awaited<ReturnType<typeof nodePool>>;
let blockDatabase: (allow: boolean) => Promise<void>;

beforeAll(async () => {
  tp = await startTokenPlatform({ CLIENT_CACHE_TTL_MS: String(CACHE_TTL_MS), SIGNING_KEY_CHECK_MS: '300' });
  admin = await nodePool(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, tp.platform.pgProxy);
  blockDatabase = databaseBlocker(tp, admin);
}, 120_000);

afterAll(async () => {
  await blockDatabase?.(true).catch(() => {});
  await admin?.end().catch(() => {});
  await tp?.stop();
});

describe('steady state without Postgres', () => {
  it('keeps issuing and introspecting tokens while the database refuses connections', async () => {
    const warm = await register(tp, { scope: 'read' });
    // Registered, never used by this isolate before Postgres goes away: must come from Redis.
    const cold = await register(tp, { scope: 'read', token_endpoint_auth_method: 'client_secret_post' });
    const { token } = await clientCredentials(tp, warm);
    expect((await introspect(tp, warm, token.access_token)).body.active).toBe(true);

    await tp.sql('select 1');
    await blockDatabase(false);
    try {
      // Postgres really is unreachable: from here, and from the Worker (reading a client's registration needs it).
      await expect(tp.sql('select 1')).rejects.toThrow();
      const control = await fetch(warm.registration_client_uri, {
        headers: { authorization: `Bearer ${warm.registration_access_token}` },
      });
      expect(control.status).toBe(503);

      const deadline = Date.now() + 8 * CACHE_TTL_MS + 1000;
      let issued = 0;
      while (Date.now() < deadline) {
        for (const client of [warm, cold] as RegisteredClient[]) {
          const { token: t, response } = await clientCredentials(
            tp,
            client,
            {},
            client.token_endpoint_auth_method === 'client_secret_post' ? 'post' : 'basic',
          );
          expect(response.status).toBe(200);
          expect((await introspect(tp, warm, t.access_token)).body.active).toBe(true);
          issued++;
        }
        await sleep(CACHE_TTL_MS / 2);
      }
      expect(issued).toBeGreaterThan(10);

      // Revocation needs its durable record, so it fails closed (503) instead of pretending.
      const revoke = await postForm(tp.as.revocation_endpoint as string, `token=${token.access_token}`, {
        authorization: basicHeader(warm.client_id, warm.client_secret),
      });
      expect(revoke.status).toBe(503);
      expect(revoke.json?.error).toBe('temporarily_unavailable');
    } finally {
      await blockDatabase(true);
    }
    expect(await tp.sql('select 1 as ok')).toEqual([{ ok: 1 }]);
  });
});

describe('cross-isolate invalidation', () => {
  it('stops serving a client within CLIENT_CACHE_TTL_MS once another isolate publishes its deletion', async () => {
    const client = await register(tp, { scope: 'read' });
    await clientCredentials(tp, client);
    // What another isolate's RFC 7592 DELETE does: the tombstone in Postgres, then the bumped version and the
    // tombstoned record, sealed with the deployment's CLIENT_CACHE_MAC_KEY, in Redis.
    const prefix = tp.platform.redisPrefix;
    const seal = createCacheSeal(Buffer.from(tp.platform.env.CLIENT_CACHE_MAC_KEY as string, 'base64'));
    const now = Math.floor(Date.now() / 1000);
    const cached = (await tp.platform.redis.get<string>(`${prefix}client:${client.client_id}`)) as string;
    const opened = await seal.open(client.client_id, cached, now);
    if (opened.kind !== 'record') throw new Error(`the cached client did not open: ${opened.kind}`);
    const next = { ...opened.record, status: 'deleted' as const, secretHash: null, version: opened.record.version + 1 };
    await tp.sql(
      "update oauth_clients set status = 'deleted', client_secret_hash = null, version = $2 where client_id = $1",
      [client.client_id, next.version],
    );
    await tp.platform.redis.set(`${prefix}client:${client.client_id}`, await seal.seal(next, now + 3600));
    await tp.platform.redis.set(`${prefix}client-version:${client.client_id}`, String(next.version));
    const changedAt = Date.now();

    let refusedAfter: number | undefined;
    while (Date.now() - changedAt < 3000) {
      const res = await oauth.clientCredentialsGrantRequest(
        tp.as,
        { client_id: client.client_id },
        oauth.ClientSecretBasic(client.client_secret),
        {},
        insecure,
      );
      if (res.status === 401) {
        refusedAfter = Date.now() - changedAt;
        break;
      }
      expect(res.status).toBe(200);
      await sleep(20);
    }
    expect(refusedAfter).toBeDefined();
    // The bound, plus one request's worth of slack.
    expect(refusedAfter).toBeLessThanOrEqual(CACHE_TTL_MS + 150);
  });
});
