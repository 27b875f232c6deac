/**
 * Conformance of the auth Worker's stores (the interfaces declared in each capability's domain/) on their
 * adapter, Postgres with its Redis caches, against the real servers. Two store instances stand for two isolates.
 */
import { describe, expect, it } from 'vitest';
import type { ClientMetadata } from '../../../workers/auth/src/clients/domain/client-metadata.js';
import { PostgresClientStore } from '../../../workers/auth/src/clients/storage/clients.js';
import type { KeyChanges } from '../../../workers/auth/src/keys/domain/key-store.js';
import { PostgresSigningKeyStore } from '../../../workers/auth/src/keys/storage/signing-keys.js';
import { PostgresRevocationStore } from '../../../workers/auth/src/tokens/storage/revocations.js';
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
  metadata: metadata(scope),
  rateLimit: null,
  clientIdIssuedAt: 1_700_000_000,
});

describe('ClientStore conformance: Postgres, cached in Redis and the isolate', () => {
  it('stores a client and returns it, the management row with its token hash, the cached record without', async () => {
    const store = new PostgresClientStore(plane.deps, 1_000);
    const c = newClient();
    const row = await store.insert(c);
    expect(row).toMatchObject({
      clientId: c.clientId,
      status: 'active',
      version: 1,
      registrationTokenHash: c.registrationTokenHash,
    });
    const record = await store.get(c.clientId);
    expect(record).toMatchObject({ clientId: c.clientId, secretHash: c.secretHash, status: 'active' });
    expect(record).not.toHaveProperty('registrationTokenHash');
    expect(record?.metadata.scope).toBe('read');
    expect((await store.readRow(c.clientId))?.registrationTokenHash).toBe(c.registrationTokenHash);
  });

  it('answers null for an unknown client, and remembers that in Redis', async () => {
    const store = new PostgresClientStore(plane.deps, 0);
    const id = `unknown-${++n}`;
    expect(await store.get(id)).toBeNull();
    expect(await plane.deps.redis.redis.get(plane.deps.redis.key('client', id))).toBe('{"missing":true}');
    expect(await store.readRow(id)).toBeNull();
  });

  it('updates and deletes; another isolate sees each change once its cache entry is due', async () => {
    const writer = new PostgresClientStore(plane.deps, 60_000);
    const reader = new PostgresClientStore(plane.deps, 0);
    const c = newClient('read');
    await writer.insert(c);
    expect((await reader.get(c.clientId))?.metadata.scope).toBe('read');
    const updated = await writer.updateMetadata(c.clientId, metadata('read write'));
    expect(updated?.version).toBe(2);
    expect((await reader.get(c.clientId))?.metadata.scope).toBe('read write');
    expect((await writer.get(c.clientId))?.version).toBe(2); // the writer's own cache was dropped
    expect(await writer.delete(c.clientId)).toBe(true);
    expect((await reader.get(c.clientId))?.status).toBe('deleted');
    expect(await writer.delete(c.clientId)).toBe(false);
    expect(await writer.updateMetadata(c.clientId, metadata('read'))).toBeNull();
    const tombstone = await writer.readRow(c.clientId);
    expect(tombstone).toMatchObject({ status: 'deleted', secretHash: null, registrationTokenHash: null });
  });
});

describe('RevocationStore conformance: Postgres, with the Redis denylist', () => {
  it('reports a revoked token revoked, to every isolate, and prunes records of expired tokens', async () => {
    const a = new PostgresRevocationStore(plane.deps);
    const b = new PostgresRevocationStore(plane.deps);
    const jti = `jti-${++n}`;
    expect(await a.isRevoked(jti)).toBe(false);
    await a.revoke({ jti, clientId: 'c', exp: Math.floor(Date.now() / 1000) + 600, reason: 'test' });
    expect(await a.isRevoked(jti)).toBe(true);
    expect(await b.isRevoked(jti)).toBe(true);
    // Revoking again is not an error.
    await b.revoke({ jti, clientId: 'c', exp: Math.floor(Date.now() / 1000) + 600 });
    const expired = `jti-expired-${++n}`;
    await a.revoke({ jti: expired, clientId: 'c', exp: Math.floor(Date.now() / 1000) - 10 });
    expect(await a.prune()).toBeGreaterThanOrEqual(1);
    expect(await a.prune()).toBe(0);
    expect(await a.isRevoked(jti)).toBe(true);
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
    expect(await store.version()).toBe('1');
    await store.maintain(Date.now(), async () => ({ changes: { update: [], delete: [] }, result: null }));
    expect(await store.version()).toBe('1');
    const kid = keys[0]?.kid as string;
    const retiredAt = Date.now();
    await store.maintain(Date.now(), async () => ({
      changes: { update: [{ kid, status: 'retired', retiredAt, expiresAt: retiredAt + 1000 }], delete: [] },
      result: null,
    }));
    expect((await store.list())[0]).toMatchObject({ status: 'retired', expiresAt: retiredAt + 1000 });
    await store.maintain(Date.now(), async () => ({ changes: { update: [], delete: [kid] }, result: null }));
    expect(await store.list()).toEqual([]);
    expect(await store.version()).toBe('3');
  });
});
