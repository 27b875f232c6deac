/** The admin Worker's bindings and configuration, from its one variable declaration (variables.ts). */
import { type ConfigOf, defineConfig, type VariablesOf } from '../../../shared/config.js';
import { variables } from './variables.js';

export type Env = VariablesOf<typeof variables> & {
  AUTH?: Fetcher;
  /** The policy Worker: decides every admin action (shared/admin/authorize.ts). */
  POLICY?: Fetcher;
};
export type AdminConfig = ConfigOf<typeof variables>;
export const readAdminConfig = defineConfig(variables);
