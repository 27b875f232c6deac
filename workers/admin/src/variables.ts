/**
 * The admin Worker's variables: the one declaration of every name it reads (see workers/auth/src/variables.ts for
 * what the declaration feeds). Pure data: the scripts evaluate this module in Node.
 */
import { int } from '../../../shared/config.js';
import { adminCredentialVariables, commonVariables, policyApiVariables } from '../../../shared/env.js';

export const variables = {
  ...commonVariables,
  ...policyApiVariables,
  ...adminCredentialVariables,
  /** Longest lifetime of an operator API token (`POST /v1/tokens`), in seconds (default 90 days). */
  ADMIN_TOKEN_MAX_TTL_SECONDS: int({ default: 7_776_000, min: 60, max: 31_536_000 }),
};
