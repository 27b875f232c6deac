/**
 * The denylist's change log as Redis keeps it (pure): a stream `revoked:log` with one entry per revocation (field
 * LOG_MEMBER_FIELD, the revoked member) and the anchors a rebuild appends (no member). An isolate reads it from its
 * cursor in every round trip (revocations.ts); this module reads those replies.
 */

/** Entries the log keeps (MAXLEN ~): an isolate that falls further behind starts again (a new epoch). */
const LOG_MAX_LEN = '10000';
/** Log entries one round trip reads at most; an isolate further behind catches up over several, without a lease. */
export const TAIL_LIMIT = 256;

/** XADD of a revoked member (a jti or a family member). */
export function appendRevoked(log: string, member: string): string[] {
  return ['XADD', log, 'MAXLEN', '~', LOG_MAX_LEN, '*', LOG_MEMBER_FIELD, member];
}

/** XADD of an anchor (no member): a rebuild leaves one, so that an isolate has an entry to continue from. */
export function appendAnchor(log: string): string[] {
  return ['XADD', log, 'MAXLEN', '~', LOG_MAX_LEN, '*', 'anchor', '1'];
}

/** The log read of one round trip: from the cursor's own entry on (readTail), or the tip alone without a cursor. */
export function tailCommand(log: string, cursor: string | null): string[] {
  return cursor === null
    ? ['XREVRANGE', log, '+', '-', 'COUNT', '1']
    : ['XRANGE', log, cursor, '+', 'COUNT', String(TAIL_LIMIT)];
}

/** A Redis stream entry as XRANGE returns it: its id and its flat field/value list. */
export type LogEntry = [id: string, fields: string[]];

/** The field of a log entry that names the revoked member; other entries (the anchor a rebuild writes) name none. */
const LOG_MEMBER_FIELD = 'm';

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
