/**
 * `POST /oauth/introspect` (RFC 7662). The caller must be an authenticated client.
 *
 * Who may introspect what (RFC 7662 §4 leaves it to the server): any authenticated client may introspect any
 * token this server issued. These are JWTs whose claims any holder can already read and whose signature anyone
 * can check against the public JWKS; introspection adds only the revocation state. That is exactly what a
 * resource server (registered as a client) needs for tokens issued to other clients. Token scanning is throttled
 * by the introspection rate limit.
 *
 * Every token problem (malformed, wrong signature or key, a key revoked by an emergency rotation, `alg: none`,
 * wrong `typ` or `iss`, expired, living longer than the server issues, revoked, or issued to a client since
 * deleted, or issued from a refresh-token family since revoked: its `rfid` is on the denylist too) answers
 * `{"active": false}` and nothing else. `token_type_hint` is
 * ignored: there is only one kind of token.
 */
import { clientAddress } from '../../../../../shared/client-address.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { authenticateClient } from '../../clients/handlers/authenticate.js';
import { param, readOAuthForm, tokenJson } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { verifiedClaims } from './verify.js';

export async function introspectionEndpoint(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const config = services.config;
  const form = await readOAuthForm(c);
  await authenticateClient(c, form, 'introspect', clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS));
  const token = param(form, 'token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required');

  const inactive = () => tokenJson(c, { active: false });
  let claims = await verifiedClaims(services, token);
  if (!claims) return inactive();
  // One Redis round trip answers the denylist and the key set's version together (the owner comes from the
  // client cache, usually without I/O).
  const [state, owner] = await Promise.all([
    services.revocations.state(claims.jti, c.executionCtx, claims.rfid),
    services.clients.get(claims.client_id, c.executionCtx),
  ]);
  // The key set changed since this isolate loaded it (an emergency rotation may have revoked the signing key):
  // verify again with the reloaded ring before trusting the signature.
  if (await services.keys.reloadIfChanged(state.keySetVersion)) {
    claims = await verifiedClaims(services, token);
    if (!claims) return inactive();
  }
  if (state.revoked || owner?.status !== 'active') return inactive();
  return tokenJson(c, { active: true, ...claims, token_type: 'Bearer' });
}
