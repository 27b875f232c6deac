/**
 * The policy Worker's own admin endpoints are authorized by the active policy version itself, in this isolate:
 * `Admin::"<id>"` performing the endpoint's action on `AdminEndpoint::"policy"`. This module builds that Cedar
 * request; the pattern around it (credential, decision, 401/403/503, audit) is shared/admin/authorize.ts.
 */
import { type AdminPrincipal, adminPrincipalEntity, type EntityRef } from '../../../../shared/admin/entity.js';
import type { AuthorizationRequest, EntityInput } from './request.js';

/** The admin actions guarding the policy store (schema: workers/policy/policies/default.cedarschema). */
export type PolicyAdminAction =
  | 'Admin_policy_read'
  | 'Admin_policy_publish'
  | 'Admin_policy_activate'
  | 'Admin_entities_read'
  | 'Admin_entities_write';

export const POLICY_ENDPOINT: EntityRef = { type: 'AdminEndpoint', id: 'policy' };

/** The Cedar request of an admin principal's `action` on `resource` (the policy store unless given). */
export function adminAuthorizationRequest(
  principal: Pick<AdminPrincipal, 'id' | 'roles' | 'attributes'>,
  action: string,
  context: { method: string; path: string },
  resource: EntityRef = POLICY_ENDPOINT,
): AuthorizationRequest {
  return {
    principal: { type: 'Admin', id: principal.id },
    action: { type: 'Action', id: action },
    resource: { type: resource.type, id: resource.id },
    context,
    entities: [adminPrincipalEntity(principal) as EntityInput],
  };
}

/**
 * Entity types the entity API never writes or deletes: their attributes are the admin credential's
 * (`admin_credentials.roles` and `.attributes`), sent by the calling Worker with every admin decision. An admin
 * allowed `Admin_entities_write` could otherwise give themselves (or anyone) `clearance: "high"` or
 * `mfa_verified: true`; and since stored entities win over supplied ones, a stored Admin would also shadow the roles
 * of the credential.
 */
export const CREDENTIAL_MANAGED_TYPES: ReadonlySet<string> = new Set(['Admin']);
