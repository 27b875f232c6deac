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
export const TOTP_UNAVAILABLE =
  'Your authenticator app cannot be checked right now. Use a backup code or a passkey, or contact support.';

/** What the second-factor page says about a refused code, and its status. */
export function codeRefusal(reason: 'throttled' | 'invalid' | 'replayed' | 'unavailable'): {
  message: string;
  status: 401 | 429 | 503;
} {
  if (reason === 'throttled') return { message: SECOND_FACTOR_THROTTLED, status: 429 };
  // The account's secret is fine but this deployment lost the KEK it is sealed under: not the user's mistake.
  if (reason === 'unavailable') return { message: TOTP_UNAVAILABLE, status: 503 };
  return { message: SECOND_FACTOR_FAILED, status: 401 };
}
