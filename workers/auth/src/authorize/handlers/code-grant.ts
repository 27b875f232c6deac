/**
 * The authorization_code grant at `POST /oauth/token` (RFC 6749 §4.1.3, RFC 7636 §4.6, OpenID Connect Core
 * §3.1.3): for confidential clients (their registered authentication method) and public clients
 * (`token_endpoint_auth_method: none`, identified by `client_id`; PKCE is what proves them).
 *
 * The code is read first and checked (client, redirect_uri, PKCE), then consumed atomically in the code store:
 * of concurrent redemptions exactly one wins. Any later presentation is a replay: it fails, and the tokens issued
 * from the code are revoked (RFC 6749 §4.1.2), also when the replay races the winner (the winner then revokes what
 * it issued as soon as it records it).
 */
import { randomToken } from '../../../../../shared/crypto.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { machineClient } from '../../../../../shared/state/store.js';
import { endUserOf } from '../../accounts/domain/user-store.js';
import { authenticateClient } from '../../clients/handlers/authenticate.js';
import { BASIC_CHALLENGE } from '../../clients/domain/client-authentication.js';
import type { ClientRecord } from '../../clients/domain/client-store.js';
import { emit, param, type TokenGrant, tokenJson } from '../../oauth/handlers/common.js';
import { buildIdTokenClaims } from '../../oidc/domain/id-token.js';
import { signIdToken } from '../../oidc/handlers/jwt.js';
import { enforceRateLimit } from '../../rate-limit/handlers/limit.js';
import type { AuthContext, AuthServices } from '../../services.js';
import { type AccessTokenClaims, authenticationClaims, signAccessToken } from '../../tokens/domain/access-token.js';
import { accessTokenLifetime, requestedAudience } from '../../tokens/handlers/access-token-terms.js';
import { familyOfMember } from '../../tokens/domain/denylist.js';
import { formatScope } from '../../tokens/domain/scope.js';
import { checkCodeRedemption, codeKey } from '../domain/authorization-code.js';
import { authorizationCodes, type StoredCode } from '../domain/code-machine.js';
import { extraTokenFields, revokeExtrasFromCode } from './grant-extensions.js';

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

/**
 * The calling client: a public one by client_id alone, otherwise by its registered authentication method. Also the
 * refresh_token grant's (refresh/handlers/refresh-grant.ts) and RFC 7009 revocation's (`endpoint: 'revoke'`).
 */
export async function tokenClient(
  c: AuthContext,
  form: ReadonlyMap<string, readonly string[]>,
  ip: string,
  endpoint: 'token' | 'revoke' = 'token',
): Promise<ClientRecord> {
  const presentsSecret = c.req.header('authorization') !== undefined || form.has('client_secret');
  const clientId = param(form, 'client_id');
  if (!presentsSecret && clientId !== undefined) {
    await enforceRateLimit(c, { endpoint, ip });
    const record = clientId.length <= 256 ? await c.get('services').clients.get(clientId, c.executionCtx) : null;
    if (record?.status !== 'active' || (record.metadata.token_endpoint_auth_method as string) !== 'none') {
      emit(c, ip, 'client.authentication_failed', 'failure', record?.clientId, {
        endpoint,
        reason: 'not_public_client',
      });
      // RFC 9110 §15.5.2: a 401 names a scheme, as authenticateClient's does.
      throw new OAuthError('invalid_client', 'client authentication failed', 401, {
        'www-authenticate': BASIC_CHALLENGE,
      });
    }
    return record;
  }
  return authenticateClient(c, form, endpoint, ip);
}

/** The calling client (tokenClient), which must be allowed `grantType` (`unauthorized_client` otherwise). */
export async function grantClient(
  c: AuthContext,
  form: ReadonlyMap<string, readonly string[]>,
  ip: string,
  grantType: 'authorization_code' | 'refresh_token',
): Promise<ClientRecord> {
  const client = await tokenClient(c, form, ip);
  if (!client.metadata.grant_types.includes(grantType)) {
    throw new OAuthError('unauthorized_client', `this client may not use the ${grantType} grant`);
  }
  return client;
}

async function revokeIssued(services: AuthServices, grant: StoredCode, tokenIds: readonly string[]): Promise<void> {
  const exp = Math.floor(Date.now() / 1000) + services.config.ACCESS_TOKEN_MAX_TTL_SECONDS;
  for (const jti of tokenIds) {
    // A refresh-token family: end it first (no refresh succeeds after), then its member on the denylist below.
    const family = familyOfMember(jti);
    if (family !== undefined) await services.refreshFamilies.revokeKey(family, 'authorization_code_reused');
    await services.revocations.revoke({ jti, clientId: grant.clientId, exp, reason: 'authorization_code_reused' });
  }
}

async function replayed(c: AuthContext, ip: string, grant: StoredCode, key: string): Promise<never> {
  const services = c.get('services');
  await revokeIssued(services, grant, grant.issuedTokenIds ?? []);
  await revokeExtrasFromCode(c, grant);
  emit(c, ip, 'authorization_code.reused', 'denied', grant.clientId, {
    code_id: key.slice(0, 16),
    user_id: grant.userId,
    revoked: grant.issuedTokenIds?.length ?? 0,
  });
  throw invalidGrant('the code has already been used');
}

export const authorizationCodeGrant: TokenGrant = async (c, form, ip) => {
  const services = c.get('services');
  const config = services.config;
  const client = await grantClient(c, form, ip, 'authorization_code');
  const key = await codeKey(param(form, 'code'));
  if (key === undefined) throw invalidGrant('the code is not valid');
  const codes = machineClient(services.state, authorizationCodes);
  const stored = await codes.peek(key);
  if (!stored) throw invalidGrant('the code is not valid');
  if (stored.consumedAt !== undefined) {
    // A replay: flag it (a racing winner then revokes what it issues) and revoke what was issued.
    await codes.consume(key);
    return replayed(c, ip, stored, key);
  }
  const now = Math.floor(Date.now() / 1000);
  const decision = await checkCodeRedemption(stored, {
    clientId: client.clientId,
    redirectUri: param(form, 'redirect_uri'),
    codeVerifier: param(form, 'code_verifier'),
    now,
  });
  if (!decision.ok) throw invalidGrant(decision.description);
  const consumed = await codes.consume(key);
  if (!consumed) throw invalidGrant('the code is not valid');
  if (consumed.replay) return replayed(c, ip, consumed.grant, key);
  const grant = consumed.grant;

  // Cached (no Postgres in steady state); disabling the account is seen here at once, in every isolate.
  const user = await services.users.activeUser(grant.userId);
  if (user === null) throw invalidGrant('the account is not active');

  const aud = requestedAudience(form, client, config);
  const ttl = accessTokenLifetime(client, config);
  const scope = formatScope(grant.scopes);
  const signingKey = await services.keys.signingKey(c.executionCtx);
  const jti = randomToken(16);
  // First, so the access token carries the refresh-token family's id (`rfid`): revoking the family revokes it too.
  const extra = await extraTokenFields(c, { grant, client, scopes: grant.scopes, aud, accessTokenId: jti });
  const claims: AccessTokenClaims = {
    iss: config.ISSUER,
    sub: grant.userId,
    aud,
    exp: now + ttl,
    iat: now,
    jti,
    client_id: client.clientId,
  };
  if (scope !== '') claims.scope = scope;
  if (extra.familyKey !== undefined) claims.rfid = extra.familyKey;
  Object.assign(claims, authenticationClaims(grant));
  const accessToken = await signAccessToken(claims, signingKey);

  const body: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: ttl };
  if (scope !== '') body.scope = scope;
  if (grant.scopes.includes('openid')) {
    const idClaims = await buildIdTokenClaims({
      issuer: config.ISSUER,
      user: endUserOf(user),
      clientId: client.clientId,
      scopes: grant.scopes,
      now,
      ttlSeconds: config.ID_TOKEN_TTL_SECONDS,
      authTime: grant.authTime,
      ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
      ...(grant.acr !== undefined ? { acr: grant.acr } : {}),
      amr: grant.amr,
      sessionId: grant.sessionId,
      accessToken,
      alg: signingKey.alg,
    });
    body.id_token = await signIdToken(idClaims, signingKey);
  }
  Object.assign(body, extra.fields);

  const tokenIds = [claims.jti, ...extra.tokenIds];
  const recorded = await codes.recordTokens(key, tokenIds);
  // A replay raced this redemption and lost: what was just issued is revoked now (the replay could not see it).
  if (recorded.revoke) {
    await revokeIssued(services, grant, tokenIds);
    await revokeExtrasFromCode(c, grant);
  }

  emit(c, ip, 'token.issued', 'success', client.clientId, {
    grant_type: 'authorization_code',
    user_id: grant.userId,
    jti: claims.jti,
    kid: signingKey.kid,
    scope,
    aud,
    expires_in: ttl,
  });
  return tokenJson(c, body);
};
