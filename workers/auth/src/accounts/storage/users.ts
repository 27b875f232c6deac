/** The users store on Postgres (table `users`; the email uniqueness key has its own unique index). */
import { and, desc, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import { users } from '../../../../../shared/db/schema.js';
import { type Dependencies, withPostgres } from '../../../../../shared/dependencies.js';
import type { ValueSeal } from '../../clients/domain/cache-seal.js';
import type { NewUser, UserQuery, UserRecord, UserStatus, UserStore } from '../domain/user-store.js';
import { type ActiveAccount, AccountCache } from './account-cache.js';

type Row = typeof users.$inferSelect;

function toRecord(row: Row): UserRecord {
  const record: UserRecord = {
    id: row.id,
    email: row.email,
    emailKey: row.emailKey ?? row.email.toLowerCase(),
    emailVerified: row.emailVerified,
    status: row.status === 'active' ? 'active' : 'disabled',
    updatedAt: Math.floor(row.updatedAt.getTime() / 1000),
  };
  if (row.name) record.name = row.name;
  if (row.passwordHash) record.passwordHash = row.passwordHash;
  record.roles = Array.isArray(row.roles) ? row.roles.filter((r) => typeof r === 'string') : [];
  record.createdAt = Math.floor(row.createdAt.getTime() / 1000);
  if (row.lastLoginAt) record.lastLoginAt = Math.floor(row.lastLoginAt.getTime() / 1000);
  return record;
}

export class PostgresUserStore implements UserStore {
  private readonly accounts: AccountCache;

  /** `seal`: for the account entries cached in Redis (account-cache.ts). */
  constructor(
    private readonly deps: Dependencies,
    seal: ValueSeal,
  ) {
    this.accounts = new AccountCache(deps, (id) => this.loadActive(id), seal);
  }

  private async loadActive(id: string): Promise<ActiveAccount | null> {
    const user = await this.findById(id);
    if (user?.status !== 'active') return null;
    const { passwordHash: _, ...account } = user;
    return account;
  }

  activeUser(id: string): Promise<ActiveAccount | null> {
    return this.accounts.activeUser(id);
  }

  findByEmailKey(emailKey: string): Promise<UserRecord | null> {
    return withPostgres(this.deps, 'user lookup', async (db) => {
      const rows = await db.select().from(users).where(eq(users.emailKey, emailKey)).limit(1);
      return rows[0] ? toRecord(rows[0]) : null;
    });
  }

  findById(id: string): Promise<UserRecord | null> {
    return withPostgres(this.deps, 'user lookup', async (db) => {
      const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
      return rows[0] ? toRecord(rows[0]) : null;
    });
  }

  create(user: NewUser): Promise<UserRecord | null> {
    return withPostgres(this.deps, 'user creation', async (db) => {
      // Both unique indexes (the key, and lower(email) of the original schema) make a duplicate a no-op.
      const rows = await db
        .insert(users)
        .values({
          email: user.email,
          emailKey: user.emailKey,
          name: user.name ?? null,
          passwordHash: user.passwordHash,
          emailVerified: user.emailVerified,
        })
        .onConflictDoNothing()
        .returning();
      return rows[0] ? toRecord(rows[0]) : null;
    });
  }

  recordSignIn(id: string, newPasswordHash?: string): Promise<void> {
    return withPostgres(this.deps, 'sign-in record', async (db) => {
      await db
        .update(users)
        .set({
          lastLoginAt: sql`now()`,
          ...(newPasswordHash ? { passwordHash: newPasswordHash, updatedAt: sql`now()` } : {}),
        })
        .where(eq(users.id, id));
    });
  }

  list(query: UserQuery): Promise<UserRecord[]> {
    return withPostgres(this.deps, 'user list', async (db) => {
      const where: SQL[] = [];
      if (query.status) where.push(eq(users.status, query.status));
      if (query.search) {
        // LIKE wildcards in the search are literal.
        const pattern = `%${query.search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
        where.push(or(ilike(users.email, pattern), ilike(users.name, pattern)) as SQL);
      }
      const rows = await db
        .select()
        .from(users)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(users.createdAt), users.id)
        .limit(query.limit)
        .offset(query.offset);
      return rows.map(toRecord);
    });
  }

  async setStatus(id: string, status: UserStatus): Promise<UserRecord | null> {
    const record = await withPostgres(this.deps, 'user status', async (db) => {
      const rows = await db.update(users).set({ status, updatedAt: sql`now()` }).where(eq(users.id, id)).returning();
      return rows[0] ? toRecord(rows[0]) : null;
    });
    if (record) await this.accounts.invalidate(id);
    return record;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const changed = await withPostgres(this.deps, 'password change', async (db) => {
      const rows = await db
        .update(users)
        .set({ passwordHash, failedLoginAttempts: 0, lockedUntil: null, updatedAt: sql`now()` })
        .where(eq(users.id, id))
        .returning({ id: users.id });
      return rows.length === 1;
    });
    // updated_at (an ID token claim) moved.
    if (changed) await this.accounts.invalidate(id);
    return changed;
  }
}
