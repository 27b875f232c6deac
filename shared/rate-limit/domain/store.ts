/**
 * Where rate-limit buckets live: one interface, two adapters chosen by STATE_BACKEND, so callers are identical on
 * every target:
 * - durable-object: one RateLimiter Durable Object per key (Cloudflare; a single workerd process);
 * - redis: one Redis key per key, updated by an atomic Lua script (several workerd replicas share it).
 * Both run the algorithm of token-bucket.ts and pass the same conformance suite (shared/test/rate-limit-store-suite.ts).
 */
import type { AcquireRequest, AcquireResult, BucketParams } from './token-bucket.js';

export interface RateLimitStore {
  readonly backend: 'durable-object' | 'redis';
  /** Atomically: give back leases, take `cost`, lend up to `lease` tokens. */
  acquire(key: string, params: BucketParams, req: AcquireRequest): Promise<AcquireResult>;
  /** Atomically charge a penalty (never refuses). */
  charge(key: string, params: BucketParams, cost: number): Promise<void>;
}
