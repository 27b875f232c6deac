/**
 * Postgres and Redis access for the auth Worker's storage modules, with failures turned into 503s.
 * An unreachable dependency is not a bug, so it must not surface as a 500; the cause is logged.
 */
import { type Database, withDb } from '../../../../shared/db/client.js';
import type { CommonConfig } from '../../../../shared/env.js';
import { dependencyUnavailable, PlatformError } from '../../../../shared/errors.js';
import { createRedis, type Redis } from '../../../../shared/redis.js';

export function logError(msg: string, err: unknown, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ level: 'error', service: 'auth', msg, error: (err as Error)?.message, ...extra }));
}

export async function withPostgres<T>(
  config: CommonConfig,
  what: string,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  try {
    return await withDb(config, (db) => fn(db));
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    logError(`postgres: ${what} failed`, err);
    throw dependencyUnavailable('the database is unavailable');
  }
}

export async function withRedis<T>(config: CommonConfig, what: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  try {
    return await fn(createRedis(config));
  } catch (err) {
    if (err instanceof PlatformError) throw err;
    logError(`redis: ${what} failed`, err);
    throw dependencyUnavailable('redis is unavailable');
  }
}

/** Like withRedis, but returns `fallback` (after logging) instead of failing: for caches with a slower source. */
export async function tryRedis<T, F>(
  config: CommonConfig,
  what: string,
  fn: (redis: Redis) => Promise<T>,
  fallback: F,
): Promise<T | F> {
  try {
    return await fn(createRedis(config));
  } catch (err) {
    logError(`redis: ${what} failed`, err);
    return fallback;
  }
}
