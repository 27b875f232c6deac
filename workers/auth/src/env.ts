/**
 * The auth Worker's bindings and configuration, from its one variable declaration (variables.ts). Parsed once per
 * env object by the composition root (services.ts); a missing or malformed variable fails with its name, and
 * /ready reports it.
 */
import { type ConfigOf, checkOrder, defineConfig, type VariablesOf } from '../../../shared/config.js';
import type { RateLimiterNamespace } from '../../../shared/rate-limit/storage/durable-object.js';
import type { StateNamespace } from '../../../shared/state/durable-object.js';
import { variables } from './variables.js';

/** Bindings of the auth Worker: its variables (strings) and the bindings wrangler.toml declares. */
export type Env = VariablesOf<typeof variables> & {
  /** Service binding to the policy Worker (authorizes the admin endpoints). */
  POLICY?: Fetcher;
  /** One RateLimiter Durable Object per bucket (STATE_BACKEND=durable-object). */
  RATE_LIMITER?: RateLimiterNamespace;
  /** One StateObject Durable Object per keyed-state document (codes, sessions, consents, refresh families; STATE_BACKEND=durable-object). */
  STATE?: StateNamespace;
};

export type AuthConfig = ConfigOf<typeof variables>;

/** The whole configuration, with the orderings between durations that a single field parser cannot check. */
export const readAuthConfig = defineConfig(variables, (config) =>
  checkOrder(config, [
    ['ACCESS_TOKEN_TTL_SECONDS', '<=', 'ACCESS_TOKEN_MAX_TTL_SECONDS'],
    ['REFRESH_TOKEN_IDLE_SECONDS', '<=', 'REFRESH_TOKEN_ABSOLUTE_SECONDS'],
    ['KEY_PUBLISH_LEAD_SECONDS', '<', 'KEY_ROTATION_INTERVAL_SECONDS'],
    ['SESSION_IDLE_SECONDS', '<=', 'SESSION_ABSOLUTE_SECONDS'],
  ]),
);

/** Origin the endpoints are served under (the issuer without a trailing slash). */
export function baseUrl(config: Pick<AuthConfig, 'ISSUER'>): string {
  return new URL(config.ISSUER).origin;
}
