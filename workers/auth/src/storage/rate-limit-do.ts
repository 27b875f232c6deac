/** RateLimitStore on the RateLimiter Durable Object namespace: one object per key. */
import type { RateLimiter } from '../durable-objects/rate-limiter.js';
import type { RateLimitStore } from './rate-limit-store.js';

export type RateLimiterNamespace = DurableObjectNamespace<RateLimiter>;

/** Ids are derived by hashing the name; caching them saves that work on the hot path (ids are not I/O objects). */
const idCache = new WeakMap<RateLimiterNamespace, Map<string, DurableObjectId>>();
const MAX_CACHED_IDS = 10_000;

function idFor(ns: RateLimiterNamespace, key: string): DurableObjectId {
  let ids = idCache.get(ns);
  if (!ids) {
    ids = new Map();
    idCache.set(ns, ids);
  }
  let id = ids.get(key);
  if (!id) {
    if (ids.size >= MAX_CACHED_IDS) ids.clear();
    id = ns.idFromName(key);
    ids.set(key, id);
  }
  return id;
}

export function durableObjectStore(ns: RateLimiterNamespace): RateLimitStore {
  return {
    backend: 'durable-object',
    // Stubs are made per call: a stub belongs to the request that created it.
    acquire: (key, params, req) => ns.get(idFor(ns, key)).acquire(params, req),
    charge: (key, params, cost) => ns.get(idFor(ns, key)).charge(params, cost),
  };
}
