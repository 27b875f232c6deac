/**
 * `/ready`: the whole configuration (building the Worker's services validates it), then Postgres and Redis in
 * parallel, each with a deadline; names whichever failed.
 *
 * - The probe is unauthenticated (Kubernetes calls it), so the body names components and variables only: never a
 *   driver's error text or a configuration value. The error itself is logged with the request id, at most once per
 *   component and second per isolate, so a broken dependency cannot flood the logs.
 * - One result per isolate (per services object) is reused for READY_CACHE_MS (at least a second): probes and
 *   anyone else calling `/ready` cannot make the Worker dial Postgres per call. While a check is in flight, other
 *   calls get the previous result (workerd does not let one request await another's I/O, so the result data is
 *   shared, never the promise); only a cold isolate with no result yet runs a check of its own.
 * - A Worker may name dependencies it can serve without (`ReadinessPolicy`): when only those fail it answers 200
 *   `{"status": "degraded", "degraded": [...]}`, keeping the per-dependency view for operators.
 * - The outcome of every check also sets the `esp_dependency_up{component}` gauges of `/metrics`.
 */
import type { Context } from 'hono';
import { ConfigError } from './config.js';
import { type Dependencies, logError } from './dependencies.js';
import type { CommonConfig } from './env.js';
import type { MetricsRegistry } from './metrics.js';
import { pingRedis } from './redis.js';
import { problemResponse, problemType } from './responses.js';

type Component = 'postgres' | 'redis';

interface ComponentStatus {
  status: 'up' | 'down';
  latency_ms: number;
}

/** The dependencies whose failure leaves this Worker ready (degraded) right now, e.g. auth while it can sign. */
export type ReadinessPolicy<S> = (services: S, now: number) => readonly Component[];

interface Checked {
  at: number;
  components: Record<Component, ComponentStatus>;
}

interface ReadyState {
  last?: Checked;
  checking: boolean;
  /** Second (epoch) of the last logged failure, per component. */
  loggedAt: Partial<Record<Component, number>>;
}

const states = new WeakMap<object, ReadyState>();

async function check(
  component: Component,
  fn: () => Promise<void>,
  state: ReadyState,
  log: (component: Component, err: unknown) => void,
): Promise<ComponentStatus> {
  const started = performance.now();
  try {
    await fn();
    return { status: 'up', latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    const second = Math.floor(Date.now() / 1000);
    if (state.loggedAt[component] !== second) {
      state.loggedAt[component] = second;
      log(component, err);
    }
    return { status: 'down', latency_ms: Math.round(performance.now() - started) };
  }
}

function notReady(service: string, detail: string, extra: Record<string, unknown>): Response {
  return problemResponse({
    type: problemType('ERR_DEPENDENCY_UNAVAILABLE'),
    title: 'Service Unavailable',
    status: 503,
    detail,
    code: 'ERR_DEPENDENCY_UNAVAILABLE',
    service,
    ...extra,
  });
}

async function runChecks(deps: Dependencies, config: CommonConfig, state: ReadyState, requestId: string) {
  const timeout = config.READY_TIMEOUT_MS;
  const log = (component: Component, err: unknown) =>
    logError(deps.service, `readiness: ${component} is down`, err, { request_id: requestId });
  const [postgres, redis] = await Promise.all([
    check('postgres', () => deps.pg.ping(timeout), state, log),
    check('redis', () => pingRedis(deps.redis, timeout), state, log),
  ]);
  return { postgres, redis };
}

export interface ReadinessOptions<S> {
  service: string;
  metrics?: MetricsRegistry;
  policy?: ReadinessPolicy<S>;
}

export async function readinessHandler<S extends { config: CommonConfig; deps: Dependencies }>(
  c: Context,
  services: () => S,
  options: ReadinessOptions<S>,
): Promise<Response> {
  const { service } = options;
  let built: S;
  try {
    built = services();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Names only: a message could echo a value (ConfigError messages avoid it, but this is the unauthenticated face).
    const names = err.variables;
    const detail =
      names.length === 1
        ? `not ready: configuration variable ${names[0]} is missing or malformed`
        : `not ready: configuration variables ${names.join(', ')} are missing or malformed`;
    return notReady(service, detail, { failed: ['config'], variables: names });
  }
  const { config, deps } = built;
  let state = states.get(built);
  if (!state) {
    state = { checking: false, loggedAt: {} };
    states.set(built, state);
  }
  const now = Date.now();
  let checked = state.last;
  const fresh = checked !== undefined && now - checked.at < config.READY_CACHE_MS;
  if (!fresh && !(state.checking && checked)) {
    state.checking = true;
    try {
      checked = { at: Date.now(), components: await runChecks(deps, config, state, c.get('requestId') ?? '') };
      state.last = checked;
    } finally {
      state.checking = false;
    }
    for (const [name, s] of Object.entries(checked.components)) {
      options.metrics?.setGauge(
        'esp_dependency_up',
        'Whether a dependency answered the last readiness check (1) or not (0).',
        { service, component: name },
        s.status === 'up' ? 1 : 0,
      );
    }
  }
  const components = (checked as Checked).components;
  const down = (Object.keys(components) as Component[]).filter((k) => components[k].status === 'down');
  const degradable = down.length > 0 && options.policy ? options.policy(built, now) : [];
  const degraded = down.filter((k) => degradable.includes(k));
  const failed = down.filter((k) => !degradable.includes(k));
  if (failed.length > 0) {
    return notReady(service, `not ready: ${failed.join(', ')} unavailable`, { failed, degraded, components });
  }
  if (degraded.length > 0) return c.json({ status: 'degraded', service, degraded, components });
  return c.json({ status: 'ready', service, components });
}
