/**
 * Second-factor attempts are limited per user, apart from the password counters (login/domain/throttle.ts): whoever
 * got past the password gets a few guesses at a 6-digit code, then one more every `refillSeconds`. Every attempt
 * takes a token, whatever its outcome, so the budget bounds guessing exactly.
 */
import type { BucketParams } from '../../../../../shared/rate-limit/domain/token-bucket.js';

export function secondFactorBucket(userId: string, params: BucketParams): { key: string; params: BucketParams } {
  return { key: `mfa:user:${userId}`, params };
}

export const SECOND_FACTOR_FAILED = 'That code is not valid. Check your authenticator app and try again.';
export const SECOND_FACTOR_THROTTLED = 'Too many attempts. Wait a minute before trying another code.';
