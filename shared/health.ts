/** `/ready`: checks Postgres and Redis in parallel, each with a deadline, and names whichever failed. */
import type { Context } from 'hono';
import { ConfigError } from './config.js';
import { pingPostgres } from './db/client.js';
import type { CommonConfig } from './env.js';
import { pingRedis } from './redis.js';
import { problemResponse, problemType } from './responses.js';

interface ComponentStatus {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

async function check(fn: () => Promise<void>): Promise<ComponentStatus> {
  const started = performance.now();
  try {
    await fn();
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'down', latency_ms: Math.round(performance.now() - started), error: (err as Error).message };
  }
}

export async function readinessHandler(c: Context, readConfig: () => CommonConfig, service: string): Promise<Response> {
  let config: CommonConfig;
  try {
    config = readConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return problemResponse({
      type: problemType('ERR_DEPENDENCY_UNAVAILABLE'),
      title: 'Service Unavailable',
      status: 503,
      detail: `not ready: ${err.message}`,
      code: 'ERR_DEPENDENCY_UNAVAILABLE',
      service,
      failed: ['config'],
    });
  }
  const timeout = config.READY_TIMEOUT_MS;
  const [postgres, redis] = await Promise.all([
    check(() => pingPostgres(config, timeout)),
    check(() => pingRedis(config, timeout)),
  ]);
  const components = { postgres, redis };
  const failed = Object.entries(components)
    .filter(([, s]) => s.status === 'down')
    .map(([name]) => name);
  if (failed.length === 0) return c.json({ status: 'ready', service, components });
  return problemResponse({
    type: problemType('ERR_DEPENDENCY_UNAVAILABLE'),
    title: 'Service Unavailable',
    status: 503,
    detail: `not ready: ${failed.join(', ')} unavailable`,
    code: 'ERR_DEPENDENCY_UNAVAILABLE',
    service,
    failed,
    components,
  });
}
