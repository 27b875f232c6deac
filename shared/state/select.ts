/**
 * Builds the configured StateStore: the Durable Object namespace bound as the Worker's state object, or Redis
 * through the Worker's Upstash client (its services' `deps.redis`). STATE_BACKEND and STATE_TIMEOUT_MS are common
 * variables (shared/env.ts). A missing binding fails here, loudly, rather than on the first operation.
 */
import { ConfigError } from '../config.js';
import type { CommonConfig } from '../env.js';
import type { RedisClient } from '../redis.js';
import { durableObjectStateStore, type StateNamespace } from './durable-object.js';
import { redisStateStore } from './redis.js';
import type { StateStore } from './store.js';

export type StateConfig = Pick<CommonConfig, 'STATE_BACKEND' | 'STATE_TIMEOUT_MS' | 'REDIS_KEY_PREFIX'>;

export function createStateStore(
  config: StateConfig,
  redis: RedisClient,
  namespace: StateNamespace | undefined,
): StateStore {
  if (config.STATE_BACKEND === 'redis') {
    return redisStateStore(redis.redis, { prefix: config.REDIS_KEY_PREFIX, timeoutMs: config.STATE_TIMEOUT_MS });
  }
  if (!namespace) {
    throw new ConfigError('STATE_BACKEND', 'is durable-object but the Worker has no state Durable Object binding');
  }
  return durableObjectStateStore(namespace, { timeoutMs: config.STATE_TIMEOUT_MS });
}
