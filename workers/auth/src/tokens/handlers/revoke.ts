/**
 * `POST /oauth/revoke` (RFC 7009). The caller must be an authenticated client; the answer is 200 whether or not
 * anything was revoked (invalid, expired and unknown tokens included, §2.2).
 *
 * Only the client a token was issued to can revoke it. For another client's token the request also answers 200
 * and changes nothing: RFC 7009 §2.1 has the server refuse such a request, but an error would confirm to a third
 * party that the token is valid and whose it is, so we refuse silently (as node-oidc-provider does) and record a
 * `token.revoked` event with outcome "denied".
 */
import { clientAddress } from '../../../../../shared/client-address.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { authenticateClient } from '../../clients/handlers/authenticate.js';
import { emit, NO_STORE, param, readOAuthForm } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { AccessTokenError, verifyAccessToken } from '../domain/access-token.js';

export async function revocationEndpoint(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const config = services.config;
  const form = await readOAuthForm(c);
  const ip = clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS);
  const caller = await authenticateClient(c, form, 'revoke', ip);
  const token = param(form, 'token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');

  const done = () => c.body(null, 200, NO_STORE);
  let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
  try {
    const key = await services.keys.verificationKeys(token);
    claims = await verifyAccessToken(token, { issuer: config.ISSUER, key, now: Math.floor(Date.now() / 1000) });
  } catch (err) {
    // Invalid or expired: nothing to revoke (an expired token is already unusable).
    if (err instanceof AccessTokenError) return done();
    throw err;
  }
  if (claims.client_id !== caller.clientId) {
    emit(c, ip, 'token.revoked', 'denied', caller.clientId, { jti: claims.jti, reason: 'not_token_owner' });
    return done();
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
