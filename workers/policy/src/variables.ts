/**
 * The policy Worker's variables: the one declaration of every name it reads (see workers/auth/src/variables.ts for
 * what the declaration feeds). Pure data: the scripts evaluate this module in Node.
 */
import { str } from '../../../shared/config.js';
import { adminCredentialVariables, commonVariables, policyApiVariables } from '../../../shared/env.js';

export const variables = {
  ...commonVariables,
  ...policyApiVariables,
  ...adminCredentialVariables,
  /** The policy set this deployment decides with (one row of policy_sets). */
  POLICY_SET_ID: str({ default: 'default' }),
};
