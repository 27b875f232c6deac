/**
 * The pure building blocks composed into one authorization-code flow, driven from the relying-party side by
 * oauth4webapi: the request it builds is validated, the user signs in and consents, the code comes back with
 * iss and state, the code is redeemed with the PKCE verifier, and the ID token and UserInfo pass its checks.
 * No HTTP: the wiring of endpoints comes later; this shows the pieces agree with a strict client.
 */
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { normalizeEmail } from '../../src/accounts/domain/email.js';
import { hashPassword, verifyPassword } from '../../src/accounts/domain/password-hash.js';
import {
  type AuthorizationCodeGrant,
  checkCodeRedemption,
  codeKey,
  newAuthorizationCode,
} from '../../src/authorize/domain/authorization-code.js';
import { validateAuthorizationRequest } from '../../src/authorize/domain/authorization-request.js';
import { authorizationResponseParams, buildRedirectUrl } from '../../src/authorize/domain/authorization-response.js';
import { readAuthorizationParameters } from '../../src/authorize/domain/parameters.js';
import { decideAuthentication } from '../../src/login/domain/authentication.js';
import { decideConsent, mergeGrant } from '../../src/login/domain/consent.js';
import { startSession } from '../../src/login/domain/session.js';
import { type EndUser, userInfoResponse } from '../../src/oidc/domain/claims.js';
import { buildIdTokenClaims, idTokenHeader } from '../../src/oidc/domain/id-token.js';

const ISSUER = 'https://auth.example.com';
const as: oauth.AuthorizationServer = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/oauth/authorize`,
  authorization_response_iss_parameter_supported: true,
};
const rp: oauth.Client = { client_id: 'rp-1', id_token_signed_response_alg: 'ES256' };
const registered = {
  clientId: 'rp-1',
  redirectUris: ['http://127.0.0.1/callback'],
  grantTypes: ['authorization_code', 'refresh_token'],
  responseTypes: ['code'],
  scopes: ['openid', 'email', 'profile'],
};

describe('authorization code flow from the pure modules', () => {
  it('satisfies a strict relying party end to end', async () => {
    // The relying party (a native app on an ephemeral loopback port) starts the flow.
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const authUrl = new URL(as.authorization_endpoint!);
    authUrl.search = new URLSearchParams({
      client_id: rp.client_id,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid email',
      state,
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      max_age: '600',
    }).toString();

    const t0 = Math.floor(Date.now() / 1000);
    const outcome = await validateAuthorizationRequest(readAuthorizationParameters(authUrl.searchParams), registered);
    if (outcome.kind !== 'valid') throw new Error(JSON.stringify(outcome));
    const request = outcome.request;

    // No session: sign in. The account exists; the password verifies.
    expect(decideAuthentication({ session: undefined, prompt: request.prompt, requestStartedAt: t0, now: t0 })).toEqual(
      {
        action: 'sign-in',
        reason: 'no-session',
      },
    );
    const email = normalizeEmail('Jane@Example.com');
    if (!email.ok) throw new Error('email');
    const user: EndUser = { id: 'usr_1', email: email.email.address, emailVerified: true };
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    const { session } = startSession({ userId: user.id, now: t0 + 5, amr: ['pwd'] });
    const after = decideAuthentication({
      session,
      prompt: request.prompt,
      maxAge: request.maxAge,
      requestStartedAt: t0,
      now: t0 + 5,
    });
    expect(after.action).toBe('continue');

    // A third-party client: consent is asked, then remembered.
    const consent = decideConsent({
      firstParty: false,
      requestedScopes: request.scopes,
      grantedScopes: [],
      prompt: request.prompt,
    });
    expect(consent).toMatchObject({ action: 'ask', newScopes: ['openid', 'email'] });
    const granted = mergeGrant([], request.scopes);

    // The code goes back to the exact loopback redirect with iss and state.
    const { code, key } = await newAuthorizationCode();
    const grant: AuthorizationCodeGrant = {
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      scopes: granted,
      codeChallenge: request.codeChallenge,
      userId: user.id,
      sessionId: session.id,
      authTime: session.authTime,
      amr: session.amr,
      nonce: request.nonce,
      issuedAt: t0 + 5,
      expiresAt: t0 + 65,
    };
    const callback = new URL(
      buildRedirectUrl(request.redirectUri, authorizationResponseParams(ISSUER, { code }, request.state)),
    );
    expect(callback.origin + callback.pathname).toBe(redirectUri);
    const params = oauth.validateAuthResponse(as, rp, callback, state);
    const received = params.get('code')!;

    // Token endpoint: the code is found by its hash and redeemed with the verifier.
    expect(await codeKey(received)).toBe(key);
    expect(
      await checkCodeRedemption(grant, { clientId: rp.client_id, redirectUri, codeVerifier: verifier, now: t0 + 10 }),
    ).toEqual({ ok: true });

    const { privateKey } = await jose.generateKeyPair('ES256');
    const accessToken = 'opaque-or-jwt-access-token';
    const claims = await buildIdTokenClaims({
      issuer: ISSUER,
      user,
      clientId: grant.clientId,
      scopes: grant.scopes,
      now: t0 + 10,
      authTime: grant.authTime,
      nonce: grant.nonce,
      amr: grant.amr,
      sessionId: grant.sessionId,
      accessToken,
      alg: 'ES256',
    });
    const idToken = await new jose.SignJWT(claims).setProtectedHeader(idTokenHeader('ES256', 'k1')).sign(privateKey);
    const tokenResponse = new Response(
      JSON.stringify({
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: 600,
        id_token: idToken,
        scope: 'openid email',
      }),
      { headers: { 'content-type': 'application/json' } },
    );
    const result = await oauth.processAuthorizationCodeResponse(as, rp, tokenResponse, {
      expectedNonce: nonce,
      maxAge: 600,
    });
    const idClaims = oauth.getValidatedIdTokenClaims(result)!;
    expect(idClaims.sub).toBe('usr_1');

    // UserInfo for the same subject.
    const info = await oauth.processUserInfoResponse(
      as,
      rp,
      idClaims.sub,
      new Response(JSON.stringify(userInfoResponse(user, grant.scopes)), {
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(info).toEqual({ sub: 'usr_1', email: 'Jane@Example.com', email_verified: true });
  });
});
