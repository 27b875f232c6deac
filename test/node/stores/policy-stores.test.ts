/**
 * Conformance of the policy Worker's stores (workers/policy/src/domain/policy-store.ts) on their adapters: the
 * policy store on Postgres and the generation signal on Redis, against the real servers.
 */
import { describe, expect, it } from 'vitest';
import { RedisGenerationSignal } from '../../../workers/policy/src/storage/generation-signal.js';
import {
  ActiveVersionChangedError,
  PostgresPolicyStore,
  VersionNotFoundError,
} from '../../../workers/policy/src/storage/policy-store.js';
import { useDataPlane } from './setup.js';

const plane = useDataPlane('policy');

const seed = { policies: 'permit(principal, action, resource);', schema: 'entity User;' };
const uid = (id: string) => ({ type: 'User', id });
const ids = (entities: { uid: unknown }[]) => entities.map((e) => (e.uid as { id: string }).id);

describe('PolicyStore conformance: Postgres', () => {
  it('seeds an empty set exactly once, even under concurrent loads', async () => {
    const store = new PostgresPolicyStore(plane.deps.pg, 'seeded');
    const states = await Promise.all(Array.from({ length: 5 }, () => store.loadActive(seed)));
    for (const s of states) expect(s).toMatchObject({ version: 1, policies: seed.policies, entities: [] });
    const versions = await store.listVersions();
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, created_by: 'system', active: true });
  });

  it('publishes immutable versions, activates one (raising the generation), and rolls back', async () => {
    const store = new PostgresPolicyStore(plane.deps.pg, 'lifecycle');
    const first = await store.loadActive(seed);
    const v2 = await store.publishVersion({
      ...seed,
      policies: 'forbid(principal, action, resource);',
      createdBy: 'alice',
    });
    expect(v2).toMatchObject({ version: 2, active: false, created_by: 'alice' });
    expect((await store.getVersion(2)).policies).toContain('forbid');
    const activated = await store.activateVersion(2, () => {});
    expect(activated).toMatchObject({ version: 2, previous: 1 });
    expect(activated.generation).toBeGreaterThan(first.generation);
    expect((await store.loadActive(seed)).version).toBe(2);
    const back = await store.activateVersion(1, () => {});
    expect(back.generation).toBeGreaterThan(activated.generation);
    await expect(store.getVersion(9)).rejects.toBeInstanceOf(VersionNotFoundError);
    await expect(store.activateVersion(9, () => {})).rejects.toBeInstanceOf(VersionNotFoundError);
    // A refusing check leaves the active version as it was.
    await expect(
      store.activateVersion(2, () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect((await store.loadActive(seed)).version).toBe(1);
  });

  it('keeps entities per set, in (type, id) order, and refuses a write validated against a replaced version', async () => {
    const store = new PostgresPolicyStore(plane.deps.pg, 'entities');
    const active = await store.loadActive(seed);
    const g1 = await store.upsertEntity(active.version, { uid: uid('b'), attrs: { n: 1 }, parents: [] });
    const g2 = await store.upsertEntity(active.version, { uid: uid('a'), attrs: {}, parents: [uid('b')] });
    expect(g2).toBeGreaterThan(g1);
    expect(ids(await store.listEntities({ limit: 10 }))).toEqual(['a', 'b']);
    expect(ids(await store.listEntities({ limit: 10, after: uid('a') }))).toEqual(['b']);
    expect((await store.loadActive(seed)).entities).toHaveLength(2);
    await expect(
      store.upsertEntity(active.version + 1, { uid: uid('c'), attrs: {}, parents: [] }),
    ).rejects.toBeInstanceOf(ActiveVersionChangedError);
    expect(await store.deleteEntity(uid('b'))).toBeGreaterThan(g2);
    expect(await store.deleteEntity(uid('b'))).toBeNull();
    expect(await new PostgresPolicyStore(plane.deps.pg, 'another-set').listEntities({ limit: 10 })).toEqual([]);
  });
});

describe('GenerationSignal conformance: Redis', () => {
  it('reads nothing until published, and only ever moves forward', async () => {
    const a = new RedisGenerationSignal(plane.deps.redis, 'signal');
    const b = new RedisGenerationSignal(plane.deps.redis, 'signal');
    expect(await a.read(1000)).toBeNull();
    await a.publish(5, 1000);
    expect(await b.read(1000)).toBe(5);
    await b.publish(3, 1000);
    expect(await a.read(1000)).toBe(5);
    expect(await new RedisGenerationSignal(plane.deps.redis, 'other').read(1000)).toBeNull();
  });
});
