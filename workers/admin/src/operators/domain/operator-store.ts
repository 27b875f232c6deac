/**
 * Who may use the dashboard. An operator is a platform user (signed in through the auth Worker's OpenID Provider)
 * for whom a live admin credential exists with principal id `user:<sub>`: the credential's roles are the roles the
 * policy Worker decides on, exactly as for a bearer credential (Admin attributes come from the credential only).
 * Revoking that credential ends the operator's dashboard sessions (their API tokens descend from it).
 */
export interface Operator {
  /** `user:<sub>`. */
  principalId: string;
  credentialId: string;
  roles: string[];
}

export interface OperatorRecord extends Operator {
  /** Epoch milliseconds. */
  createdAt: number;
  description: string | null;
}

export interface NewOperatorCredential {
  id: string;
  /** SHA-256 of a random token nobody keeps: an operator signs in through OIDC, never with this credential. */
  tokenHash: string;
  principalId: string;
  roles: string[];
  description: string;
}

export interface OperatorStore {
  /** The live admin credential with this principal (`operatorPrincipal(sub)`), or null: not an operator. */
  findOperator(principalId: string): Promise<Operator | null>;
  /** Every live credential whose principal starts with `principalPrefix` (OPERATOR_PREFIX), newest first. */
  listOperators(principalPrefix: string, limit: number): Promise<OperatorRecord[]>;
  /** Stores the credential and revokes the principal's older live ones (their sessions end with them). */
  grant(credential: NewOperatorCredential): Promise<{ operator: OperatorRecord; replaced: number }>;
  /** Revokes every live credential of the principal; how many there were. */
  revoke(principalId: string): Promise<number>;
}

export const OPERATOR_PREFIX = 'user:';

export function operatorPrincipal(sub: string): string {
  return `${OPERATOR_PREFIX}${sub}`;
}
