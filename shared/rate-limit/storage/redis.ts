/**
 * RateLimitStore on Redis (STATE_BACKEND=redis): for deployments where Durable Objects are not shared, such as
 * several workerd replicas on Kubernetes. Every bucket is one key updated by one atomic Lua script (EVALSHA, with
 * EVAL on NOSCRIPT), on the Redis clock, so all replicas see one bucket exactly as all isolates see one Durable
 * Object on Cloudflare.
 */
import type { RedisClient } from '../../redis.js';
import type { RateLimitStore } from '../domain/store.js';
import type { AcquireResult, LeaseReturn } from '../domain/token-bucket.js';
import { TOKEN_BUCKET_LUA } from './redis-script.js';

type Reply = [number, number, number, number, string, number, number];

export function encodeReturns(returns: readonly LeaseReturn[] | undefined): string {
  if (!returns || returns.length === 0) return '';
  return returns.map((r) => `${r.id}=${Math.floor(r.unspent)}`).join(';');
}

export function decodeReply(reply: Reply): AcquireResult {
  const [allowed, remaining, retryAfterMs, resetMs, leaseId, leaseAmount, leaseTtlMs] = reply;
  return {
    allowed: Number(allowed) === 1,
    remaining: Number(remaining),
    retryAfterMs: Number(retryAfterMs),
    resetMs: Number(resetMs),
    lease:
      leaseId && Number(leaseAmount) > 0
        ? { id: String(leaseId), amount: Number(leaseAmount), ttlMs: Number(leaseTtlMs) }
        : undefined,
  };
}

export function redisStore(client: RedisClient): RateLimitStore {
  // The client holds only settings (each command is its own fetch), so one serves every request. The script
  // object is per call: its SHA-1 is computed asynchronously, and a promise settled by one request must not be
  // awaited by another in workerd.
  const run = (key: string, args: string[]) =>
    client.redis.createScript<Reply>(TOKEN_BUCKET_LUA).exec([client.key('rate-limit', key)], args);
  return {
    backend: 'redis',
    async acquire(key, params, req) {
      const reply = await run(key, [
        'acquire',
        String(params.capacity),
        String(params.refillPerSecond),
        String(req.cost),
        String(req.lease),
        String(req.leaseTtlMs),
        encodeReturns(req.returns),
        '',
      ]);
      return decodeReply(reply);
    },
    async charge(key, params, cost) {
      await run(key, [
        'charge',
        String(params.capacity),
        String(params.refillPerSecond),
        String(cost),
        '0',
        '0',
        '',
        '',
      ]);
    },
  };
}
