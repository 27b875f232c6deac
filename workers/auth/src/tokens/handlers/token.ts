/**
 * `POST /oauth/token`: the client_credentials grant (RFC 6749 §4.4) issuing RFC 9068 JWT access tokens; the
 * refresh_token grant is its own module (refresh/handlers/refresh-grant.ts).
 * Steady state touches neither Postgres nor (usually) Redis: the client comes from the isolate cache and the
 * signing key from isolate memory; the security event is written after the response.
 */
import { clientAddress } from '../../../../../shared/client-address.js';
import { randomToken } from '../../../../../shared/crypto.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { authorizationCodeGrant } from '../../authorize/handlers/code-grant.js';
import { authenticateClient } from '../../clients/handlers/authenticate.js';
import { emit, param, readOAuthForm, tokenJson } from '../../oauth/handlers/common.js';
import { refreshTokenGrant } from '../../refresh/handlers/refresh-grant.js';
import type { AuthContext } from '../../services.js';
import { type AccessTokenClaims, signAccessToken } from '../domain/access-token.js';
import { accessTokenLifetime, requestedAudience } from './access-token-terms.js';
import { formatScope, grantScope, parseScope, ScopeNotAllowedError, ScopeSyntaxError } from '../domain/scope.js';

/** RFC 8707 allows `resource` more than once; every other parameter must appear at most once (RFC 6749 §3.2). */
const REPEATABLE = new Set(['resource']);

export async function tokenEndpoint(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const config = services.config;
  const form = await readOAuthForm(c, REPEATABLE);
  const grantType = param(form, 'grant_type');
  if (grantType === undefined || grantType === '') throw new OAuthError('invalid_request', 'grant_type is required');
  const ip = clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS);
  if (grantType === 'authorization_code') return authorizationCodeGrant(c, form, ip);
  if (grantType === 'refresh_token') return refreshTokenGrant(c, form, ip);
  if (grantType !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'the grant type is not supported');
  }

  const client = await authenticateClient(c, form, 'token', ip);
  if (!client.metadata.grant_types.includes('client_credentials')) {
    throw new OAuthError('unauthorized_client', 'this client may not use the client_credentials grant');
  }

  let scopes: string[];
  try {
    scopes = grantScope(param(form, 'scope'), parseScope(client.metadata.scope));
  } catch (err) {
    if (err instanceof ScopeNotAllowedError || err instanceof ScopeSyntaxError) {
      throw new OAuthError('invalid_scope', err.message);
    }
    throw err;
  }

  const aud = requestedAudience(form, client, config);

  const ttl = accessTokenLifetime(client, config);
  const key = await services.keys.signingKey(c.executionCtx);
  const now = Math.floor(Date.now() / 1000);
  const scope = formatScope(scopes);
  const claims: AccessTokenClaims = {
    iss: config.ISSUER,
    sub: client.clientId,
    aud,
    exp: now + ttl,
    iat: now,
    jti: randomToken(16),
    client_id: client.clientId,
  };
  if (scope !== '') claims.scope = scope;
  const accessToken = await signAccessToken(claims, key);

  emit(c, ip, 'token.issued', 'success', client.clientId, {
    jti: claims.jti,
    kid: key.kid,
    scope,
    aud,
    expires_in: ttl,
  });
  const body: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: ttl };
  if (scope !== '') body.scope = scope;
  return tokenJson(c, body);
}
