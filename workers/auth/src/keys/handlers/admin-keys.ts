/**
 * Admin endpoints for signing keys. Both follow the platform's admin-authorization pattern
 * (shared/admin/authorize.ts): an admin credential, then the policy Worker's decision for `AdminEndpoint::"keys"`,
 * failing closed: Deny is 403, a policy service that cannot decide is 503.
 *
 * - `POST /admin/keys/rotate` (`Admin_keys_rotate`): on-demand rotation. The new key is published now and signs
 *   after KEY_PUBLISH_LEAD_SECONDS (no-op if a next key is already pending). `{"immediate": true}` is the emergency
 *   variant (suspected key compromise): the new key signs at once and every other key is revoked: it leaves the
 *   JWKS and introspection rejects what it signed (it needs `Admin_keys_emergency_rotate` as well), here at once and in every other isolate at its next
 *   introspection. Relying parties that cached the JWKS keep the old key until their cache expires (the response
 *   says how long at most): introspection is the authoritative check meanwhile.
 * - `GET /admin/keys` (`Admin_keys_read`): every stored key with its status (the admin API's key list).
 * - `POST /admin/keys/maintain` (`Admin_keys_maintain`): the scheduled maintenance (idempotent), for schedulers
 *   outside Cloudflare such as a Kubernetes CronJob: same work as the cron trigger. Its own action, so the
 *   scheduler's credential can keep keys on schedule without being able to force a rotation.
 */
import { adminRequestOf, authorizeAdmin } from '../../../../../shared/admin/authorize.js';
import { readJsonBody } from '../../../../../shared/body.js';
import { validationFailed } from '../../../../../shared/errors.js';
import { jwksMaxAge } from '../../discovery/domain/metadata.js';
import type { AuthContext } from '../../services.js';
import { maintainSigningKeys, reportRotation } from './maintenance.js';

const KEYS_ENDPOINT = { type: 'AdminEndpoint', id: 'keys' };

async function authorize(
  c: AuthContext,
  action: 'Admin_keys_rotate' | 'Admin_keys_maintain' | 'Admin_keys_read' | 'Admin_keys_emergency_rotate',
) {
  const request = adminRequestOf(c);
  const { principal } = await authorizeAdmin(c.get('services').admin, request, action, KEYS_ENDPOINT);
  return { admin: principal.id, request };
}

export async function rotateKeys(c: AuthContext): Promise<Response> {
  const { admin, request } = await authorize(c, 'Admin_keys_rotate');
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
  // The emergency variant revokes every other key: it needs its own action as well (in the shipped policy set,
  // superadmin only), so a credential that may rotate on schedule cannot also pull every key at once.
  if (immediate) await authorize(c, 'Admin_keys_emergency_rotate');
  const result = await services.keys.rotate(Date.now(), { force: true, immediate });
  reportRotation(
    services,
    result,
    request.ctx,
    { trigger: immediate ? 'admin_immediate' : 'admin', admin },
    request.origin,
  );
  if (!immediate) return c.json(result);
  const maxAge = jwksMaxAge(services.config);
  return c.json({
    ...result,
    relying_party_jwks_cache_seconds: maxAge,
    note: `revoked keys left the JWKS and introspection now; relying parties that cached the JWKS may trust them for up to ${maxAge} s more`,
  });
}

export async function maintainKeys(c: AuthContext): Promise<Response> {
  const { admin, request } = await authorize(c, 'Admin_keys_maintain');
  const { result, pruned, denylisted } = await maintainSigningKeys(
    c.get('services'),
    request.ctx,
    { trigger: 'maintenance', admin },
    request.origin,
  );
  return c.json({ ...result, pruned_revocations: pruned, denylisted_revocations: denylisted });
}

export async function listKeys(c: AuthContext): Promise<Response> {
  await authorize(c, 'Admin_keys_read');
  return c.json({ keys: await c.get('services').keys.inventory() }, 200, { 'cache-control': 'no-store' });
}
