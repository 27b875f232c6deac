/** Operator API tokens, as the handlers use them. Implemented by storage/tokens.ts (Postgres `admin_tokens`). */

export interface ApiToken {
  id: string;
  name: string;
  principalId: string;
  roles: string[];
  scopes: string[];
  createdBy: string;
  /** The admin credential it descends from (`admin_credentials.id` or `bootstrap`). */
  rootCredential: string;
  /** The token that made it, if one did. */
  parentToken: string | null;
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
  /**
   * Revokes a live token and every live token made from it, at any depth; null when there is no live token with
   * that id. `descendants`: how many tokens it made (directly or not) were revoked with it.
   */
  revoke(id: string, by: string): Promise<{ token: ApiToken; descendants: number } | null>;
}
