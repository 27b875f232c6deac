/**
 * `GET|POST /oauth/userinfo` (OpenID Connect Core §5.3): the user's claims for a bearer access token issued by
 * this server with the `openid` scope (RFC 6750 §2.1 header only), not revoked, for an active account.
 * Failures are RFC 6750 §3 challenges: 401 invalid_token, 403 insufficient_scope; and, when the policy wants a
 * stronger sign-in than the token's for its client and scopes, RFC 9470's 401 insufficient_user_authentication
 * (mfa/handlers/resource-step-up.ts).
 */
import { bearerChallenge, bearerToken } from '../../../../../shared/bearer.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { endUserOf, isUserId } from '../../accounts/domain/user-store.js';
import { requireTokenAuthentication } from '../../mfa/handlers/resource-step-up.js';
import { NO_STORE } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { verifiedClaims } from '../../tokens/handlers/verify.js';
import { userInfoResponse } from '../domain/claims.js';

function invalidToken(description: string): OAuthError {
  return new OAuthError('invalid_token', description, 401, {
    'www-authenticate': bearerChallenge('userinfo', 'invalid_token'),
  });
}

export async function userInfoEndpoint(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const token = bearerToken(c.req.header('authorization'));
  if (!token) {
    throw new OAuthError('invalid_request', 'a bearer access token is required', 401, {
      'www-authenticate': bearerChallenge('userinfo'),
    });
  }
  const claims = await verifiedClaims(services, token);
  if (!claims) throw invalidToken('the access token is not valid');
  const state = await services.revocations.state(claims.jti, c.executionCtx);
  if (state.revoked) throw invalidToken('the access token has been revoked');
  const scopes = claims.scope ? claims.scope.split(' ') : [];
  if (!scopes.includes('openid')) {
    throw new OAuthError('insufficient_scope', 'the access token lacks the openid scope', 403, {
      'www-authenticate': `Bearer realm="userinfo", error="insufficient_scope", scope="openid"`,
    });
  }
  const user = isUserId(claims.sub) ? await services.users.findById(claims.sub) : null;
  if (user?.status !== 'active') throw invalidToken('the account is not active');
  await requireTokenAuthentication(c, 'userinfo', claims, scopes);
  return c.json(userInfoResponse(endUserOf(user), scopes), 200, NO_STORE);
}
