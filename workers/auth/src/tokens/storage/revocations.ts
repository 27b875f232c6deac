/**
 * Revoked access tokens. Postgres `revoked_tokens` is the durable record; the Redis sorted set `revoked` is the
 * denylist introspection reads, with its completeness marker inside the same key (../domain/denylist.ts), so no
 * flush, restart or eviction can make a revoked token look active again.
 *
 * - revoke: Postgres first, then ZADD of the jti (scored by the token's expiry). Never the marker.
 * - lookup (`lookupTokenState`, below): ZMSCORE of the jti and the marker, and GET of the key set's version, in one
 *   pipelined round trip.
 * - rebuild: under a short lock (`revoked:rebuild`, SET NX PX), stream the unexpired rows in pages, ZADD them, drop
 *   expired members (ZREMRANGEBYSCORE), then ZADD the marker.
 */
import { and, asc, eq, gt, inArray, lt } from 'drizzle-orm';
import { revokedTokens } from '../../../../../shared/db/schema.js';
import { type Dependencies, tryRedis, withPostgres, withRedis } from '../../../../../shared/dependencies.js';
import { randomToken } from '../../../../../shared/crypto.js';
import type { Redis } from '../../../../../shared/redis.js';
import type { DenylistLookup, Revocation, RevocationStore } from '../domain/revocation-store.js';

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
  /** The signing keys' change counter (keys/storage/signing-keys.ts). */
  keySetVersion: string;
}

/**
 * The one Redis round trip of an introspection: the jti's and the marker's scores, and the key set's version.
 * Small and separate on purpose, so concurrent lookups can later be coalesced into one pipeline per tick.
 */
export async function lookupTokenState(
  redis: Redis,
  keys: TokenStateKeys,
  jti: string,
  family?: string,
): Promise<DenylistLookup> {
  const members = family === undefined ? [jti, COMPLETE_MARKER] : [jti, COMPLETE_MARKER, family];
  const [scores, version] = await redis
    .pipeline()
    .zmscore(keys.denylist, members)
    .get<string>(keys.keySetVersion)
    .exec<[(unknown | null)[] | null, string | null]>();
  const found: DenylistLookup = {
    jtiScore: scores?.[0] ?? null,
    markerScore: scores?.[1] ?? null,
    keySetVersion: version ?? null,
  };
  if (family !== undefined) found.familyScore = scores?.[2] ?? null;
  return found;
}

export class PostgresRevocationStore implements RevocationStore {
  private readonly keys: TokenStateKeys;

  constructor(
    private readonly deps: Dependencies,
    keySetVersionKey: string,
  ) {
    this.keys = { denylist: deps.redis.key('revoked'), keySetVersion: keySetVersionKey };
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
    await withRedis(this.deps, 'denylist write', (redis) =>
      redis.zadd(this.keys.denylist, { score: revocation.exp, member: revocation.jti }),
    );
  }

  lookup(jti: string, family?: string): Promise<DenylistLookup | undefined> {
    return tryRedis(this.deps, 'denylist read', (redis) => lookupTokenState(redis, this.keys, jti, family), undefined);
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
    await withRedis(this.deps, 'denylist rebuild completion', (redis) =>
      redis
        .pipeline()
        .zremrangebyscore(this.keys.denylist, '-inf', nowSeconds - 1)
        .zadd(this.keys.denylist, { score: COMPLETE_MARKER_SCORE, member: COMPLETE_MARKER })
        .exec(),
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
