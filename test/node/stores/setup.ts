/**
 * The stores' adapters run here as the Workers run them (Neon driver through the WebSocket bridge, Upstash client
 * through the REST bridge), on this run's own database and Redis prefix. Node 20 has no global WebSocket: the
 * driver gets the `ws` package, as the scripts give it.
 */
import { neonConfig } from '@neondatabase/serverless';
import WebSocket from 'ws';
import { configureNeonDriver } from '../../../shared/db/neon-driver.mjs';
import { createDependencies, type Dependencies } from '../../../shared/dependencies.js';
import { readCommonConfig } from '../../../shared/env.js';
import type { TestDataPlane } from '../harness.js';

export function storeDependencies(dp: TestDataPlane): Dependencies {
  configureNeonDriver(neonConfig, { webSocket: WebSocket });
  const config = readCommonConfig({
    DATABASE_URL: dp.databaseUrl,
    PG_WS_PROXY: dp.pgProxy,
    UPSTASH_REDIS_REST_URL: dp.redisRestUrl,
    UPSTASH_REDIS_REST_TOKEN: dp.redisRestToken,
    REDIS_KEY_PREFIX: dp.redisPrefix,
  });
  return createDependencies(config, 'test');
}
