/**
 * The clients store, as the handlers use it. Implemented by storage/clients.ts (Postgres, cached in Redis and in
 * the isolate).
 */
import type { ClientMetadata, RateLimitSetting } from './client-metadata.js';
import type { Approval } from './registration-ceiling.js';

export interface ClientRecord {
  clientId: string;
  secretHash: string | null;
  status: 'active' | 'deleted';
  version: number;
  metadata: ClientMetadata;
  rateLimit: RateLimitSetting | null;
  clientIdIssuedAt: number;
  clientSecretExpiresAt: number;
  /** Operator flag (set with the initial access token): the hosted login skips consent for this client. */
  firstParty?: boolean;
}

/**
 * The full row, as the RFC 7592 management endpoints need it (never cached: it holds the management token hash and
 * the approved ceiling, which only those endpoints read, so the token hot path's record stays as it was).
 */
export interface ClientRow extends ClientRecord {
  registrationTokenHash: string | null;
  /** When the registration access token stops working (epoch ms). */
  registrationTokenExpiresAt: number;
  /** The ceiling approved with the initial access token (domain/registration-ceiling.ts). */
  approval: Approval;
  /** The stored status: a disabled client authenticates like a deleted one (`status` above) but can be enabled. */
  lifecycle: ClientLifecycle;
  /** Set by an operator only (admin API). */
  firstParty: boolean;
}

export type ClientLifecycle = 'active' | 'disabled' | 'deleted';

/** An operator's change through the admin API, applied only if the row is still at `expectedVersion`. */
export interface AdminClientChange {
  expectedVersion: number;
  metadata?: ClientMetadata;
  approval?: Approval;
  rateLimit?: RateLimitSetting | null;
  firstParty?: boolean;
  secretHash?: string;
  /** active ↔ disabled only; deletion is `delete`. */
  lifecycle?: 'active' | 'disabled';
}

/** A page of the admin API's client list, newest first. */
export interface ClientQuery {
  /** Case-insensitive substring of the client id or name. */
  search?: string;
  lifecycle?: ClientLifecycle;
  limit: number;
  offset: number;
}

export interface NewClient {
  clientId: string;
  /** Null for a public client (token_endpoint_auth_method "none"). */
  secretHash: string | null;
  firstParty?: boolean;
  registrationTokenHash: string;
  registrationTokenExpiresAt: number;
  metadata: ClientMetadata;
  approval: Approval;
  rateLimit: RateLimitSetting | null;
  clientIdIssuedAt: number;
}

/** An RFC 7592 update, applied only if the row is still at `expectedVersion` (compare-and-set). */
export interface RegistrationUpdate {
  expectedVersion: number;
  metadata: ClientMetadata;
  approval: Approval;
  rateLimit: RateLimitSetting | null;
  registrationTokenHash: string;
  registrationTokenExpiresAt: number;
}

/** Work that may outlive the request (the runtime's ExecutionContext is one). */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/** A cached value, once opened. */
export type OpenedEntry =
  | { kind: 'record'; record: ClientRecord }
  | { kind: 'missing' }
  /** Sealed correctly but past its expiry: ignore it (not an attack). */
  | { kind: 'expired' }
  /** Not a sealed entry, or its MAC or content does not check out: ignore it and report it. */
  | { kind: 'tampered'; reason: 'format' | 'mac' | 'content' };

/** Seals and opens the client records cached in Redis (domain/cache-seal.ts `createCacheSeal`). */
export interface CacheSeal {
  /** The cached form of a record, valid until `expiresAt` (epoch seconds). */
  seal(record: ClientRecord, expiresAt: number): Promise<string>;
  /** The cached form of "no such client". */
  sealMissing(clientId: string, expiresAt: number): Promise<string>;
  /** Verifies and reads a cached value at `now` (epoch seconds). */
  open(clientId: string, value: string, now: number): Promise<OpenedEntry>;
}

/** Whoever can see a cache entry that failed its integrity check (the composition root reports it as an event). */
export type TamperReport = (clientId: string, reason: string, ctx: WaitUntil) => void;

export interface ClientStore {
  /**
   * The client for authentication on the token, introspection and revocation endpoints (null when unknown).
   * Deleted clients are returned with status "deleted" so callers treat them exactly like unknown ones. `ctx`
   * carries what may outlive the request (a tampered cache entry's event).
   */
  get(clientId: string, ctx: WaitUntil, now?: number): Promise<ClientRecord | null>;
  /** The full row for RFC 7592 management (always from the source of truth). */
  readRow(clientId: string): Promise<ClientRow | null>;
  insert(client: NewClient): Promise<ClientRow>;
  /**
   * Replaces the client's metadata, approval, rate limit and registration access token (RFC 7592 PUT) if the row
   * is still active and at `expectedVersion`. Null otherwise: the client is gone, or a concurrent update won.
   */
  updateRegistration(clientId: string, update: RegistrationUpdate): Promise<ClientRow | null>;
  /** Deletes a client, keeping a tombstone so the id is never reissued. False when already gone. */
  delete(clientId: string): Promise<boolean>;
  /** The admin API's list (never cached). */
  list(query: ClientQuery): Promise<ClientRow[]>;
  /**
   * An operator's change (admin API) to a client that is not deleted, if still at `expectedVersion`; caches are
   * invalidated as for any change. Null when the client is gone or a concurrent change won.
   */
  adminUpdate(clientId: string, change: AdminClientChange): Promise<ClientRow | null>;
}
