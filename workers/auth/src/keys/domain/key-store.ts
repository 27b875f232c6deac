/** Stored signing keys, as the key ring uses them. Implemented by storage/signing-keys.ts (Postgres + Redis). */
import type { KeyRecord, KeyStatus, RotationPlan } from './signing-keys.js';

export interface StoredKey extends KeyRecord {
  publicJwk: Record<string, unknown>;
  /** The private JWK encrypted under the KEK named by `kekId` (domain/signing-keys.ts `encryptPrivateKey`); null once revoked. */
  privateKeyCiphertext: string | null;
  kekId: string;
}

export interface NewStoredKey {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  privateKeyCiphertext: string;
  kekId: string;
  status: KeyStatus;
  publishedAt: number;
  activatesAt: number;
}

/** What one maintenance run writes: at most one new key, status changes, deletions. */
export interface KeyChanges {
  create?: NewStoredKey;
  update: RotationPlan['update'];
  delete: string[];
}

export interface SigningKeyStore {
  /** Every stored key. */
  list(): Promise<StoredKey[]>;
  /** The key set's change counter: undefined when it could not be read, null when none was published yet. */
  version(): Promise<string | null | undefined>;
  /**
   * Runs `decide` on the stored keys under an exclusive lock (every isolate and scheduler serialises here) and
   * writes the changes it returns in the same transaction, then raises the change counter if anything changed.
   * `decide` receives the keys and the time the lock was obtained (never earlier than `now`).
   */
  maintain<R>(
    now: number,
    decide: (keys: KeyRecord[], at: number) => Promise<{ changes: KeyChanges; result: R }>,
  ): Promise<R>;
}
