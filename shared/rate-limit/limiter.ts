/**
 * The platform's rate limiter: bucket keys and parameters in, a decision out. What to limit (an endpoint per
 * client and per address, a login per account, ...) is the caller's; this module only keeps every bucket exact
 * and cheap. Buckets live in one place each (a RateLimitStore: one Durable Object, or one Redis key, per key), so
 * limits are global; see domain/token-bucket.ts for the math and its proof.
 *
 * Hot path. Asking the owner on every request costs a round trip, so each isolate borrows a small *lease* of
 * tokens and spends it locally (domain/lease.ts); before it runs out, one request refills it in the background
 * (`waitUntil`), so a busy key normally pays no I/O here at all. Leases never let more through than one bucket
 * would: leased tokens leave the bucket when lent, and the refill is capped while they are out. Near the limit,
 * leases shrink to nothing (never more than half of what is left) and the owner decides alone.
 *
 * The owner unreachable: `RateLimiterUnavailableError` (callers fail closed), unless the isolate still holds a
 * lease.
 */
import { withDeadline } from '../deadline.js';
import type { LimiterConfig } from './config.js';
import { type HeldLease, LeaseHolder } from './domain/lease.js';
import type { RateLimitStore } from './domain/store.js';
import type { AcquireResult, BucketParams } from './domain/token-bucket.js';

export interface BucketCheck {
  key: string;
  params: BucketParams;
}

/** One bucket's answer. */
export interface BucketDecision {
  check: BucketCheck;
  allowed: boolean;
  /** Tokens left (an estimate when served from a lease: the owner's count when last asked plus what is held). */
  remaining: number;
  /** Milliseconds until the bucket would be full. */
  resetMs: number;
  /** When refused: milliseconds until a request can succeed. */
  retryAfterMs: number;
}

/** The answer for a set of buckets: refused when any refuses; `bucket` is the refusing one, else the tightest. */
export interface LimitOutcome {
  allowed: boolean;
  bucket: BucketDecision;
}

export class RateLimiterUnavailableError extends Error {
  readonly code = 'ERR_RATE_LIMITER_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`the rate limiter did not answer: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'RateLimiterUnavailableError';
  }
}

interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

interface Taken extends BucketDecision {
  /** The local lease the token came from, to refund it if a sibling bucket refuses. */
  lease?: HeldLease;
  holder: LeaseHolder;
}

/** Per isolate: keys with leases held. Bounded; dropping a holder only forfeits its leases (safe). */
const MAX_HOLDERS = 10_000;

export type LimiterSettings = Pick<
  LimiterConfig,
  'RATE_LIMIT_LEASE_SIZE' | 'RATE_LIMIT_LEASE_TTL_MS' | 'RATE_LIMIT_TIMEOUT_MS'
>;

export class Limiter {
  private readonly holders = new Map<string, LeaseHolder>();
  private readonly leaseSize: number;
  private readonly leaseTtlMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly store: RateLimitStore,
    settings: LimiterSettings,
  ) {
    this.leaseSize = settings.RATE_LIMIT_LEASE_SIZE;
    this.leaseTtlMs = settings.RATE_LIMIT_LEASE_TTL_MS;
    this.timeoutMs = settings.RATE_LIMIT_TIMEOUT_MS;
  }

  /**
   * Takes one token from every bucket of `checks`; the request may go on only when all allow. When one refuses,
   * tokens the others gave from a local lease are put back (owner-taken ones stay spent). Returns synchronously
   * when every bucket was served from a local lease (the common case: no I/O and no await for the caller).
   * Throws RateLimiterUnavailableError when an owner that had to be asked did not answer in time.
   */
  take(checks: readonly BucketCheck[], ctx: WaitUntil): LimitOutcome | Promise<LimitOutcome> {
    const taken: (Taken | undefined)[] = [];
    let allLocal = true;
    for (const check of checks) {
      const local = this.takeLocal(check, ctx);
      if (!local) allLocal = false;
      taken.push(local);
    }
    if (allLocal) return this.outcome(taken as Taken[]);
    return Promise.all(checks.map((check, i) => taken[i] ?? this.takeRemote(check, ctx))).then((all) =>
      this.outcome(all),
    );
  }

  /**
   * Charges `cost` tokens to a bucket without refusing anything (a penalty). Tokens this isolate holds on lease are
   * spent first (they are already out of the bucket); the rest is charged at the owner before this resolves, so the
   * caller's next request already sees it.
   */
  async charge(check: BucketCheck, cost: number): Promise<void> {
    const left = cost - this.holderFor(check.key).drain(Date.now(), cost);
    if (left > 0) {
      await withDeadline(this.store.charge(check.key, check.params, left), this.timeoutMs, 'rate limiter');
    }
  }

  private outcome(all: Taken[]): LimitOutcome {
    let refused: Taken | undefined;
    let tightest = all[0] as Taken;
    for (const d of all) {
      if (!d.allowed) refused ??= d;
      else if (d.remaining < tightest.remaining) tightest = d;
    }
    if (refused) {
      for (const d of all) if (d.allowed && d.lease) d.holder.refund(d.lease, 1);
      return { allowed: false, bucket: refused };
    }
    return { allowed: true, bucket: tightest };
  }

  private holderFor(key: string): LeaseHolder {
    let h = this.holders.get(key);
    if (h) return h;
    if (this.holders.size >= MAX_HOLDERS) this.holders.delete(this.holders.keys().next().value as string);
    const ttl = this.leaseTtlMs;
    h = new LeaseHolder(this.leaseSize, ttl, Math.max(50, Math.ceil(ttl / 10)));
    this.holders.set(key, h);
    return h;
  }

  /** Starts a background lease refill from this request, if none is in flight for the key. Never awaited. */
  private refillInBackground(check: BucketCheck, h: LeaseHolder, ctx: WaitUntil): void {
    const sentAt = Date.now();
    h.refilling = true;
    h.refillStartedAt = sentAt;
    const returns = h.takeReturns(sentAt);
    const ticket = h.begin();
    const request = { cost: 0, lease: h.want, leaseTtlMs: this.leaseTtlMs, returns };
    const work = withDeadline(this.store.acquire(check.key, check.params, request), this.timeoutMs)
      .then((result) => h.record(result, sentAt, Date.now()))
      .catch(() => {
        // The next request that finds no lease asks the owner itself and reports a failure.
      })
      .finally(() => {
        h.refilling = false;
        h.end(ticket);
      });
    ctx.waitUntil(work);
  }

  /**
   * Polls (1 ms timers) until one of `tickets` lands with a lease this request can spend, or all have landed, or
   * the deadline passes. Polling, because workerd does not let one request await a promise settled by another's I/O.
   */
  private async waitForLease(
    h: LeaseHolder,
    tickets: readonly number[],
    giveUpAt: number,
  ): Promise<HeldLease | undefined> {
    while (h.anyPending(tickets) && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const lease = h.trySpend(Date.now(), 1);
      if (lease) return lease;
    }
    return undefined;
  }

  /** The hot path: spend a token this isolate already holds. No I/O, no promise. */
  private takeLocal(check: BucketCheck, ctx: WaitUntil): Taken | undefined {
    if (this.leaseSize === 0) return undefined;
    const h = this.holderFor(check.key);
    const now = Date.now();
    const lease = h.trySpend(now, 1);
    if (!lease) return undefined;
    if (h.needsRefill(now)) this.refillInBackground(check, h, ctx);
    return {
      check,
      allowed: true,
      remaining: h.estimateRemaining(now),
      resetMs: Math.max(0, h.ownerResetMs - (now - h.seenAt)),
      retryAfterMs: 0,
      lease,
      holder: h,
    };
  }

  private async takeRemote(check: BucketCheck, ctx: WaitUntil): Promise<Taken> {
    const h = this.holderFor(check.key);
    const leasing = this.leaseSize > 0;
    let now = Date.now();
    if (leasing && h.inFlight().length > 0) {
      // Nothing here, but calls of this isolate for the key are in flight (a refill, or other requests): their
      // leases land in the shared pool, so wait for them rather than add one more call to the storm.
      const lease = await this.waitForLease(h, h.inFlight(), now + this.timeoutMs);
      now = Date.now();
      if (lease) {
        if (h.needsRefill(now)) this.refillInBackground(check, h, ctx);
        return {
          check,
          allowed: true,
          remaining: h.estimateRemaining(now),
          resetMs: 0,
          retryAfterMs: 0,
          lease,
          holder: h,
        };
      }
    }
    const returns = h.takeReturns(now);
    const ticket = h.begin();
    let result: AcquireResult;
    try {
      const request = { cost: 1, lease: leasing ? h.want : 0, leaseTtlMs: this.leaseTtlMs, returns };
      result = await withDeadline(this.store.acquire(check.key, check.params, request), this.timeoutMs);
    } catch (err) {
      throw new RateLimiterUnavailableError(err);
    } finally {
      h.end(ticket);
    }
    const after = Date.now();
    h.record(result, now, after);
    if (!result.allowed && leasing) {
      // Refused because concurrent requests of this isolate were lent the last tokens? Spend those rather than
      // refuse while tokens sit here unused. Calls in flight now may bring a lease granted before this refusal: wait
      // for those (not for later ones, so a flood of refusals does not wait on itself).
      const lease = h.trySpend(after, 1) ?? (await this.waitForLease(h, h.inFlight(), after + this.timeoutMs));
      if (lease) {
        const at = Date.now();
        return {
          check,
          allowed: true,
          remaining: h.available(at),
          resetMs: result.resetMs,
          retryAfterMs: 0,
          lease,
          holder: h,
        };
      }
    }
    return {
      check,
      allowed: result.allowed,
      remaining: result.remaining + h.available(after),
      resetMs: result.resetMs,
      retryAfterMs: result.retryAfterMs,
      holder: h,
    };
  }
}

/** RFC-draft RateLimit-* headers of a bucket's answer, plus Retry-After on a refusal. */
export function rateLimitHeaders(d: BucketDecision): Record<string, string> {
  const reset = d.allowed ? d.resetMs : d.retryAfterMs;
  const out: Record<string, string> = {
    'ratelimit-limit': String(d.check.params.capacity),
    'ratelimit-remaining': String(Math.max(0, Math.floor(d.remaining))),
    'ratelimit-reset': String(Math.ceil(reset / 1000)),
  };
  if (!d.allowed) out['retry-after'] = String(Math.max(1, Math.ceil(d.retryAfterMs / 1000)));
  return out;
}
