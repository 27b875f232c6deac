/**
 * Where rate-limit buckets live. Two implementations of one interface, chosen by RATE_LIMIT_BACKEND so the handler
 * code is identical on every target:
 * - durable-object: one RateLimiter Durable Object per key (Cloudflare; a single workerd process);
 * - redis: one Redis key per key, updated by an atomic Lua script (several workerd replicas share it).
 */
import type { AcquireRequest, AcquireResult, BucketParams } from '../domain/token-bucket.js';

export interface RateLimitStore {
  readonly backend: 'durable-object' | 'redis';
  /** Atomically: give back leases, take `cost`, lend up to `lease` tokens. */
  acquire(key: string, params: BucketParams, req: AcquireRequest): Promise<AcquireResult>;
  /** Atomically charge a penalty (never refuses). */
  charge(key: string, params: BucketParams, cost: number): Promise<void>;
}
