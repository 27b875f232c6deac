/**
 * Sign-in throttling policy: which failure counters exist, and whether an attempt may proceed.
 *
 * Counters (each `{failures, lastFailureAt}`, forgotten `windowSeconds` after the last failure) are kept by the
 * shared rate limiter under these keys:
 * - `login:acct:<h(email)>`           failures against one account from untrusted browsers, anywhere
 *                                     (distributed guessing of one password);
 * - `login:ip:<address>`              failures from one address (IPv6 per /64), any account (password spraying);
 * - `login:acct-ip:<h(email)>:<addr>` failures for one account from one address (the common case, tightest);
 * - `login:dev:<device id>`           failures from a browser holding a device cookie for that account.
 *
 * A browser with a valid device cookie for the account is only held to its own counter, so an attacker who
 * exhausts the account's untrusted budget cannot lock the owner out. Everyone else is held to the first three.
 * After `free` failures each further one doubles the wait, up to `maxDelaySeconds`: slow enough to make guessing
 * useless, never a permanent lockout. Counters are keyed by the submitted email whether or not an account
 * exists, so neither the decision nor its message reveals which addresses have accounts.
 */
import { base64url, sha256 } from '../../../../../shared/crypto.js';
import { ipBucketId } from '../../../../../shared/rate-limit/domain/keys.js';

export interface ThrottleRule {
  /** Failures allowed without any wait. */
  free: number;
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** A counter is forgotten this long after its last failure. */
  windowSeconds: number;
}

export type CounterName = 'account' | 'address' | 'accountAddress' | 'device';

export type ThrottlePolicy = Record<CounterName, ThrottleRule>;

export const DEFAULT_THROTTLE_POLICY: Readonly<ThrottlePolicy> = Object.freeze({
  accountAddress: { free: 5, baseDelaySeconds: 1, maxDelaySeconds: 900, windowSeconds: 3600 },
  account: { free: 20, baseDelaySeconds: 2, maxDelaySeconds: 900, windowSeconds: 86_400 },
  address: { free: 100, baseDelaySeconds: 1, maxDelaySeconds: 3600, windowSeconds: 3600 },
  device: { free: 10, baseDelaySeconds: 1, maxDelaySeconds: 900, windowSeconds: 86_400 },
});

export interface FailureCounter {
  failures: number;
  /** Seconds. */
  lastFailureAt: number;
}

export type ThrottleKeys = { account: string; address: string; accountAddress: string; device?: string };

/** The counter keys for an attempt; `deviceId` only when the browser holds a valid device cookie for the account. */
export async function throttleKeys(input: {
  accountKey: string;
  ip: string;
  deviceId?: string;
}): Promise<ThrottleKeys> {
  const account = base64url(await sha256(`login-account|${input.accountKey}`)).slice(0, 32);
  const address = ipBucketId(input.ip);
  const keys: ThrottleKeys = {
    account: `login:acct:${account}`,
    address: `login:ip:${address}`,
    accountAddress: `login:acct-ip:${account}:${address}`,
  };
  if (input.deviceId !== undefined) keys.device = `login:dev:${input.deviceId}`;
  return keys;
}

/** The counters an attempt is held to: the device's own, or the three for untrusted browsers. */
export function countersFor(keys: ThrottleKeys): CounterName[] {
  return keys.device !== undefined ? ['device'] : ['accountAddress', 'account', 'address'];
}

/** Seconds to wait after the last failure before another attempt. */
export function delayAfter(failures: number, rule: ThrottleRule): number {
  if (failures <= rule.free) return 0;
  const doublings = Math.min(failures - rule.free - 1, 30);
  return Math.min(rule.maxDelaySeconds, rule.baseDelaySeconds * 2 ** doublings);
}

export type ThrottleDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; limitedBy: CounterName };

export function decideLoginAttempt(
  keys: ThrottleKeys,
  counters: Partial<Record<CounterName, FailureCounter>>,
  now: number,
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
): ThrottleDecision {
  let worst: ThrottleDecision = { allowed: true };
  for (const name of countersFor(keys)) {
    const c = counters[name];
    const rule = policy[name];
    if (!c || now - c.lastFailureAt >= rule.windowSeconds) continue;
    const wait = c.lastFailureAt + delayAfter(c.failures, rule) - now;
    if (wait > 0 && (worst.allowed || wait > worst.retryAfterSeconds)) {
      worst = { allowed: false, retryAfterSeconds: Math.ceil(wait), limitedBy: name };
    }
  }
  return worst;
}

/** Keys whose counters a failed attempt increments. */
export function keysToCharge(keys: ThrottleKeys): string[] {
  return countersFor(keys).map((name) => keys[name]!);
}

/**
 * Keys whose counters a successful sign-in clears: the browser's own. The account-wide and address counters stay:
 * one success by the owner must not reset what an attacker elsewhere has used up.
 */
export function keysToClear(keys: ThrottleKeys): string[] {
  return keys.device !== undefined ? [keys.device] : [keys.accountAddress];
}

/** The messages the sign-in page shows: the same for unknown accounts and wrong passwords. */
export const SIGN_IN_FAILED = 'The email address or password is incorrect.';
export function signInThrottledMessage(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  const wait = retryAfterSeconds < 60 ? `${retryAfterSeconds} seconds` : `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `Too many sign-in attempts. Try again in ${wait}.`;
}
