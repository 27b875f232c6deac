/**
 * The isolate's side of a lease: tokens lent by the bucket owner (Durable Object or Redis) and spent locally.
 *
 * Safety rests on one rule: a held lease is spent only before `validUntil = sentAt + ttl - margin`, where `sentAt`
 * is this isolate's clock when it *sent* the request that obtained the lease. The owner stamps the lease with its
 * own clock when it *received* that request, so on any pair of clocks running at the same rate the holder stops
 * spending before the owner stops counting the lease as outstanding. The margin covers workerd's coarse clock
 * (time only advances on I/O, so `Date.now()` can lag by the CPU time spent since the last I/O).
 *
 * Pure state, no I/O: the Limiter (../limiter.ts) decides when to talk to the owner.
 */
import type { AcquireResult, LeaseReturn } from './token-bucket.js';

export interface HeldLease {
  id: string;
  amount: number;
  remaining: number;
  grantedAt: number;
  validUntil: number;
}

export const INITIAL_LEASE_WANT = 2;

export class LeaseHolder {
  leases: HeldLease[] = [];
  /** Tokens to ask for next time: doubles while leases run out quickly, halves while they expire unspent. */
  want = INITIAL_LEASE_WANT;
  /** A background refill is in flight (at most one per key and isolate). */
  refilling = false;
  refillStartedAt = 0;
  /** What the owner last reported: tokens left in the bucket and ms until full, at `seenAt`. */
  ownerRemaining = 0;
  ownerResetMs = 0;
  seenAt = 0;

  /** Owner calls in flight, by ticket (sequence number in sending order). */
  private pending = new Set<number>();
  private nextTicket = 1;

  constructor(
    readonly maxWant: number,
    readonly ttlMs: number,
    readonly marginMs: number,
  ) {
    this.want = Math.min(INITIAL_LEASE_WANT, maxWant);
  }

  /** Tokens spendable at `now`. */
  available(now: number): number {
    let sum = 0;
    for (const l of this.leases) if (now < l.validUntil) sum += l.remaining;
    return sum;
  }

  /**
   * Spends `cost` tokens from one valid lease (soonest-expiring first) and returns that lease, so a refusal by a
   * sibling check can put the tokens back where they came from; undefined when no single lease holds enough.
   */
  trySpend(now: number, cost: number): HeldLease | undefined {
    for (const l of this.leases) {
      if (now >= l.validUntil || l.remaining < cost) continue;
      l.remaining -= cost;
      this.noteSpent(l, now);
      return l;
    }
    return undefined;
  }

  /** Spends up to `cost` tokens across valid leases (a penalty). Returns how many were spent. */
  drain(now: number, cost: number): number {
    let left = cost;
    for (const l of this.leases) {
      if (left <= 0) break;
      if (now >= l.validUntil || l.remaining <= 0) continue;
      const take = Math.min(l.remaining, left);
      l.remaining -= take;
      left -= take;
    }
    return cost - left;
  }

  /**
   * Gives tokens back to the lease they were spent from. Only to that lease: moving a token to a longer-lived
   * lease would let it be spent after its own lease ended, which the owner's accounting does not allow.
   */
  refund(lease: HeldLease, cost: number): void {
    lease.remaining = Math.min(lease.amount, lease.remaining + cost);
  }

  private noteSpent(l: HeldLease, now: number): void {
    // Exhausted in under half its life: demand outruns the lease size.
    if (l.remaining === 0 && now - l.grantedAt < this.ttlMs / 2) this.want = Math.min(this.maxWant, this.want * 2);
  }

  /**
   * Removes leases that can no longer be spent (expired here, or exhausted) and lists them for the owner with their
   * unspent tokens. The owner counts a lease against the bucket's capacity until it expires or comes back, so
   * giving back exhausted leases (unspent 0) lets the refill resume early. A lease expired here may still be
   * outstanding at the owner (its clock started later): it then takes the tokens back; otherwise it ignores the
   * return. Either way this isolate never spends them again.
   */
  takeReturns(now: number): LeaseReturn[] {
    const returns: LeaseReturn[] = [];
    const kept: HeldLease[] = [];
    for (const l of this.leases) {
      if (now < l.validUntil && l.remaining > 0) {
        kept.push(l);
        continue;
      }
      returns.push({ id: l.id, unspent: l.remaining });
      if (l.remaining * 2 > l.amount) this.want = Math.max(1, Math.ceil(this.want / 2));
    }
    this.leases = kept;
    return returns;
  }

  /** Records the owner's answer to a request sent at `sentAt` (this isolate's clock). */
  record(result: AcquireResult, sentAt: number, now: number): void {
    this.ownerRemaining = result.remaining;
    this.ownerResetMs = result.resetMs;
    this.seenAt = now;
    if (result.lease && result.lease.amount > 0) {
      this.leases.push({
        id: result.lease.id,
        amount: result.lease.amount,
        remaining: result.lease.amount,
        grantedAt: now,
        validUntil: sentAt + result.lease.ttlMs - this.marginMs,
      });
      this.leases.sort((a, b) => a.validUntil - b.validUntil);
    }
  }

  /** Time to ask for more in the background: few tokens left, or what is left is about to expire. */
  needsRefill(now: number): boolean {
    // A refill whose request context died without settling must not block refills forever.
    if (this.refilling && now - this.refillStartedAt < this.ttlMs) return false;
    const low = Math.max(1, Math.floor(this.want / 4));
    let usable = 0;
    for (const l of this.leases) {
      // Tokens that expire within a quarter of a lease life do not count: they will likely be forfeited.
      if (l.validUntil - now > this.ttlMs / 4) usable += l.remaining;
    }
    return usable < low;
  }

  /** Registers an owner call about to be sent; returns its ticket. */
  begin(): number {
    const ticket = this.nextTicket++;
    this.pending.add(ticket);
    return ticket;
  }

  end(ticket: number): void {
    this.pending.delete(ticket);
  }

  /** Tickets of the calls in flight now. */
  inFlight(): number[] {
    return [...this.pending];
  }

  /** Whether any of `tickets` is still unanswered. */
  anyPending(tickets: readonly number[]): boolean {
    for (const t of tickets) if (this.pending.has(t)) return true;
    return false;
  }

  /** Best estimate of the bucket's tokens for RateLimit-Remaining: owner's count plus what is held here. */
  estimateRemaining(now: number): number {
    return this.ownerRemaining + this.available(now);
  }
}
