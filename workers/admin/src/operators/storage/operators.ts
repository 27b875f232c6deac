/** Operators on Postgres: the admin credentials whose principal is a user (`admin_credentials`). */
import { and, desc, eq, isNull, like, ne } from 'drizzle-orm';
import { adminCredentials } from '../../../../../shared/db/schema.js';
import { type Dependencies, withPostgres } from '../../../../../shared/dependencies.js';
import type { NewOperatorCredential, Operator, OperatorRecord, OperatorStore } from '../domain/operator-store.js';

const live = (principalId: string) =>
  and(eq(adminCredentials.principalId, principalId), isNull(adminCredentials.revokedAt));

function toRecord(row: typeof adminCredentials.$inferSelect): OperatorRecord {
  return {
    principalId: row.principalId,
    credentialId: row.id,
    roles: row.roles,
    createdAt: row.createdAt.getTime(),
    description: row.description,
  };
}

export class PostgresOperatorStore implements OperatorStore {
  constructor(private readonly deps: Dependencies) {}

  findOperator(principalId: string): Promise<Operator | null> {
    return withPostgres(this.deps, 'operator lookup', async (db) => {
      const rows = await db
        .select()
        .from(adminCredentials)
        .where(live(principalId))
        .orderBy(desc(adminCredentials.createdAt))
        .limit(1);
      const row = rows[0];
      return row ? { principalId, credentialId: row.id, roles: row.roles } : null;
    });
  }

  listOperators(principalPrefix: string, limit: number): Promise<OperatorRecord[]> {
    return withPostgres(this.deps, 'operator list', async (db) => {
      const rows = await db
        .select()
        .from(adminCredentials)
        .where(and(like(adminCredentials.principalId, `${principalPrefix}%`), isNull(adminCredentials.revokedAt)))
        .orderBy(desc(adminCredentials.createdAt))
        .limit(limit);
      return rows.map(toRecord);
    });
  }

  grant(credential: NewOperatorCredential): Promise<{ operator: OperatorRecord; replaced: number }> {
    return withPostgres(this.deps, 'operator grant', async (db) => {
      const rows = await db.insert(adminCredentials).values(credential).returning();
      // The new credential first, then the older ones go: the operator is never without one in between, and
      // findOperator picks the newest.
      const replaced = await db
        .update(adminCredentials)
        .set({ revokedAt: new Date() })
        .where(and(live(credential.principalId), ne(adminCredentials.id, credential.id)))
        .returning({ id: adminCredentials.id });
      return { operator: toRecord(rows[0] as typeof adminCredentials.$inferSelect), replaced: replaced.length };
    });
  }

  revoke(principalId: string): Promise<number> {
    return withPostgres(this.deps, 'operator revoke', async (db) => {
      const rows = await db
        .update(adminCredentials)
        .set({ revokedAt: new Date() })
        .where(live(principalId))
        .returning({ id: adminCredentials.id });
      return rows.length;
    });
  }
}
