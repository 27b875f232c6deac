/**
 * The revocation lease (pure): when an isolate may answer "is this token revoked?" from its own memory and still see
 * every revocation acknowledged before the introspection began, in every isolate and replica.
 *
 * The rule has two halves, with one constant between them, the lease L (REVOCATION_LEASE_MS):
 *
 * - A revocation is acknowledged only L after it is in Redis (acknowledgeAfterLease): the revoking request, the key
 *   rotation or the refresh-token reuse answers L later.
 * - An isolate answers an introspection that began at time b from what a Redis read sent at time r taught it, only
 *   if r > b - L (leaseCovers).
 *
 * So if the revocation was acknowledged before b, it was in Redis before b - L < r, and that read saw it. Only
 * intervals are compared, each on one clock (the revoker's timer; the isolate's send time and start time), never two
 * machines' clocks. Where a Worker's clock stands still during execution it reads early, which makes r earlier and b
 * earlier by the same rule: r is read before the send and b no earlier than the request's arrival, so both errors
 * make the check stricter, never looser.
 *
 * What a read teaches the isolate is the denylist's change log (`revoked:log`, a Redis stream that every revocation
 * appends its member to, after adding it to the denylist): each read fetches the log from the last entry the isolate
 * applied, so the isolate knows every member revoked since it last looked, and every answer it keeps stays true
 * until the log names its member (../storage/revocations.ts, ../storage/denylist-log.ts). L = 0 turns the memory
 * off: every introspection waits for a read sent after it began, which is how introspection worked before the lease.
 *
 * The composition root builds one RevocationLease from REVOCATION_LEASE_MS and hands the same one to the revoking
 * side and to the reading side (the store), so the two halves cannot disagree on L.
 */

/** Whether a read sent at `readSentAt` may answer an introspection that began at `startedAt` (all ms, one clock). */
export function leaseCovers(readSentAt: number, startedAt: number, leaseMs: number): boolean {
  return readSentAt > startedAt - leaseMs;
}

/**
 * Whether an isolate answering from memory should send a read now to renew its lease (in the background): once half
 * the lease is used, or earlier when the wire's round trip (roundTripMs, the isolate's estimate) is long enough that a
 * read sent later would come back after the lease ran out.
 */
export function refreshDue(readSentAt: number, now: number, leaseMs: number, roundTripMs: number): boolean {
  const renewWithin = Math.max(leaseMs / 2, 3 * roundTripMs);
  return now - readSentAt >= leaseMs - renewWithin;
}

/** Waits out the lease after a revocation reached Redis, before anyone is told it holds. */
export function acknowledgeAfterLease(leaseMs: number): Promise<void> {
  if (leaseMs <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, leaseMs));
}

/** Both halves of the rule for one lease length, as the revoking and the reading side use them. */
export interface RevocationLease {
  /** leaseCovers under this lease. */
  covers(readSentAt: number, startedAt: number): boolean;
  /** refreshDue under this lease. */
  renewalDue(readSentAt: number, now: number, roundTripMs: number): boolean;
  /** acknowledgeAfterLease under this lease. */
  acknowledge(): Promise<void>;
}

export function revocationLease(ms: number): RevocationLease {
  return {
    covers: (readSentAt, startedAt) => leaseCovers(readSentAt, startedAt, ms),
    renewalDue: (readSentAt, now, roundTripMs) => refreshDue(readSentAt, now, ms, roundTripMs),
    acknowledge: () => acknowledgeAfterLease(ms),
  };
}
