/**
 * An operator's hold on a user's credentials besides the password, on the same pattern as admin-users.ts (admin
 * credential, then the policy's decision on `AdminEndpoint::"users"`, the user 404 unless it exists):
 *
 * - `DELETE /admin/users/:id/mfa/:factor` (`Admin_users_mfa_remove`): removes second factors, `totp`,
 *   `backup-codes`, `passkeys` (only the one named `?name=`, when given) or `all`, e.g. for a user who lost their
 *   device. Answers what was removed and whether a second factor is left (without one, sign-in asks only for the
 *   password). An `mfa.removed` event names the operator.
 * - `POST /admin/users/:id/refresh-tokens/revoke` (`Admin_users_refresh_revoke`): ends every refresh-token family
 *   of the user (no refresh succeeds after it) and denylists each family, so the access tokens they issued go
 *   inactive at introspection at once. A `token.revoked` event names the operator.
 */
import { notFound } from '../../../../../shared/errors.js';
import { hasSecondFactor } from '../../mfa/domain/mfa-store.js';
import type { AuthContext } from '../../services.js';
import { authorizeOnUser, userChanged } from './admin-users.js';

const FACTORS = new Set(['totp', 'backup-codes', 'passkeys', 'all']);

export async function removeUserFactors(c: AuthContext): Promise<Response> {
  const { services, admin, id } = await authorizeOnUser(c, 'Admin_users_mfa_remove');
  const factor = c.req.param('factor') ?? '';
  if (!FACTORS.has(factor)) throw notFound('no such factor (totp, backup-codes, passkeys, all)');
  const name = factor === 'passkeys' ? c.req.query('name') : undefined;
  const { store } = services.mfa;
  const before = await store.factors(id);
  const removed: string[] = [];
  const takes = (kind: string) => factor === kind || factor === 'all';
  if (takes('totp') && (await store.removeTotp(id))) removed.push('totp');
  if (takes('backup-codes') && before.backupCodesRemaining > 0) {
    await store.replaceBackupCodes(id, []);
    removed.push('backup_codes');
  }
  if (takes('passkeys')) {
    const chosen = before.passkeys.filter((p) => name === undefined || p.name === name);
    if (name !== undefined && chosen.length === 0) throw notFound('the user has no passkey with this name');
    for (const p of chosen) if (await store.removePasskey(id, p.id)) removed.push(`passkey:${p.name}`);
  }
  if (removed.length > 0) userChanged(c, 'mfa.removed', admin, id, { factors: removed });
  return c.json({ user_id: id, removed, second_factor: hasSecondFactor(await store.factors(id)) });
}

export async function revokeUserRefreshTokens(c: AuthContext): Promise<Response> {
  const { services, admin, id } = await authorizeOnUser(c, 'Admin_users_refresh_revoke');
  const ended = await services.refreshFamilies.revokeUser(id, 'admin');
  // Every access token of a family has expired by then (none is issued after the family is revoked).
  const until = Math.floor(Date.now() / 1000) + services.config.ACCESS_TOKEN_MAX_TTL_SECONDS;
  for (const family of ended) {
    await services.revocations.revokeFamily(family.key, family.clientId, until, 'refresh_family_revoked');
  }
  userChanged(c, 'token.revoked', admin, id, { token_type: 'refresh_token', families: ended.length });
  return c.json({ user_id: id, families_revoked: ended.length });
}
