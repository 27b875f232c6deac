/**
 * The refresh_token grant (RFC 6749 §6) at `POST /oauth/token`, with rotation, reuse detection and the honest-retry
 * window of the refresh-token family (../domain/refresh-family.ts has the rules and the table of outcomes).
 *
 * - The client authenticates as at every grant; it must be allowed the refresh_token grant, and the family must be
 *   its own (another client's token is `invalid_grant` and changes nothing).
 * - `scope` may narrow the family's scope for this access token, never widen it (`invalid_scope`); `resource` may
 *   narrow its audience (`invalid_target` otherwise). The new refresh token keeps the family's scope (§6).
 * - Reuse revokes the family: first its document (one atomic operation, so no successor can follow), then its
 *   member on the denylist, which makes every access token it issued (they carry `rfid`) inactive at introspection.
 *   The answer waits for both, and `refresh_token.reused` is reported.
 * - The family is bound to the sign-in session it came from: when that session has ended, the family ends at its
 *   next use (`invalid_grant`, and its access tokens denylisted), after the rotation's atomic step.
 * - Every refusal of the token itself is `invalid_grant`, whatever the reason (unknown, expired, revoked, reused,
 *   another client's): the caller learns nothing about other families.
 */
import { logError } from '../../../../../shared/dependencies.js';
import { randomToken } from '../../../../../shared/crypto.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { grantClient } from '../../authorize/handlers/code-grant.js';
import { emit, param, type TokenGrant, tokenJson } from '../../oauth/handlers/common.js';
import { machineClient } from '../../../../../shared/state/store.js';
import { userSessions } from '../../login/domain/login-state.js';
import type { AuthServices } from '../../services.js';
import { type AccessTokenClaims, authenticationClaims, signAccessToken } from '../../tokens/domain/access-token.js';
import { formatScope, parseScope, ScopeSyntaxError } from '../../tokens/domain/scope.js';
import { accessTokenLifetime } from '../../tokens/handlers/access-token-terms.js';

/** Whether the session with public handle `sid` is still among the user's sessions (one keyed-state read). */
async function sessionIsLive(services: AuthServices, userId: string, sid: string): Promise<boolean> {
  const entries = await machineClient(services.state, userSessions).list(userId);
  return entries.some((e) => e.handle === sid);
}

const invalidGrant = () => new OAuthError('invalid_grant', 'the refresh token is invalid, expired or revoked');

export const refreshTokenGrant: TokenGrant = async (c, form, ip) => {
  const services = c.get('services');
  const config = services.config;
  // Confidential clients by their registered method, public ones by client_id (their tokens always rotate, as all do).
  const client = await grantClient(c, form, ip, 'refresh_token');
  const presented = param(form, 'refresh_token');
  if (presented === undefined || presented === '') throw new OAuthError('invalid_request', 'refresh_token is required');
  let scope: string[] | undefined;
  const scopeText = param(form, 'scope');
  if (scopeText !== undefined) {
    try {
      scope = parseScope(scopeText);
    } catch (err) {
      if (err instanceof ScopeSyntaxError) throw new OAuthError('invalid_scope', err.message);
      throw err;
    }
  }

  const resources = form.get('resource');
  const result = await services.refreshFamilies.refresh(presented, {
    clientId: client.clientId,
    ...(scope !== undefined ? { scope } : {}),
    ...(resources !== undefined && resources.length > 0 ? { aud: [...resources] } : {}),
  });
  // Every access token of the family has expired by then (none is issued after the family is revoked).
  const denyUntil = Math.floor(Date.now() / 1000) + config.ACCESS_TOKEN_MAX_TTL_SECONDS;
  switch (result.outcome) {
    case 'rotated':
    case 'retried':
      break;
    case 'invalid_target':
      throw new OAuthError('invalid_target', "resource is outside the refresh token's grant");
    case 'invalid_scope':
      throw new OAuthError(
        'invalid_scope',
        `scope exceeds the refresh token's grant: ${result.extra.slice(0, 5).join(' ')}`,
      );
    case 'reused':
      await services.revocations.revokeFamily(result.familyKey, result.clientId, denyUntil, 'refresh_token_reuse');
      emit(c, ip, 'refresh_token.reused', 'denied', client.clientId, {
        family_id: result.familyKey,
        generation: result.generation,
        // True: the just-superseded token after the window; false: an older one (or a forgery with the family's secret).
        late: result.late,
      });
      throw invalidGrant();
    case 'revoked':
      // Re-asserts the family's denylist member, in case the revocation that ended it stopped before writing it.
      c.executionCtx.waitUntil(
        services.revocations
          .revokeFamily(result.familyKey, result.clientId, denyUntil, `refresh_family_${result.reason}`)
          .catch((err) => logError('auth', 'refresh family denylist re-assertion failed', err)),
      );
      throw invalidGrant();
    default:
      throw invalidGrant();
  }

  const { grant } = result;
  // A family is bound to the sign-in session it came from: once that session is over (sign-out, revoked on the
  // sessions page, the operator's revoke-all, its absolute end), the family ends at its next use.
  if (grant.sid !== undefined && !(await sessionIsLive(services, grant.sub, grant.sid))) {
    await services.refreshFamilies.revokeKey(result.familyKey, 'session_ended');
    await services.revocations.revokeFamily(
      result.familyKey,
      grant.clientId,
      denyUntil,
      'refresh_family_session_ended',
    );
    throw invalidGrant();
  }
  const aud: string | string[] = grant.aud.length === 1 ? (grant.aud[0] as string) : grant.aud;
  const ttl = accessTokenLifetime(client, config);
  const key = await services.keys.signingKey(c.executionCtx);
  const now = Math.floor(Date.now() / 1000);
  const scopeOut = formatScope(grant.scope);
  const claims: AccessTokenClaims = {
    iss: config.ISSUER,
    sub: grant.sub,
    aud,
    exp: now + ttl,
    iat: now,
    jti: randomToken(16),
    client_id: client.clientId,
    rfid: result.familyKey,
  };
  if (scopeOut !== '') claims.scope = scopeOut;
  // The authentication event the family came from, as on the first access token (RFC 9068 §2.2.1).
  if (grant.authn !== undefined) Object.assign(claims, authenticationClaims(grant.authn));
  const accessToken = await signAccessToken(claims, key);
  emit(c, ip, 'token.issued', 'success', client.clientId, {
    grant_type: 'refresh_token',
    jti: claims.jti,
    kid: key.kid,
    scope: scopeOut,
    aud,
    expires_in: ttl,
    family_id: result.familyKey,
    generation: grant.generation,
    retried: result.outcome === 'retried',
  });
  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ttl,
    refresh_token: result.refreshToken,
  };
  if (scopeOut !== '') body.scope = scopeOut;
  return tokenJson(c, body);
};
