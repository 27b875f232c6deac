/**
 * Rate-limit configuration of the auth Worker (its own spec, read next to the auth config).
 *
 * Per endpoint E in TOKEN, INTROSPECT, REVOKE, REGISTER there are two buckets, both of which must allow a request:
 *   RATE_LIMIT_<E>_CAPACITY / RATE_LIMIT_<E>_REFILL_PER_SECOND        per client_id (a client record may override)
 *   RATE_LIMIT_IP_<E>_CAPACITY / RATE_LIMIT_IP_<E>_REFILL_PER_SECOND  per client IP (IPv6 per /64)
 * Shared:
 *   RATE_LIMIT_BACKEND          durable-object (Cloudflare, one workerd) | redis (several replicas, Kubernetes)
 *   RATE_LIMIT_FAILED_AUTH_COST tokens a failed client authentication costs the caller's IP buckets
 *   RATE_LIMIT_LEASE_SIZE       most tokens an isolate borrows at once; 0 asks the owner on every request
 *   RATE_LIMIT_LEASE_TTL_MS     life of a lease; unspent tokens are given back or forfeited after it
 *   RATE_LIMIT_TIMEOUT_MS       deadline for the owner's answer (then 503: fail closed)
 *   RATE_LIMIT_SUCCESS_HEADERS  RateLimit-* headers on allowed responses too (429s always carry them). Off by
 *                               default: measured at ~20 us of CPU per token request (~4%), for an estimate only.
 */
import { bool, ConfigError, defineConfig, type Field, int, oneOf } from '../../../../shared/config.js';
import type { BucketParams } from './token-bucket.js';

export type RateLimitedEndpoint = 'token' | 'introspect' | 'revoke' | 'register';
export const RATE_LIMITED_ENDPOINTS: readonly RateLimitedEndpoint[] = ['token', 'introspect', 'revoke', 'register'];

/** A positive decimal such as `0.5` (refill rates below one token per second are normal for registration). */
export function decimal(opts: { default: number; min: number; max: number }): Field<number> {
  return {
    parse(raw, name) {
      if (raw === undefined || raw === null || raw === '') return opts.default;
      const s = String(raw).trim();
      if (!/^\d+(\.\d+)?$/.test(s)) throw new ConfigError(name, `must be a decimal number, got "${s}"`);
      const n = Number(s);
      if (n < opts.min) throw new ConfigError(name, `must be >= ${opts.min}`);
      if (n > opts.max) throw new ConfigError(name, `must be <= ${opts.max}`);
      return n;
    },
  };
}

const MAX_CAPACITY = 1_000_000_000;
const capacity = (d: number) => int({ default: d, min: 1, max: MAX_CAPACITY });
const refill = (d: number) => decimal({ default: d, min: 0.0001, max: MAX_CAPACITY });

/**
 * Defaults. A client_credentials client should cache its token, so 10/s sustained with a burst of 60 is generous;
 * resource servers introspect far more often. Per-IP limits are wider (many clients can share a NAT) except for
 * registration, which an anonymous caller could otherwise use to mint clients.
 */
export const readRateLimitConfig = defineConfig({
  RATE_LIMIT_BACKEND: oneOf(['durable-object', 'redis'] as const, { default: 'durable-object' }),
  RATE_LIMIT_FAILED_AUTH_COST: int({ default: 25, min: 1, max: 1_000_000 }),
  RATE_LIMIT_LEASE_SIZE: int({ default: 512, min: 0, max: 100_000 }),
  RATE_LIMIT_LEASE_TTL_MS: int({ default: 1000, min: 200, max: 60_000 }),
  RATE_LIMIT_TIMEOUT_MS: int({ default: 2000, min: 50, max: 30_000 }),
  RATE_LIMIT_SUCCESS_HEADERS: bool({ default: false }),
  RATE_LIMIT_TOKEN_CAPACITY: capacity(60),
  RATE_LIMIT_TOKEN_REFILL_PER_SECOND: refill(10),
  RATE_LIMIT_IP_TOKEN_CAPACITY: capacity(300),
  RATE_LIMIT_IP_TOKEN_REFILL_PER_SECOND: refill(50),
  RATE_LIMIT_INTROSPECT_CAPACITY: capacity(600),
  RATE_LIMIT_INTROSPECT_REFILL_PER_SECOND: refill(100),
  RATE_LIMIT_IP_INTROSPECT_CAPACITY: capacity(1200),
  RATE_LIMIT_IP_INTROSPECT_REFILL_PER_SECOND: refill(200),
  RATE_LIMIT_REVOKE_CAPACITY: capacity(60),
  RATE_LIMIT_REVOKE_REFILL_PER_SECOND: refill(10),
  RATE_LIMIT_IP_REVOKE_CAPACITY: capacity(300),
  RATE_LIMIT_IP_REVOKE_REFILL_PER_SECOND: refill(50),
  RATE_LIMIT_REGISTER_CAPACITY: capacity(10),
  RATE_LIMIT_REGISTER_REFILL_PER_SECOND: refill(0.1),
  RATE_LIMIT_IP_REGISTER_CAPACITY: capacity(20),
  RATE_LIMIT_IP_REGISTER_REFILL_PER_SECOND: refill(0.2),
});

export type RateLimitConfig = ReturnType<typeof readRateLimitConfig>;

/** Every variable above, for scripts/lib/workers.mjs (WORKER_RUNTIME_ENV.auth) and the docs. */
export const RATE_LIMIT_VARIABLES = [
  'RATE_LIMIT_BACKEND',
  'RATE_LIMIT_FAILED_AUTH_COST',
  'RATE_LIMIT_LEASE_SIZE',
  'RATE_LIMIT_LEASE_TTL_MS',
  'RATE_LIMIT_TIMEOUT_MS',
  'RATE_LIMIT_SUCCESS_HEADERS',
  ...RATE_LIMITED_ENDPOINTS.flatMap((e) => {
    const E = e.toUpperCase();
    return [
      `RATE_LIMIT_${E}_CAPACITY`,
      `RATE_LIMIT_${E}_REFILL_PER_SECOND`,
      `RATE_LIMIT_IP_${E}_CAPACITY`,
      `RATE_LIMIT_IP_${E}_REFILL_PER_SECOND`,
    ];
  }),
] as const;

export function endpointLimits(
  config: RateLimitConfig,
  endpoint: RateLimitedEndpoint,
): { client: BucketParams; ip: BucketParams } {
  const E = endpoint.toUpperCase() as 'TOKEN' | 'INTROSPECT' | 'REVOKE' | 'REGISTER';
  return {
    client: {
      capacity: config[`RATE_LIMIT_${E}_CAPACITY`],
      refillPerSecond: config[`RATE_LIMIT_${E}_REFILL_PER_SECOND`],
    },
    ip: {
      capacity: config[`RATE_LIMIT_IP_${E}_CAPACITY`],
      refillPerSecond: config[`RATE_LIMIT_IP_${E}_REFILL_PER_SECOND`],
    },
  };
}
