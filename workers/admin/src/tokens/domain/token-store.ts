/** Operator API tokens, as the handlers use them. Implemented by storage/tokens.ts (Postgres `admin_tokens`). */

export interface ApiToken {
  id: string;
  name: string;
  principalId: string;
  roles: string[];
  scopes: string[];
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  revokedBy: string | null;
}

export interface NewApiToken extends Omit<ApiToken, 'createdAt' | 'revokedAt' | 'revokedBy'> {
  /** SHA-256 of the token (shared/crypto.ts `hashSecret`), the only form stored. */
  tokenHash: string;
}

export interface ApiTokenStore {
  /** Newest first; revoked and expired ones included (the audit of who could do what). */
  list(limit: number): Promise<ApiToken[]>;
  insert(token: NewApiToken): Promise<ApiToken>;
  /** Revokes a live token; null when there is none with that id or it was already revoked. */
  revoke(id: string, by: string): Promise<ApiToken | null>;
}
