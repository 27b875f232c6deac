import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../rate-limit/durable-objects/rate-limiter.js';
import type { RateLimiterNamespace } from '../rate-limit/storage/durable-object.js';

const ns = (env as unknown as { RATE_LIMITER: RateLimiterNamespace }).RATE_LIMITER;
const stubFor = (name: string) => ns.get(ns.idFromName(name));
const take = { cost: 1, lease: 0, leaseTtlMs: 1000 };

describe('RateLimiter Durable Object', () => {
  it('admits exactly the capacity under concurrent calls, one object per key', async () => {
    const stub = stubFor('do-test:concurrent');
    const params = { capacity: 20, refillPerSecond: 0.001 };
    const results = await Promise.all(Array.from({ length: 60 }, () => stub.acquire(params, take)));
    expect(results.filter((r) => r.allowed)).toHaveLength(20);
    const refused = results.filter((r) => !r.allowed);
    expect(refused).toHaveLength(40);
    for (const r of refused) {
      expect(r.remaining).toBe(0);
      expect(r.retryAfterMs).toBeGreaterThan(900_000); // one token per 1000 s
    }
    // Another key is another bucket.
    expect((await stubFor('do-test:other').acquire(params, take)).allowed).toBe(true);
  });

  it('persists the bucket in SQLite, so a restarted object resumes where it was', async () => {
    const stub = stubFor('do-test:persist');
    const params = { capacity: 5, refillPerSecond: 0.001 };
    const granted = await stub.acquire(params, { cost: 1, lease: 2, leaseTtlMs: 60_000 });
    expect(granted.lease?.amount).toBe(2);
    const row = await runInDurableObject(stub, (_instance: RateLimiter, state) =>
      state.storage.sql.exec<{ tokens: number; leases: string; capacity: number }>('SELECT * FROM bucket').one(),
    );
    expect(row.tokens).toBeCloseTo(2, 2);
    expect(JSON.parse(row.leases)).toEqual([expect.objectContaining({ id: granted.lease?.id, amount: 2 })]);
    expect(row.capacity).toBe(5);
    // A fresh instance over the same storage reads the same state (the constructor loads the row).
    const reloaded = await runInDurableObject(stub, (instance: RateLimiter, state) => {
      const Ctor = instance.constructor as new (ctx: DurableObjectState, env: unknown) => RateLimiter;
      return new Ctor(state, {}).inspect();
    });
    expect(reloaded.state?.leases).toHaveLength(1);
    expect(reloaded.state?.tokens).toBeCloseTo(2, 2);
  });

  it('takes back unspent lease tokens and charges penalties', async () => {
    const stub = stubFor('do-test:lease-return');
    const params = { capacity: 10, refillPerSecond: 0.001 };
    const first = await stub.acquire(params, { cost: 1, lease: 4, leaseTtlMs: 60_000 });
    expect(first.lease?.amount).toBe(4);
    expect(first.remaining).toBe(5);
    const back = await stub.acquire(params, {
      cost: 0,
      lease: 0,
      leaseTtlMs: 60_000,
      returns: [{ id: first.lease?.id as string, unspent: 3 }],
    });
    expect(back.remaining).toBe(8);
    await stub.charge(params, 6);
    expect((await stub.acquire(params, { cost: 0, lease: 0, leaseTtlMs: 1000 })).remaining).toBe(2);
    await stub.charge(params, 100);
    const after = await stub.acquire(params, take);
    expect(after.allowed).toBe(false);
  });

  it('rejects nonsense parameters instead of storing them', async () => {
    const stub = stubFor('do-test:invalid');
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (err: Error) => err.message,
      );
    expect(await failure(stub.acquire({ capacity: 0, refillPerSecond: 1 }, take))).toMatch(/invalid bucket parameters/);
    expect(await failure(stub.acquire({ capacity: 5, refillPerSecond: Number.NaN }, take))).toMatch(/invalid/);
    expect(await runInDurableObject(stub, (instance: RateLimiter) => instance.inspect().state)).toBeUndefined();
  });

  it('deletes its state once the bucket is full again with nothing lent', async () => {
    const stub = stubFor('do-test:cleanup');
    const params = { capacity: 3, refillPerSecond: 100_000 };
    await stub.acquire(params, take);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(stub, (instance: RateLimiter, state) => ({
      tables: state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'bucket'")
        .toArray(),
      state: instance.inspect().state,
    }));
    expect(left.tables).toHaveLength(0);
    expect(left.state).toBeUndefined();
    // The next call starts a new incarnation: a full bucket and a new lease-id epoch.
    const next = await stub.acquire(params, { cost: 1, lease: 1, leaseTtlMs: 1000 });
    expect(next.allowed).toBe(true);
    expect(next.remaining).toBe(1);
  });

  it('keeps a bucket with outstanding leases until they expire', async () => {
    const stub = stubFor('do-test:cleanup-leased');
    const params = { capacity: 3, refillPerSecond: 100_000 };
    await stub.acquire(params, { cost: 0, lease: 1, leaseTtlMs: 60_000 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await runInDurableObject(stub, (instance: RateLimiter) => instance.inspect());
    expect(after.state?.leases).toHaveLength(1);
  });
});
