/** Revoked access tokens, as the token handlers use them. Implemented by storage/revocations.ts. */

export interface Revocation {
  jti: string;
  clientId: string;
  /** Token expiry, epoch seconds. */
  exp: number;
  reason?: string;
}

export interface RevocationStore {
  /** Records the revocation durably and in the fast denylist; resolves only when both hold. */
  revoke(revocation: Revocation, now?: number): Promise<void>;
  /** Whether `jti` is revoked; never answers false unchecked (a failure of every source throws). */
  isRevoked(jti: string): Promise<boolean>;
  /** Deletes durable records of tokens that have expired anyway; returns how many. */
  prune(now?: number): Promise<number>;
}
