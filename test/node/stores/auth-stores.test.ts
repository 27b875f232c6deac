/**
 * Conformance of the auth Worker's stores (the interfaces declared in each capability's domain/) on their
 * adapter, Postgres with its Redis caches, against the real servers. Two store instances stand for two isolates.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { ClientMetadata } from '../../../workers/auth/src/clients/domain/client-metadata.js';
import { createCacheSeal } from '../../../workers/auth/src/clients/domain/cache-seal.js';
import type { TamperReport } from '../../../workers/auth/src/clients/domain/client-store.js';
import { approvalOf } from '../../../workers/auth/src/clients/domain/registration-ceiling.js';
import { PostgresClientStore } from '../../../workers/auth/src/clients/storage/clients.js';
import type { KeyChanges } from '../../../workers/auth/src/keys/domain/key-store.js';
import { PostgresSigningKeyStore } from '../../../workers/auth/src/keys/storage/signing-keys.js';
import { revocationLease } from '../../../workers/auth/src/tokens/domain/revocation-lease.js';
import { RevocationState } from '../../../workers/auth/src/tokens/revocation-state.js';
import { PostgresRevocationStore } from '../../../workers/auth/src/tokens/storage/revocations.js';
import { revokedTokens } from '../../../shared/db/schema.js';
import { useDataPlane } from './setup.js';

const plane = useDataPlane('auth');

const metadata = (scope: string): ClientMetadata => ({
  redirect_uris: [],
  grant_types: ['client_credentials'],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope,
  allowed_resources: [],
  client_name: 'conformance',
});
let n = 0;
const newClient = (scope = 'read') => ({
  clientId: `client-${Date.now().toString(36)}-${++n}`,
  secretHash: 'c2VjcmV0LWhhc2g',
  registrationTokenHash: 'cmVnaXN0cmF0aW9uLWhhc2g',
  registrationTokenExpiresAt: Date.now() + 60_000,
  metadata: metadata(scope),
  approval: approvalOf(metadata(scope)),
  rateLimit: null,
  clientIdIssuedAt: 1_700_000_000,
});
const MAC_KEY = new Uint8Array(randomBytes(32));
const ctx = { waitUntil: (p: Promise<unknown>) => void p.catch(() => {}) };
const store = (ttlMs: number, report?: TamperReport) =>
  new PostgresClientStore(plane.deps, ttlMs, createCacheSeal(MAC_KEY), report);
const update = (row: { version: number }, scope: string) => ({
  expectedVersion: row.version,
  metadata: metadata(scope),
  approval: approvalOf(metadata(scope)),
  rateLimit: null,
  registrationTokenHash: 'bmV3LWhhc2g',
  registrationTokenExpiresAt: Date.now() + 60_000,
});

describe('ClientStore conformance: Postgres, cached in Redis and the isolate', () => {
  it('stores a client and returns it, the management row with its token hash and ceiling, the cached record without', async () => {
    const clients = store(1_000);
    const c = newClient();
    const row = await clients.insert(c);
    expect(row).toMatchObject({
      clientId: c.clientId,
      status: 'active',
      version: 1,
      registrationTokenHash: c.registrationTokenHash,
      registrationTokenExpiresAt: c.registrationTokenExpiresAt,
      approval: { scope: ['read'], resources: [], grantTypes: ['client_credentials'] },
    });
    const record = await clients.get(c.clientId, ctx);
    expect(record).toMatchObject({ clientId: c.clientId, secretHash: c.secretHash, status: 'active' });
    for (const field of ['registrationTokenHash', 'registrationTokenExpiresAt', 'approval']) {
      expect(record).not.toHaveProperty(field);
    }
    expect(record?.metadata.scope).toBe('read');
    expect((await clients.readRow(c.clientId))?.registrationTokenHash).toBe(c.registrationTokenHash);
  });

  it('answers null for an unknown client, and remembers that in Redis (sealed)', async () => {
    const clients = store(0);
    const id = `unknown-${++n}`;
    expect(await clients.get(id, ctx)).toBeNull();
    expect(await plane.dp.redis.get(plane.deps.redis.key('client', id))).toMatch(/^v1\.\d+\.[\w-]+\.missing$/);
    expect(await clients.readRow(id)).toBeNull();
  });

  it('updates (compare-and-set) and deletes; another isolate sees each change once its cache entry is due', async () => {
    const writer = store(60_000);
    const reader = store(0);
    const c = newClient('read');
    const inserted = await writer.insert(c);
    expect((await reader.get(c.clientId, ctx))?.metadata.scope).toBe('read');
    const updated = await writer.updateRegistration(c.clientId, update(inserted, 'read write'));
    expect(updated).toMatchObject({ version: 2, registrationTokenHash: 'bmV3LWhhc2g' });
    expect(updated?.approval.scope).toEqual(['read', 'write']);
    // A second update made from the same read loses: only one of two concurrent updates applies.
    expect(await writer.updateRegistration(c.clientId, update(inserted, 'admin'))).toBeNull();
    expect((await reader.get(c.clientId, ctx))?.metadata.scope).toBe('read write');
    expect((await writer.get(c.clientId, ctx))?.version).toBe(2); // the writer's own cache was dropped
    expect(await writer.delete(c.clientId)).toBe(true);
    expect((await reader.get(c.clientId, ctx))?.status).toBe('deleted');
    expect(await writer.delete(c.clientId)).toBe(false);
    expect(await writer.updateRegistration(c.clientId, update({ version: 3 }, 'read'))).toBeNull();
    const tombstone = await writer.readRow(c.clientId);
    expect(tombstone).toMatchObject({ status: 'deleted', secretHash: null, registrationTokenHash: null });
  });

  it('ignores and reports a cache entry it did not seal (whoever can write Redis cannot forge a client)', async () => {
    const reports: string[] = [];
    const clients = store(0, (clientId, reason) => reports.push(`${clientId} ${reason}`));
    const c = newClient('read');
    await clients.insert(c);
    const forged = { ...(await clients.get(c.clientId, ctx)), secretHash: 'Zm9yZ2Vk', version: 99 };
    await plane.dp.redis.set(plane.deps.redis.key('client', c.clientId), JSON.stringify(forged));
    await plane.dp.redis.set(plane.deps.redis.key('client-version', c.clientId), '99');
    const record = await clients.get(c.clientId, ctx);
    expect(record).toMatchObject({ secretHash: c.secretHash, version: 1 });
    expect(reports).toEqual([`${c.clientId} format`]);
    // An entry sealed under another key does not verify either.
    const other = new PostgresClientStore(
      plane.deps,
      0,
      createCacheSeal(new Uint8Array(randomBytes(32))),
      (id, reason) => reports.push(`${id} ${reason}`),
    );
    await plane.dp.redis.del(plane.deps.redis.key('client-version', c.clientId));
    expect((await other.get(c.clientId, ctx))?.secretHash).toBe(c.secretHash);
    reports.length = 0;
    await plane.dp.redis.set(plane.deps.redis.key('client-version', c.clientId), '77');
    expect((await clients.get(c.clientId, ctx))?.secretHash).toBe(c.secretHash);
    expect(reports).toEqual([`${c.clientId} mac`]);
  });
});

describe('RevocationStore conformance: Postgres, with the Redis denylist', () => {
  const versionKey = () => plane.deps.redis.key('keys', 'version');
  /** The same real Redis, with `before` run ahead of every pipelined round trip (to count them, or to delay them). */
  const beforeEachRoundTrip = (before: () => unknown) => ({
    ...plane.deps,
    redis: {
      ...plane.deps.redis,
      pipeline: async (commands: readonly (readonly string[])[]) => {
        await before();
        return plane.deps.redis.pipeline(commands);
      },
    },
  });

  /** One isolate's revocation state, as the composition root builds it (`leaseMs`: REVOCATION_LEASE_MS). */
  const isolate = (deps: typeof plane.deps, leaseMs: number) =>
    new RevocationState(
      new PostgresRevocationStore(deps, versionKey(), revocationLease(leaseMs)),
      revocationLease(leaseMs),
    );
  /** The default REVOCATION_LEASE_MS. */
  const LEASE_MS = 200;

  it('reports a revoked token revoked, to every isolate, and prunes records of expired tokens', async () => {
    const a = isolate(plane.deps, LEASE_MS);
    const b = isolate(plane.deps, LEASE_MS);
    const jti = `jti-${++n}`;
    expect((await a.state(jti, ctx)).revoked).toBe(false);
    await a.revoke({ jti, clientId: 'c', exp: Math.floor(Date.now() / 1000) + 600, reason: 'test' });
    expect((await a.state(jti, ctx)).revoked).toBe(true);
    expect((await b.state(jti, ctx)).revoked).toBe(true);
    // Revoking again is not an error.
    await b.revoke({ jti, clientId: 'c', exp: Math.floor(Date.now() / 1000) + 600 });
    const expired = `jti-expired-${++n}`;
    await a.revoke({ jti: expired, clientId: 'c', exp: Math.floor(Date.now() / 1000) - 10 });
    expect(await a.prune()).toBeGreaterThanOrEqual(1);
    expect(await a.prune()).toBe(0);
    expect((await a.state(jti, ctx)).revoked).toBe(true);
  });

  it('a miss is final only once the denylist is marked complete; without the marker Postgres answers', async () => {
    const store = isolate(plane.deps, 0);
    const denylist = plane.deps.redis.key('revoked');
    const jti = `jti-lost-${++n}`;
    await store.revoke({ jti, clientId: 'c', exp: Math.floor(Date.now() / 1000) + 600 });
    // The whole denylist lost (a flush, a restart without persistence, which take the rebuild lock of an earlier
    // rebuild with them): the durable record still answers.
    await plane.dp.redis.del(denylist, plane.deps.redis.key('revoked', 'rebuild'));
    const waits: Promise<unknown>[] = [];
    const state = await store.state(jti, { waitUntil: (p) => waits.push(p) });
    expect(state.revoked).toBe(true);
    // ... and the lookup started a rebuild, which restores the member and marks the set complete.
    expect(waits).toHaveLength(1);
    await Promise.all(waits);
    const scores = await plane.dp.redis.zmscore(denylist, [jti, ':complete']);
    expect(scores?.map((v) => v !== null)).toEqual([true, true]);
    expect((await store.state(`never-revoked-${++n}`, ctx)).revoked).toBe(false);
    // The key set's version rides in the same round trip.
    await plane.dp.redis.set(versionKey(), 'v-test');
    expect((await store.state(jti, ctx)).keySetVersion).toBe('v-test');
    await plane.dp.redis.del(versionKey());
  });

  it('lookups asked together share one round trip, each gets its own answer, and a revocation made while a round trip is in flight is seen by every lookup asked after it', async () => {
    let roundTrips = 0;
    const counted = beforeEachRoundTrip(() => {
      roundTrips++;
    });
    const store = isolate(counted, 0);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const jtis = Array.from({ length: 30 }, () => `jti-batch-${++n}`);
    for (const jti of jtis.slice(0, 10)) await store.revoke({ jti, clientId: 'c', exp });
    // The rebuild of an earlier test left the set complete; make sure, so that misses are final.
    await store.rebuild();
    roundTrips = 0;
    const answers = await Promise.all(jtis.map((jti) => store.state(jti, ctx)));
    expect(answers.map((a) => a.revoked)).toEqual(jtis.map((_, i) => i < 10));
    expect(roundTrips).toBe(1);

    // While a round trip is in flight to this (near) Redis, the next batch waits a moment to grow; a revocation
    // acknowledged before a lookup is asked is still always seen, however the lookups are grouped.
    for (let round = 0; round < 5; round++) {
      const late = `jti-late-${++n}`;
      const inFlight = Promise.all(jtis.slice(10, 20).map((jti) => store.state(jti, ctx)));
      await new Promise((r) => setImmediate(r));
      await store.revoke({ jti: late, clientId: 'c', exp });
      const [seen, before] = await Promise.all([store.state(late, ctx), inFlight]);
      expect(seen.revoked).toBe(true);
      expect(before.every((a) => !a.revoked)).toBe(true);
    }
  });

  it('with Redis far away each lookup goes out alone, at once, and still sees a revocation acknowledged before it', async () => {
    let roundTrips = 0;
    // The real Redis, 10 ms further away: every round trip waits before it is sent.
    const far = beforeEachRoundTrip(async () => {
      roundTrips++;
      await new Promise((r) => setTimeout(r, 10));
    });
    const store = isolate(far, 0);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const revoked = `jti-far-${++n}`;
    await store.revoke({ jti: revoked, clientId: 'c', exp });
    await store.rebuild();
    // The first round trip tells the isolate how far Redis is.
    expect((await store.state(revoked, ctx)).revoked).toBe(true);
    roundTrips = 0;
    const jtis = [revoked, ...Array.from({ length: 4 }, () => `jti-far-${++n}`)];
    const answers = await Promise.all(jtis.map((jti) => store.state(jti, ctx)));
    expect(answers.map((a) => a.revoked)).toEqual([true, false, false, false, false]);
    expect(roundTrips).toBe(5);
    const late = `jti-far-late-${++n}`;
    await store.revoke({ jti: late, clientId: 'c', exp });
    expect((await store.state(late, ctx)).revoked).toBe(true);
  });

  describe('under the revocation lease', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const logKey = () => plane.deps.redis.key('revoked', 'log');
    const exp = () => Math.floor(Date.now() / 1000) + 600;
    /** A complete denylist with a change log to continue from (the rebuild writes the marker and the log's anchor). */
    const complete = async () => {
      await plane.dp.redis.del(plane.deps.redis.key('revoked', 'rebuild'));
      await isolate(plane.deps, 0).rebuild();
    };
    let roundTrips = 0;
    /** The real Redis, counting round trips. */
    const counting = () =>
      beforeEachRoundTrip(() => {
        roundTrips++;
      });

    it('the attack: a token revoked through one isolate is inactive in another from the moment the revocation is acknowledged, though that isolate answers it from memory until then', async () => {
      await complete();
      const a = isolate(plane.deps, LEASE_MS);
      const b = isolate(counting(), LEASE_MS);
      const jti = `jti-lease-${++n}`;
      expect((await b.state(jti, ctx)).revoked).toBe(false);
      // B introspects the token all along (renewing its lease in the background) while A revokes it.
      const answers: { startedAt: number; revoked: boolean }[] = [];
      let stop = false;
      roundTrips = 0;
      const introspecting = (async () => {
        while (!stop) {
          const startedAt = performance.now();
          answers.push({ startedAt, revoked: (await b.state(jti, ctx)).revoked });
          await sleep(2);
        }
      })();
      await sleep(3 * LEASE_MS);
      const revokeStarted = performance.now();
      await a.revoke({ jti, clientId: 'c', exp: exp(), reason: 'test' });
      const acknowledged = performance.now();
      await sleep(LEASE_MS);
      stop = true;
      await introspecting;
      const after = answers.filter((x) => x.startedAt >= acknowledged);
      expect(after.length).toBeGreaterThan(10);
      expect(after.filter((x) => x.revoked === false)).toEqual([]);
      expect(acknowledged - revokeStarted).toBeGreaterThanOrEqual(LEASE_MS - 1);
      // B's memory answered most of them: round trips were only its lease's renewals (and its first read after the
      // revocation reached the log).
      expect(roundTrips).toBeLessThan(answers.length / 4);
    });

    it('what the wait is for: a revocation not yet acknowledged may still be answered from memory, and is seen once the lease has passed', async () => {
      await complete();
      // A longer lease than the default here: the write below must land within it, and on a loaded machine a
      // Postgres and Redis write took longer than 200 ms (a full run saw B renew its lease before the second read).
      const lease = 2_000;
      const b = isolate(counting(), lease);
      const jti = `jti-unacked-${++n}`;
      expect((await b.state(jti, ctx)).revoked).toBe(false);
      const read = performance.now();
      // Straight to the store: in Postgres and Redis, but not acknowledged (RevocationState.revoke would wait).
      await new PostgresRevocationStore(plane.deps, versionKey(), revocationLease(lease)).revoke({
        jti,
        clientId: 'c',
        exp: exp(),
      });
      expect(
        performance.now() - read,
        'the write took half the lease or more: this run cannot show the window',
      ).toBeLessThan(lease / 2);
      roundTrips = 0;
      expect((await b.state(jti, ctx)).revoked).toBe(false);
      expect(roundTrips).toBe(0);
      await sleep(lease);
      expect((await b.state(jti, ctx)).revoked).toBe(true);
    });

    it('a token from a family revoked through another isolate is inactive once the revocation is acknowledged', async () => {
      await complete();
      const a = isolate(plane.deps, LEASE_MS);
      const b = isolate(counting(), LEASE_MS);
      const jti = `jti-family-${++n}`;
      const rfid = `family-${n}`;
      expect((await b.state(jti, ctx, rfid)).revoked).toBe(false);
      expect((await b.state(jti, ctx, rfid)).revoked).toBe(false);
      await a.revokeFamily(rfid, 'c', exp(), 'test');
      expect((await b.state(jti, ctx, rfid)).revoked).toBe(true);
      // The same token without its family (as no introspection asks it) is not itself on the denylist.
      expect((await b.state(jti, ctx)).revoked).toBe(false);
    });

    it('answers from memory without a round trip, and renews its lease in the background once half of it is used', async () => {
      const lease = 1_000;
      await complete();
      // The real Redis, counting round trips, and holding them while `held` is set.
      let held: Promise<void> | undefined;
      const b = isolate(
        beforeEachRoundTrip(() => {
          roundTrips++;
          return held;
        }),
        lease,
      );
      const jti = `jti-renew-${++n}`;
      expect((await b.state(jti, ctx)).revoked).toBe(false);
      roundTrips = 0;
      const renewals: Promise<unknown>[] = [];
      const collect = { waitUntil: (p: Promise<unknown>) => void renewals.push(p) };
      for (let i = 0; i < 50; i++) expect((await b.state(jti, collect)).revoked).toBe(false);
      expect(roundTrips).toBe(0);
      expect(renewals).toHaveLength(0);
      await sleep(lease / 2 + 50);
      expect((await b.state(jti, collect)).revoked).toBe(false);
      expect(renewals).toHaveLength(1);
      await Promise.all(renewals);
      expect(roundTrips).toBe(1);
      // Past the end of the first lease, the renewed one still answers: with every round trip held, the lookup
      // returns at once (and starts the next renewal, which waits for Redis).
      await sleep(lease / 2 + 50);
      let release = () => {};
      held = new Promise((r) => {
        release = r;
      });
      expect((await b.state(jti, collect)).revoked).toBe(false);
      expect(renewals).toHaveLength(2);
      release();
      await Promise.all(renewals);
    });

    it('forgets everything it learned when the change log loses its cursor (flushed or trimmed past it)', async () => {
      await complete();
      const b = isolate(counting(), LEASE_MS);
      const jti = `jti-lost-log-${++n}`;
      expect((await b.state(jti, ctx)).revoked).toBe(false);
      // The log is lost, and the token revoked without an entry B could read (a rebuild re-adding a member).
      await plane.dp.redis.del(logKey());
      await plane.dp.redis.zadd(plane.deps.redis.key('revoked'), { score: exp(), member: jti });
      await plane.dp.redis.xadd(logKey(), '*', { anchor: '1' });
      // B's next round trip (for another token) finds its cursor gone: it must not keep its answer for the first.
      expect((await b.state(`jti-other-${++n}`, ctx)).revoked).toBe(false);
      roundTrips = 0;
      expect((await b.state(jti, ctx)).revoked).toBe(true);
      expect(roundTrips).toBe(1);
    });

    it('forgets everything it learned when the denylist loses its completeness marker', async () => {
      await complete();
      const b = isolate(counting(), LEASE_MS);
      const jti = `jti-lost-marker-${++n}`;
      expect((await b.state(jti, ctx)).revoked).toBe(false);
      // A durable record that never reached Redis, and the denylist gone: only Postgres can answer.
      await plane.deps.pg.withDb((db) =>
        db.insert(revokedTokens).values({ jti, clientId: 'c', expiresAt: new Date(exp() * 1000), reason: 'test' }),
      );
      await plane.dp.redis.del(plane.deps.redis.key('revoked'), plane.deps.redis.key('revoked', 'rebuild'));
      expect((await b.state(`jti-other-${++n}`, ctx)).revoked).toBe(false);
      expect((await b.state(jti, ctx)).revoked).toBe(true);
    });
  });

  it('a rebuild re-asserts every unexpired revocation and drops expired members', async () => {
    const store = new PostgresRevocationStore(plane.deps, versionKey(), revocationLease(0));
    const denylist = plane.deps.redis.key('revoked');
    const jti = `jti-removed-${++n}`;
    await store.revoke({ jti, clientId: 'c', exp: Math.floor(Date.now() / 1000) + 600 });
    // One member removed behind our back while the marker stays: the next (hourly) rebuild brings it back.
    await plane.dp.redis.zrem(denylist, jti);
    await plane.dp.redis.zadd(denylist, { score: 1, member: 'long-expired' });
    // (The lock of the previous test's rebuild is still held: a rebuild finding it held leaves the work to its owner.)
    expect(await store.rebuild()).toBeNull();
    await plane.dp.redis.del(plane.deps.redis.key('revoked', 'rebuild'));
    expect(await store.rebuild()).toBeGreaterThanOrEqual(1);
    const scores = await plane.dp.redis.zmscore(denylist, [jti, 'long-expired']);
    expect(scores?.map((v) => v !== null)).toEqual([true, false]);
  });
});

describe('SigningKeyStore conformance: Postgres, with the change counter in Redis', () => {
  const key = (kid: string, at: number) => ({
    kid,
    alg: 'ES256',
    publicJwk: { kty: 'EC', kid },
    privateKeyCiphertext: 'v1.x.y',
    kekId: 'kek-1',
    status: 'active' as const,
    publishedAt: at,
    activatesAt: at,
  });

  it('writes what maintenance decides under one lock, and raises the counter only on a change', async () => {
    const store = new PostgresSigningKeyStore(plane.deps);
    expect(await store.list()).toEqual([]);
    expect(await store.version()).toBeNull();
    // Two isolates maintain at once; each creates a key only if none exists. The lock lets exactly one do it.
    const createIfNone = (kid: string) =>
      store.maintain(Date.now(), async (keys, at) => {
        const changes: KeyChanges = { create: keys.length === 0 ? key(kid, at) : undefined, update: [], delete: [] };
        return { changes, result: keys.length };
      });
    const seen = await Promise.all([createIfNone('k1'), createIfNone('k2')]);
    expect(seen.sort()).toEqual([0, 1]);
    const keys = await store.list();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ status: 'active', kekId: 'kek-1', privateKeyCiphertext: 'v1.x.y' });
    const first = await store.version();
    expect(first).toEqual(expect.any(String));
    await store.maintain(Date.now(), async () => ({ changes: { update: [], delete: [] }, result: null }));
    expect(await store.version()).toBe(first);
    const kid = keys[0]?.kid as string;
    const retiredAt = Date.now();
    await store.maintain(Date.now(), async () => ({
      changes: { update: [{ kid, status: 'retired', retiredAt, expiresAt: retiredAt + 1000 }], delete: [] },
      result: null,
    }));
    expect((await store.list())[0]).toMatchObject({ status: 'retired', expiresAt: retiredAt + 1000 });
    const afterRetire = await store.version();
    expect(afterRetire).not.toBe(first);
    await store.maintain(Date.now(), async () => ({ changes: { update: [], delete: [kid] }, result: null }));
    expect(await store.list()).toEqual([]);
    // Every change sets a fresh random value (never a counter a flushed Redis could repeat).
    const afterDelete = await store.version();
    expect(afterDelete).not.toBe(afterRetire);
    expect(afterDelete).not.toBe(first);
  });
});
