/**
 * Revoked access tokens. Postgres `revoked_tokens` is the durable record; the Redis key `revoked:<jti>` is the
 * copy introspection reads, set with PX = the token's remaining lifetime so the denylist never outgrows the set
 * of still-valid tokens.
 */
import { eq, lt } from 'drizzle-orm';
import { revokedTokens } from '../../../../shared/db/schema.js';
import type { CommonConfig } from '../../../../shared/env.js';
import { redisKey } from '../../../../shared/redis.js';
import { tryRedis, withPostgres, withRedis } from './dependencies.js';

const denyKey = (config: CommonConfig, jti: string) => redisKey(config, 'revoked', jti);

export interface Revocation {
  jti: string;
  clientId: string;
  /** Token expiry, epoch seconds. */
  exp: number;
  reason?: string;
}

/** Records the revocation durably, then in the Redis denylist. Both must succeed for the caller to report success. */
export async function revokeToken(config: CommonConfig, revocation: Revocation, now = Date.now()): Promise<void> {
  await withPostgres(config, 'revocation insert', (db) =>
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
  await withRedis(config, 'denylist write', (redis) =>
    redis.set(denyKey(config, revocation.jti), '1', { px: remainingMs }),
  );
}

/**
 * Whether `jti` is revoked. Redis answers in steady state; if Redis is unreachable the durable record is asked,
 * and if that fails too the error propagates (503): a token must never be reported active unchecked.
 */
export async function isRevoked(config: CommonConfig, jti: string): Promise<boolean> {
  const hit = await tryRedis(config, 'denylist read', (redis) => redis.exists(denyKey(config, jti)), undefined);
  if (hit !== undefined) return hit > 0;
  return withPostgres(config, 'revocation lookup', async (db) => {
    const rows = await db
      .select({ jti: revokedTokens.jti })
      .from(revokedTokens)
      .where(eq(revokedTokens.jti, jti))
      .limit(1);
    return rows.length > 0;
  });
}

/** Deletes durable records of tokens that have expired anyway (scheduled maintenance). */
export async function pruneRevokedTokens(config: CommonConfig, now = Date.now()): Promise<number> {
  return withPostgres(config, 'revocation prune', async (db) => {
    const rows = await db
      .delete(revokedTokens)
      .where(lt(revokedTokens.expiresAt, new Date(now)))
      .returning({ jti: revokedTokens.jti });
    return rows.length;
  });
}
