/** The admin Worker's bindings and configuration, from its one variable declaration (variables.ts). */
import { type ConfigOf, defineConfig, type VariablesOf } from '../../../shared/config.js';
import { variables } from './variables.js';

export type Env = VariablesOf<typeof variables> & {
  /** The auth Worker: clients and signing keys (its /admin API, called with the operator's own credential). */
  AUTH?: Fetcher;
  /** The policy Worker: decides every admin action (shared/admin/authorize.ts). */
  POLICY?: Fetcher;
  /** The monitor Worker (alerts and audit; its API is not there yet). */
  MONITOR?: Fetcher;
};
export type AdminConfig = ConfigOf<typeof variables>;
export const readAdminConfig = defineConfig(variables);
