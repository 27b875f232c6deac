/**
 * RFC 7009 revocation of a refresh token (`token_type_hint=refresh_token`, or no hint: a refresh token is never a
 * JWT, so the two kinds cannot be confused) ends its whole family: the family document first (no refresh succeeds
 * after it), then the family's denylist member, so its access tokens (they carry `rfid`) go inactive at
 * introspection at once. Any token of the family works, presented by its client; another client's is refused with
 * `unauthorized_client` (as for access tokens), an unknown or expired family answers 200 and changes nothing.
 */
import { OAuthError } from '../../../../../shared/errors.js';
import type { ClientRecord } from '../../clients/domain/client-store.js';
import { emit } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { parseRefreshToken } from '../domain/refresh-token.js';

/** True when `token` has a refresh token's form (then revokeRefreshToken handles it). */
export function isRefreshToken(token: string): boolean {
  return parseRefreshToken(token) !== null;
}

export async function revokeRefreshToken(
  c: AuthContext,
  token: string,
  caller: ClientRecord,
  ip: string,
): Promise<void> {
  const services = c.get('services');
  const result = await services.refreshFamilies.revoke(token, 'client_request', caller.clientId);
  if (result.outcome === 'wrong_client') {
    emit(c, ip, 'token.revoked', 'denied', caller.clientId, { token_type: 'refresh_token', reason: 'not_token_owner' });
    throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
  }
  if (result.outcome !== 'revoked') return;
  // Also when it was already revoked: re-asserting the denylist member is idempotent and covers a revocation that
  // stopped between the two steps.
  const until = Math.floor(Date.now() / 1000) + services.config.ACCESS_TOKEN_MAX_TTL_SECONDS;
  await services.revocations.revokeFamily(result.familyKey, caller.clientId, until, 'refresh_family_revoked');
  if (!result.already) {
    emit(c, ip, 'token.revoked', 'success', caller.clientId, {
      token_type: 'refresh_token',
      family_id: result.familyKey,
    });
  }
}
