/** The MFA store on Postgres: `user_totp_factors` (sealed secrets) and `user_backup_codes` (keyed hashes). */
import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { columns } from '../../../../../shared/db/rows.js';
import { userBackupCodes, userPasskeys, userTotpFactors } from '../../../../../shared/db/schema.js';
import { type Dependencies, withPostgres } from '../../../../../shared/dependencies.js';
import type { MfaStore, Passkey, TotpFactor, UserFactors } from '../domain/mfa-store.js';

function toPasskey(row: typeof userPasskeys.$inferSelect): Passkey {
  return {
    ...columns(row, 'id', 'userId', 'publicKey', 'counter', 'transports', 'name'),
    deviceType: row.deviceType === 'multiDevice' ? 'multiDevice' : 'singleDevice',
    createdAt: Math.floor(row.createdAt.getTime() / 1000),
  };
}

export class PostgresMfaStore implements MfaStore {
  constructor(private readonly deps: Dependencies) {}

  factors(userId: string): Promise<UserFactors> {
    return withPostgres(this.deps, 'mfa factors lookup', async (db) => {
      const [totp, codes, passkeys] = await Promise.all([
        db.select().from(userTotpFactors).where(eq(userTotpFactors.userId, userId)).limit(1),
        db
          .select({ n: count() })
          .from(userBackupCodes)
          .where(and(eq(userBackupCodes.userId, userId), isNull(userBackupCodes.usedAt))),
        db.select().from(userPasskeys).where(eq(userPasskeys.userId, userId)).orderBy(userPasskeys.createdAt),
      ]);
      const out: UserFactors = { backupCodesRemaining: Number(codes[0]?.n ?? 0), passkeys: passkeys.map(toPasskey) };
      const row = totp[0];
      if (row) {
        out.totp = {
          secretCiphertext: row.secretCiphertext,
          kekId: row.kekId,
          createdAt: Math.floor(row.createdAt.getTime() / 1000),
        };
      }
      return out;
    });
  }

  saveTotp(userId: string, factor: Omit<TotpFactor, 'createdAt'>): Promise<void> {
    return withPostgres(this.deps, 'mfa totp enrolment', async (db) => {
      await db
        .insert(userTotpFactors)
        .values({ userId, secretCiphertext: factor.secretCiphertext, kekId: factor.kekId })
        .onConflictDoUpdate({
          target: userTotpFactors.userId,
          set: { secretCiphertext: factor.secretCiphertext, kekId: factor.kekId, createdAt: sql`now()` },
        });
    });
  }

  removeTotp(userId: string): Promise<boolean> {
    return withPostgres(this.deps, 'mfa totp removal', async (db) => {
      const rows = await db
        .delete(userTotpFactors)
        .where(eq(userTotpFactors.userId, userId))
        .returning({ id: userTotpFactors.userId });
      return rows.length > 0;
    });
  }

  replaceBackupCodes(userId: string, hashes: readonly string[]): Promise<void> {
    return withPostgres(this.deps, 'mfa backup codes', (db) =>
      // One transaction: the old set stops working exactly when the new one exists.
      db.transaction(async (tx) => {
        await tx.delete(userBackupCodes).where(eq(userBackupCodes.userId, userId));
        if (hashes.length > 0)
          await tx.insert(userBackupCodes).values(hashes.map((codeHash) => ({ userId, codeHash })));
      }),
    );
  }

  useBackupCode(userId: string, hash: string): Promise<number | null> {
    return withPostgres(this.deps, 'mfa backup code use', async (db) => {
      // The conditional update is the single-use guarantee: of concurrent uses of one code, one row update wins.
      const used = await db
        .update(userBackupCodes)
        .set({ usedAt: sql`now()` })
        .where(
          and(eq(userBackupCodes.userId, userId), eq(userBackupCodes.codeHash, hash), isNull(userBackupCodes.usedAt)),
        )
        .returning({ hash: userBackupCodes.codeHash });
      if (used.length === 0) return null;
      const left = await db
        .select({ n: count() })
        .from(userBackupCodes)
        .where(and(eq(userBackupCodes.userId, userId), isNull(userBackupCodes.usedAt)));
      return Number(left[0]?.n ?? 0);
    });
  }

  addPasskey(passkey: Omit<Passkey, 'createdAt'>): Promise<boolean> {
    return withPostgres(this.deps, 'passkey registration', async (db) => {
      const rows = await db
        .insert(userPasskeys)
        .values(passkey)
        .onConflictDoNothing()
        .returning({ id: userPasskeys.id });
      return rows.length > 0;
    });
  }

  findPasskey(id: string): Promise<Passkey | null> {
    return withPostgres(this.deps, 'passkey lookup', async (db) => {
      const rows = await db.select().from(userPasskeys).where(eq(userPasskeys.id, id)).limit(1);
      return rows[0] ? toPasskey(rows[0]) : null;
    });
  }

  recordPasskeyUse(id: string, from: number, to: number): Promise<boolean> {
    return withPostgres(this.deps, 'passkey use', async (db) => {
      const rows = await db
        .update(userPasskeys)
        .set({ counter: to, lastUsedAt: sql`now()` })
        .where(and(eq(userPasskeys.id, id), eq(userPasskeys.counter, from)))
        .returning({ id: userPasskeys.id });
      return rows.length > 0;
    });
  }

  removePasskey(userId: string, id: string): Promise<boolean> {
    return withPostgres(this.deps, 'passkey removal', async (db) => {
      const rows = await db
        .delete(userPasskeys)
        .where(and(eq(userPasskeys.userId, userId), eq(userPasskeys.id, id)))
        .returning({ id: userPasskeys.id });
      return rows.length > 0;
    });
  }
}
