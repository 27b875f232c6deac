/**
 * The Redis backend's Lua script against the pure TypeScript bucket (the Durable Object's math), on the real Redis
 * through the Upstash-protocol bridge: the same operation sequences must give the same answers. The script takes
 * its clock from Redis; these tests pass explicit times (ARGV[8]) so both sides see the same instants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AcquireRequest,
  type AcquireResult,
  acquire,
  type BucketParams,
  type BucketState,
  charge,
  newBucket,
} from '../../shared/rate-limit/domain/token-bucket.js';
import { TOKEN_BUCKET_LUA } from '../../shared/rate-limit/storage/redis-script.js';
import { startTestDataPlane, type TestDataPlane } from './harness.js';

type Reply = [number, number, number, number, string, number, number];

let dp: TestDataPlane;
beforeAll(async () => {
  dp = await startTestDataPlane();
});
afterAll(async () => {
  await dp?.stop();
});

const encodeReturns = (r: AcquireRequest['returns']) => (r ?? []).map((x) => `${x.id}=${x.unspent}`).join(';');

async function luaAcquire(key: string, p: BucketParams, now: number, req: AcquireRequest): Promise<AcquireResult> {
  const script = dp.redis.createScript<Reply>(TOKEN_BUCKET_LUA);
  const [allowed, remaining, retryAfterMs, resetMs, leaseId, amount, ttl] = await script.exec(
    [dp.redisPrefix + key],
    [
      'acquire',
      String(p.capacity),
      String(p.refillPerSecond),
      String(req.cost),
      String(req.lease),
      String(req.leaseTtlMs),
      encodeReturns(req.returns),
      String(now),
    ],
  );
  return {
    allowed: Number(allowed) === 1,
    remaining: Number(remaining),
    retryAfterMs: Number(retryAfterMs),
    resetMs: Number(resetMs),
    lease: leaseId ? { id: String(leaseId), amount: Number(amount), ttlMs: Number(ttl) } : undefined,
  };
}

async function luaCharge(key: string, p: BucketParams, now: number, cost: number): Promise<void> {
  await dp.redis
    .createScript<Reply>(TOKEN_BUCKET_LUA)
    .exec(
      [dp.redisPrefix + key],
      ['charge', String(p.capacity), String(p.refillPerSecond), String(cost), '0', '0', '', String(now)],
    );
}

describe('Redis Lua token bucket', () => {
  it('gives the same answers as the TypeScript bucket on random operation sequences', async () => {
    let x = 7;
    const rnd = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    for (let round = 0; round < 6; round++) {
      const params: BucketParams = {
        capacity: 5 + Math.floor(rnd() * 40),
        refillPerSecond: [0.5, 3, 20, 250][round % 4] as number,
      };
      const key = `rl-diff-${round}`;
      let ts: BucketState | undefined;
      let t = 1_700_000_000_000;
      const held: { id: string; amount: number }[] = [];
      // The script picks the epoch (lease-id prefix) from the Redis clock when it creates the key: adopt it.
      const adopt = async () => {
        if (ts) return ts;
        const raw = (await dp.redis.get<string>(dp.redisPrefix + key)) as string;
        return newBucket(params, t, raw.split('|')[2] as string);
      };
      for (let step = 0; step < 120; step++) {
        t += Math.floor(rnd() * 400);
        const op = rnd();
        if (op < 0.1) {
          const cost = 1 + Math.floor(rnd() * 15);
          await luaCharge(key, params, t, cost);
          ts = charge(await adopt(), params, t, cost);
          continue;
        }
        const returns =
          op < 0.3 && held.length > 0
            ? held.splice(0, 1).map((h) => ({ id: h.id, unspent: Math.floor(rnd() * (h.amount + 2)) }))
            : [];
        const req: AcquireRequest = {
          cost: rnd() < 0.2 ? 0 : 1 + Math.floor(rnd() * 3),
          lease: rnd() < 0.5 ? Math.floor(rnd() * 20) : 0,
          leaseTtlMs: 300 + Math.floor(rnd() * 1500),
          returns,
        };
        const fromLua = await luaAcquire(key, params, t, req);
        const fromTs = acquire(await adopt(), params, t, req);
        ts = fromTs.state;
        expect({ round, step, ...fromLua }).toEqual({ round, step, ...fromTs.result });
        if (fromLua.lease) held.push({ id: fromLua.lease.id, amount: fromLua.lease.amount });
      }
      // And the stored state matches too.
      const raw = (await dp.redis.get<string>(dp.redisPrefix + key)) as string;
      expect(Number(raw.split('|')[0])).toBeCloseTo((ts as BucketState).tokens, 9);
    }
  });

  it('expires idle keys and never reuses lease ids across incarnations', async () => {
    const script = dp.redis.createScript<Reply>(TOKEN_BUCKET_LUA);
    const args = ['acquire', '3', '1000', '1', '1', '1000', '', ''];
    const first = await script.exec([`${dp.redisPrefix}rl-idle`], args);
    const ttl = await dp.redis.pttl(`${dp.redisPrefix}rl-idle`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000 + 1000 + 10); // full again once the lease expires, plus a grace second
    await dp.redis.del(`${dp.redisPrefix}rl-idle`);
    const second = await script.exec([`${dp.redisPrefix}rl-idle`], args);
    expect(first[4]).toMatch(/^\d+\.1$/);
    expect(second[4]).toMatch(/^\d+\.1$/);
    expect(second[4]).not.toBe(first[4]);
  });
});
