/**
 * Token bucket with leases: the pure math behind the RateLimiter Durable Object and the Redis script.
 *
 * One bucket per key (endpoint + client_id or client IP) lives in exactly one place (one Durable Object, or one
 * Redis key). A caller either takes tokens directly (`cost`) or, to avoid a round trip per request, takes a
 * *lease*: a few tokens it may spend locally until the lease expires. Leased tokens leave the bucket at once.
 *
 * Why the global limit still holds exactly. Let O be the tokens currently out on leases (counted as if unspent,
 * because the bucket cannot see local spending). Refill is capped at `capacity - O`, so at every instant
 * `tokens + O <= capacity`: the tokens held by isolates are still "in the bucket" for the purpose of the cap.
 * A request admitted in a window [t0, t1] spends a token that either was out on a lease at t0 (at most O(t0)),
 * or left the bucket during the window (at most tokens(t0) + refillPerSecond * (t1 - t0)). Hence
 *
 *     admitted in [t0, t1]  <=  capacity + refillPerSecond * (t1 - t0)
 *
 * which is exactly the bound of one ordinary token bucket, whatever the number of isolates or replicas: there is
 * no slack above N. The refill is computed piecewise between lease expiries so no credit earned while the cap was
 * lower is granted later. Unspent leased tokens come back only while their lease is still outstanding (so they
 * are still counted in O); after expiry they are forfeited.
 *
 * The price is slack below N only (a caller may be refused while tokens sit unspent on another isolate's lease),
 * and it is bounded: a lease is at most min(RATE_LIMIT_LEASE_SIZE, half of the tokens left when granted) (see
 * `leaseGrant`), at most MAX_OUTSTANDING_LEASES are out, and each holds the bucket back for at most one lease TTL
 * (then its unspent tokens are given back or forfeited, and the refill cap lifts). Holders return exhausted leases
 * on their next call so the refill resumes early. Near the limit leases shrink to nothing and the owner decides every
 * request itself, so a bucket of N is never split into shares too small to use.
 *
 * Times are milliseconds on the bucket owner's clock. Lease holders measure a lease's life from the moment they
 * sent the request, on their own clock, so holders always stop spending before the owner reclaims the lease.
 */

export interface BucketParams {
  /** Burst size: the most tokens the bucket holds. */
  capacity: number;
  /** Tokens added per second (may be fractional, must be > 0). */
  refillPerSecond: number;
}

export interface LeaseRecord {
  /** `<epoch>.<n>`: unique across incarnations of the bucket, so a stale return can never match a newer lease. */
  id: string;
  amount: number;
  /** Owner-clock time after which the holder may no longer spend it. */
  expiresAt: number;
}

export interface BucketState {
  tokens: number;
  updatedAt: number;
  /** Outstanding leases, ordered by `expiresAt`. */
  leases: LeaseRecord[];
  /** Identifies this incarnation of the bucket (state is deleted when idle and may be created again). */
  epoch: string;
  nextLeaseId: number;
}

export interface LeaseReturn {
  id: string;
  unspent: number;
}

export interface AcquireRequest {
  /** Tokens the current request needs now; 0 to only ask for a lease (prefetch). */
  cost: number;
  /** Tokens wanted on lease for later local spending; 0 for none. */
  lease: number;
  /** How long a granted lease lives. */
  leaseTtlMs: number;
  /** Unspent tokens of earlier leases the caller gives back. */
  returns?: readonly LeaseReturn[];
}

export interface AcquireResult {
  allowed: boolean;
  /** Whole tokens left in the bucket after this call (not counting leases). */
  remaining: number;
  /** When refused: milliseconds until `cost` tokens can be available. 0 when allowed. */
  retryAfterMs: number;
  /** Milliseconds until the bucket would be full again if nothing else happened. */
  resetMs: number;
  /** Granted lease, if any. */
  lease?: { id: string; amount: number; ttlMs: number };
}

/** At most this many leases are outstanding per bucket, so the state stays small whatever the isolate count. */
export const MAX_OUTSTANDING_LEASES = 64;
/** A retry hint never exceeds a day, even for a bucket that cannot satisfy the cost at all. */
export const MAX_WAIT_MS = 86_400_000;

/** A full bucket. `epoch` must differ between incarnations of the same key (a time plus randomness will do). */
export function newBucket(params: BucketParams, now: number, epoch: string): BucketState {
  return { tokens: params.capacity, updatedAt: now, leases: [], epoch, nextLeaseId: 1 };
}

function outstanding(leases: readonly LeaseRecord[]): number {
  let sum = 0;
  for (const l of leases) sum += l.amount;
  return sum;
}

/**
 * Brings the bucket to `now`: expires leases and credits refill piecewise, capped at `capacity - outstanding`
 * during each stretch. A clock that went backwards credits nothing.
 */
export function advance(state: BucketState, params: BucketParams, now: number): BucketState {
  const rate = params.refillPerSecond / 1000;
  let t = state.updatedAt;
  if (now <= t) return state;
  let tokens = state.tokens;
  let out = outstanding(state.leases);
  let i = 0;
  const leases = state.leases;
  while (i < leases.length && (leases[i] as LeaseRecord).expiresAt <= now) {
    const lease = leases[i] as LeaseRecord;
    if (lease.expiresAt > t) {
      tokens = Math.min(params.capacity - out, tokens + rate * (lease.expiresAt - t));
      t = lease.expiresAt;
    }
    out -= lease.amount;
    i++;
  }
  tokens = Math.min(params.capacity - out, tokens + rate * (now - t));
  return { ...state, tokens, updatedAt: now, leases: i === 0 ? leases : leases.slice(i) };
}

/**
 * Milliseconds from `state.updatedAt` until the bucket holds `target` tokens, assuming no further calls.
 * `state` must already be advanced.
 */
export function msUntil(state: BucketState, params: BucketParams, target: number): number {
  if (state.tokens >= target) return 0;
  if (target > params.capacity) return MAX_WAIT_MS;
  const rate = params.refillPerSecond / 1000;
  let t = state.updatedAt;
  let tokens = state.tokens;
  let out = outstanding(state.leases);
  for (const lease of state.leases) {
    const cap = params.capacity - out;
    if (target <= cap) {
      const reachAt = t + (target - tokens) / rate;
      if (reachAt <= lease.expiresAt) return Math.min(MAX_WAIT_MS, Math.ceil(reachAt - state.updatedAt));
    }
    if (lease.expiresAt > t) {
      tokens = Math.min(cap, tokens + rate * (lease.expiresAt - t));
      t = lease.expiresAt;
    }
    out -= lease.amount;
  }
  const reachAt = t + (target - tokens) / rate;
  return Math.min(MAX_WAIT_MS, Math.ceil(reachAt - state.updatedAt));
}

/**
 * How many tokens to lend. Never more than half of what is left, so one holder cannot drain the bucket and, near
 * the limit, leases shrink to nothing and every request is decided by the owner itself (exact behaviour exactly
 * where it matters). Whole tokens only.
 */
export function leaseGrant(tokens: number, wanted: number, leaseCount: number): number {
  if (wanted <= 0 || leaseCount >= MAX_OUTSTANDING_LEASES) return 0;
  return Math.max(0, Math.min(Math.floor(wanted), Math.floor(tokens / 2)));
}

/** Gives back unspent tokens of leases that are still outstanding; unknown or expired leases are ignored. */
export function returnLeases(state: BucketState, returns: readonly LeaseReturn[]): BucketState {
  if (returns.length === 0 || state.leases.length === 0) return state;
  let tokens = state.tokens;
  let leases = state.leases;
  for (const r of returns) {
    const idx = leases.findIndex((l) => l.id === r.id);
    if (idx < 0) continue;
    const lease = leases[idx] as LeaseRecord;
    // The lease leaves O and at most its amount joins the tokens: tokens + O cannot grow.
    const unspent = Number.isFinite(r.unspent) ? Math.floor(r.unspent) : 0;
    tokens += Math.max(0, Math.min(lease.amount, unspent));
    leases = leases.filter((_, j) => j !== idx);
  }
  return { ...state, tokens, leases };
}

/** The one operation callers use: return leases, take `cost` now, and lend up to `lease` tokens for later. */
export function acquire(
  state: BucketState,
  params: BucketParams,
  now: number,
  req: AcquireRequest,
): { state: BucketState; result: AcquireResult } {
  let s = advance(state, params, now);
  // A clock that stepped back must not shorten a new lease below what its holder assumes: use the bucket's time.
  const at = s.updatedAt;
  if (req.returns && req.returns.length > 0) s = returnLeases(s, req.returns);
  const cost = Math.max(0, req.cost);
  if (s.tokens < cost) {
    return {
      state: s,
      result: {
        allowed: false,
        remaining: Math.max(0, Math.floor(s.tokens)),
        retryAfterMs: Math.max(1, msUntil(s, params, cost)),
        resetMs: msUntil(s, params, params.capacity),
      },
    };
  }
  let tokens = s.tokens - cost;
  let leases = s.leases;
  let nextLeaseId = s.nextLeaseId;
  let lease: AcquireResult['lease'];
  const amount = leaseGrant(tokens, req.lease, leases.length);
  if (amount > 0) {
    const record = { id: `${s.epoch}.${nextLeaseId}`, amount, expiresAt: at + req.leaseTtlMs };
    nextLeaseId += 1;
    tokens -= amount;
    // Leases all share one TTL, so appending keeps them ordered by expiry unless the TTL changed; sort to be sure.
    leases = [...leases, record];
    if (leases.length > 1 && (leases[leases.length - 2] as LeaseRecord).expiresAt > record.expiresAt) {
      leases.sort((a, b) => a.expiresAt - b.expiresAt);
    }
    lease = { id: record.id, amount, ttlMs: req.leaseTtlMs };
  }
  s = { tokens, updatedAt: s.updatedAt, leases, epoch: s.epoch, nextLeaseId };
  return {
    state: s,
    result: {
      allowed: true,
      remaining: Math.max(0, Math.floor(tokens)),
      retryAfterMs: 0,
      resetMs: msUntil(s, params, params.capacity),
      lease,
    },
  };
}

/**
 * Charges a penalty (failed client authentication). Takes `cost` tokens, or empties the bucket when fewer are
 * left; never refuses and never lends.
 */
export function charge(state: BucketState, params: BucketParams, now: number, cost: number): BucketState {
  const s = advance(state, params, now);
  const tokens = s.tokens >= cost ? s.tokens - cost : Math.min(s.tokens, 0);
  return { ...s, tokens };
}

/** True when the state carries no information a fresh bucket would not (full, nothing lent): safe to delete. */
export function isIdle(state: BucketState, params: BucketParams): boolean {
  return state.leases.length === 0 && state.tokens >= params.capacity;
}
