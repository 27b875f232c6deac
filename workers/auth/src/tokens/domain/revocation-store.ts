/** Revoked access tokens, as the token handlers use them. Implemented by storage/revocations.ts. */
import type { WaitUntil } from '../../clients/domain/client-store.js';

export interface Revocation {
  /** The access token's jti, or a refresh-token family's member (denylist.ts familyMember). */
  jti: string;
  clientId: string;
  /** Token expiry, epoch seconds. */
  exp: number;
  reason?: string;
}

/** One denylist lookup: the jti's and the completeness marker's scores (null: absent), and the key set's version. */
export interface DenylistLookup {
  jtiScore: unknown;
  markerScore: unknown;
  /** The token's refresh-token family member's score, when it names a family (null: absent). */
  familyScore?: unknown;
  /** The signing-key set's change counter, read in the same round trip (null: none published). */
  keySetVersion: string | null;
}

/** What introspection needs to know about a verified token besides its signature. */
export interface TokenState {
  revoked: boolean;
  /**
   * The signing-key set's change counter as the same Redis round trip read it (undefined: Redis did not answer).
   * Introspection reloads its key ring when it differs from the ring's own.
   */
  keySetVersion: string | null | undefined;
}

export interface RevocationStore {
  /**
   * Records the revocation durably and in the fast denylist; resolves only when both hold (the caller then waits out
   * the revocation lease before acknowledging it).
   */
  revoke(revocation: Revocation, now?: number): Promise<void>;
  /**
   * One Redis round trip, possibly shared with the isolate's other lookups of the moment, or none under the
   * revocation lease (revocation-lease.ts; `ctx` carries the lease's renewal in the background). domain/denylist.ts
   * reads the answer; undefined when Redis did not answer. `family`: the token's refresh-token family member, looked
   * up in the same ZMSCORE.
   */
  lookup(jti: string, family: string | undefined, ctx: WaitUntil): Promise<DenylistLookup | undefined>;
  /** The durable record (Postgres) of the jti or the family; a failure throws (503). */
  isRevokedDurably(jti: string, family?: string): Promise<boolean>;
  /**
   * Re-asserts every unexpired revocation in the denylist, drops expired members and marks it complete. Returns how
   * many revocations it holds, or null when another isolate holds the rebuild lock. Maintenance runs it hourly,
   * which also bounds how long a member removed from Redis behind our back (or a denylist write that failed after
   * the Postgres record) can go unnoticed.
   */
  rebuild(now?: number): Promise<number | null>;
  /** Deletes durable records of tokens that have expired anyway; returns how many. */
  prune(now?: number): Promise<number>;
}
