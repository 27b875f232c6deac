/** The policy Worker's bindings and configuration, from its one variable declaration (variables.ts). */
import { type ConfigOf, defineConfig, type VariablesOf } from '../../../shared/config.js';
import { type RuntimeBinding, requirePolicyApiToken } from '../../../shared/env.js';
import { variables } from './variables.js';

export type Env = VariablesOf<typeof variables> & RuntimeBinding;
export type PolicyConfig = ConfigOf<typeof variables>;

const readVariables = defineConfig(variables);

/** The whole configuration, with the rule no single field can check: POLICY_API_TOKEN off Cloudflare. */
export function readPolicyConfig(env: Env): PolicyConfig {
  const config = readVariables(env);
  requirePolicyApiToken(env, config);
  return config;
}
