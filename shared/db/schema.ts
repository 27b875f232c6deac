/**
 * The one drizzle schema for the platform. `npm run db:generate` turns changes into SQL under migrations/;
 * migrations only move forward (add columns/tables, never rewrite an applied file).
 */
import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  type PgColumnBuilder,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
/** When a row of a table whose rows change was made and last changed. */
const timestamps = () => ({ createdAt: createdAt(), updatedAt: updatedAt() });

/** A column naming the row this one belongs to (`parent`): required, and the row is deleted with its parent. */
function belongsTo<B extends PgColumnBuilder<any, any, any, any>>(column: B, parent: () => AnyPgColumn) {
  return column.references(parent, { onDelete: 'cascade' }).notNull();
}

/** OAuth clients (RFC 7591 metadata). Secrets and registration tokens are stored only as SHA-256 hashes. */
export const oauthClients = pgTable(
  'oauth_clients',
  {
    clientId: text('client_id').primaryKey(),
    clientSecretHash: text('client_secret_hash'),
    registrationAccessTokenHash: text('registration_access_token_hash'),
    clientName: text('client_name'),
    redirectUris: jsonb('redirect_uris').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    grantTypes: jsonb('grant_types').$type<string[]>().notNull().default(sql`'["client_credentials"]'::jsonb`),
    responseTypes: jsonb('response_types').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    tokenEndpointAuthMethod: text('token_endpoint_auth_method').notNull().default('client_secret_basic'),
    scope: text('scope').notNull().default(''),
    /** RFC 8707 resources (token audiences) this client may ask for. */
    allowedResources: jsonb('allowed_resources').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    accessTokenTtlSeconds: integer('access_token_ttl_seconds'),
    /** Per-client token-bucket override: { capacity, refillPerSecond }. */
    rateLimit: jsonb('rate_limit').$type<{ capacity: number; refillPerSecond: number } | null>(),
    /** The rest of the RFC 7591 metadata, returned as registered. */
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /** active | disabled (by an operator; authenticates like a deleted client, reversible) | deleted (tombstone). */
    status: text('status').notNull().default('active'),
    /** Set by an operator only (admin API): the operator vouches for this client, so its users are not asked for consent. */
    firstParty: boolean('first_party').notNull().default(false),
    /** Bumped on every change; caches compare it to detect staleness. */
    version: integer('version').notNull().default(1),
    // ---- RFC 7592 ceiling and registration access token lifetime ----
    // What was approved with the initial access token (or at registration): an update authenticated with the
    // registration access token may move scope, allowed_resources and grant_types anywhere inside it, never beyond.
    // The defaults are the narrowest ceiling; every insert sets them, and a migration backfills existing rows.
    approvedScope: text('approved_scope').notNull().default(''),
    approvedResources: jsonb('approved_resources').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    approvedGrantTypes: jsonb('approved_grant_types').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** When the registration access token stops working (renewed with each rotation). Default: already expired. */
    registrationTokenExpiresAt: timestamp('registration_token_expires_at', { withTimezone: true })
      .notNull()
      .defaultNow(),
    clientIdIssuedAt: bigint('client_id_issued_at', { mode: 'number' }).notNull(),
    clientSecretExpiresAt: bigint('client_secret_expires_at', { mode: 'number' }).notNull().default(0),
    ...timestamps(),
  },
  (t) => [index('oauth_clients_status_idx').on(t.status)],
);

/** Signing keys. The private JWK is AES-GCM encrypted under the key-encryption key (KEK) named by `kekId`. */
export const signingKeys = pgTable(
  'signing_keys',
  {
    kid: text('kid').primaryKey(),
    alg: text('alg').notNull(),
    publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
    /** Erased (null) when the key is revoked: a compromised key's row stays for audit, its private half does not. */
    privateKeyCiphertext: text('private_key_ciphertext'),
    kekId: text('kek_id').notNull(),
    /**
     * pending → active → retired, published in the JWKS from `publishedAt` until `expiresAt`; or revoked (an
     * emergency rotation): unpublished at once, never used again, kept for audit.
     */
    status: text('status').notNull().default('pending'),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
    activatesAt: timestamp('activates_at', { withTimezone: true }).notNull(),
    retiredAt: timestamp('retired_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('signing_keys_status_idx').on(t.status)],
);

/** Durable record of revoked access tokens (the Redis denylist is the fast copy). */
export const revokedTokens = pgTable(
  'revoked_tokens',
  {
    jti: text('jti').primaryKey(),
    clientId: text('client_id'),
    revokedAt: timestamp('revoked_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    reason: text('reason'),
  },
  (t) => [index('revoked_tokens_expires_idx').on(t.expiresAt)],
);

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** As the user typed it (trimmed, NFC): what pages show. */
    email: text('email').notNull(),
    /** The uniqueness key (accounts/domain/email.ts): local part lower-cased, IDNA domain. */
    emailKey: text('email_key'),
    name: text('name'),
    passwordHash: text('password_hash'),
    roles: jsonb('roles').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    status: text('status').notNull().default('active'),
    emailVerified: boolean('email_verified').notNull().default(false),
    failedLoginAttempts: integer('failed_login_attempts').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    ...timestamps(),
  },
  (t) => [uniqueIndex('users_email_idx').on(sql`lower(${t.email})`), uniqueIndex('users_email_key_idx').on(t.emailKey)],
);

/** A user's TOTP factor (workers/auth/src/mfa): the secret AES-GCM encrypted under the KEK named by `kek_id`. */
export const userTotpFactors = pgTable('user_totp_factors', {
  userId: belongsTo(uuid('user_id'), () => users.id).primaryKey(),
  secretCiphertext: text('secret_ciphertext').notNull(),
  kekId: text('kek_id').notNull(),
  createdAt: createdAt(),
});

/** A user's backup codes: keyed hashes only (mfa/domain/backup-codes.ts); each used once. */
export const userBackupCodes = pgTable(
  'user_backup_codes',
  {
    userId: belongsTo(uuid('user_id'), () => users.id),
    codeHash: text('code_hash').notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/** A user's passkeys (WebAuthn credentials, mfa/): the public key, the signature counter, a name to tell them apart. */
export const userPasskeys = pgTable(
  'user_passkeys',
  {
    /** The credential id, base64url. */
    id: text('id').primaryKey(),
    userId: belongsTo(uuid('user_id'), () => users.id),
    /** COSE public key, base64url. */
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number' }).notNull().default(0),
    transports: jsonb('transports').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** `singleDevice` (hardware-bound: amr hwk) or `multiDevice` (synced: amr swk). */
    deviceType: text('device_type').notNull(),
    name: text('name').notNull(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (t) => [index('user_passkeys_user_idx').on(t.userId)],
);

/** Admin credentials: bearer API keys (hash only) mapped to a principal with roles for the policy service. */
export const adminCredentials = pgTable('admin_credentials', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  principalId: text('principal_id').notNull(),
  roles: jsonb('roles').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  description: text('description'),
  createdAt: createdAt(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/**
 * Operator API tokens for automation (admin API `/v1/tokens`): scoped to a list of admin actions, expiring, acting
 * for the principal that created them with at most its roles. Only the SHA-256 of the token is stored.
 */
export const adminTokens = pgTable(
  'admin_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    name: text('name').notNull(),
    principalId: text('principal_id').notNull(),
    roles: jsonb('roles').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    /** The admin actions (Cedar action ids) the token may be used for; the policy decides within them. */
    scopes: jsonb('scopes').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    createdBy: text('created_by').notNull(),
    /**
     * The admin credential the token descends from (`admin_credentials.id`, or `bootstrap`): revoking it ends the
     * token, and every token made from it, at once.
     */
    rootCredential: text('root_credential').notNull(),
    /** The token that made this one, if a token did: revoking a token revokes what it made. */
    parentToken: text('parent_token'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedBy: text('revoked_by'),
  },
  (t) => [index('admin_tokens_principal_idx').on(t.principalId), index('admin_tokens_parent_idx').on(t.parentToken)],
);

// FOREIGN KEY (id, active_version) → policy_versions and the trigger keeping policy_versions immutable are
// declared in SQL (migrations/0001_policy_generation.sql): drizzle's types cannot express the cycle.
/** A named policy set; exactly one of its versions is active. */
export const policySets = pgTable('policy_sets', {
  id: text('id').primaryKey(),
  activeVersion: integer('active_version'),
  /**
   * Bumped in the same transaction as every activation and every stored-entity change. Isolates compare it
   * with the copy in Redis to know when to reload (workers/policy).
   */
  generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  ...timestamps(),
});

/** Immutable published versions of a policy set (Cedar policies + schema). */
export const policyVersions = pgTable(
  'policy_versions',
  {
    policySetId: belongsTo(text('policy_set_id'), () => policySets.id),
    version: integer('version').notNull(),
    policies: text('policies').notNull(),
    schema: text('schema').notNull(),
    checksum: text('checksum').notNull(),
    comment: text('comment'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.policySetId, t.version] })],
);

/** Stored Cedar entities (attributes and parents), merged with per-request entities at decision time. */
export const policyEntities = pgTable(
  'policy_entities',
  {
    policySetId: belongsTo(text('policy_set_id'), () => policySets.id),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    attrs: jsonb('attrs').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    parents: jsonb('parents').$type<{ type: string; id: string }[]>().notNull().default(sql`'[]'::jsonb`),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.policySetId, t.entityType, t.entityId] })],
);

/**
 * The audit log: every security event the monitor consumed from the `security-events` Redis stream (migration
 * 0006). Pruned after MONITOR_EVENT_RETENTION_DAYS; indexed for the monitor API's queries (actor, client, user, type,
 * time). `actor` is the admin or actor an administrative event names (details.admin / details.actor).
 */
export const securityEvents = pgTable(
  'security_events',
  {
    eventId: text('event_id').primaryKey(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    type: text('type').notNull(),
    outcome: text('outcome').notNull(),
    service: text('service').notNull(),
    clientId: text('client_id'),
    userId: text('user_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    actor: text('actor'),
    entryId: text('entry_id'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('security_events_occurred_idx').on(t.occurredAt),
    index('security_events_type_idx').on(t.type, t.occurredAt),
    index('security_events_client_idx').on(t.clientId, t.occurredAt),
    index('security_events_user_idx').on(t.userId, t.occurredAt),
    index('security_events_actor_idx').on(t.actor, t.occurredAt),
  ],
);

/** Deduplicated alerts (workers/monitor/src/alerts/domain/deduplicate.ts). */
export const alerts = pgTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    dedupKey: text('dedup_key').notNull(),
    detector: text('detector').notNull(),
    kind: text('kind').notNull(),
    severity: text('severity').notNull(),
    findingSeverity: text('finding_severity').notNull(),
    status: text('status').notNull().default('open'),
    summary: text('summary').notNull(),
    subject: jsonb('subject').$type<Record<string, string>>().notNull(),
    count: integer('count').notNull(),
    firstSeen: timestamp('first_seen', { withTimezone: true }).notNull(),
    lastSeen: timestamp('last_seen', { withTimezone: true }).notNull(),
    firstEventIds: jsonb('first_event_ids').$type<string[]>().notNull(),
    lastEventIds: jsonb('last_event_ids').$type<string[]>().notNull(),
    droppedEventIds: integer('dropped_event_ids').notNull().default(0),
    evidence: jsonb('evidence').notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: text('acknowledged_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: text('resolved_by'),
    ...timestamps(),
  },
  (t) => [
    index('alerts_status_idx').on(t.status, t.lastSeen),
    index('alerts_dedup_idx').on(t.dedupKey, t.lastSeen),
    index('alerts_detector_idx').on(t.detector, t.lastSeen),
    index('alerts_last_seen_idx').on(t.lastSeen),
  ],
);

/**
 * The consumer's own state, one row per consumer group: the detectors' sliding windows (JSON) and the last entry
 * processed. Its row lock serialises batches across replicas, and it commits with the batch's events and alerts.
 */
export const monitorState = pgTable('monitor_state', {
  name: text('name').primaryKey(),
  detectorState: jsonb('detector_state').notNull().default(sql`'{}'::jsonb`),
  lastEntryId: text('last_entry_id'),
  prunedAt: timestamp('pruned_at', { withTimezone: true }),
  updatedAt: updatedAt(),
});

/**
 * Webhook endpoints. `secrets` holds the signing secrets encrypted with WEBHOOK_SECRET_KEY (AES-256-GCM): signing
 * needs the secret itself, so a hash would not do. `breaker` is the endpoint's circuit breaker state.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  description: text('description'),
  secrets: jsonb('secrets').$type<string[]>().notNull(),
  types: jsonb('types').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  minSeverity: text('min_severity').notNull().default('low'),
  breaker: jsonb('breaker').notNull().default(sql`'{"state":"closed","failures":0}'::jsonb`),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  disabledReason: text('disabled_reason'),
  ...timestamps(),
});

/** One message to one endpoint; `status = 'dead'` rows are the dead-letter list. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: belongsTo(text('endpoint_id'), () => webhookEndpoints.id),
    msgId: text('msg_id').notNull(),
    alertId: text('alert_id').notNull(),
    type: text('type').notNull(),
    payload: text('payload').notNull(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
    deadReason: text('dead_reason'),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_endpoint_msg_idx').on(t.endpointId, t.msgId),
    index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt),
  ],
);

/** Every delivery attempt, with its outcome. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    deliveryId: belongsTo(text('delivery_id'), () => webhookDeliveries.id),
    attempt: integer('attempt').notNull(),
    endpointId: text('endpoint_id').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    outcome: text('outcome').notNull(),
    status: integer('status'),
    detail: text('detail'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.deliveryId, t.attempt] }),
    index('webhook_attempts_endpoint_idx').on(t.endpointId, t.at),
  ],
);
