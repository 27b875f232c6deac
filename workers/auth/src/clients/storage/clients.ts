/**
 * OAuth client records: Postgres is the source of truth; the token hot path reads through two caches.
 *
 *   isolate Map (bounded, per-entry check time)  →  Redis `client:<id>` (sealed record)  →  Postgres
 *
 * Invalidation: every change bumps the row's `version` in Postgres and then SETs `client-version:<id>` in Redis to
 * it (and refreshes `client:<id>`). An isolate serves an entry without any I/O for at most CLIENT_CACHE_TTL_MS
 * after it last confirmed the version; then one Redis MGET (version key + record) confirms or replaces it. So an
 * updated or deleted client stops being served by every isolate within CLIENT_CACHE_TTL_MS (default 1 s) of the
 * change being acknowledged, with no Postgres query in steady state.
 *
 * Integrity: Redis is not trusted. Every `client:<id>` value is sealed with an HMAC under CLIENT_CACHE_MAC_KEY
 * (../domain/cache-seal.ts), verified when an isolate takes it from Redis, and ignored (reported as tampered, read
 * from Postgres) when it does not verify. The isolate cache holds only verified records; a re-check whose version
 * string is unchanged keeps the verified record without computing anything.
 *
 * Races: a reader that loaded an old row from Postgres may write stale JSON to Redis, but it only writes the
 * version key with NX (never over a writer's value), and a record whose version differs from the version key is
 * never trusted. Both Redis keys expire (REDIS_TTL_SECONDS), so even a lost invalidation heals on its own.
 * Unknown client ids are cached negatively (isolate and Redis) so guessing ids does not reach Postgres per request.
 */
import { and, desc, eq, ilike, ne, or, type SQL, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { setBounded } from '../../../../../shared/bounded-map.js';
import { oauthClients } from '../../../../../shared/db/schema.js';
import { joinWithin } from '../../../../../shared/deadline.js';
import { type Dependencies, logError, tryRedis, withPostgres } from '../../../../../shared/dependencies.js';
import { dependencyUnavailable } from '../../../../../shared/errors.js';
import type {
  AdminClientChange,
  CacheSeal,
  ClientQuery,
  ClientRecord,
  ClientRow,
  ClientStore,
  NewClient,
  RegistrationUpdate,
  TamperReport,
  WaitUntil,
} from '../domain/client-store.js';
import { cacheable, columns, registrationColumns, toRow } from './client-rows.js';

const REDIS_TTL_SECONDS = 3600;
const NEGATIVE_TTL_SECONDS = 300;
const ISOLATE_CACHE_MAX = 10_000;

interface Entry {
  client: ClientRecord | null;
  /** The Redis version key value the entry was confirmed against (null: no version key, i.e. unknown client). */
  version: string | null;
  checkedAt: number;
}

/**
 * How long a request waits for a re-check another request started before doing its own (that request may have
 * been cancelled with its I/O); also the age after which a re-check still listed is taken for lost.
 */
const RECHECK_JOIN_MS = 1_000;

/** The clients store on Postgres, cached in Redis and in the isolate (see the module comment). */
export class PostgresClientStore implements ClientStore {
  private readonly cache = new Map<string, Entry>();
  /** Re-checks in flight, by client id (get). */
  private readonly rechecks = new Map<string, { startedAt: number; answer: Promise<ClientRecord | null> }>();

  constructor(
    private readonly deps: Dependencies,
    /** CLIENT_CACHE_TTL_MS: how long an isolate serves an entry before re-checking its Redis version key. */
    private readonly cacheTtlMs: number,
    /** Seals what this store writes to Redis and verifies what it reads (CLIENT_CACHE_MAC_KEY). */
    private readonly seal: CacheSeal,
    private readonly reportTampering: TamperReport = () => {},
  ) {}

  private versionKey(clientId: string): string {
    return this.deps.redis.key('client-version', clientId);
  }

  private recordKey(clientId: string): string {
    return this.deps.redis.key('client', clientId);
  }

  private remember(clientId: string, entry: Entry): void {
    setBounded(this.cache, clientId, entry, ISOLATE_CACHE_MAX);
  }

  /**
   * Writes the current record and version to Redis after a change. For an update or a deletion the invalidation
   * is part of the change, so a failure is reported (503: retry). For a new client nothing stale can be cached
   * (its id is fresh), so a failure only costs the first reader a Postgres query; registration still succeeds,
   * since its credentials are shown only once.
   */
  private async publish(row: ClientRow, required = true): Promise<void> {
    const sealed = await this.seal.seal(cacheable(row), nowSeconds() + REDIS_TTL_SECONDS);
    const ok = await tryRedis(
      this.deps,
      'client cache invalidation',
      async (redis) => {
        await redis
          .pipeline()
          .set(this.versionKey(row.clientId), String(row.version), { ex: REDIS_TTL_SECONDS })
          .set(this.recordKey(row.clientId), sealed, { ex: REDIS_TTL_SECONDS })
          .exec();
        return true;
      },
      false,
    );
    // The isolate that made a change must not wait for its own TTL.
    this.cache.delete(row.clientId);
    if (!ok && required) {
      // The change is committed; caches heal within REDIS_TTL_SECONDS at worst. Tell the caller to retry.
      throw dependencyUnavailable('the change was saved but caches could not be invalidated; retry the request');
    }
  }

  private loadFromPostgres(clientId: string): Promise<ClientRow | null> {
    return withPostgres(this.deps, 'client lookup', async (db) => {
      const rows = await db.select().from(oauthClients).where(eq(oauthClients.clientId, clientId)).limit(1);
      return rows[0] ? toRow(rows[0]) : null;
    });
  }

  async get(clientId: string, ctx: WaitUntil, now = Date.now()): Promise<ClientRecord | null> {
    const entry = this.cache.get(clientId);
    if (entry && now - entry.checkedAt < this.cacheTtlMs) return entry.client;
    // The requests of this isolate that find the entry due together share one re-check instead of sending one
    // each (a herd of identical MGETs under load). It started after the entry fell due, so whoever joins it still
    // sees any change within CLIENT_CACHE_TTL_MS of its publication.
    const running = this.rechecks.get(clientId);
    if (running && now - running.startedAt < RECHECK_JOIN_MS) {
      return joinWithin(running.answer, RECHECK_JOIN_MS, () => this.recheck(clientId, ctx, Date.now()));
    }
    const flight = { startedAt: now, answer: this.recheck(clientId, ctx, now) };
    this.rechecks.set(clientId, flight);
    try {
      return await flight.answer;
    } finally {
      if (this.rechecks.get(clientId) === flight) this.rechecks.delete(clientId);
    }
  }

  /** Re-reads a client whose isolate entry is due (or absent): Redis, else Postgres, then refills Redis. */
  private async recheck(clientId: string, ctx: WaitUntil, now: number): Promise<ClientRecord | null> {
    const entry = this.cache.get(clientId);
    const cached = await tryRedis(
      this.deps,
      'client cache read',
      (redis) => redis.mget<(string | null)[]>(this.versionKey(clientId), this.recordKey(clientId)),
      undefined,
    );
    const redisVersion = cached?.[0] ?? null;
    if (cached !== undefined) {
      const json = cached[1];
      // Unchanged version: the entry's record was verified when it was taken; nothing to compute.
      if (entry && redisVersion === entry.version) {
        entry.checkedAt = now;
        return entry.client;
      }
      if (json) {
        const opened = await this.seal.open(clientId, json, Math.floor(now / 1000));
        if (opened.kind === 'tampered') {
          logError(this.deps.service, 'client cache entry failed its integrity check', undefined, {
            client_id: clientId.slice(0, 64),
            reason: opened.reason,
          });
          this.reportTampering(clientId, opened.reason, ctx);
        } else if (opened.kind === 'missing' && redisVersion === null) {
          this.remember(clientId, { client: null, version: null, checkedAt: now });
          return null;
        } else if (opened.kind === 'record' && String(opened.record.version) === redisVersion) {
          this.remember(clientId, { client: opened.record, version: redisVersion, checkedAt: now });
          return opened.record;
        }
      }
    }

    const row = await this.loadFromPostgres(clientId);
    const record = row ? cacheable(row) : null;
    if (cached === undefined) {
      // Redis is down: serve from Postgres, and remember only briefly (no version to confirm against later).
      this.remember(clientId, { client: record, version: `pg:${record?.version ?? 'none'}`, checkedAt: now });
      return record;
    }
    const sealed = record
      ? await this.seal.seal(record, nowSeconds() + REDIS_TTL_SECONDS)
      : await this.seal.sealMissing(clientId, nowSeconds() + NEGATIVE_TTL_SECONDS);
    await tryRedis(
      this.deps,
      'client cache fill',
      async (redis) => {
        if (record) {
          await redis
            .pipeline()
            .set(this.versionKey(clientId), String(record.version), { ex: REDIS_TTL_SECONDS, nx: true })
            .set(this.recordKey(clientId), sealed, { ex: REDIS_TTL_SECONDS })
            .exec();
        } else {
          await redis.set(this.recordKey(clientId), sealed, { ex: NEGATIVE_TTL_SECONDS });
        }
      },
      undefined,
    );
    // Remember the version key as Redis holds it: the next re-check then stays quiet until a writer changes it,
    // even when the key holds something else (a value someone planted, which the NX write above cannot replace).
    const version = redisVersion ?? (record ? String(record.version) : null);
    this.remember(clientId, { client: record, version, checkedAt: now });
    return record;
  }

  readRow(clientId: string): Promise<ClientRow | null> {
    return this.loadFromPostgres(clientId);
  }

  async insert(client: NewClient): Promise<ClientRow> {
    const row = await withPostgres(this.deps, 'client insert', async (db) => {
      const rows = await db
        .insert(oauthClients)
        .values({
          clientId: client.clientId,
          clientSecretHash: client.secretHash,
          firstParty: client.firstParty === true,
          ...registrationColumns(client),
          ...columns(client.metadata),
          rateLimit: client.rateLimit,
          status: 'active',
          version: 1,
          clientIdIssuedAt: client.clientIdIssuedAt,
          clientSecretExpiresAt: 0,
        })
        .returning();
      return toRow(rows[0] as typeof oauthClients.$inferSelect);
    });
    await this.publish(row, false);
    return row;
  }

  async updateRegistration(clientId: string, update: RegistrationUpdate): Promise<ClientRow | null> {
    return this.change(
      'client update',
      { ...columns(update.metadata), ...registrationColumns(update), rateLimit: update.rateLimit },
      and(
        eq(oauthClients.clientId, clientId),
        eq(oauthClients.status, 'active'),
        // Compare-and-set: of two updates made from the same read, only the first applies.
        eq(oauthClients.version, update.expectedVersion),
      ),
    );
  }

  /**
   * The row is kept as a tombstone (status "deleted", credentials erased) so the client id is never reissued and
   * audit references stay meaningful.
   */
  async delete(clientId: string): Promise<boolean> {
    const row = await this.change(
      'client delete',
      { status: 'deleted', clientSecretHash: null, registrationAccessTokenHash: null },
      // A disabled client can be deleted too (the admin API); a tombstone stays one.
      and(eq(oauthClients.clientId, clientId), ne(oauthClients.status, 'deleted')),
    );
    return row !== null;
  }

  /** One change of a client's row (its version bumped), published to the caches; null when no row matched `where`. */
  private async change(
    label: string,
    set: PgUpdateSetSource<typeof oauthClients>,
    where: SQL | undefined,
  ): Promise<ClientRow | null> {
    const row = await withPostgres(this.deps, label, async (db) => {
      const rows = await db
        .update(oauthClients)
        .set({ ...set, version: sql`${oauthClients.version} + 1`, updatedAt: sql`now()` })
        .where(where)
        .returning();
      return rows[0] ? toRow(rows[0]) : null;
    });
    if (row) await this.publish(row);
    return row;
  }

  list(query: ClientQuery): Promise<ClientRow[]> {
    return withPostgres(this.deps, 'client list', async (db) => {
      const conditions = [];
      if (query.lifecycle) conditions.push(eq(oauthClients.status, query.lifecycle));
      if (query.search) {
        // LIKE metacharacters in the search are literal.
        const pattern = `%${query.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
        conditions.push(or(ilike(oauthClients.clientId, pattern), ilike(oauthClients.clientName, pattern)));
      }
      const rows = await db
        .select()
        .from(oauthClients)
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(desc(oauthClients.createdAt), oauthClients.clientId)
        .limit(query.limit)
        .offset(query.offset);
      return rows.map(toRow);
    });
  }

  adminUpdate(clientId: string, change: AdminClientChange): Promise<ClientRow | null> {
    return this.change(
      'client admin update',
      {
        ...(change.metadata ? columns(change.metadata) : {}),
        ...(change.approval
          ? {
              approvedScope: change.approval.scope.join(' '),
              approvedResources: change.approval.resources,
              approvedGrantTypes: change.approval.grantTypes,
            }
          : {}),
        ...(change.rateLimit !== undefined ? { rateLimit: change.rateLimit } : {}),
        ...(change.firstParty !== undefined ? { firstParty: change.firstParty } : {}),
        ...(change.secretHash !== undefined ? { clientSecretHash: change.secretHash } : {}),
        ...(change.lifecycle !== undefined ? { status: change.lifecycle } : {}),
      },
      and(
        eq(oauthClients.clientId, clientId),
        ne(oauthClients.status, 'deleted'),
        eq(oauthClients.version, change.expectedVersion),
      ),
    );
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
