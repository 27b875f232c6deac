/**
 * The monitor Worker's variables: the one declaration of every name it reads (see workers/auth/src/variables.ts for
 * what the declaration feeds). Pure data: the scripts evaluate this module in Node.
 */
import { commonVariables } from '../../../shared/env.js';

export const variables = {
  ...commonVariables,
};
