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

export interface OperatorStore {
  /** The live admin credential with this principal (`operatorPrincipal(sub)`), or null: not an operator. */
  findOperator(principalId: string): Promise<Operator | null>;
}

export function operatorPrincipal(sub: string): string {
  return `user:${sub}`;
}
