/**
 * The auth Worker's bindings and configuration, from its one variable declaration (variables.ts). Parsed once per
 * env object by the composition root (services.ts); a missing or malformed variable fails with its name, and
 * /ready reports it.
 */
import { ConfigError, type ConfigOf, defineConfig, type VariablesOf } from '../../../shared/config.js';
import type { RateLimiterNamespace } from '../../../shared/rate-limit/storage/durable-object.js';
import type { StateNamespace } from '../../../shared/state/durable-object.js';
import { variables } from './variables.js';

/** Bindings of the auth Worker: its variables (strings) and the bindings wrangler.toml declares. */
export type Env = VariablesOf<typeof variables> & {
  /** Service binding to the policy Worker (authorizes the admin endpoints). */
  POLICY?: Fetcher;
  /** One RateLimiter Durable Object per bucket (STATE_BACKEND=durable-object). */
  RATE_LIMITER?: RateLimiterNamespace;
  /** One StateObject Durable Object per keyed-state document (codes, sessions, consents; STATE_BACKEND=durable-object). */
  STATE?: StateNamespace;
};

export type AuthConfig = ConfigOf<typeof variables>;

const readVariables = defineConfig(variables);

/** The whole configuration, with cross-field checks that a single field parser cannot make. */
export function readAuthConfig(env: object): AuthConfig {
  const config = readVariables(env);
  if (config.ACCESS_TOKEN_TTL_SECONDS > config.ACCESS_TOKEN_MAX_TTL_SECONDS) {
    throw new ConfigError('ACCESS_TOKEN_TTL_SECONDS', 'must not exceed ACCESS_TOKEN_MAX_TTL_SECONDS');
  }
  if (config.KEY_PUBLISH_LEAD_SECONDS >= config.KEY_ROTATION_INTERVAL_SECONDS) {
    throw new ConfigError('KEY_PUBLISH_LEAD_SECONDS', 'must be shorter than KEY_ROTATION_INTERVAL_SECONDS');
  }
  if (config.SESSION_IDLE_SECONDS > config.SESSION_ABSOLUTE_SECONDS) {
    throw new ConfigError('SESSION_IDLE_SECONDS', 'must not exceed SESSION_ABSOLUTE_SECONDS');
  }
  return config;
}

/** Origin the endpoints are served under (the issuer without a trailing slash). */
export function baseUrl(config: Pick<AuthConfig, 'ISSUER'>): string {
  return new URL(config.ISSUER).origin;
}
