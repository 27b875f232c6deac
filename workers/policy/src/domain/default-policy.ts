/**
 * The shipped default policy set and its schema, bundled into the Worker. Seeded as version 1 of the policy
 * set when the store is empty (storage/policy-store.ts `loadActive`).
 */
import policies from '../../policies/default.cedar';
import schema from '../../policies/default.cedarschema';

export const DEFAULT_POLICY_SOURCE = { policies, schema } as const;
