/** Operator API tokens in Postgres (`admin_tokens`); shared/admin/credentials.ts authenticates them. */
import { desc, eq, sql } from 'drizzle-orm';
import { columns } from '../../../../../shared/db/rows.js';
import { adminTokens } from '../../../../../shared/db/schema.js';
import { type Dependencies, withPostgres } from '../../../../../shared/dependencies.js';
import type { ApiToken, ApiTokenStore, NewApiToken } from '../domain/token-store.js';

function toToken(row: typeof adminTokens.$inferSelect): ApiToken {
  return {
    ...columns(row, 'id', 'name', 'principalId', 'roles', 'scopes', 'createdBy', 'rootCredential', 'parentToken'),
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

  revoke(id: string, by: string): Promise<{ token: ApiToken; descendants: number } | null> {
    return withPostgres(this.deps, 'api token revoke', async (db) => {
      // One statement: the token and its descendants (tokens made from it, at any depth) that are still live.
      const revoked = await db.execute<{ id: string }>(sql`
        WITH RECURSIVE tree AS (
          SELECT id FROM admin_tokens WHERE id = ${id} AND revoked_at IS NULL
          UNION
          SELECT t.id FROM admin_tokens t JOIN tree ON t.parent_token = tree.id
        )
        UPDATE admin_tokens SET revoked_at = now(), revoked_by = ${by}
        WHERE id IN (SELECT id FROM tree) AND revoked_at IS NULL
        RETURNING id`);
      const ids = revoked.rows.map((r) => r.id);
      if (!ids.includes(id)) return null;
      const rows = await db.select().from(adminTokens).where(eq(adminTokens.id, id)).limit(1);
      return { token: toToken(rows[0] as typeof adminTokens.$inferSelect), descendants: ids.length - 1 };
    });
  }
}
