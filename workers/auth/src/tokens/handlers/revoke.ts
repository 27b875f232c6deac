/**
 * `POST /oauth/revoke` (RFC 7009). The caller must be an authenticated client (a public one by its client_id). Invalid, expired and unknown tokens
 * answer 200 and change nothing (§2.2). A refresh token ends its family (refresh/handlers/revoke-family.ts).
 *
 * Only the client a token was issued to can revoke it (§2.1): another client's token is refused with 400
 * `unauthorized_client`, nothing is revoked, and a `token.revoked` event with outcome "denied" is recorded. The
 * error discloses nothing new: the caller is an authenticated client, and introspection already tells any
 * authenticated client whether a token is active and whose it is.
 */
import { clientAddress } from '../../../../../shared/client-address.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { tokenClient } from '../../authorize/handlers/code-grant.js';
import { emit, NO_STORE, param, readOAuthForm } from '../../oauth/handlers/common.js';
import { isRefreshToken, revokeRefreshToken } from '../../refresh/handlers/revoke-family.js';
import type { AuthContext } from '../../services.js';
import { verifiedClaims } from './verify.js';

export async function revocationEndpoint(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const config = services.config;
  const form = await readOAuthForm(c);
  const ip = clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS);
  // Public clients (token_endpoint_auth_method none) identify themselves by client_id, as at the token endpoint.
  const caller = await tokenClient(c, form, ip, 'revoke');
  const token = param(form, 'token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');

  const done = () => c.body(null, 200, NO_STORE);
  if (isRefreshToken(token)) {
    await revokeRefreshToken(c, token, caller, ip);
    return done();
  }
  const claims = await verifiedClaims(services, token);
  // Invalid or expired: nothing to revoke (an expired token is already unusable).
  if (!claims) return done();
  if (claims.client_id !== caller.clientId) {
    emit(c, ip, 'token.revoked', 'denied', caller.clientId, { jti: claims.jti, reason: 'not_token_owner' });
    throw new OAuthError('unauthorized_client', 'the token was not issued to this client');
  }
  await services.revocations.revoke({
    jti: claims.jti,
    clientId: caller.clientId,
    exp: claims.exp,
    reason: 'client_request',
  });
  emit(c, ip, 'token.revoked', 'success', caller.clientId, { jti: claims.jti });
  return done();
}
