/**
 * Variables every Worker reads. A Worker's declaration (`workers/<name>/src/variables.ts`) spreads `commonVariables`
 * and adds its own; that declaration is the only list of names (see shared/config.ts).
 *
 * Postgres: DATABASE_URL is an ordinary postgres:// URL. On Cloudflare it points at Neon; off Cloudflare,
 * PG_WS_PROXY names the project's WebSocket bridge (host:port/path) that the Neon driver connects through.
 * Redis: the Upstash REST URL and token; off Cloudflare they point at the project's Upstash-protocol bridge.
 */
import {
  bool,
  ConfigError,
  type ConfigOf,
  decimal,
  defineConfig,
  int,
  list,
  oneOf,
  optionalStr,
  optionalUrl,
  perWorker,
  str,
  url,
  type VariablesOf,
} from './config.js';

/** Where strongly consistent state lives (rate-limit buckets and the keyed-state store, shared/state). */
export const STATE_BACKENDS = ['durable-object', 'redis'] as const;
export type StateBackend = (typeof STATE_BACKENDS)[number];

export const commonVariables = {
  ENVIRONMENT: oneOf(['production', 'staging', 'development', 'test'] as const, { default: 'production' }),
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'] }),
  PG_WS_PROXY: optionalStr(),
  /** PEM CA certificate(s) for Postgres TLS through PG_WS_PROXY, required when DATABASE_URL has an sslmode (db/tls.mjs). */
  PG_ROOT_CERTS: optionalStr(),
  UPSTASH_REDIS_REST_URL: url({ protocols: ['http:', 'https:'] }),
  /**
   * Each Worker has its own token: off Cloudflare the Redis bridge limits each to the commands, keys and scripts its
   * Worker needs (dataplane/src/redis-grants.ts).
   */
  UPSTASH_REDIS_REST_TOKEN: perWorker(str({ minLength: 1 })),
  /** Prefix for every Redis key, so test runs and tenants sharing one Redis never collide. */
  REDIS_KEY_PREFIX: str({ default: '' }),
  SENTRY_DSN: optionalUrl({ protocols: ['https:', 'http:'] }),
  METRICS_TOKEN: optionalStr({ minLength: 16 }),
  CORS_ORIGINS: list(),
  MAX_BODY_BYTES: int({ default: 64 * 1024, min: 1024, max: 10 * 1024 * 1024 }),
  READY_TIMEOUT_MS: int({ default: 1500, min: 100, max: 10_000 }),
  /** How long an isolate reuses its last /ready result (at least a second: probes must not dial Postgres per call). */
  READY_CACHE_MS: int({ default: 1000, min: 1000, max: 60_000 }),
  SERVICE_TIMEOUT_MS: int({ default: 2000, min: 50, max: 30_000 }),
  LOG_REQUESTS: bool({ default: true }),
  /**
   * Self-hosted behind a known ingress: the client address is the rightmost X-Forwarded-For entry (the one the
   * ingress appended), see shared/client-address.ts. Every Worker applies the same rule.
   */
  TRUST_PROXY_HEADERS: bool({ default: false }),
  /**
   * The platform's one switch for strongly consistent state: `durable-object` (one Durable Object per key:
   * Cloudflare, or a single workerd process) or `redis` (one Redis key per key, updated atomically: several
   * workerd replicas, as on Kubernetes). ARCHITECTURE.md, "Where state lives".
   */
  STATE_BACKEND: oneOf(STATE_BACKENDS, { default: 'durable-object' }),
  /** Deadline of one keyed-state operation (shared/state), retries under contention included. */
  STATE_TIMEOUT_MS: int({ default: 5000, min: 100, max: 30_000 }),
};

/** The policy Worker's decision API token: the policy Worker requires it when set; its callers send it. */
export const policyApiVariables = {
  /**
   * Bearer token of `POST /v1/authorize[/batch]` (a secret). On Cloudflare the decision point is reached through
   * service bindings only and may go without it; anywhere else its socket is reachable over a network, so the
   * policy Worker refuses to start its decision API without it (`requirePolicyApiToken`).
   */
  POLICY_API_TOKEN: optionalStr({ minLength: 16 }),
};

/**
 * `RUNTIME`: not a variable but a binding that only non-Cloudflare tooling writes: the workerd config generator
 * (`"workerd"`, a literal text binding that no environment variable can remove: `npm start`, tests, bench,
 * Kubernetes) and `npm run dev` (`"wrangler-dev"`). A Cloudflare deployment never has it. `request.cf` cannot
 * tell instead: service-binding calls on Cloudflare need not carry `cf.colo`, and a proxy could forge it.
 */
export interface RuntimeBinding {
  RUNTIME?: string;
}

export function runsOutsideCloudflare(env: RuntimeBinding): boolean {
  return typeof env.RUNTIME === 'string' && env.RUNTIME !== '';
}

/** Outside Cloudflare, the decision API must have its token: fail closed (the Worker reports `config`). */
export function requirePolicyApiToken(env: RuntimeBinding, config: { POLICY_API_TOKEN?: string }): void {
  if (runsOutsideCloudflare(env) && !config.POLICY_API_TOKEN) {
    throw new ConfigError(
      'POLICY_API_TOKEN',
      `is required outside Cloudflare (runtime ${env.RUNTIME}): the decision API is reachable over the network`,
    );
  }
}

/** Variables of a Worker that authenticates admin credentials (shared/admin/credentials.ts). */
export const adminCredentialVariables = {
  /** One more credential, for the principal `bootstrap` with role superadmin (a secret): the first login. */
  ADMIN_BOOTSTRAP_TOKEN: optionalStr({ minLength: 16 }),
  /**
   * Per client address: credential lookups that reach Postgres (cache misses) take one token each, a failed one
   * ADMIN_AUTH_FAILED_COST more; an empty bucket answers 429 before any Postgres work.
   */
  ADMIN_AUTH_RATE_LIMIT_CAPACITY: int({ default: 20, min: 1, max: 1_000_000 }),
  ADMIN_AUTH_RATE_LIMIT_REFILL_PER_SECOND: decimal({ default: 0.5, min: 0.0001, max: 1_000_000 }),
  ADMIN_AUTH_FAILED_COST: int({ default: 10, min: 0, max: 1_000_000 }),
};

export type AdminCredentialConfig = ConfigOf<typeof adminCredentialVariables>;

export const readCommonConfig = defineConfig(commonVariables);
export type CommonConfig = ConfigOf<typeof commonVariables>;

/** Raw bindings shape shared by all Workers (strings as wrangler/workerd deliver them). */
export type CommonBindings = VariablesOf<typeof commonVariables>;
