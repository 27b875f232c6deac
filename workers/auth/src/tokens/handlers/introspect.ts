/**
 * `POST /oauth/introspect` (RFC 7662). The caller must be an authenticated client.
 *
 * Who may introspect what (RFC 7662 §4 leaves it to the server): any authenticated client may introspect any
 * token this server issued. These are JWTs whose claims any holder can already read and whose signature anyone
 * can check against the public JWKS; introspection adds only the revocation state. That is exactly what a
 * resource server (registered as a client) needs for tokens issued to other clients. Token scanning is throttled
 * by the introspection rate limit.
 *
 * Every token problem (malformed, wrong signature or key, `alg: none`, wrong `typ` or `iss`, expired, revoked,
 * or issued to a client since deleted) answers `{"active": false}` and nothing else. `token_type_hint` is
 * ignored: there is only one kind of token.
 */
import { clientAddress } from '../../../../../shared/client-address.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { authenticateClient } from '../../clients/handlers/authenticate.js';
import { NO_STORE, param, readOAuthForm } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { AccessTokenError, verifyAccessToken } from '../domain/access-token.js';

export async function introspectionEndpoint(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const config = services.config;
  const form = await readOAuthForm(c);
  await authenticateClient(c, form, 'introspect', clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS));
  const token = param(form, 'token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');

  const inactive = () => c.json({ active: false }, 200, NO_STORE);
  const now = Math.floor(Date.now() / 1000);
  let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
  try {
    const key = await services.keys.verificationKeys(token);
    claims = await verifyAccessToken(token, { issuer: config.ISSUER, key, now });
  } catch (err) {
    if (err instanceof AccessTokenError) return inactive();
    throw err;
  }
  const [revoked, owner] = await Promise.all([
    services.revocations.isRevoked(claims.jti),
    services.clients.get(claims.client_id),
  ]);
  if (revoked || owner?.status !== 'active') return inactive();
  return c.json({ active: true, ...claims, token_type: 'Bearer' }, 200, NO_STORE);
}
