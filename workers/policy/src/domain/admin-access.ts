/**
 * Access to the policy Worker's own admin endpoints: the caller authenticates with an admin credential
 * (shared/admin-auth.ts), and the active policy version itself decides, in this isolate, whether
 * `Admin::"<id>"` may perform the endpoint's action on `AdminEndpoint::"policy"`. There is no other path in.
 */
import { type AdminPrincipal, authenticateAdmin } from '../../../../shared/admin-auth.js';
import { forbidden } from '../../../../shared/errors.js';
import { adminPrincipalEntity } from '../../../../shared/policy-client.js';
import type { PolicyConfig } from '../config.js';
import { type ActiveSnapshot, activeSnapshot } from './active-set.js';
import { type Decision, decide } from './decide.js';
import type { AuthorizationRequest, EntityInput } from './request.js';

/** The admin actions guarding the policy store (schema: workers/policy/policies/default.cedarschema). */
export type PolicyAdminAction =
  | 'Admin_policy_read'
  | 'Admin_policy_publish'
  | 'Admin_policy_activate'
  | 'Admin_entities_read'
  | 'Admin_entities_write';

export const POLICY_ENDPOINT = { type: 'AdminEndpoint', id: 'policy' } as const;

export function adminRequest(
  principal: Pick<AdminPrincipal, 'id' | 'roles' | 'attributes'>,
  action: PolicyAdminAction,
  context: { method: string; path: string },
): AuthorizationRequest {
  return {
    principal: { type: 'Admin', id: principal.id },
    action: { type: 'Action', id: action },
    resource: { ...POLICY_ENDPOINT },
    context,
    entities: [adminPrincipalEntity(principal) as EntityInput],
  };
}

export interface AdminAccess {
  principal: AdminPrincipal;
  snapshot: ActiveSnapshot;
  decision: Decision;
}

/** 401 without a valid credential, 403 when the active policy denies, 503 when no policy can be loaded. */
export async function requirePolicyAdmin(
  config: PolicyConfig,
  authorization: string | undefined,
  action: PolicyAdminAction,
  context: { method: string; path: string },
): Promise<AdminAccess> {
  const principal = await authenticateAdmin(config, authorization, config.ADMIN_BOOTSTRAP_TOKEN);
  const snapshot = await activeSnapshot(config);
  const decision = decide(snapshot.set, snapshot.entities, adminRequest(principal, action, context));
  if (decision.decision !== 'Allow') {
    throw forbidden(
      `${action} on AdminEndpoint::"policy" is denied for Admin::"${principal.id}" by policy version ${snapshot.version}`,
    );
  }
  return { principal, snapshot, decision };
}
