/**
 * OAuth client records: Postgres is the source of truth; the token hot path reads through two caches.
 *
 *   isolate Map (bounded, per-entry check time)  →  Redis `client:<id>` (JSON with its version)  →  Postgres
 *
 * Invalidation: every change bumps the row's `version` in Postgres and then SETs `client-version:<id>` in Redis to
 * it (and refreshes `client:<id>`). An isolate serves an entry without any I/O for at most CLIENT_CACHE_TTL_MS
 * after it last confirmed the version; then one Redis MGET (version key + record) confirms or replaces it. So an
 * updated or deleted client stops being served by every isolate within CLIENT_CACHE_TTL_MS (default 1 s) of the
 * change being acknowledged, with no Postgres query in steady state.
 *
 * Races: a reader that loaded an old row from Postgres may write stale JSON to Redis, but it only writes the
 * version key with NX (never over a writer's value), and JSON whose version differs from the version key is never
 * trusted. Both Redis keys expire (REDIS_TTL_SECONDS), so even a lost invalidation heals on its own.
 * Unknown client ids are cached negatively (isolate and Redis) so guessing ids does not reach Postgres per request.
 */
import { and, eq, sql } from 'drizzle-orm';
import { oauthClients } from '../../../../shared/db/schema.js';
import type { CommonConfig } from '../../../../shared/env.js';
import { dependencyUnavailable } from '../../../../shared/errors.js';
import { redisKey } from '../../../../shared/redis.js';
import { type ClientAuthMethod, decodeStoredHash } from '../domain/client-authentication.js';
import type { ClientMetadata, RateLimitSetting } from '../domain/client-metadata.js';
import { logError, tryRedis, withPostgres } from './dependencies.js';

export interface ClientRecord {
  clientId: string;
  secretHash: string | null;
  status: 'active' | 'deleted';
  version: number;
  metadata: ClientMetadata;
  rateLimit: RateLimitSetting | null;
  clientIdIssuedAt: number;
  clientSecretExpiresAt: number;
}

/** The full row, as the RFC 7592 management endpoints need it (never cached: it holds the management token hash). */
export interface ClientRow extends ClientRecord {
  registrationTokenHash: string | null;
}

type CacheConfig = CommonConfig & { CLIENT_CACHE_TTL_MS: number };

const REDIS_TTL_SECONDS = 3600;
const NEGATIVE_TTL_SECONDS = 300;
const MISSING = '{"missing":true}';
const ISOLATE_CACHE_MAX = 10_000;

interface Entry {
  client: ClientRecord | null;
  /** The Redis version key value the entry was confirmed against (null: no version key, i.e. unknown client). */
  version: string | null;
  checkedAt: number;
}

const isolateCache = new Map<string, Entry>();

function remember(clientId: string, entry: Entry): void {
  isolateCache.delete(clientId);
  if (isolateCache.size >= ISOLATE_CACHE_MAX) {
    const oldest = isolateCache.keys().next().value;
    if (oldest !== undefined) isolateCache.delete(oldest);
  }
  isolateCache.set(clientId, entry);
}

/** Drops this isolate's cached copy (the isolate that made a change must not wait for its own TTL). */
export function forgetClient(clientId: string): void {
  isolateCache.delete(clientId);
}

/**
 * A record's secret hash as bytes, decoded once per record object (cached records live on in the isolate cache,
 * and decoding the base64url text on every request was a visible share of the token endpoint's CPU). Records are
 * never mutated, so the bytes stay valid as long as the record does.
 */
const secretHashBytes = new WeakMap<ClientRecord, Uint8Array | null>();

export function storedSecretHash(record: ClientRecord): Uint8Array | null {
  let bytes = secretHashBytes.get(record);
  if (bytes === undefined) {
    bytes = record.secretHash ? decodeStoredHash(record.secretHash) : null;
    secretHashBytes.set(record, bytes);
  }
  return bytes;
}

const versionKey = (config: CommonConfig, clientId: string) => redisKey(config, 'client-version', clientId);
const recordKey = (config: CommonConfig, clientId: string) => redisKey(config, 'client', clientId);

function toRow(row: typeof oauthClients.$inferSelect): ClientRow {
  const extra = row.metadata ?? {};
  const metadata: ClientMetadata = {
    ...(extra as Partial<ClientMetadata>),
    redirect_uris: row.redirectUris,
    grant_types: row.grantTypes,
    response_types: row.responseTypes,
    token_endpoint_auth_method: row.tokenEndpointAuthMethod as ClientAuthMethod,
    scope: row.scope,
    allowed_resources: row.allowedResources,
  };
  if (row.clientName !== null) metadata.client_name = row.clientName;
  if (row.accessTokenTtlSeconds !== null) metadata.access_token_lifetime = row.accessTokenTtlSeconds;
  return {
    clientId: row.clientId,
    secretHash: row.clientSecretHash,
    registrationTokenHash: row.registrationAccessTokenHash,
    status: row.status === 'active' ? 'active' : 'deleted',
    version: row.version,
    metadata,
    rateLimit: row.rateLimit ?? null,
    clientIdIssuedAt: row.clientIdIssuedAt,
    clientSecretExpiresAt: row.clientSecretExpiresAt,
  };
}

function cacheable(row: ClientRow): ClientRecord {
  const { registrationTokenHash: _omit, ...record } = row;
  return record;
}

/** Columns for the descriptive metadata kept in the jsonb column (the rest have their own columns). */
function columns(metadata: ClientMetadata) {
  const {
    redirect_uris,
    grant_types,
    response_types,
    token_endpoint_auth_method,
    scope,
    allowed_resources,
    access_token_lifetime,
    client_name,
    ...rest
  } = metadata;
  return {
    clientName: client_name ?? null,
    redirectUris: redirect_uris,
    grantTypes: grant_types,
    responseTypes: response_types,
    tokenEndpointAuthMethod: token_endpoint_auth_method,
    scope,
    allowedResources: allowed_resources,
    accessTokenTtlSeconds: access_token_lifetime ?? null,
    metadata: rest as Record<string, unknown>,
  };
}

/**
 * Writes the current record and version to Redis after a change. For an update or a deletion the invalidation
 * is part of the change, so a failure is reported (503: retry). For a new client nothing stale can be cached
 * (its id is fresh), so a failure only costs the first reader a Postgres query; registration still succeeds,
 * since its credentials are shown only once.
 */
async function publish(config: CommonConfig, row: ClientRow, required = true): Promise<void> {
  const ok = await tryRedis(
    config,
    'client cache invalidation',
    async (redis) => {
      await redis
        .pipeline()
        .set(versionKey(config, row.clientId), String(row.version), { ex: REDIS_TTL_SECONDS })
        .set(recordKey(config, row.clientId), JSON.stringify(cacheable(row)), { ex: REDIS_TTL_SECONDS })
        .exec();
      return true;
    },
    false,
  );
  forgetClient(row.clientId);
  if (!ok && required) {
    // The change is committed; caches heal within REDIS_TTL_SECONDS at worst. Tell the caller to retry.
    throw dependencyUnavailable('the change was saved but caches could not be invalidated; retry the request');
  }
}

async function loadFromPostgres(config: CommonConfig, clientId: string): Promise<ClientRow | null> {
  return withPostgres(config, 'client lookup', async (db) => {
    const rows = await db.select().from(oauthClients).where(eq(oauthClients.clientId, clientId)).limit(1);
    return rows[0] ? toRow(rows[0]) : null;
  });
}

/**
 * The client for authentication on the token, introspection and revocation endpoints (null when unknown).
 * Deleted clients are returned with status "deleted" so callers treat them exactly like unknown ones.
 */
export async function getClient(config: CacheConfig, clientId: string, now = Date.now()): Promise<ClientRecord | null> {
  const entry = isolateCache.get(clientId);
  if (entry && now - entry.checkedAt < config.CLIENT_CACHE_TTL_MS) return entry.client;

  const cached = await tryRedis(
    config,
    'client cache read',
    (redis) => redis.mget<(string | null)[]>(versionKey(config, clientId), recordKey(config, clientId)),
    undefined,
  );
  if (cached !== undefined) {
    const [version, json] = cached;
    if (entry && (version ?? null) === entry.version) {
      entry.checkedAt = now;
      return entry.client;
    }
    if (version == null && json === MISSING) {
      remember(clientId, { client: null, version: null, checkedAt: now });
      return null;
    }
    if (version != null && json) {
      try {
        const record = JSON.parse(json) as ClientRecord;
        if (String(record.version) === version) {
          remember(clientId, { client: record, version, checkedAt: now });
          return record;
        }
      } catch (err) {
        logError('client cache entry unreadable', err, { client_id: clientId });
      }
    }
  }

  const row = await loadFromPostgres(config, clientId);
  const record = row ? cacheable(row) : null;
  if (cached === undefined) {
    // Redis is down: serve from Postgres, and remember only briefly (no version to confirm against later).
    remember(clientId, { client: record, version: `pg:${record?.version ?? 'none'}`, checkedAt: now });
    return record;
  }
  const version = record ? String(record.version) : null;
  await tryRedis(
    config,
    'client cache fill',
    async (redis) => {
      if (record) {
        await redis
          .pipeline()
          .set(versionKey(config, clientId), String(record.version), { ex: REDIS_TTL_SECONDS, nx: true })
          .set(recordKey(config, clientId), JSON.stringify(record), { ex: REDIS_TTL_SECONDS })
          .exec();
      } else {
        await redis.set(recordKey(config, clientId), MISSING, { ex: NEGATIVE_TTL_SECONDS });
      }
    },
    undefined,
  );
  remember(clientId, { client: record, version, checkedAt: now });
  return record;
}

/** Reads the full row for RFC 7592 management (always from Postgres). */
export function readClientRow(config: CommonConfig, clientId: string): Promise<ClientRow | null> {
  return loadFromPostgres(config, clientId);
}

export interface NewClient {
  clientId: string;
  secretHash: string;
  registrationTokenHash: string;
  metadata: ClientMetadata;
  rateLimit: RateLimitSetting | null;
  clientIdIssuedAt: number;
}

export async function insertClient(config: CommonConfig, client: NewClient): Promise<ClientRow> {
  const row = await withPostgres(config, 'client insert', async (db) => {
    const rows = await db
      .insert(oauthClients)
      .values({
        clientId: client.clientId,
        clientSecretHash: client.secretHash,
        registrationAccessTokenHash: client.registrationTokenHash,
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
  await publish(config, row, false);
  return row;
}

/** Replaces the client's metadata (RFC 7592 PUT). Returns null when the client is gone. */
export async function updateClientMetadata(
  config: CommonConfig,
  clientId: string,
  metadata: ClientMetadata,
): Promise<ClientRow | null> {
  const row = await withPostgres(config, 'client update', async (db) => {
    const rows = await db
      .update(oauthClients)
      .set({ ...columns(metadata), version: sql`${oauthClients.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(oauthClients.clientId, clientId), eq(oauthClients.status, 'active')))
      .returning();
    return rows[0] ? toRow(rows[0]) : null;
  });
  if (row) await publish(config, row);
  return row;
}

/**
 * Deletes a client (RFC 7592 DELETE). The row is kept as a tombstone (status "deleted", credentials erased) so
 * the client id is never reissued and audit references stay meaningful. Returns false when already gone.
 */
export async function deleteClient(config: CommonConfig, clientId: string): Promise<boolean> {
  const row = await withPostgres(config, 'client delete', async (db) => {
    const rows = await db
      .update(oauthClients)
      .set({
        status: 'deleted',
        clientSecretHash: null,
        registrationAccessTokenHash: null,
        version: sql`${oauthClients.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(oauthClients.clientId, clientId), eq(oauthClients.status, 'active')))
      .returning();
    return rows[0] ? toRow(rows[0]) : null;
  });
  if (!row) return false;
  await publish(config, row);
  return true;
}
