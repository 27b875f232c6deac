/**
 * Retry timing: exponential backoff with full jitter. The n-th retry waits a uniformly random time in
 * [0, min(capMs, baseMs * 2^(n-1))]: randomising the whole interval spreads retries of many failed deliveries
 * (all failing because the same receiver went down) instead of having them return in waves.
 *
 * With the defaults (base 10 s, cap 12 h, 16 attempts) the ceilings run 10 s, 20 s, 40 s ... 5.7 h, 11.4 h, 12 h,
 * 12 h and add up to about 47 hours, so a message is retried for about a day on average (the multi-day schedule
 * the Standard Webhooks specification recommends) before it goes to the dead-letter list. A `Retry-After` from
 * the receiver (429, 503) is honoured when it asks for longer, up to the cap.
 */

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  /** A message older than this is dead-lettered even with attempts left (the breaker can hold it back). */
  maxAgeMs: number;
}

export const RETRY_DEFAULTS: RetryPolicy = {
  baseMs: 10_000,
  capMs: 12 * 3_600_000,
  maxAttempts: 16,
  maxAgeMs: 3 * 24 * 3_600_000,
};

/** Ceiling of the wait before retry number `retry` (1 = the first retry). */
export function backoffCeilingMs(retry: number, policy: RetryPolicy): number {
  const exp = Math.min(retry - 1, 40);
  return Math.min(policy.capMs, policy.baseMs * 2 ** exp);
}

/** Full jitter: `random` returns a value in [0, 1) (Math.random, or a seeded generator in tests). */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * (backoffCeilingMs(retry, policy) + 1));
}

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** `Retry-After` as a delay: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); null when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  if (!IMF_FIXDATE.test(v)) return null;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}
