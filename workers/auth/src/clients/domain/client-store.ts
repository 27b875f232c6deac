/**
 * The clients store, as the handlers use it. Implemented by storage/clients.ts (Postgres, cached in Redis and in
 * the isolate).
 */
import type { ClientMetadata, RateLimitSetting } from './client-metadata.js';

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

export interface NewClient {
  clientId: string;
  secretHash: string;
  registrationTokenHash: string;
  metadata: ClientMetadata;
  rateLimit: RateLimitSetting | null;
  clientIdIssuedAt: number;
}

export interface ClientStore {
  /**
   * The client for authentication on the token, introspection and revocation endpoints (null when unknown).
   * Deleted clients are returned with status "deleted" so callers treat them exactly like unknown ones.
   */
  get(clientId: string, now?: number): Promise<ClientRecord | null>;
  /** The full row for RFC 7592 management (always from the source of truth). */
  readRow(clientId: string): Promise<ClientRow | null>;
  insert(client: NewClient): Promise<ClientRow>;
  /** Replaces the client's metadata (RFC 7592 PUT). Null when the client is gone. */
  updateMetadata(clientId: string, metadata: ClientMetadata): Promise<ClientRow | null>;
  /** Deletes a client, keeping a tombstone so the id is never reissued. False when already gone. */
  delete(clientId: string): Promise<boolean>;
}
