/**
 * The conformance suite of RateLimitStore (shared/rate-limit/domain/store.ts): what every adapter must do, run
 * against each of them on the real thing: the Durable Object adapter inside workerd
 * (shared/test/rate-limit-store-do.test.ts) and the Redis adapter on the real Redis through the Upstash-protocol
 * bridge (test/node/stores/rate-limit-store-redis.test.ts). Each case uses keys of its own.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../rate-limit/domain/store.js';

const take = { cost: 1, lease: 0, leaseTtlMs: 1000 };
const slow = (capacity: number) => ({ capacity, refillPerSecond: 0.001 });

export function rateLimitStoreConformance(name: string, store: () => RateLimitStore, keyPrefix: () => string): void {
  describe(`RateLimitStore conformance: ${name}`, () => {
    let prefix = '';
    beforeEach(() => {
      prefix = keyPrefix();
    });
    const key = (what: string) => `${prefix}:${what}`;

    it('admits exactly the capacity under concurrent calls, then refuses with a retry hint', async () => {
      const s = store();
      const k = key('concurrent');
      const results = await Promise.all(Array.from({ length: 30 }, () => s.acquire(k, slow(12), take)));
      expect(results.filter((r) => r.allowed)).toHaveLength(12);
      for (const r of results.filter((x) => !x.allowed)) {
        expect(r.remaining).toBe(0);
        expect(r.retryAfterMs).toBeGreaterThan(900_000); // one token per 1000 s
      }
    });

    it('keeps keys apart', async () => {
      const s = store();
      expect((await s.acquire(key('a'), slow(1), take)).allowed).toBe(true);
      expect((await s.acquire(key('a'), slow(1), take)).allowed).toBe(false);
      expect((await s.acquire(key('b'), slow(1), take)).allowed).toBe(true);
    });

    it('lends at most what was asked and never more than half of what is left; lent tokens leave the bucket', async () => {
      const s = store();
      const k = key('lease');
      const first = await s.acquire(k, slow(10), { cost: 1, lease: 100, leaseTtlMs: 60_000 });
      expect(first.allowed).toBe(true);
      expect(first.lease?.amount).toBe(4); // floor(9 / 2)
      expect(first.lease?.ttlMs).toBe(60_000);
      expect(first.remaining).toBe(5);
      const second = await s.acquire(k, slow(10), { cost: 0, lease: 2, leaseTtlMs: 60_000 });
      expect(second.lease?.amount).toBe(2);
      expect(second.lease?.id).not.toBe(first.lease?.id);
      expect(second.remaining).toBe(3);
    });

    it('takes back unspent tokens of an outstanding lease, once; an unknown lease changes nothing', async () => {
      const s = store();
      const k = key('returns');
      const granted = await s.acquire(k, slow(10), { cost: 1, lease: 4, leaseTtlMs: 60_000 });
      const id = granted.lease?.id as string;
      const back = await s.acquire(k, slow(10), { cost: 0, lease: 0, leaseTtlMs: 1000, returns: [{ id, unspent: 3 }] });
      expect(back.remaining).toBe(8);
      const again = await s.acquire(k, slow(10), {
        cost: 0,
        lease: 0,
        leaseTtlMs: 1000,
        returns: [{ id, unspent: 3 }],
      });
      expect(again.remaining).toBe(8);
      const unknown = await s.acquire(k, slow(10), {
        cost: 0,
        lease: 0,
        leaseTtlMs: 1000,
        returns: [{ id: 'no-such-lease', unspent: 5 }],
      });
      expect(unknown.remaining).toBe(8);
    });

    it('charges penalties without refusing, down to an empty bucket', async () => {
      const s = store();
      const k = key('charge');
      await s.charge(k, slow(10), 6);
      expect((await s.acquire(k, slow(10), { cost: 0, lease: 0, leaseTtlMs: 1000 })).remaining).toBe(4);
      await s.charge(k, slow(10), 100);
      expect((await s.acquire(k, slow(10), take)).allowed).toBe(false);
    });

    it('refills at the configured rate, up to the capacity', async () => {
      const s = store();
      const k = key('refill');
      const fast = { capacity: 2, refillPerSecond: 20 };
      expect((await s.acquire(k, fast, take)).allowed).toBe(true);
      expect((await s.acquire(k, fast, take)).allowed).toBe(true);
      const refused = await s.acquire(k, fast, take);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(50);
      await new Promise((r) => setTimeout(r, 250));
      const after = await s.acquire(k, fast, { cost: 0, lease: 0, leaseTtlMs: 1000 });
      expect(after.remaining).toBe(2);
    });
  });
}
