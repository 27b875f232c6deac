/**
 * Revoked access tokens. Postgres `revoked_tokens` is the durable record; the Redis key `revoked:<jti>` is the
 * copy introspection reads, set with PX = the token's remaining lifetime so the denylist never outgrows the set
 * of still-valid tokens.
 */
import { eq, lt } from 'drizzle-orm';
import { revokedTokens } from '../../../../../shared/db/schema.js';
import { type Dependencies, tryRedis, withPostgres, withRedis } from '../../../../../shared/dependencies.js';
import type { Revocation, RevocationStore } from '../domain/revocation-store.js';

export class PostgresRevocationStore implements RevocationStore {
  constructor(private readonly deps: Dependencies) {}

  private denyKey(jti: string): string {
    return this.deps.redis.key('revoked', jti);
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
    const remainingMs = revocation.exp * 1000 - now;
    if (remainingMs <= 0) return;
    await withRedis(this.deps, 'denylist write', (redis) =>
      redis.set(this.denyKey(revocation.jti), '1', { px: remainingMs }),
    );
  }

  /**
   * Redis answers in steady state; if Redis is unreachable the durable record is asked, and if that fails too the
   * error propagates (503): a token must never be reported active unchecked.
   */
  async isRevoked(jti: string): Promise<boolean> {
    const hit = await tryRedis(this.deps, 'denylist read', (redis) => redis.exists(this.denyKey(jti)), undefined);
    if (hit !== undefined) return hit > 0;
    return withPostgres(this.deps, 'revocation lookup', async (db) => {
      const rows = await db
        .select({ jti: revokedTokens.jti })
        .from(revokedTokens)
        .where(eq(revokedTokens.jti, jti))
        .limit(1);
      return rows.length > 0;
    });
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
