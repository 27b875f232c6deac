/**
 * The monitor Worker's composition root (see workers/auth/src/services.ts for the pattern). Event consumption and
 * alerting will add their services here.
 */
import type { BaseServices, ServiceContext } from '../../../shared/app.js';
import { createDependencies } from '../../../shared/dependencies.js';
import { type EventSink, redisEventSink } from '../../../shared/events/sink.js';
import { type Env, type MonitorConfig, readMonitorConfig } from './env.js';

export interface MonitorServices extends BaseServices {
  readonly config: MonitorConfig;
  readonly events: EventSink;
}

export type MonitorContext = ServiceContext<Env, MonitorServices>;

export function buildServices(env: Env): MonitorServices {
  const config = readMonitorConfig(env);
  const deps = createDependencies(config, 'monitor');
  return { config, deps, events: redisEventSink(deps.redis, 'monitor') };
}
