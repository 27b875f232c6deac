/**
 * Admin endpoints for signing keys. Both follow the platform's admin-authorization pattern
 * (shared/admin/authorize.ts): an admin credential, then the policy Worker's decision on `Admin_keys_rotate` for
 * `AdminEndpoint::"keys"`, failing closed: Deny is 403, a policy service that cannot decide is 503.
 *
 * - `POST /admin/keys/rotate`: on-demand rotation. The new key is published now and signs after
 *   KEY_PUBLISH_LEAD_SECONDS (no-op if a next key is already pending). `{"immediate": true}` is the emergency
 *   variant (suspected key compromise): the new key signs at once and the others stop signing; relying parties
 *   with a cached JWKS then refetch it on the unknown kid.
 * - `POST /admin/keys/maintain`: the scheduled maintenance (idempotent), for schedulers outside Cloudflare such
 *   as a Kubernetes CronJob: same work as the cron trigger.
 */
import { adminRequestOf, authorizeAdmin } from '../../../../../shared/admin/authorize.js';
import { readJsonBody } from '../../../../../shared/body.js';
import { validationFailed } from '../../../../../shared/errors.js';
import type { AuthContext } from '../../services.js';
import { maintainSigningKeys, reportRotation } from './maintenance.js';

const KEYS_ROTATE = 'Admin_keys_rotate';
const KEYS_ENDPOINT = { type: 'AdminEndpoint', id: 'keys' };

async function authorize(c: AuthContext) {
  const request = adminRequestOf(c);
  const { principal } = await authorizeAdmin(c.get('services').admin, request, KEYS_ROTATE, KEYS_ENDPOINT);
  return { admin: principal.id, request };
}

export async function rotateKeys(c: AuthContext): Promise<Response> {
  const { admin, request } = await authorize(c);
  const services = c.get('services');
  let immediate = false;
  if (c.req.header('content-type') !== undefined || (c.req.header('content-length') ?? '0') !== '0') {
    const body = await readJsonBody(c.req.raw, services.config.MAX_BODY_BYTES);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw validationFailed('body must be an object');
    const value = (body as Record<string, unknown>).immediate;
    if (value !== undefined && typeof value !== 'boolean') throw validationFailed('immediate must be a boolean');
    immediate = value === true;
  }
  const result = await services.keys.rotate(Date.now(), { force: true, immediate });
  reportRotation(
    services,
    result,
    request.ctx,
    { trigger: immediate ? 'admin_immediate' : 'admin', admin },
    request.origin,
  );
  return c.json(result);
}

export async function maintainKeys(c: AuthContext): Promise<Response> {
  const { admin, request } = await authorize(c);
  const { result, pruned } = await maintainSigningKeys(
    c.get('services'),
    request.ctx,
    { trigger: 'maintenance', admin },
    request.origin,
  );
  return c.json({ ...result, pruned_revocations: pruned });
}
