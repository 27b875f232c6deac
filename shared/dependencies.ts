/**
 * The data stores of one deployment (Postgres and Redis) as storage adapters reach them, and their calls with
 * failures turned into 503s: an unreachable dependency is not a bug, so it must not surface as a 500; the cause
 * is logged with the operation that failed. A Worker's services build one `Dependencies` per env.
 */
import { createPostgres, type Database, type Postgres } from './db/client.js';
import type { CommonConfig } from './env.js';
import { dependencyUnavailable, PlatformError } from './errors.js';
import { createRedisClient, type Redis, type RedisClient } from './redis.js';

export interface Dependencies {
  readonly pg: Postgres;
  readonly redis: RedisClient;
  /** The Worker, for log lines. */
  readonly service: string;
}

export function createDependencies(config: CommonConfig, service: string): Dependencies {
  return { pg: createPostgres(config), redis: createRedisClient(config), service };
}

export function logError(service: string, msg: string, err: unknown, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ level: 'error', service, msg, error: (err as Error)?.message, ...extra }));
}

/** Runs `fn` on Postgres; a failure other than a PlatformError becomes a 503 (after logging `what`). */
export async function withPostgres<T>(deps: Dependencies, what: string, fn: (db: Database) => Promise<T>): Promise<T> {
  try {
    return await deps.pg.withDb(fn);
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    logError(deps.service, `postgres: ${what} failed`, err);
    throw dependencyUnavailable('the database is unavailable');
  }
}

/** Runs `fn` on Redis; a failure other than a PlatformError becomes a 503 (after logging `what`). */
export async function withRedis<T>(deps: Dependencies, what: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  try {
    return await fn(deps.redis.redis);
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    logError(deps.service, `redis: ${what} failed`, err);
    throw dependencyUnavailable('redis is unavailable');
  }
}

/** Like withRedis, but returns `fallback` (after logging) instead of failing: for caches with a slower source. */
export async function tryRedis<T, F>(
  deps: Dependencies,
  what: string,
  fn: (redis: Redis) => Promise<T>,
  fallback: F,
): Promise<T | F> {
  try {
    return await fn(deps.redis.redis);
  } catch (err) {
    logError(deps.service, `redis: ${what} failed`, err);
    return fallback;
  }
}
