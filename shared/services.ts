/**
 * What every Worker's composition root starts from: its validated configuration, the deployment's data stores and
 * the batched event sink, all for one env. A Worker's buildServices adds its own stores and services on top.
 */
import type { ServiceName } from './app.js';
import { createDependencies, type Dependencies } from './dependencies.js';
import type { CommonConfig } from './env.js';
import { type EventSink, redisEventSink } from './events/sink.js';

export interface CoreServices<C extends CommonConfig> {
  readonly config: C;
  readonly deps: Dependencies;
  readonly events: EventSink;
}

export function coreServices<C extends CommonConfig>(config: C, service: ServiceName): CoreServices<C> {
  const deps = createDependencies(config, service);
  return { config, deps, events: redisEventSink(deps.redis, service) };
}
