/**
 * Admin principals as Cedar entities: type `Admin`, their roles and a fixed set of well-typed attributes (the ones
 * the shipped schema declares); other attributes are dropped because the schema would reject them. Data the
 * credential does not carry (clearance, group membership) belongs in the policy store's entities.
 */

/** Who an admin credential authenticates (shared/admin/credentials.ts). */
export interface AdminPrincipal {
  /** Cedar entity id of the principal (type `Admin`). */
  id: string;
  roles: string[];
  attributes: Record<string, unknown>;
  credentialId: string;
  /**
   * An operator API token's scope (admin_tokens): the only admin actions it may be used for, whatever its roles
   * allow. Absent for a full credential (admin_credentials, the bootstrap token).
   */
  scopes?: readonly string[];
  /** When an operator API token stops working (epoch ms). */
  expiresAt?: number;
  /** An operator API token's root: the admin credential it descends from (`admin_credentials.id` or `bootstrap`). */
  rootCredential?: string;
}

export interface EntityRef {
  type: string;
  id: string;
}

export interface PolicyEntity {
  uid: EntityRef;
  attrs?: Record<string, unknown>;
  /** Omit to keep the stored entity's parents; give (even empty) to replace them for this request. */
  parents?: EntityRef[];
}

/** Admin attributes the shipped schema declares (besides `roles`) and that a credential may carry. */
export const ADMIN_ENTITY_ATTRIBUTES: Readonly<Record<string, 'boolean' | 'string'>> = {
  authenticated: 'boolean',
  mfa_verified: 'boolean',
  clearance: 'string',
  department: 'string',
};

/** The `Admin` entity for an authenticated admin principal: its roles plus the known, well-typed attributes. */
export function adminPrincipalEntity(principal: Pick<AdminPrincipal, 'id' | 'roles' | 'attributes'>): PolicyEntity {
  const attrs: Record<string, unknown> = { roles: [...new Set(principal.roles)] };
  for (const [name, type] of Object.entries(ADMIN_ENTITY_ATTRIBUTES)) {
    const value = principal.attributes?.[name];
    if (typeof value === type) attrs[name] = value;
  }
  return { uid: { type: 'Admin', id: principal.id }, attrs };
}
