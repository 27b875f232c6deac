/**
 * The admin Worker's composition root (see workers/auth/src/services.ts for the pattern). The administration API
 * will add its services here: admin credentials and the policy Worker's decisions (shared/admin/authorize.ts).
 */
import type { ServiceContext } from '../../../shared/app.js';
import { type CoreServices, coreServices } from '../../../shared/services.js';
import { type AdminConfig, type Env, readAdminConfig } from './env.js';

export interface AdminServices extends CoreServices<AdminConfig> {}

export type AdminContext = ServiceContext<Env, AdminServices>;

export function buildServices(env: Env): AdminServices {
  return coreServices(readAdminConfig(env), 'admin');
}
