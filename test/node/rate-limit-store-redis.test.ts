// The RateLimitStore conformance suite on the Redis adapter, on the real Redis through the Upstash-protocol bridge.
import { afterAll, beforeAll } from 'vitest';
import { createRedisClient } from '../../shared/redis.js';
import { redisStore } from '../../shared/rate-limit/storage/redis.js';
import { rateLimitStoreConformance } from '../../shared/test/rate-limit-store-suite.js';
import { startTestDataPlane, type TestDataPlane } from './harness.js';

let dp: TestDataPlane;
beforeAll(async () => {
  dp = await startTestDataPlane();
}, 60_000);
afterAll(async () => {
  await dp?.stop();
}, 60_000);

let n = 0;
rateLimitStoreConformance(
  'Redis',
  () =>
    redisStore(
      createRedisClient({
        UPSTASH_REDIS_REST_URL: dp.redisRestUrl,
        UPSTASH_REDIS_REST_TOKEN: dp.redisRestToken,
        REDIS_KEY_PREFIX: dp.redisPrefix,
      }),
    ),
  () => `conformance-${++n}`,
);
