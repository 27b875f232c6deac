/**
 * The users store, as the handlers use it (implemented by storage/users.ts on Postgres). An account is found by
 * its email uniqueness key (email.ts) or by its id, the stable `sub`.
 */
import type { EndUser } from '../../oidc/domain/claims.js';

export type UserStatus = 'active' | 'disabled';

export interface UserRecord {
  /** Stable, opaque: the `sub` of ID tokens. */
  id: string;
  /** As typed (trimmed, NFC). */
  email: string;
  emailKey: string;
  emailVerified: boolean;
  name?: string;
  status: UserStatus;
  passwordHash?: string;
  /** Epoch seconds. */
  updatedAt: number;
  /** Roles granted by an operator (an operator signing in to the dashboard acts with these: admin-identity.ts). */
  roles?: string[];
  /** Epoch seconds. */
  createdAt?: number;
  lastLoginAt?: number;
}

export interface UserQuery {
  /** Substring of the email address or name (case-insensitive). */
  search?: string;
  status?: UserStatus;
  limit: number;
  offset: number;
}

export interface NewUser {
  email: string;
  emailKey: string;
  name?: string;
  passwordHash: string;
  emailVerified: boolean;
}

export interface UserStore {
  findByEmailKey(emailKey: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /**
   * The account while it is active (without its password hash), null when disabled or unknown: for token issuance,
   * cached so that steady state queries no Postgres; every change to the account is seen by the next call anywhere.
   */
  activeUser(id: string): Promise<Omit<UserRecord, 'passwordHash'> | null>;
  /** Null when an account with this email key already exists. */
  create(user: NewUser): Promise<UserRecord | null>;
  /** Records a successful sign-in, replacing the password hash when it was re-hashed with new parameters. */
  recordSignIn(id: string, newPasswordHash?: string): Promise<void>;
  /** A page of accounts, newest first. */
  list(query: UserQuery): Promise<UserRecord[]>;
  /** Null when there is no such account. Seen by activeUser at once everywhere (503 when that cannot be ensured). */
  setStatus(id: string, status: UserStatus): Promise<UserRecord | null>;
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>;
}

/** The account as OpenID Connect claims see it. */
export function endUserOf(user: Omit<UserRecord, 'passwordHash'>): EndUser {
  const out: EndUser = { id: user.id, email: user.email, emailVerified: user.emailVerified, updatedAt: user.updatedAt };
  if (user.name) out.name = user.name;
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `id` can be a user id (a lookup of anything else is skipped). */
export function isUserId(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}
