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
 * until the log names its member. L = 0 turns the cache off: every introspection waits for a read sent after it
 * began, which is how introspection worked before the lease.
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

/** A Redis stream entry as XRANGE returns it: its id and its flat field/value list. */
export type LogEntry = [id: string, fields: string[]];

/** The field of a log entry that names the revoked member; other entries (the anchor a rebuild writes) name none. */
export const LOG_MEMBER_FIELD = 'm';

/** Orders two stream ids (`<ms>-<seq>`): negative, zero or positive. */
export function compareLogIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** What one read of the log tells the isolate. */
export interface TailReading {
  /**
   * Whether the reading continues the isolate's log from its cursor (the cursor's own entry came back first), so that
   * the isolate has now seen every entry up to `end`. False for a first read (no cursor: the isolate starts from the
   * log's tip) and when the cursor's entry is gone (the log was flushed or trimmed past it): then the isolate must
   * forget what it learned before, and start again from `end`.
   */
  continues: boolean;
  /** Members the reading names as revoked (always true, whatever else the reading says). */
  revoked: string[];
  /** The last entry's id, or null when the log is empty. */
  end: string | null;
  /** False when the reading stopped at `limit` entries and the log may go on. */
  complete: boolean;
}

/**
 * Reads the reply to the log read the isolate sent with `cursor`: XRANGE from the cursor's own id (inclusive) with
 * COUNT `limit`, or with no cursor, XREVRANGE of the tip alone.
 */
export function readTail(cursor: string | null, reply: unknown, limit: number): TailReading {
  if (!Array.isArray(reply)) throw new Error('malformed log reply');
  const entries = reply as LogEntry[];
  const last = entries[entries.length - 1];
  const end = last ? last[0] : null;
  if (cursor === null) return { continues: false, revoked: [], end, complete: true };
  const continues = entries.length > 0 && entries[0]?.[0] === cursor;
  const revoked: string[] = [];
  for (const entry of continues ? entries.slice(1) : entries) {
    const member = memberOf(entry);
    if (member !== undefined) revoked.push(member);
  }
  return { continues, revoked, end, complete: entries.length < limit };
}

function memberOf(entry: LogEntry): string | undefined {
  const fields = entry[1];
  if (!Array.isArray(fields)) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === LOG_MEMBER_FIELD) return String(fields[i + 1]);
  return undefined;
}
