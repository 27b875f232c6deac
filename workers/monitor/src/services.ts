/**
 * The monitor Worker's composition root (see workers/auth/src/services.ts for the pattern). Event consumption and
 * alerting will add their services here.
 */
import type { ServiceContext } from '../../../shared/app.js';
import { type CoreServices, coreServices } from '../../../shared/services.js';
import { type Env, type MonitorConfig, readMonitorConfig } from './env.js';

export interface MonitorServices extends CoreServices<MonitorConfig> {}

export type MonitorContext = ServiceContext<Env, MonitorServices>;

export function buildServices(env: Env): MonitorServices {
  return coreServices(readMonitorConfig(env), 'monitor');
}
