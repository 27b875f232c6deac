/**
 * Signing keys in Postgres (`signing_keys`, private keys encrypted under the KEK) and the key set's change counter
 * in Redis (`keys:version`, set to a fresh random value after every change; isolates compare it to know when to
 * reload). Random rather than INCR: after a Redis flush a counter would start again at 1 and could repeat the value
 * an isolate last saw, hiding a change (an emergency rotation!) from it.
 *
 * Changes (maintenance, rotation, first key) run in one transaction under a Postgres advisory lock, so concurrent
 * isolates and cron runs serialize and the first key is created exactly once.
 */
import { inArray, sql } from 'drizzle-orm';
import { signingKeys } from '../../../../../shared/db/schema.js';
import { randomToken } from '../../../../../shared/crypto.js';
import { type Dependencies, tryRedis, withPostgres } from '../../../../../shared/dependencies.js';
import type { KeyChanges, SigningKeyStore, StoredKey } from '../domain/key-store.js';
import type { KeyRecord, KeyStatus } from '../domain/signing-keys.js';
import type { SigningAlg } from '../../tokens/domain/access-token.js';

/** Advisory lock id for key maintenance (any constant; namespaced by the database). */
const KEYS_LOCK_ID = 7_300_001;

function toStored(row: typeof signingKeys.$inferSelect): StoredKey {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlg,
    status: row.status as KeyStatus,
    activatesAt: row.activatesAt.getTime(),
    retiredAt: row.retiredAt ? row.retiredAt.getTime() : null,
    expiresAt: row.expiresAt ? row.expiresAt.getTime() : null,
    publicJwk: row.publicJwk,
    privateKeyCiphertext: row.privateKeyCiphertext,
    kekId: row.kekId,
  };
}

function isEmpty(changes: KeyChanges): boolean {
  return !changes.create && changes.update.length === 0 && changes.delete.length === 0;
}

export class PostgresSigningKeyStore implements SigningKeyStore {
  constructor(private readonly deps: Dependencies) {}

  /** The change counter's Redis key (introspection reads it with the denylist: tokens/storage/revocations.ts). */
  versionKey(): string {
    return this.deps.redis.key('keys', 'version');
  }

  async list(): Promise<StoredKey[]> {
    const rows = await withPostgres(this.deps, 'signing key load', (db) => db.select().from(signingKeys));
    return rows.map(toStored);
  }

  version(): Promise<string | null | undefined> {
    return tryRedis(this.deps, 'keys version read', (redis) => redis.get<string>(this.versionKey()), undefined);
  }

  async maintain<R>(
    now: number,
    decide: (keys: KeyRecord[], at: number) => Promise<{ changes: KeyChanges; result: R }>,
  ): Promise<R> {
    const { changes, result } = await withPostgres(this.deps, 'signing key maintenance', (db) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${KEYS_LOCK_ID})`);
        // Decide at the time the lock was obtained: whoever held it may have created a key a moment ago.
        const at = Math.max(now, Date.now());
        const rows = await tx.select().from(signingKeys);
        const decided = await decide(rows.map(toStored), at);
        const { create, update } = decided.changes;
        if (create) {
          await tx.insert(signingKeys).values({
            kid: create.kid,
            alg: create.alg,
            publicJwk: create.publicJwk,
            privateKeyCiphertext: create.privateKeyCiphertext,
            kekId: create.kekId,
            status: create.status,
            publishedAt: new Date(create.publishedAt),
            activatesAt: new Date(create.activatesAt),
          });
        }
        for (const u of update) {
          await tx
            .update(signingKeys)
            .set({
              status: u.status,
              ...(u.retiredAt !== undefined ? { retiredAt: new Date(u.retiredAt) } : {}),
              ...(u.expiresAt !== undefined ? { expiresAt: new Date(u.expiresAt) } : {}),
              // A revoked key's row stays for audit; its private half does not.
              ...(u.status === 'revoked' ? { privateKeyCiphertext: null } : {}),
            })
            .where(sql`${signingKeys.kid} = ${u.kid}`);
        }
        const deleted = decided.changes.delete;
        if (deleted.length > 0) await tx.delete(signingKeys).where(inArray(signingKeys.kid, deleted));
        return decided;
      }),
    );
    if (!isEmpty(changes)) {
      await tryRedis(
        this.deps,
        'keys version bump',
        (redis) => redis.set(this.versionKey(), `${Date.now().toString(36)}.${randomToken(9)}`),
        undefined,
      );
    }
    return result;
  }
}
