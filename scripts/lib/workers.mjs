// The four Workers, their local ports and where their bundles go. One list, used by build, start, bench and tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export const WORKERS = [
  { name: 'auth', port: 8080 },
  { name: 'policy', port: 8081 },
  { name: 'admin', port: 8082 },
  { name: 'monitor', port: 8083 },
];

export function wranglerConfigPath(name) {
  return join(ROOT, 'workers', name, 'wrangler.toml');
}

export function readWranglerConfig(name) {
  return parseToml(readFileSync(wranglerConfigPath(name), 'utf8'));
}

export function bundleDir(name, outRoot = join(ROOT, 'dist')) {
  return join(outRoot, 'workers', name);
}

/** Environment for wrangler that keeps it quiet and offline. */
export const QUIET_WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_UPDATE_NOTIFIER: '1',
};

/**
 * Variables each Worker reads at run time that are NOT in its wrangler.toml [vars]: secrets and per-deployment
 * settings. The generated workerd config binds each with `fromEnvironment`, so no value is ever written into it.
 * On Cloudflare the same names are `wrangler secret put` secrets.
 */
export const COMMON_RUNTIME_ENV = [
  'ENVIRONMENT',
  'DATABASE_URL',
  'PG_WS_PROXY',
  'PG_ROOT_CERTS',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'REDIS_KEY_PREFIX',
  'SENTRY_DSN',
  'METRICS_TOKEN',
  'CORS_ORIGINS',
  'MAX_BODY_BYTES',
  'READY_TIMEOUT_MS',
  'SERVICE_TIMEOUT_MS',
  'LOG_REQUESTS',
];

/**
 * Common variables whose value differs per Worker. In the one-process platform config (`npm start`, tests, bench)
 * each Worker reads them from its own environment variable, `<NAME>_<WORKER>` (platformEnvName); with one Worker per
 * process (Kubernetes) and on Cloudflare the Worker's own environment has the plain name. Each Worker has its own
 * Redis token, limited to what it needs (dataplane/src/redis-grants.ts).
 */
export const PER_WORKER_ENV = ['UPSTASH_REDIS_REST_TOKEN'];

/** The environment variable a Worker's `name` is bound from in the platform config, e.g. UPSTASH_REDIS_REST_TOKEN_AUTH. */
export function platformEnvName(name, worker) {
  return PER_WORKER_ENV.includes(name) ? `${name}_${worker.toUpperCase()}` : name;
}

/** Per-Worker runtime variables beyond the common ones. Add a name here when a Worker starts reading it. */
export const WORKER_RUNTIME_ENV = {
  auth: [
    // Token service: workers/auth/src/config.ts
    'ISSUER',
    'KEY_ENCRYPTION_KEY',
    'KEK_ID',
    'SIGNING_ALG',
    'ACCESS_TOKEN_TTL_SECONDS',
    'ACCESS_TOKEN_MAX_TTL_SECONDS',
    'KEY_ROTATION_INTERVAL_SECONDS',
    'KEY_PUBLISH_LEAD_SECONDS',
    'JWKS_MAX_AGE_SECONDS',
    'SIGNING_KEY_CHECK_MS',
    'CLIENT_CACHE_TTL_MS',
    'REGISTRATION_TOKEN',
    'ALLOW_OPEN_REGISTRATION',
    'ADMIN_BOOTSTRAP_TOKEN',
    'TRUST_PROXY_HEADERS',
    'SCOPES_SUPPORTED',
    'RESOURCES_SUPPORTED',
    'DEFAULT_AUDIENCE',
    'POLICY_API_TOKEN',
    // Rate limits: workers/auth/src/domain/rate-limit-config.ts (RATE_LIMIT_VARIABLES)
    'RATE_LIMIT_BACKEND',
    'RATE_LIMIT_FAILED_AUTH_COST',
    'RATE_LIMIT_LEASE_SIZE',
    'RATE_LIMIT_LEASE_TTL_MS',
    'RATE_LIMIT_TIMEOUT_MS',
    'RATE_LIMIT_SUCCESS_HEADERS',
    'RATE_LIMIT_TOKEN_CAPACITY',
    'RATE_LIMIT_TOKEN_REFILL_PER_SECOND',
    'RATE_LIMIT_IP_TOKEN_CAPACITY',
    'RATE_LIMIT_IP_TOKEN_REFILL_PER_SECOND',
    'RATE_LIMIT_INTROSPECT_CAPACITY',
    'RATE_LIMIT_INTROSPECT_REFILL_PER_SECOND',
    'RATE_LIMIT_IP_INTROSPECT_CAPACITY',
    'RATE_LIMIT_IP_INTROSPECT_REFILL_PER_SECOND',
    'RATE_LIMIT_REVOKE_CAPACITY',
    'RATE_LIMIT_REVOKE_REFILL_PER_SECOND',
    'RATE_LIMIT_IP_REVOKE_CAPACITY',
    'RATE_LIMIT_IP_REVOKE_REFILL_PER_SECOND',
    'RATE_LIMIT_REGISTER_CAPACITY',
    'RATE_LIMIT_REGISTER_REFILL_PER_SECOND',
    'RATE_LIMIT_IP_REGISTER_CAPACITY',
    'RATE_LIMIT_IP_REGISTER_REFILL_PER_SECOND',
  ],
  policy: [
    // workers/policy/src/config.ts
    'POLICY_SET_ID',
    'POLICY_API_TOKEN',
    'ADMIN_BOOTSTRAP_TOKEN',
  ],
  admin: [
    // shared/policy-client.ts, when the policy Worker requires a bearer token
    'POLICY_API_TOKEN',
  ],
  monitor: [],
};
