/**
 * The admin Worker's composition root (see workers/auth/src/services.ts for the pattern): admin credentials and
 * the policy Worker's decisions for every route (shared/admin/authorize.ts), the operator API tokens store, the
 * other Workers' APIs it fronts, and the event sink of its audit trail.
 */
import type { AdminAuthorization } from '../../../shared/admin/authorize.js';
import { AdminCredentials, adminAuthThrottle } from '../../../shared/admin/credentials.js';
import type { ServiceContext } from '../../../shared/app.js';
import { type PolicyDecision, remotePolicyDecider } from '../../../shared/policy-client.js';
import { redisStore } from '../../../shared/rate-limit/storage/redis.js';
import { type CoreServices, coreServices } from '../../../shared/services.js';
import { type AdminConfig, type Env, readAdminConfig } from './env.js';
import type { ApiTokenStore } from './tokens/domain/token-store.js';
import { PostgresApiTokenStore } from './tokens/storage/tokens.js';
import { Upstream } from './upstream.js';
import type { OperatorStore } from './operators/domain/operator-store.js';
import { PostgresOperatorStore } from './operators/storage/operators.js';

export interface AdminServices extends CoreServices<AdminConfig> {
  readonly admin: AdminAuthorization<PolicyDecision>;
  readonly tokens: ApiTokenStore;
  /** The auth Worker's /admin API (clients, keys). */
  readonly auth: Upstream;
  /** The policy Worker's store API (versions, entities). */
  readonly policy: Upstream;
  /** The monitor Worker's API (alerts, audit log, webhooks). */
  readonly monitor: Upstream;
  /** Which users are operators (the dashboard's sign-in). */
  readonly operators: OperatorStore;
}

export type AdminContext = ServiceContext<Env, AdminServices>;

export function buildServices(env: Env): AdminServices {
  const config = readAdminConfig(env);
  const core = coreServices(config, 'admin');
  const timeoutMs = config.SERVICE_TIMEOUT_MS;
  return {
    ...core,
    admin: {
      // No Durable Object binding here: the failed-authentication buckets live in Redis (as in the policy Worker).
      credentials: new AdminCredentials(
        core.deps,
        config.ADMIN_BOOTSTRAP_TOKEN,
        adminAuthThrottle(redisStore(core.deps.redis), config),
      ),
      decider: remotePolicyDecider(env.POLICY, { token: config.POLICY_API_TOKEN, timeoutMs }),
      events: core.events,
    },
    tokens: new PostgresApiTokenStore(core.deps),
    auth: new Upstream(env.AUTH, 'auth', timeoutMs),
    policy: new Upstream(env.POLICY, 'policy', timeoutMs),
    monitor: new Upstream(env.MONITOR, 'monitor', timeoutMs),
    operators: new PostgresOperatorStore(core.deps),
  };
}
