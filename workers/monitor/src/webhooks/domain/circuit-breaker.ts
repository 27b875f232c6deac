/**
 * A per-endpoint circuit breaker as pure state transitions. While an endpoint keeps failing, deliveries to it
 * stop for a cool-down instead of each message spending its own retries against a dead receiver (and the
 * monitor's subrequests with them).
 *
 *   closed ──(failureThreshold consecutive failures)──▶ open
 *   open ──(cool-down elapsed; one trial delivery allowed)──▶ half-open
 *   half-open ──success──▶ closed          half-open ──failure──▶ open, cool-down doubled (up to maxOpenMs)
 *
 * Only one trial runs in half-open: other deliveries wait as if open, so a recovering receiver is not hit by the
 * whole backlog at once.
 */

export type BreakerState =
  | { state: 'closed'; failures: number }
  | { state: 'open'; until: number; openMs: number }
  | { state: 'half-open'; trialSince: number; openMs: number };

export interface BreakerPolicy {
  failureThreshold: number;
  openMs: number;
  maxOpenMs: number;
  /** A half-open trial that never reports back is abandoned after this long (a crashed sender). */
  trialTimeoutMs: number;
}

/**
 * Five consecutive failures: enough to ride out one deploy of the receiver; a minute of rest, doubling to an hour
 * while the receiver stays down.
 */
export const BREAKER_DEFAULTS: BreakerPolicy = {
  failureThreshold: 5,
  openMs: 60_000,
  maxOpenMs: 3_600_000,
  trialTimeoutMs: 60_000,
};

export const CLOSED: BreakerState = { state: 'closed', failures: 0 };

export type BreakerDecision =
  | { allowed: true; breaker: BreakerState; trial: boolean }
  | { allowed: false; breaker: BreakerState; retryAt: number };

/** May a delivery go out now? A trial in half-open is claimed by the caller that gets `trial: true`. */
export function admitDelivery(b: BreakerState, now: number, policy: BreakerPolicy): BreakerDecision {
  switch (b.state) {
    case 'closed':
      return { allowed: true, breaker: b, trial: false };
    case 'open':
      if (now < b.until) return { allowed: false, breaker: b, retryAt: b.until };
      return { allowed: true, breaker: { state: 'half-open', trialSince: now, openMs: b.openMs }, trial: true };
    case 'half-open':
      if (now - b.trialSince >= policy.trialTimeoutMs)
        return { allowed: true, breaker: { state: 'half-open', trialSince: now, openMs: b.openMs }, trial: true };
      return { allowed: false, breaker: b, retryAt: b.trialSince + policy.trialTimeoutMs };
  }
}

/** Records the outcome of a delivery attempt that was admitted. */
export function recordOutcome(b: BreakerState, ok: boolean, now: number, policy: BreakerPolicy): BreakerState {
  if (ok) return CLOSED;
  switch (b.state) {
    case 'closed': {
      const failures = b.failures + 1;
      if (failures < policy.failureThreshold) return { state: 'closed', failures };
      return { state: 'open', until: now + policy.openMs, openMs: policy.openMs };
    }
    case 'half-open': {
      const openMs = Math.min(b.openMs * 2, policy.maxOpenMs);
      return { state: 'open', until: now + openMs, openMs };
    }
    case 'open':
      // A delivery admitted before the breaker opened reports late: stay open, no longer than already planned.
      return b;
  }
}
