/**
 * Builds a Worker's rate limiter on the store STATE_BACKEND selects: the RateLimiter Durable Object namespace
 * (binding `RATE_LIMITER`) or Redis. A missing binding is a configuration error, reported by /ready.
 */
import { ConfigError } from '../config.js';
import type { Dependencies } from '../dependencies.js';
import type { StateBackend } from '../env.js';
import { Limiter, type LimiterSettings } from './limiter.js';
import { durableObjectStore, type RateLimiterNamespace } from './storage/durable-object.js';
import { redisStore } from './storage/redis.js';

export function createLimiter(
  config: LimiterSettings & { STATE_BACKEND: StateBackend },
  deps: Dependencies,
  namespace: RateLimiterNamespace | undefined,
): Limiter {
  if (config.STATE_BACKEND === 'redis') return new Limiter(redisStore(deps.redis), config);
  if (!namespace) {
    throw new ConfigError('STATE_BACKEND', 'is durable-object, but the RATE_LIMITER Durable Object binding is missing');
  }
  return new Limiter(durableObjectStore(namespace), config);
}
