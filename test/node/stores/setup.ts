/**
 * The stores' adapters run here as the Workers run them (Neon driver through the WebSocket bridge, Upstash client
 * through the REST bridge with the owning Worker's own token, so the bridge's grant for that Worker is exercised too),
 * on this run's own database and Redis prefix. Node 20 has no global WebSocket: the driver gets the `ws` package, as
 * the scripts give it.
 */
import { neonConfig } from '@neondatabase/serverless';
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { configureNeonDriver } from '../../../shared/db/neon-driver.mjs';
import { createDependencies, type Dependencies } from '../../../shared/dependencies.js';
import { readCommonConfig } from '../../../shared/env.js';
import type { WorkerName } from '../../../dataplane/src/redis-grants.js';
import { createRedisClient, type RedisClient } from '../../../shared/redis.js';
import { startTestDataPlane, type TestDataPlane } from '../harness.js';

/** A Redis client as `worker` has it: its own token, limited by the bridge to that Worker's grant. */
export function redisClientOf(dp: TestDataPlane, worker: WorkerName): RedisClient {
  return createRedisClient({
    UPSTASH_REDIS_REST_URL: dp.redisRestUrl,
    UPSTASH_REDIS_REST_TOKEN: dp.redisTokens[worker] as string,
    REDIS_KEY_PREFIX: dp.redisPrefix,
  });
}

/**
 * A fresh data plane for the file (started before its tests, removed after), and the Dependencies on it as `worker`
 * has them (its Redis token).
 */
export function useDataPlane(worker: WorkerName): { dp: TestDataPlane; deps: Dependencies } {
  const state = {} as { dp: TestDataPlane; deps: Dependencies };
  beforeAll(async () => {
    state.dp = await startTestDataPlane();
    configureNeonDriver(neonConfig, { webSocket: WebSocket });
    const config = readCommonConfig({
      DATABASE_URL: state.dp.databaseUrl,
      PG_WS_PROXY: state.dp.pgProxy,
      UPSTASH_REDIS_REST_URL: state.dp.redisRestUrl,
      UPSTASH_REDIS_REST_TOKEN: state.dp.redisTokens[worker],
      REDIS_KEY_PREFIX: state.dp.redisPrefix,
    });
    state.deps = createDependencies(config, 'test');
  }, 60_000);
  afterAll(async () => {
    await state.dp?.stop();
  }, 60_000);
  return state;
}
