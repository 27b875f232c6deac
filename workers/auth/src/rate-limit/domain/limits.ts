/**
 * What the auth Worker limits, and how much (the shared limiter in shared/rate-limit keeps the buckets).
 *
 * Per endpoint E in TOKEN, INTROSPECT, REVOKE, REGISTER there are two buckets, both of which must allow a request:
 *   RATE_LIMIT_<E>_CAPACITY / RATE_LIMIT_<E>_REFILL_PER_SECOND        per client_id (a client record may override)
 *   RATE_LIMIT_IP_<E>_CAPACITY / RATE_LIMIT_IP_<E>_REFILL_PER_SECOND  per client address (IPv6 per /64)
 * and RATE_LIMIT_FAILED_AUTH_COST: the tokens a failed client authentication costs the caller's address on every
 * client-authenticating endpoint.
 *
 * Defaults. A client_credentials client should cache its token, so 10/s sustained with a burst of 60 is generous;
 * resource servers introspect far more often. Per-address limits are wider (many clients can share a NAT) except
 * for registration, which an anonymous caller could otherwise use to mint clients.
 */
import { type ConfigOf, decimal, int } from '../../../../../shared/config.js';
import type { BucketParams } from '../../../../../shared/rate-limit/domain/token-bucket.js';

export type RateLimitedEndpoint = 'token' | 'introspect' | 'revoke' | 'register';
export const RATE_LIMITED_ENDPOINTS: readonly RateLimitedEndpoint[] = ['token', 'introspect', 'revoke', 'register'];
/** Endpoints whose callers authenticate as a client: a failed authentication is charged to all of them. */
export const CLIENT_AUTH_ENDPOINTS: readonly RateLimitedEndpoint[] = ['token', 'introspect', 'revoke'];

const MAX_CAPACITY = 1_000_000_000;
const capacity = (d: number) => int({ default: d, min: 1, max: MAX_CAPACITY });
const refill = (d: number) => decimal({ default: d, min: 0.0001, max: MAX_CAPACITY });

export const endpointLimitVariables = {
  RATE_LIMIT_FAILED_AUTH_COST: int({ default: 25, min: 1, max: 1_000_000 }),
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
};

export type EndpointLimitConfig = ConfigOf<typeof endpointLimitVariables>;

export interface EndpointLimits {
  client: BucketParams;
  ip: BucketParams;
}

export function endpointLimits(config: EndpointLimitConfig, endpoint: RateLimitedEndpoint): EndpointLimits {
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

/** Every endpoint's limits, computed once per configuration. */
export function allEndpointLimits(config: EndpointLimitConfig): Readonly<Record<RateLimitedEndpoint, EndpointLimits>> {
  return {
    token: endpointLimits(config, 'token'),
    introspect: endpointLimits(config, 'introspect'),
    revoke: endpointLimits(config, 'revoke'),
    register: endpointLimits(config, 'register'),
  };
}
