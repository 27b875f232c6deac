/**
 * The one admin-authorization pattern every admin route follows, in every Worker:
 *
 *   authenticate the admin credential (401) → ask the policy for a decision on (principal, action, resource)
 *   → Allow goes on; Deny is 403; a policy that cannot decide is 503 (fail closed, never an Allow).
 *
 * A refusal (403 or 503) is recorded as an `authorization.denied` event. Who decides is the caller's `AdminDecider`:
 * the other Workers ask the policy Worker over its service binding (`remotePolicyDecider` in
 * shared/policy-client.ts); the policy Worker decides its own admin routes in the isolate with the active version.
 */
import { type BaseServices, identityOf, type ServiceContext } from '../app.js';
import { clientAddress } from '../client-address.js';
import { forbidden, PlatformError } from '../errors.js';
import { eventOrigin, type SecurityEvent } from '../events/event.js';
import type { EventSink, WaitUntil } from '../events/sink.js';
import type { RequestIdentity } from '../request-context.js';
import type { AdminCredentials } from './credentials.js';
import type { AdminPrincipal, EntityRef } from './entity.js';

/** The request an admin route answers, as the pattern needs it (no framework types). */
export interface AdminRequest {
  authorization: string | undefined;
  method: string;
  path: string;
  identity: RequestIdentity;
  /** Who called, for the event (shared/events/event.ts `eventOrigin`). */
  origin: Pick<SecurityEvent, 'ip' | 'user_agent' | 'request_id'>;
  ctx: WaitUntil;
}

export interface AdminVerdict<T> {
  allow: boolean;
  /** What the decider knows besides the verdict (the policy version it decided with, say). */
  detail: T;
}

export interface AdminDecider<T> {
  /**
   * Decides `action` on `resource` for `principal`; `context` is the Cedar context of the request. Throws a
   * PlatformError (503) when no decision can be had.
   */
  decide(
    principal: AdminPrincipal,
    action: string,
    resource: EntityRef,
    context: Record<string, unknown>,
    request: AdminRequest,
  ): Promise<AdminVerdict<T>>;
}

export interface AdminAccess<T> {
  principal: AdminPrincipal;
  detail: T;
}

export interface AdminAuthorization<T> {
  credentials: AdminCredentials;
  decider: AdminDecider<T>;
  events: EventSink;
}

const describe = (ref: EntityRef) => `${ref.type}::"${ref.id}"`;

/**
 * Authenticates and authorizes one admin call. `action` is a Cedar action id of the shipped schema (for example
 * `Admin_keys_rotate`, see workers/policy/policies/default.cedarschema); `resource` is usually an AdminEndpoint.
 */
export async function authorizeAdmin<T>(
  auth: AdminAuthorization<T>,
  request: AdminRequest,
  action: string,
  resource: EntityRef,
): Promise<AdminAccess<T>> {
  const principal = await auth.credentials.authenticate(request.authorization, {
    ip: request.origin.ip,
    ctx: request.ctx,
  });
  const context = { method: request.method, path: request.path };
  // An operator API token is limited to its scopes before the policy is asked: the policy decides within them.
  if (principal.scopes && !principal.scopes.includes(action)) {
    const reason = `${action} is outside the scopes of API token ${principal.credentialId}`;
    denied(auth, request, principal, action, resource, reason);
    throw forbidden(reason);
  }
  let verdict: AdminVerdict<T>;
  try {
    verdict = await auth.decider.decide(principal, action, resource, context, request);
  } catch (err) {
    if (err instanceof PlatformError) denied(auth, request, principal, action, resource, err.message);
    throw err;
  }
  if (!verdict.allow) {
    const reason = `${action} on ${describe(resource)} is denied for Admin::"${principal.id}"`;
    denied(auth, request, principal, action, resource, reason);
    throw forbidden(reason);
  }
  return { principal, detail: verdict.detail };
}

function denied(
  auth: AdminAuthorization<unknown>,
  request: AdminRequest,
  principal: AdminPrincipal,
  action: string,
  resource: EntityRef,
  reason: string,
): void {
  auth.events.emit(
    {
      type: 'authorization.denied',
      outcome: 'denied',
      ...request.origin,
      details: {
        admin: principal.id,
        credential: principal.credentialId,
        action,
        resource: describe(resource),
        reason,
      },
    },
    request.ctx,
  );
}

/** The admin request of a Worker's request context: credential, route, identity, origin and waitUntil. */
export function adminRequestOf<B extends object, S extends BaseServices>(c: ServiceContext<B, S>): AdminRequest {
  const ip = clientAddress(c.req.raw, c.get('services').config.TRUST_PROXY_HEADERS);
  return {
    authorization: c.req.header('authorization'),
    method: c.req.method,
    path: c.req.path,
    identity: identityOf(c),
    origin: eventOrigin(c.req.raw, ip, c.get('requestId')),
    ctx: c.executionCtx,
  };
}
