/**
 * The policy Worker's composition root: everything its handlers use, built once per env object from one merged,
 * validated configuration (env.ts). Handlers reach it as `c.var.services`.
 */
import type { AdminAuthorization } from '../../../shared/admin/authorize.js';
import { AdminCredentials, adminAuthThrottle } from '../../../shared/admin/credentials.js';
import type { BaseServices, ServiceContext } from '../../../shared/app.js';
import type { EventSink } from '../../../shared/events/sink.js';
import { redisStore } from '../../../shared/rate-limit/storage/redis.js';
import { coreServices } from '../../../shared/services.js';
import { ActivePolicy } from './active-policy.js';
import { localPolicyDecider } from './admin-decider.js';
import type { GenerationSignal, PolicyStore } from './domain/policy-store.js';
import type { ActiveSnapshot } from './domain/snapshot.js';
import { type Env, type PolicyConfig, readPolicyConfig } from './env.js';
import { RedisGenerationSignal } from './storage/generation-signal.js';
import { PostgresPolicyStore } from './storage/policy-store.js';

export interface PolicyServices extends BaseServices {
  readonly config: PolicyConfig;
  readonly events: EventSink;
  /** The policy set POLICY_SET_ID in Postgres. */
  readonly store: PolicyStore;
  /** Its generation in Redis, raised after every change. */
  readonly signal: GenerationSignal;
  /** The active version as this isolate holds it. */
  readonly active: ActivePolicy;
  readonly admin: AdminAuthorization<ActiveSnapshot>;
}

export type PolicyContext = ServiceContext<Env, PolicyServices>;

export function buildServices(env: Env): PolicyServices {
  const config = readPolicyConfig(env);
  const { deps, events } = coreServices(config, 'policy');
  const store = new PostgresPolicyStore(deps.pg, config.POLICY_SET_ID);
  const signal = new RedisGenerationSignal(deps.redis, config.POLICY_SET_ID);
  const active = new ActivePolicy(store, signal, config.POLICY_SET_ID);
  return {
    config,
    deps,
    events,
    store,
    signal,
    active,
    admin: {
      // The policy Worker has no Durable Object binding: its failed-authentication buckets live in Redis on every
      // target (admin routes are not a hot path; one round trip per credential cache miss).
      credentials: new AdminCredentials(
        deps,
        config.ADMIN_BOOTSTRAP_TOKEN,
        adminAuthThrottle(redisStore(deps.redis), config),
      ),
      decider: localPolicyDecider(active),
      events,
    },
  };
}
