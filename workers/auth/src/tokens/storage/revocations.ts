/**
 * Revoked access tokens. Postgres `revoked_tokens` is the durable record; the Redis sorted set `revoked` is the
 * denylist introspection reads, with its completeness marker inside the same key (../domain/denylist.ts), so no
 * flush, restart or eviction can make a revoked token look active again.
 *
 * - revoke: Postgres first, then ZADD of the jti (scored by the token's expiry), then XADD of the jti to the change
 *   log `revoked:log` (in that order, so that every member the log names is already in the set). Never the marker.
 * - lookup (`DenylistReader`, below): the change log from the isolate's cursor, ZMSCORE of the jti and the marker,
 *   and GET of the key set's version, in one pipelined round trip shared by the isolate's lookups of the same tick;
 *   or no round trip at all, under the revocation lease (../domain/revocation-lease.ts).
 * - rebuild: under a short lock (`revoked:rebuild`, SET NX PX), stream the unexpired rows in pages, ZADD them, drop
 *   expired members (ZREMRANGEBYSCORE), then ZADD the marker and append an anchor to the log (a log to continue
 *   from, even before the first revocation).
 */
import { and, asc, eq, gt, inArray, lt } from 'drizzle-orm';
import { revokedTokens } from '../../../../../shared/db/schema.js';
import { type Dependencies, logError, withPostgres, withRedis } from '../../../../../shared/dependencies.js';
import { randomToken } from '../../../../../shared/crypto.js';
import { joinWithin } from '../../../../../shared/deadline.js';
import type { WaitUntil } from '../../clients/domain/client-store.js';
import type { RevocationLease } from '../domain/revocation-lease.js';
import type { DenylistLookup, Revocation, RevocationStore } from '../domain/revocation-store.js';
import {
  appendAnchor,
  appendRevoked,
  compareLogIds,
  readTail,
  TAIL_LIMIT,
  type TailReading,
  tailCommand,
} from './denylist-log.js';

/** Member that marks the set complete. A colon never occurs in the base64url jtis this server issues. */
export const COMPLETE_MARKER = ':complete';
/** Its score: above any expiry, so removing expired members (by score) never removes it. */
const COMPLETE_MARKER_SCORE = Number.MAX_SAFE_INTEGER;
/** Rows per page of a rebuild (one ZADD each). */
const REBUILD_PAGE = 1000;
/** How long a rebuild holds its lock; a rebuild that dies mid-way leaves the marker absent, so nothing is lost. */
const REBUILD_LOCK_MS = 30_000;

export interface TokenStateKeys {
  /** The denylist sorted set. */
  denylist: string;
  /** The denylist's change log (a stream: one entry per revocation, and a rebuild's anchor). */
  log: string;
  /** The signing keys' change counter (keys/storage/signing-keys.ts). */
  keySetVersion: string;
}

/** Members an isolate remembers at most; past that it forgets them all and starts again. */
const MAX_KNOWN = 50_000;

/** Lookups in one pipeline at most (a ZMSCORE of this many jtis is ~6 KiB); more start another. */
const MAX_BATCH = 256;
/**
 * A lookup waiting on a pipeline another request started stops waiting after this long and asks on its own: that
 * request may have been cancelled (a client gone) with the timer that was to send the batch, and one stuck request
 * must not hold the others.
 */
const JOIN_DEADLINE_MS = 1_000;
/** How long a new batch waits to grow while another round trip is in flight to a near Redis (howToSend). */
const HOLD_MS = 1;
/** A round trip faster than this means Redis is near: the isolate's CPU, not the wire, is what a batch costs. */
const NEAR_ROUND_TRIP_MS = 5;

/** How a lookup goes out: alone and at once, or in a batch sent after `waitMs` (see howToSend). */
export type Sending = { coalesce: false } | { coalesce: true; waitMs: number };

/**
 * How a lookup goes out, from whether a round trip is in flight and the isolate's estimate of the round trip
 * (Infinity: none timed yet).
 *
 * - Redis near (round trips under NEAR_ROUND_TRIP_MS): batched, because every round trip costs the isolate a
 *   subrequest (a large share of one introspection's CPU) however many lookups it carries. While another round trip
 *   is in flight, a new batch waits HOLD_MS to gather the lookups arriving meanwhile (about 10 per round trip instead
 *   of 7 at 16 connections); otherwise it goes on the next turn of the event loop.
 * - Redis far: alone, at once. The wire dominates there, and a batch's answers reach its requests as one burst that
 *   the last of them wait through: batching measured 0.7–3 ms slower at p50 with a 40 ms RTT and 16 connections.
 */
export function howToSend(inFlight: boolean, roundTripMs: number): Sending {
  if (roundTripMs === Number.POSITIVE_INFINITY) return { coalesce: true, waitMs: 0 };
  if (roundTripMs >= NEAR_ROUND_TRIP_MS) return { coalesce: false };
  return { coalesce: true, waitMs: inFlight ? HOLD_MS : 0 };
}

/**
 * The isolate's estimate of the wire's round trip after one more timed round trip: at once down to a faster sample,
 * only a tenth of the way up to a slower one, so that a busy isolate's queueing does not read as distance.
 */
export function nextRoundTripEstimate(estimateMs: number, sampleMs: number): number {
  if (estimateMs === Number.POSITIVE_INFINITY) return sampleMs;
  return Math.min(sampleMs, 0.9 * estimateMs + 0.1 * sampleMs);
}

interface Waiter {
  jti: string;
  /** The token's refresh-token family member, looked up in the same ZMSCORE. */
  family?: string;
  resolve: (found: DenylistLookup | undefined) => void;
}

/** What the isolate's last read covering its whole log taught it beyond the members (see DenylistReader.leased). */
interface Lease {
  /** When that read was sent (Date.now() before the send). */
  sentAt: number;
  keySetVersion: string | null;
}

/**
 * The isolate's reading of the denylist: its Redis round trips, and what they taught it (domain/revocation-lease.ts).
 *
 * Every round trip is one pipelined request: the change log from the isolate's cursor, a ZMSCORE of the asked jtis
 * and the completeness marker, and GET of the key set's version, with a plain fetch. Its answers go to the lookups
 * that asked, and stay in `known` (member → revoked?). The change log keeps `known` true: a member it names is marked
 * revoked, so an answer kept in memory holds until the log names its member.
 *
 * A lookup is answered from `known` with no I/O while the lease covers it (a round trip that read the whole log was
 * sent less than REVOCATION_LEASE_MS before the lookup began); such a lookup renews the lease in the background once
 * half of it is used. Otherwise it takes a round trip of its own, sent after it was asked:
 *
 * - Redis near (round trips under NEAR_ROUND_TRIP_MS): batched, because every round trip costs the isolate a
 *   subrequest however many lookups it carries (howToSend). Each joiner keeps a timer of its own (JOIN_DEADLINE_MS):
 *   besides bounding the wait, it is pending work in the joiner's request context; without it workerd sees a request
 *   waiting only on another request's I/O and cancels it as hung ("would never generate a response").
 * - Redis far: alone, at once.
 *
 * What the isolate learned is forgotten (`forget`: a new epoch) when the log was flushed or trimmed past the cursor,
 * when the marker is gone, and when `known` grows past MAX_KNOWN. A round trip sent before that may still mark
 * members revoked (always true), but neither moves the cursor, nor keeps answers, nor renews the lease.
 * Undefined when Redis did not answer (the caller then asks Postgres).
 */
export class DenylistReader {
  private pending: Waiter[] | null = null;
  /**
   * Round trips sent and not yet answered (each a token of its own). One whose request context was torn down never
   * comes back, so a token older than JOIN_DEADLINE_MS no longer counts.
   */
  private readonly inFlight = new Map<symbol, number>();
  /**
   * The wire's round trip as this isolate sees it (ms; Infinity until one is timed): it drops at once to a faster
   * sample and rises only slowly, so that a busy isolate's queueing (a reply waiting behind other requests) does not
   * read as distance.
   */
  private roundTripMs = Number.POSITIVE_INFINITY;
  /** Member (jti or family member) → revoked, as this epoch's round trips and the change log taught it. */
  private readonly known = new Map<string, boolean>();
  /** The last change-log entry applied (null: none yet; the next read starts at the log's tip). */
  private cursor: string | null = null;
  private epoch = 0;
  /** The newest round trip of this epoch that read the whole log (null: none: every lookup takes a round trip). */
  private leased: Lease | null = null;

  constructor(
    private readonly deps: Dependencies,
    private readonly keys: TokenStateKeys,
    private readonly lease: RevocationLease,
  ) {}

  lookup(jti: string, family: string | undefined, ctx: WaitUntil): Promise<DenylistLookup | undefined> {
    const startedAt = Date.now();
    const remembered = this.fromMemory(jti, family, startedAt);
    if (remembered) {
      this.renewInBackground(startedAt, ctx);
      return Promise.resolve(remembered);
    }
    const sending = howToSend(this.roundTripInFlight(), this.roundTripMs);
    if (!sending.coalesce) {
      const alone: Waiter[] = [];
      const answer = new Promise<DenylistLookup | undefined>((resolve) => alone.push({ jti, family, resolve }));
      void this.flush(alone);
      return answer;
    }
    let batch = this.pending;
    const first = batch === null;
    if (batch === null) {
      const opened: Waiter[] = [];
      batch = opened;
      this.pending = opened;
      setTimeout(() => void this.flush(opened), sending.waitMs);
    }
    const answer = new Promise<DenylistLookup | undefined>((resolve) =>
      (batch as Waiter[]).push({ jti, family, resolve }),
    );
    if (batch.length >= MAX_BATCH) this.pending = null;
    if (first) return answer;
    return joinWithin(answer, JOIN_DEADLINE_MS, () => this.read([{ jti, family }]).then((all) => all?.[0]));
  }

  /** The answer memory gives under the lease, or undefined when the lookup needs a round trip. */
  private fromMemory(jti: string, family: string | undefined, startedAt: number): DenylistLookup | undefined {
    const leased = this.leased;
    if (leased === null || !this.lease.covers(leased.sentAt, startedAt)) return undefined;
    const jtiRevoked = this.known.get(jti);
    if (jtiRevoked === undefined) return undefined;
    const found: DenylistLookup = {
      jtiScore: jtiRevoked ? 1 : null,
      markerScore: COMPLETE_MARKER_SCORE,
      keySetVersion: leased.keySetVersion,
    };
    if (family !== undefined) {
      const familyRevoked = this.known.get(family);
      if (familyRevoked === undefined) return undefined;
      found.familyScore = familyRevoked ? 1 : null;
    }
    return found;
  }

  /** Sends a round trip of no lookups (the log, the marker, the key set's version) when the lease is half used. */
  private renewInBackground(now: number, ctx: WaitUntil): void {
    if (this.leased === null || this.roundTripInFlight()) return;
    if (!this.lease.renewalDue(this.leased.sentAt, now, this.roundTripMs)) return;
    ctx.waitUntil(this.flush([]));
  }

  private async flush(batch: Waiter[]): Promise<void> {
    if (this.pending === batch) this.pending = null;
    const sent = Symbol('round trip');
    const sentAt = Date.now();
    this.inFlight.set(sent, sentAt);
    const answers = await this.read(batch);
    this.inFlight.delete(sent);
    this.roundTripMs = nextRoundTripEstimate(this.roundTripMs, Date.now() - sentAt);
    batch.forEach((w, i) => {
      w.resolve(answers?.[i]);
    });
  }

  private roundTripInFlight(): boolean {
    if (this.inFlight.size === 0) return false;
    const now = Date.now();
    for (const [sent, sentAt] of this.inFlight) if (now - sentAt > JOIN_DEADLINE_MS) this.inFlight.delete(sent);
    return this.inFlight.size > 0;
  }

  /** One round trip for the given lookups (duplicates allowed); undefined when Redis did not answer. */
  private async read(asked: readonly { jti: string; family?: string }[]): Promise<DenylistLookup[] | undefined> {
    const unique = [...new Set(asked.flatMap((a) => (a.family === undefined ? [a.jti] : [a.jti, a.family])))];
    const sentAt = Date.now();
    const epoch = this.epoch;
    const cursor = this.cursor;
    try {
      const [tailReply, scores, version] = await this.deps.redis.pipeline([
        tailCommand(this.keys.log, cursor),
        ['ZMSCORE', this.keys.denylist, COMPLETE_MARKER, ...unique],
        ['GET', this.keys.keySetVersion],
      ]);
      if (!Array.isArray(scores) || scores.length !== unique.length + 1) throw new Error('malformed ZMSCORE reply');
      const markerScore = scores[0] ?? null;
      const keySetVersion = typeof version === 'string' ? version : null;
      const byMember = new Map(unique.map((member, i) => [member, scores[i + 1] ?? null]));
      this.learn({
        sentAt,
        epoch,
        tail: readTail(cursor, tailReply, TAIL_LIMIT),
        markerScore,
        keySetVersion,
        byMember,
      });
      return asked.map(({ jti, family }) => {
        const found: DenylistLookup = { jtiScore: byMember.get(jti) ?? null, markerScore, keySetVersion };
        if (family !== undefined) found.familyScore = byMember.get(family) ?? null;
        return found;
      });
    } catch (err) {
      logError(this.deps.service, 'redis: denylist read failed', err);
      return undefined;
    }
  }

  /** What one round trip teaches the isolate (see the class comment for why each step is safe). */
  private learn(read: {
    sentAt: number;
    epoch: number;
    tail: TailReading;
    markerScore: unknown;
    keySetVersion: string | null;
    byMember: Map<string, unknown>;
  }): void {
    const { tail } = read;
    // Revoked is final: whatever else this read says, these members stay revoked.
    for (const member of tail.revoked) this.known.set(member, true);
    if (read.markerScore === null || read.markerScore === undefined) {
      // The denylist is not known to be complete (flushed, restarted): nothing it said before can be kept.
      this.forget(null);
      return;
    }
    if (read.epoch !== this.epoch) return;
    if (!tail.continues) {
      // A first read, or the log lost the cursor's entry: start again from this read, whose ZMSCORE ran after it.
      this.forget(tail.end);
      for (const member of tail.revoked) this.known.set(member, true);
    } else if (this.cursor !== null && tail.end !== null && compareLogIds(tail.end, this.cursor) > 0) {
      this.cursor = tail.end;
    }
    for (const [member, score] of read.byMember) {
      if (score !== null && score !== undefined) this.known.set(member, true);
      else if (!this.known.has(member)) this.known.set(member, false);
    }
    if (this.known.size > MAX_KNOWN) {
      this.forget(this.cursor);
      return;
    }
    // An empty log gives no cursor to continue from (a rebuild writes its first entry): no lease until it has one.
    if (!tail.complete || this.cursor === null) return;
    if (this.leased === null || read.sentAt > this.leased.sentAt) {
      this.leased = { sentAt: read.sentAt, keySetVersion: read.keySetVersion };
    }
  }

  /** Starts a new epoch from `cursor`: nothing learned before is kept, and round trips sent before teach nothing. */
  private forget(cursor: string | null): void {
    this.epoch++;
    this.known.clear();
    this.leased = null;
    this.cursor = cursor;
  }
}

export class PostgresRevocationStore implements RevocationStore {
  private readonly keys: TokenStateKeys;
  private readonly reader: DenylistReader;

  /** `lease`: the revocation lease (domain/revocation-lease.ts), the same one the revoking side waits out. */
  constructor(
    private readonly deps: Dependencies,
    keySetVersionKey: string,
    lease: RevocationLease,
  ) {
    this.keys = {
      denylist: deps.redis.key('revoked'),
      log: deps.redis.key('revoked', 'log'),
      keySetVersion: keySetVersionKey,
    };
    this.reader = new DenylistReader(deps, this.keys, lease);
  }

  /** Records the revocation durably, then in the Redis denylist. Both must succeed for the caller to report success. */
  async revoke(revocation: Revocation, now = Date.now()): Promise<void> {
    await withPostgres(this.deps, 'revocation insert', (db) =>
      db
        .insert(revokedTokens)
        .values({
          jti: revocation.jti,
          clientId: revocation.clientId,
          expiresAt: new Date(revocation.exp * 1000),
          reason: revocation.reason ?? null,
        })
        .onConflictDoNothing(),
    );
    if (revocation.exp * 1000 <= now) return;
    await withRedis(this.deps, 'denylist write', () =>
      this.deps.redis.pipeline([
        ['ZADD', this.keys.denylist, String(revocation.exp), revocation.jti],
        appendRevoked(this.keys.log, revocation.jti),
      ]),
    );
  }

  lookup(jti: string, family: string | undefined, ctx: WaitUntil): Promise<DenylistLookup | undefined> {
    return this.reader.lookup(jti, family, ctx);
  }

  isRevokedDurably(jti: string, family?: string): Promise<boolean> {
    return withPostgres(this.deps, 'revocation lookup', async (db) => {
      const rows = await db
        .select({ jti: revokedTokens.jti })
        .from(revokedTokens)
        .where(family === undefined ? eq(revokedTokens.jti, jti) : inArray(revokedTokens.jti, [jti, family]))
        .limit(1);
      return rows.length > 0;
    });
  }

  async rebuild(now = Date.now()): Promise<number | null> {
    const lockKey = this.deps.redis.key('revoked', 'rebuild');
    const holder = randomToken(9);
    const locked = await withRedis(this.deps, 'denylist rebuild lock', (redis) =>
      redis.set(lockKey, holder, { nx: true, px: REBUILD_LOCK_MS }),
    );
    // Another isolate is rebuilding: it writes the marker when done.
    if (locked === null) return null;
    const nowSeconds = Math.floor(now / 1000);
    const count = await withPostgres(this.deps, 'denylist rebuild', async (db) => {
      let after = '';
      let total = 0;
      for (;;) {
        const rows = await db
          .select({ jti: revokedTokens.jti, expiresAt: revokedTokens.expiresAt })
          .from(revokedTokens)
          .where(and(gt(revokedTokens.expiresAt, new Date(now)), gt(revokedTokens.jti, after)))
          .orderBy(asc(revokedTokens.jti))
          .limit(REBUILD_PAGE);
        if (rows.length === 0) break;
        const [first, ...rest] = rows.map((r) => ({ score: Math.floor(r.expiresAt.getTime() / 1000), member: r.jti }));
        await withRedis(this.deps, 'denylist rebuild write', (redis) =>
          redis.zadd(this.keys.denylist, first as { score: number; member: string }, ...rest),
        );
        total += rows.length;
        after = (rows[rows.length - 1] as { jti: string }).jti;
        if (rows.length < REBUILD_PAGE) break;
      }
      return total;
    });
    // The lock doubles as a canary: if Redis lost it (flushed or restarted during the rebuild), members written
    // before that are gone too, and the set must not be marked complete.
    const stillOurs = await withRedis(this.deps, 'denylist rebuild check', (redis) => redis.get<string>(lockKey));
    if (stillOurs !== holder) throw new Error('the rebuild lock was lost; the denylist stays incomplete');
    await withRedis(this.deps, 'denylist rebuild completion', () =>
      this.deps.redis.pipeline([
        ['ZREMRANGEBYSCORE', this.keys.denylist, '-inf', String(nowSeconds - 1)],
        ['ZADD', this.keys.denylist, String(COMPLETE_MARKER_SCORE), COMPLETE_MARKER],
        appendAnchor(this.keys.log),
      ]),
    );
    return count;
  }

  async prune(now = Date.now()): Promise<number> {
    return withPostgres(this.deps, 'revocation prune', async (db) => {
      const rows = await db
        .delete(revokedTokens)
        .where(lt(revokedTokens.expiresAt, new Date(now)))
        .returning({ jti: revokedTokens.jti });
      return rows.length;
    });
  }
}
