/**
 * Granting operator roles (pure). Whoever grants cannot hand out more than they hold: the roles must be among the
 * granter's own, unless the granter is a superadmin (who may already do every admin action, so no role adds to
 * what they can do). The policy Worker decides who may grant at all (`Admin_credentials_create`).
 */
export class OperatorGrantError extends Error {
  readonly code = 'ERR_OPERATOR_GRANT';
  constructor(message: string) {
    super(message);
    this.name = 'OperatorGrantError';
  }
}

const ROLE = /^[a-z][a-z0-9_-]{0,63}$/;

export function planOperatorRoles(granter: { roles: string[] }, requested: string[]): string[] {
  const roles = [...new Set(requested)].sort();
  if (roles.length === 0) throw new OperatorGrantError('roles must name at least one role');
  const malformed = roles.filter((r) => !ROLE.test(r));
  if (malformed.length > 0) throw new OperatorGrantError(`malformed roles: ${malformed.join(', ')}`);
  if (granter.roles.includes('superadmin')) return roles;
  const foreign = roles.filter((r) => !granter.roles.includes(r));
  if (foreign.length > 0) throw new OperatorGrantError(`roles must be among the granter's: ${foreign.join(', ')}`);
  return roles;
}
