// The RateLimitStore conformance suite on the Redis adapter, on the real Redis through the Upstash-protocol bridge.
import { redisStore } from '../../../shared/rate-limit/storage/redis.js';
import { rateLimitStoreConformance } from '../../../shared/test/rate-limit-store-suite.js';
import { redisClientOf, useDataPlane } from './setup.js';

const plane = useDataPlane('auth');
let n = 0;
rateLimitStoreConformance(
  'Redis',
  () => redisStore(redisClientOf(plane.dp, 'auth')),
  () => `conformance-${++n}`,
);
