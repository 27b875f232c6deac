/**
 * The policy Worker decides its own admin routes in the isolate, with the active version (there is no other path
 * in): the AdminDecider of shared/admin/authorize.ts for this Worker. The verdict carries the snapshot it was
 * decided with, so a handler validates against exactly that version.
 */
import type { AdminDecider } from '../../../shared/admin/authorize.js';
import type { ActivePolicy } from './active-policy.js';
import { adminAuthorizationRequest } from './domain/admin-access.js';
import { decide } from './domain/decide.js';
import type { ActiveSnapshot } from './domain/snapshot.js';

export function localPolicyDecider(active: ActivePolicy): AdminDecider<ActiveSnapshot> {
  return {
    async decide(principal, action, resource, context) {
      const snapshot = await active.current();
      const request = adminAuthorizationRequest(
        principal,
        action,
        context as { method: string; path: string },
        resource,
      );
      const decision = decide(snapshot.set, snapshot.entities, request);
      return { allow: decision.decision === 'Allow', detail: snapshot };
    },
  };
}
