/** RateLimitStore on the RateLimiter Durable Object namespace: one object per key. */
import type { RateLimitStore } from '../domain/store.js';
import type { RateLimiter } from '../durable-objects/rate-limiter.js';

export type RateLimiterNamespace = DurableObjectNamespace<RateLimiter>;

const MAX_CACHED_IDS = 10_000;

export function durableObjectStore(ns: RateLimiterNamespace): RateLimitStore {
  // Ids are derived by hashing the name; caching them saves that work on the hot path (ids are not I/O objects).
  const ids = new Map<string, DurableObjectId>();
  const idFor = (key: string): DurableObjectId => {
    let id = ids.get(key);
    if (!id) {
      if (ids.size >= MAX_CACHED_IDS) ids.clear();
      id = ns.idFromName(key);
      ids.set(key, id);
    }
    return id;
  };
  return {
    backend: 'durable-object',
    // Stubs are made per call: a stub belongs to the request that created it.
    acquire: (key, params, req) => ns.get(idFor(key)).acquire(params, req),
    charge: (key, params, cost) => ns.get(idFor(key)).charge(params, cost),
  };
}
