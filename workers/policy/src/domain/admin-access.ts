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
