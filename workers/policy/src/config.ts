/**
 * Configuration of the policy Worker (on top of the common spec in shared/env.ts). Every name here that is not
 * in wrangler.toml [vars] is listed in scripts/lib/workers.mjs WORKER_RUNTIME_ENV.policy.
 */
import { defineConfig, optionalStr, str } from '../../../shared/config.js';
import { commonSpec } from '../../../shared/env.js';

export const policySpec = {
  ...commonSpec,
  /** The policy set this deployment decides with (one row of policy_sets). */
  POLICY_SET_ID: str({ default: 'default' }),
  /**
   * When set, `POST /v1/authorize[/batch]` require `Authorization: Bearer <POLICY_API_TOKEN>`. The decision
   * point is meant to be reached through service bindings only; set this whenever its socket is reachable by
   * anything else (Kubernetes, a shared host). Callers pass it with shared/policy-client.ts.
   */
  POLICY_API_TOKEN: optionalStr({ minLength: 16 }),
  /** The bootstrap admin credential (principal `bootstrap`, role superadmin), see shared/admin-auth.ts. */
  ADMIN_BOOTSTRAP_TOKEN: optionalStr({ minLength: 16 }),
};

export const readPolicyConfig = defineConfig(policySpec);
export type PolicyConfig = ReturnType<typeof readPolicyConfig>;
