/** The MFA store on Postgres: `user_totp_factors` (sealed secrets) and `user_backup_codes` (keyed hashes). */
import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { userBackupCodes, userTotpFactors } from '../../../../../shared/db/schema.js';
import { type Dependencies, withPostgres } from '../../../../../shared/dependencies.js';
import type { MfaStore, TotpFactor, UserFactors } from '../domain/mfa-store.js';

export class PostgresMfaStore implements MfaStore {
  constructor(private readonly deps: Dependencies) {}

  factors(userId: string): Promise<UserFactors> {
    return withPostgres(this.deps, 'mfa factors lookup', async (db) => {
      const [totp, codes] = await Promise.all([
        db.select().from(userTotpFactors).where(eq(userTotpFactors.userId, userId)).limit(1),
        db
          .select({ n: count() })
          .from(userBackupCodes)
          .where(and(eq(userBackupCodes.userId, userId), isNull(userBackupCodes.usedAt))),
      ]);
      const out: UserFactors = { backupCodesRemaining: Number(codes[0]?.n ?? 0) };
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
}
