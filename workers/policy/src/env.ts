import type { CommonBindings } from '../../../shared/env.js';

/** Bindings of the policy Worker. Variables are strings as wrangler/workerd deliver them; src/config.ts parses them. */
export interface Env extends CommonBindings {
  POLICY_SET_ID?: string;
  POLICY_API_TOKEN?: string;
  ADMIN_BOOTSTRAP_TOKEN?: string;
}
