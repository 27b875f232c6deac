/**
 * Builds the configured StateStore: the Durable Object namespace bound as the Worker's state object, or Redis
 * through the Upstash client. A missing binding fails here, loudly, rather than on the first operation.
 */
import { ConfigError } from '../config.js';
import type { CommonConfig } from '../env.js';
import { createRedis } from '../redis.js';
import type { StateConfig } from './config.js';
import { durableObjectStateStore, type StateNamespace } from './durable-object.js';
import { redisStateStore } from './redis.js';
import type { StateStore } from './store.js';

type RedisConfig = Pick<CommonConfig, 'UPSTASH_REDIS_REST_URL' | 'UPSTASH_REDIS_REST_TOKEN' | 'REDIS_KEY_PREFIX'>;

export function createStateStore(config: StateConfig & RedisConfig, namespace: StateNamespace | undefined): StateStore {
  if (config.STATE_BACKEND === 'redis') {
    return redisStateStore(createRedis(config), {
      prefix: config.REDIS_KEY_PREFIX,
      timeoutMs: config.STATE_TIMEOUT_MS,
    });
  }
  if (!namespace) {
    throw new ConfigError('STATE_BACKEND', 'is durable-object but the Worker has no state Durable Object binding');
  }
  return durableObjectStateStore(namespace, { timeoutMs: config.STATE_TIMEOUT_MS });
}
