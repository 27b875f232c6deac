/**
 * Variables of the shared rate limiter (a Worker that limits anything spreads `limiterVariables` into its
 * declaration). What is limited, and how much, is the caller's: it passes bucket keys and parameters.
 *
 *   RATE_LIMIT_LEASE_SIZE       most tokens an isolate borrows at once; 0 asks the owner on every request. A
 *                               lease grows only while leases run out in under half their life (domain/lease.ts),
 *                               so it stays within half to one TTL of the isolate's own demand on that key, and the
 *                               cap binds only for a key busier than about twice the cap per second in one isolate.
 *                               The former 512 meant about 12 owner calls a second per key at 6,000 requests a
 *                               second (each a durable write on Durable Objects); 4096 keeps it to about 2.
 *   RATE_LIMIT_LEASE_TTL_MS     life of a lease; unspent tokens are given back or forfeited after it
 *   RATE_LIMIT_TIMEOUT_MS       deadline for the owner's answer (then the limiter is unavailable: fail closed)
 *   RATE_LIMIT_SUCCESS_HEADERS  RateLimit-* headers on allowed responses too (429s always carry them). Off by
 *                               default: measured at ~20 us of CPU per token request (~4%), for an estimate only.
 *   RATE_LIMIT_BACKEND          the former name of STATE_BACKEND (shared/env.ts), still accepted
 */
import { aliasOf, bool, type ConfigOf, int, oneOf } from '../config.js';
import { STATE_BACKENDS } from '../env.js';

export const limiterVariables = {
  RATE_LIMIT_BACKEND: aliasOf('STATE_BACKEND', oneOf(STATE_BACKENDS)),
  RATE_LIMIT_LEASE_SIZE: int({ default: 4096, min: 0, max: 100_000 }),
  RATE_LIMIT_LEASE_TTL_MS: int({ default: 1000, min: 200, max: 60_000 }),
  RATE_LIMIT_TIMEOUT_MS: int({ default: 2000, min: 50, max: 30_000 }),
  RATE_LIMIT_SUCCESS_HEADERS: bool({ default: false }),
};

export type LimiterConfig = ConfigOf<typeof limiterVariables>;
