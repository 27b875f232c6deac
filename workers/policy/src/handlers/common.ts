/** Helpers every policy handler uses: bounded JSON bodies, the admin guard, audit events and change signals. */
import { type AdminRequest, adminRequestOf, authorizeAdmin } from '../../../../shared/admin/authorize.js';
import type { AdminPrincipal } from '../../../../shared/admin/entity.js';
import { readBodyText } from '../../../../shared/body.js';
import {
  bodyTooLarge,
  dependencyUnavailable,
  malformedBody,
  ProblemError,
  unsupportedMediaType,
} from '../../../../shared/errors.js';
import type { SecurityEventType } from '../../../../shared/events/event.js';
import { type PolicyAdminAction, POLICY_ENDPOINT } from '../domain/admin-access.js';
import type { ActiveSnapshot } from '../domain/snapshot.js';
import type { PolicyContext, PolicyServices } from '../services.js';

const SIGNAL_DEADLINE_MS = 2_000;

/**
 * Reads a JSON body within MAX_BODY_BYTES, or the route's own limit (`/v1/authorize/batch`), 413 beyond naming the
 * limit. Depth and size limits of the decoded value are checked by the domain parsers, which name the limit they
 * enforce.
 */
export async function readJson(c: PolicyContext, own?: { bytes: number; name: string }): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !type.endsWith('+json')) throw unsupportedMediaType('application/json');
  const limit = own ?? { bytes: c.get('services').config.MAX_BODY_BYTES, name: 'max_request_bytes' };
  let text: string;
  try {
    text = await readBodyText(c.req.raw, limit.bytes);
  } catch (err) {
    if (err instanceof ProblemError && err.status === 413) throw bodyTooLarge(limit.bytes, limit.name);
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    // Only a body that did not parse is looked at twice: an empty one gets its own message.
    throw malformedBody(text.trim() === '' ? 'request body is empty' : 'request body is not valid JSON');
  }
}

export interface PolicyAdminAccess {
  principal: AdminPrincipal;
  /** The active version the call was authorized by. */
  snapshot: ActiveSnapshot;
  request: AdminRequest;
}

/**
 * Authenticates and authorizes an admin call on the policy store (shared/admin/authorize.ts, decided by the
 * active version in this isolate): 401 without a valid credential, 403 on Deny, 503 when no policy can be loaded.
 */
export async function guard(c: PolicyContext, action: PolicyAdminAction): Promise<PolicyAdminAccess> {
  const request = adminRequestOf(c);
  const { principal, detail } = await authorizeAdmin(c.get('services').admin, request, action, POLICY_ENDPOINT);
  return { principal, snapshot: detail, request };
}

/** Records a successful administrative change. */
export function audit(
  services: PolicyServices,
  access: PolicyAdminAccess,
  type: SecurityEventType,
  details: Record<string, unknown>,
): void {
  services.events.emit({ type, outcome: 'success', ...access.request.origin, details }, access.request.ctx);
}

/** Raises the Redis generation; failing that, the store changed but other isolates would not know: 503. */
export async function signalChange(services: PolicyServices, generation: number, what: string): Promise<void> {
  services.active.invalidate();
  try {
    await services.signal.publish(generation, SIGNAL_DEADLINE_MS);
  } catch (err) {
    throw dependencyUnavailable(
      `${what} is committed but could not be signalled to other isolates (${(err as Error).message}); repeat the request`,
    );
  }
}
