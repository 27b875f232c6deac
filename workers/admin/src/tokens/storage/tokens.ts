/** Operator API tokens in Postgres (`admin_tokens`); shared/admin/credentials.ts authenticates them. */
import { and, desc, eq, isNull } from 'drizzle-orm';
import { adminTokens } from '../../../../../shared/db/schema.js';
import { type Dependencies, withPostgres } from '../../../../../shared/dependencies.js';
import type { ApiToken, ApiTokenStore, NewApiToken } from '../domain/token-store.js';

function toToken(row: typeof adminTokens.$inferSelect): ApiToken {
  return {
    id: row.id,
    name: row.name,
    principalId: row.principalId,
    roles: row.roles,
    scopes: row.scopes,
    createdBy: row.createdBy,
    createdAt: row.createdAt.getTime(),
    expiresAt: row.expiresAt.getTime(),
    revokedAt: row.revokedAt?.getTime() ?? null,
    revokedBy: row.revokedBy,
  };
}

export class PostgresApiTokenStore implements ApiTokenStore {
  constructor(private readonly deps: Dependencies) {}

  list(limit: number): Promise<ApiToken[]> {
    return withPostgres(this.deps, 'api token list', async (db) => {
      const rows = await db.select().from(adminTokens).orderBy(desc(adminTokens.createdAt)).limit(limit);
      return rows.map(toToken);
    });
  }

  insert(token: NewApiToken): Promise<ApiToken> {
    return withPostgres(this.deps, 'api token insert', async (db) => {
      const rows = await db
        .insert(adminTokens)
        .values({ ...token, expiresAt: new Date(token.expiresAt) })
        .returning();
      return toToken(rows[0] as typeof adminTokens.$inferSelect);
    });
  }

  revoke(id: string, by: string): Promise<ApiToken | null> {
    return withPostgres(this.deps, 'api token revoke', async (db) => {
      const rows = await db
        .update(adminTokens)
        .set({ revokedAt: new Date(), revokedBy: by })
        .where(and(eq(adminTokens.id, id), isNull(adminTokens.revokedAt)))
        .returning();
      return rows[0] ? toToken(rows[0]) : null;
    });
  }
}
