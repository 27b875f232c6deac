/**
 * `/ready`: the whole configuration (building the Worker's services validates it), then Postgres and Redis in
 * parallel, each with a deadline; names whichever failed.
 */
import type { Context } from 'hono';
import { ConfigError } from './config.js';
import type { Dependencies } from './dependencies.js';
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

export async function readinessHandler(
  c: Context,
  services: () => { config: CommonConfig; deps: Dependencies },
  service: string,
): Promise<Response> {
  let config: CommonConfig;
  let deps: Dependencies;
  try {
    ({ config, deps } = services());
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
    check(() => deps.pg.ping(timeout)),
    check(() => pingRedis(deps.redis, timeout)),
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
