/** The policy Worker's bindings and configuration, from its one variable declaration (variables.ts). */
import { type ConfigOf, defineConfig, type VariablesOf } from '../../../shared/config.js';
import { variables } from './variables.js';

export type Env = VariablesOf<typeof variables>;
export type PolicyConfig = ConfigOf<typeof variables>;
export const readPolicyConfig = defineConfig(variables);
