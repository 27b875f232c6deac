/**
 * The admin Worker's composition root (see workers/auth/src/services.ts for the pattern). The administration API
 * will add its services here: admin credentials and the policy Worker's decisions (shared/admin/authorize.ts).
 */
import type { BaseServices, ServiceContext } from '../../../shared/app.js';
import { createDependencies } from '../../../shared/dependencies.js';
import { type EventSink, redisEventSink } from '../../../shared/events/sink.js';
import { type AdminConfig, type Env, readAdminConfig } from './env.js';

export interface AdminServices extends BaseServices {
  readonly config: AdminConfig;
  readonly events: EventSink;
}

export type AdminContext = ServiceContext<Env, AdminServices>;

export function buildServices(env: Env): AdminServices {
  const config = readAdminConfig(env);
  const deps = createDependencies(config, 'admin');
  return { config, deps, events: redisEventSink(deps.redis, 'admin') };
}
