/**
 * The policy store in Postgres: one row per policy set (`policy_sets`: active version + generation),
 * immutable versions (`policy_versions`, a trigger refuses updates) and stored entities (`policy_entities`).
 *
 * Every change that can alter a decision (activation, entity upsert/delete) runs in a transaction holding the
 * set's row lock and bumps `generation`; the caller then publishes the new generation to Redis.
 * Only the reload path and the admin endpoints come here, never a decision in steady state.
 */
import { and, asc, desc, eq, gt, or, sql } from 'drizzle-orm';
import { base64url, sha256 } from '../../../../shared/crypto.js';
import type { Database, Postgres, Transaction } from '../../../../shared/db/client.js';
import { policyEntities, policySets, policyVersions } from '../../../../shared/db/schema.js';
import type { EntityJson } from '../domain/cedar.js';
import type { ActiveState, PolicySource, PolicyStore, VersionDetail, VersionSummary } from '../domain/policy-store.js';
import type { EntityUid } from '../domain/request.js';

export class VersionNotFoundError extends Error {
  readonly code = 'ERR_VERSION_NOT_FOUND';
  constructor(readonly version: number) {
    super(`policy version ${version} does not exist`);
  }
}

/** The active version changed between the caller's check and the write; the caller should retry. */
export class ActiveVersionChangedError extends Error {
  readonly code = 'ERR_ACTIVE_VERSION_CHANGED';
  constructor(
    readonly expected: number,
    readonly actual: number | null,
  ) {
    super(`the active policy version changed (${expected} → ${actual}) while the request was being handled`);
  }
}

export async function checksumOf(source: PolicySource): Promise<string> {
  return base64url(await sha256(`${source.policies}\u0000${source.schema}`));
}

function toEntity(row: typeof policyEntities.$inferSelect): EntityJson {
  return {
    uid: { type: row.entityType, id: row.entityId },
    attrs: row.attrs as EntityJson['attrs'],
    parents: row.parents,
  };
}

/**
 * Creates the set row if missing and locks it for the rest of the transaction, so concurrent publishers and
 * seeders serialise; returns the locked row and the number the next version gets (last + 1, 1 when empty).
 */
async function lockSetForNewVersion(
  tx: Transaction,
  setId: string,
): Promise<{ set: typeof policySets.$inferSelect; version: number }> {
  await tx.insert(policySets).values({ id: setId }).onConflictDoNothing();
  const [set] = await tx.select().from(policySets).where(eq(policySets.id, setId)).for('update');
  if (!set) throw new Error(`policy set ${setId} vanished inside its own transaction`);
  const [last] = await tx
    .select({ version: policyVersions.version })
    .from(policyVersions)
    .where(eq(policyVersions.policySetId, setId))
    .orderBy(desc(policyVersions.version))
    .limit(1);
  return { set, version: (last?.version ?? 0) + 1 };
}

/**
 * Makes sure the set exists and has an active version: when it has none (empty store), the bundled default
 * becomes the next version (1 on an empty store) and is activated. Concurrent callers serialise on the set's
 * row lock, so exactly one of them seeds.
 */
async function ensureSeeded(db: Database, setId: string, seed: PolicySource): Promise<void> {
  const checksum = await checksumOf(seed);
  await db.transaction(async (tx) => {
    const { set, version } = await lockSetForNewVersion(tx, setId);
    if (set.activeVersion !== null) return;
    await tx.insert(policyVersions).values({
      policySetId: setId,
      version,
      policies: seed.policies,
      schema: seed.schema,
      checksum,
      comment: 'shipped default policy set',
      createdBy: 'system',
    });
    await tx
      .update(policySets)
      .set({ activeVersion: version, generation: sql`${policySets.generation} + 1`, updatedAt: sql`now()` })
      .where(eq(policySets.id, setId));
  });
}

async function bumpGeneration(tx: Pick<Database, 'update'>, setId: string): Promise<number> {
  const [row] = await tx
    .update(policySets)
    .set({ generation: sql`${policySets.generation} + 1`, updatedAt: sql`now()` })
    .where(eq(policySets.id, setId))
    .returning({ generation: policySets.generation });
  if (!row) throw new Error(`policy set ${setId} does not exist`);
  return row.generation;
}

/** The policy store of one policy set on Postgres. */
export class PostgresPolicyStore implements PolicyStore {
  constructor(
    private readonly pg: Postgres,
    private readonly setId: string,
  ) {}

  /** The active version with its text and every stored entity; seeds the bundled default into an empty store. */
  async loadActive(seed: PolicySource): Promise<ActiveState> {
    return this.pg.withDb(async (db) => {
      let [set] = await db.select().from(policySets).where(eq(policySets.id, this.setId));
      if (!set || set.activeVersion === null) {
        await ensureSeeded(db, this.setId, seed);
        [set] = await db.select().from(policySets).where(eq(policySets.id, this.setId));
      }
      if (!set || set.activeVersion === null)
        throw new Error(`policy set ${this.setId} has no active version after seeding`);
      const [version] = await db
        .select()
        .from(policyVersions)
        .where(and(eq(policyVersions.policySetId, this.setId), eq(policyVersions.version, set.activeVersion)));
      if (!version) throw new Error(`active policy version ${set.activeVersion} of ${this.setId} is missing`);
      const rows = await db.select().from(policyEntities).where(eq(policyEntities.policySetId, this.setId));
      return {
        version: version.version,
        generation: set.generation,
        policies: version.policies,
        schema: version.schema,
        entities: rows.map(toEntity),
      };
    });
  }

  async listVersions(): Promise<VersionSummary[]> {
    return this.pg.withDb(async (db) => {
      const [set] = await db.select().from(policySets).where(eq(policySets.id, this.setId));
      const rows = await db
        .select({
          version: policyVersions.version,
          checksum: policyVersions.checksum,
          comment: policyVersions.comment,
          createdBy: policyVersions.createdBy,
          createdAt: policyVersions.createdAt,
        })
        .from(policyVersions)
        .where(eq(policyVersions.policySetId, this.setId))
        .orderBy(desc(policyVersions.version));
      return rows.map((r) => ({
        version: r.version,
        checksum: r.checksum,
        comment: r.comment,
        created_by: r.createdBy,
        created_at: r.createdAt.toISOString(),
        active: r.version === set?.activeVersion,
      }));
    });
  }

  async getVersion(version: number): Promise<VersionDetail> {
    return this.pg.withDb(async (db) => {
      const [row] = await db
        .select()
        .from(policyVersions)
        .where(and(eq(policyVersions.policySetId, this.setId), eq(policyVersions.version, version)));
      if (!row) throw new VersionNotFoundError(version);
      const [set] = await db.select().from(policySets).where(eq(policySets.id, this.setId));
      return {
        version: row.version,
        checksum: row.checksum,
        comment: row.comment,
        created_by: row.createdBy,
        created_at: row.createdAt.toISOString(),
        active: row.version === set?.activeVersion,
        policies: row.policies,
        schema: row.schema,
      };
    });
  }

  /** Stores a new immutable version (number = last + 1). Does not activate it. */
  async publishVersion(source: PolicySource & { comment?: string; createdBy: string }): Promise<VersionSummary> {
    const checksum = await checksumOf(source);
    return this.pg.withDb((db) =>
      db.transaction(async (tx) => {
        const { set, version } = await lockSetForNewVersion(tx, this.setId);
        const [row] = await tx
          .insert(policyVersions)
          .values({
            policySetId: this.setId,
            version,
            policies: source.policies,
            schema: source.schema,
            checksum,
            comment: source.comment ?? null,
            createdBy: source.createdBy,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        return {
          version,
          checksum,
          comment: row.comment,
          created_by: row.createdBy,
          created_at: row.createdAt.toISOString(),
          active: set.activeVersion === version,
        };
      }),
    );
  }

  /**
   * Makes `version` the active one (also how rollback works). `check` runs inside the transaction, with the
   * set locked, on the version's text and the stored entities; it throws to refuse the activation.
   * Activating the version that is already active still bumps the generation (re-signals every isolate).
   */
  async activateVersion(
    version: number,
    check: (source: PolicySource, entities: EntityJson[]) => void,
  ): Promise<{ version: number; generation: number; previous: number | null }> {
    return this.pg.withDb((db) =>
      db.transaction(async (tx) => {
        const [set] = await tx.select().from(policySets).where(eq(policySets.id, this.setId)).for('update');
        const [row] = await tx
          .select()
          .from(policyVersions)
          .where(and(eq(policyVersions.policySetId, this.setId), eq(policyVersions.version, version)));
        if (!set || !row) throw new VersionNotFoundError(version);
        const rows = await tx.select().from(policyEntities).where(eq(policyEntities.policySetId, this.setId));
        check({ policies: row.policies, schema: row.schema }, rows.map(toEntity));
        const [updated] = await tx
          .update(policySets)
          .set({ activeVersion: version, generation: sql`${policySets.generation} + 1`, updatedAt: sql`now()` })
          .where(eq(policySets.id, this.setId))
          .returning({ generation: policySets.generation });
        return { version, generation: updated?.generation ?? set.generation + 1, previous: set.activeVersion };
      }),
    );
  }

  /**
   * Inserts or replaces a stored entity, provided the active version is still `expectedVersion` (the one the
   * entity was validated against). Returns the new generation.
   */
  async upsertEntity(
    expectedVersion: number,
    entity: { uid: EntityUid; attrs: Record<string, unknown>; parents: EntityUid[] },
  ): Promise<number> {
    return this.pg.withDb((db) =>
      db.transaction(async (tx) => {
        const [set] = await tx.select().from(policySets).where(eq(policySets.id, this.setId)).for('update');
        if (!set || set.activeVersion !== expectedVersion) {
          throw new ActiveVersionChangedError(expectedVersion, set?.activeVersion ?? null);
        }
        await tx
          .insert(policyEntities)
          .values({
            policySetId: this.setId,
            entityType: entity.uid.type,
            entityId: entity.uid.id,
            attrs: entity.attrs,
            parents: entity.parents,
          })
          .onConflictDoUpdate({
            target: [policyEntities.policySetId, policyEntities.entityType, policyEntities.entityId],
            set: { attrs: entity.attrs, parents: entity.parents, updatedAt: sql`now()` },
          });
        return bumpGeneration(tx, this.setId);
      }),
    );
  }

  /** Deletes a stored entity; returns the new generation, or null when there was no such entity. */
  async deleteEntity(uid: EntityUid): Promise<number | null> {
    return this.pg.withDb((db) =>
      db.transaction(async (tx) => {
        await tx.select().from(policySets).where(eq(policySets.id, this.setId)).for('update');
        const deleted = await tx
          .delete(policyEntities)
          .where(
            and(
              eq(policyEntities.policySetId, this.setId),
              eq(policyEntities.entityType, uid.type),
              eq(policyEntities.entityId, uid.id),
            ),
          )
          .returning({ id: policyEntities.entityId });
        if (deleted.length === 0) return null;
        return bumpGeneration(tx, this.setId);
      }),
    );
  }

  /** Stored entities in (type, id) order, optionally of one type, after the `after` cursor. */
  async listEntities(opts: { type?: string; after?: EntityUid; limit: number }): Promise<EntityJson[]> {
    return this.pg.withDb(async (db) => {
      const conditions = [eq(policyEntities.policySetId, this.setId)];
      if (opts.type) conditions.push(eq(policyEntities.entityType, opts.type));
      if (opts.after) {
        const after = or(
          gt(policyEntities.entityType, opts.after.type),
          and(eq(policyEntities.entityType, opts.after.type), gt(policyEntities.entityId, opts.after.id)),
        );
        if (after) conditions.push(after);
      }
      const rows = await db
        .select()
        .from(policyEntities)
        .where(and(...conditions))
        .orderBy(asc(policyEntities.entityType), asc(policyEntities.entityId))
        .limit(opts.limit);
      return rows.map(toEntity);
    });
  }
}
