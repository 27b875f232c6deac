/**
 * Authorization of the auth Worker's admin endpoints by the policy Worker (service binding POLICY).
 *
 * Fail closed: only an explicit `{"decision": "Allow"}` lets the request through. A Deny (or any other answer
 * body) is 403; a timeout, a network failure or a non-2xx answer from the policy service is 503. There is no
 * bypass, in tests or otherwise.
 */
import type { AdminPrincipal } from '../../../../shared/admin-auth.js';
import { dependencyUnavailable, forbidden } from '../../../../shared/errors.js';
import type { RequestIdentity } from '../../../../shared/request-context.js';
import { callService, ServiceUnavailableError } from '../../../../shared/service-client.js';

export interface AdminAuthorizationRequest {
  action: string;
  resource: { type: string; id: string };
}

export const KEYS_ROTATE: AdminAuthorizationRequest = {
  action: 'Admin::keys_rotate',
  resource: { type: 'AdminEndpoint', id: 'keys' },
};

/** The policy request for an admin principal: the principal's roles travel as entity attributes. */
export function authorizationRequestBody(principal: AdminPrincipal, req: AdminAuthorizationRequest, requestId: string) {
  return {
    request_id: requestId,
    principal: { type: 'Admin', id: principal.id },
    action: req.action,
    resource: req.resource,
    entities: [{ uid: { type: 'Admin', id: principal.id }, attrs: { roles: principal.roles }, parents: [] }],
  };
}

/** Interprets the policy service's answer: true only for an explicit Allow. */
export function isAllow(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { decision?: unknown }).decision === 'Allow';
}

export async function authorizeAdmin(
  policy: Fetcher | undefined,
  principal: AdminPrincipal,
  req: AdminAuthorizationRequest,
  opts: { timeoutMs: number; identity: RequestIdentity },
): Promise<void> {
  let res: Response;
  try {
    res = await callService(policy, 'policy', '/v1/authorize', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(authorizationRequestBody(principal, req, opts.identity.requestId)),
      timeoutMs: opts.timeoutMs,
      identity: opts.identity,
    });
  } catch (err) {
    if (err instanceof ServiceUnavailableError) throw dependencyUnavailable('the policy service is unavailable');
    throw err;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw dependencyUnavailable(`the policy service answered ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw dependencyUnavailable('the policy service answered with an unreadable body');
  }
  if (!isAllow(body)) throw forbidden(`${req.action} on ${req.resource.type}::"${req.resource.id}" is not allowed`);
}
