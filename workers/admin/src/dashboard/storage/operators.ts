/** Operators on Postgres: the admin credential whose principal is the user (`admin_credentials`). */
import { and, desc, eq, isNull } from 'drizzle-orm';
import { adminCredentials } from '../../../../../shared/db/schema.js';
import { type Dependencies, withPostgres } from '../../../../../shared/dependencies.js';
import type { Operator, OperatorStore } from '../domain/operator-store.js';

export class PostgresOperatorStore implements OperatorStore {
  constructor(private readonly deps: Dependencies) {}

  findOperator(principalId: string): Promise<Operator | null> {
    return withPostgres(this.deps, 'operator lookup', async (db) => {
      const rows = await db
        .select()
        .from(adminCredentials)
        .where(and(eq(adminCredentials.principalId, principalId), isNull(adminCredentials.revokedAt)))
        .orderBy(desc(adminCredentials.createdAt))
        .limit(1);
      const row = rows[0];
      return row ? { principalId, credentialId: row.id, roles: row.roles } : null;
    });
  }
}
