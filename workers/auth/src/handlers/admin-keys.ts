/**
 * Admin endpoints for signing keys. Both are authenticated with an admin credential (shared/admin-auth.ts) and
 * authorized by the policy Worker (`Admin::"keys_rotate"` on `AdminEndpoint::"keys"`) through
 * shared/policy-client.ts, failing closed: Deny is 403, a policy service that cannot decide is 503.
 *
 * - `POST /admin/keys/rotate`: on-demand rotation. The new key is published now and signs after
 *   KEY_PUBLISH_LEAD_SECONDS (no-op if a next key is already pending). `{"immediate": true}` is the emergency
 *   variant (suspected key compromise): the new key signs at once and the others stop signing; relying parties
 *   with a cached JWKS then refetch it on the unknown kid.
 * - `POST /admin/keys/maintain`: the scheduled maintenance (idempotent), for schedulers outside Cloudflare such
 *   as a Kubernetes CronJob: same work as the cron trigger.
 */
import { authenticateAdmin } from '../../../../shared/admin-auth.js';
import { readJsonBody } from '../../../../shared/body.js';
import { validationFailed } from '../../../../shared/errors.js';
import { type AuthContext, authConfig } from '../context.js';
import { requireAdminPermission } from '../../../../shared/policy-client.js';
import { pruneRevokedTokens } from '../storage/revoked-tokens.js';
import { type MaintenanceResult, rotateSigningKeys } from '../storage/signing-keys.js';
import { emit } from './oauth-common.js';

const KEYS_ROTATE = 'Admin::keys_rotate';

async function authorize(c: AuthContext): Promise<string> {
  const config = authConfig(c);
  const principal = await authenticateAdmin(config, c.req.header('authorization'), config.ADMIN_BOOTSTRAP_TOKEN);
  try {
    await requireAdminPermission(c, principal, KEYS_ROTATE, 'keys');
  } catch (err) {
    emit(c, 'authorization.denied', 'denied', undefined, { admin: principal.id, action: KEYS_ROTATE });
    throw err;
  }
  return principal.id;
}

function reportRotation(c: AuthContext, admin: string, result: MaintenanceResult, trigger: string): void {
  if (!result.changed) return;
  emit(c, 'key.rotated', 'success', undefined, {
    trigger,
    admin,
    created: result.created,
    retired: result.retired,
    deleted: result.deleted,
  });
}

export async function rotateKeys(c: AuthContext): Promise<Response> {
  const admin = await authorize(c);
  let immediate = false;
  if (c.req.header('content-type') !== undefined || (c.req.header('content-length') ?? '0') !== '0') {
    const body = await readJsonBody(c.req.raw, authConfig(c).MAX_BODY_BYTES);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw validationFailed('body must be an object');
    const value = (body as Record<string, unknown>).immediate;
    if (value !== undefined && typeof value !== 'boolean') throw validationFailed('immediate must be a boolean');
    immediate = value === true;
  }
  const result = await rotateSigningKeys(authConfig(c), Date.now(), { force: true, immediate });
  reportRotation(c, admin, result, immediate ? 'admin_immediate' : 'admin');
  return c.json(result);
}

export async function maintainKeys(c: AuthContext): Promise<Response> {
  const admin = await authorize(c);
  const config = authConfig(c);
  const result = await rotateSigningKeys(config, Date.now());
  const pruned = await pruneRevokedTokens(config);
  reportRotation(c, admin, result, 'maintenance');
  return c.json({ ...result, pruned_revocations: pruned });
}
