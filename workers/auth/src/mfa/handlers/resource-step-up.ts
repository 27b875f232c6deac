/**
 * Step-up at a resource server (RFC 9470), with the policy hook of the login (handlers/step-up.ts): a valid access
 * token whose user authentication the policy no longer finds enough for its client and scopes (say the policy now
 * wants MFA for them, and the token descends from a password-only sign-in; a refreshed token carries its family's)
 * is answered with the `insufficient_user_authentication` challenge naming ACR_MFA. The client then asks
 * /oauth/authorize with those `acr_values`, the login steps the session up, and the new token passes.
 */
import { insufficientUserAuthentication } from '../../../../../shared/bearer.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { PolicyUnavailableError } from '../../../../../shared/policy-client.js';
import type { AuthContext } from '../../services.js';
import type { AccessTokenClaims } from '../../tokens/domain/access-token.js';
import { ACR_MFA } from '../domain/authentication-context.js';
import { signInPolicy } from './step-up.js';

/** Throws the challenge (401), a refusal (403) or 503 when the token's authentication is not enough. */
export async function requireTokenAuthentication(
  c: AuthContext,
  realm: string,
  claims: AccessTokenClaims,
  scopes: readonly string[],
): Promise<void> {
  // RFC 9068: what the token says about the sign-in; a token without it counts as password-only.
  const amr =
    claims.acr === ACR_MFA && claims.amr?.includes('mfa') ? claims.amr : (claims.amr ?? []).filter((m) => m !== 'mfa');
  let policy: { asIs: boolean; withMfa?: boolean };
  try {
    policy = await signInPolicy(c, { userId: claims.sub, clientId: claims.client_id, scopes, amr });
  } catch (err) {
    if (err instanceof PolicyUnavailableError) {
      throw new OAuthError('temporarily_unavailable', 'the policy service is unavailable; retry shortly', 503);
    }
    throw err;
  }
  if (policy.asIs) return;
  if (policy.withMfa) {
    const description = 'a second factor is required for this resource';
    throw new OAuthError('insufficient_user_authentication', description, 401, {
      'www-authenticate': insufficientUserAuthentication(realm, { acrValues: [ACR_MFA] }, description),
    });
  }
  throw new OAuthError('access_denied', 'the policy does not allow this access', 403);
}
