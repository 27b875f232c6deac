import { createHash } from 'node:crypto';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { AccessTokenError, type SigningKey, verifyAccessToken } from '../../src/tokens/domain/access-token.js';
import { type EndUser, userInfoResponse } from '../../src/oidc/domain/claims.js';
import {
  buildIdTokenClaims,
  type IdTokenAlg,
  type IdTokenClaims,
  idTokenHeader,
  leftHalfHash,
} from '../../src/oidc/domain/id-token.js';

const ISSUER = 'https://auth.example.com';
const NOW = Math.floor(Date.now() / 1000);
const user: EndUser = {
  id: 'usr_7f3c2a',
  email: 'jane@example.com',
  emailVerified: true,
  name: 'Jane Doe',
  givenName: 'Jane',
  familyName: '',
  updatedAt: 1_700_000_000,
};

async function keyPair(alg: IdTokenAlg) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg === 'ES256' ? 'ES256' : 'Ed25519');
  return { privateKey, publicKey };
}

async function sign(claims: IdTokenClaims, alg: IdTokenAlg, privateKey: CryptoKey, kid = 'k1'): Promise<string> {
  return new jose.SignJWT(claims).setProtectedHeader(idTokenHeader(alg, kid)).sign(privateKey);
}

function tokenResponse(idToken: string, accessToken = 'at-123'): Response {
  return new Response(
    JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 600, id_token: idToken }),
    {
      headers: { 'content-type': 'application/json' },
    },
  );
}

const as: oauth.AuthorizationServer = { issuer: ISSUER };
const client: oauth.Client = { client_id: 'client-1', id_token_signed_response_alg: 'ES256' };

describe('ID token claims', () => {
  it('has the required claims, echoes the nonce and names the session', async () => {
    const claims = await buildIdTokenClaims({
      issuer: ISSUER,
      user,
      clientId: 'client-1',
      scopes: ['openid', 'profile', 'email'],
      now: NOW,
      authTime: NOW - 30,
      nonce: 'n-0S6_WzA2Mj',
      amr: ['pwd'],
      acr: 'urn:example:loa:1',
      sessionId: 'sid-1',
      accessToken: 'at-123',
      alg: 'ES256',
    });
    expect(claims).toEqual({
      iss: ISSUER,
      sub: 'usr_7f3c2a',
      aud: 'client-1',
      exp: NOW + 300,
      iat: NOW,
      auth_time: NOW - 30,
      nonce: 'n-0S6_WzA2Mj',
      acr: 'urn:example:loa:1',
      amr: ['pwd'],
      sid: 'sid-1',
      at_hash: await leftHalfHash('at-123', 'ES256'),
    });
    // Scope claims are for UserInfo when an access token is issued; the subject is never the email.
    expect(claims).not.toHaveProperty('email');
    expect(JSON.stringify(claims)).not.toContain('jane@example.com');
  });

  it('omits the nonce when none was sent and adds azp for several audiences', async () => {
    const claims = await buildIdTokenClaims({
      issuer: ISSUER,
      user,
      clientId: 'client-1',
      extraAudiences: ['client-1', 'https://api.example.com'],
      scopes: ['openid'],
      now: NOW,
      authTime: NOW,
      alg: 'ES256',
    });
    expect(claims).not.toHaveProperty('nonce');
    expect(claims.aud).toEqual(['client-1', 'https://api.example.com']);
    expect(claims.azp).toBe('client-1');
  });

  it('carries scope claims itself when no access token is issued, or when asked', async () => {
    const base = {
      issuer: ISSUER,
      user,
      clientId: 'c',
      scopes: ['openid', 'email'],
      now: NOW,
      authTime: NOW,
      alg: 'ES256' as const,
    };
    expect(await buildIdTokenClaims(base)).toMatchObject({ email: 'jane@example.com', email_verified: true });
    expect(await buildIdTokenClaims({ ...base, accessToken: 'x', claimsInIdToken: true })).toMatchObject({
      email: 'jane@example.com',
    });
  });

  it('computes at_hash as the left half of the algorithm family hash', async () => {
    const token = 'jHkWEdUXMU1BwAsC4vtUsZwnNqa5M8_7sV8JGeE7ydrC';
    const left = (h: string) =>
      createHash(h)
        .update(token)
        .digest()
        .subarray(0, h === 'sha256' ? 16 : 32)
        .toString('base64url');
    expect(await leftHalfHash(token, 'ES256')).toBe(left('sha256'));
    expect(await leftHalfHash(token, 'EdDSA')).toBe(left('sha512'));
  });

  for (const alg of ['ES256', 'EdDSA'] as const) {
    it(`signed with ${alg}, passes a strict relying party (oauth4webapi) and jose with typ JWT`, async () => {
      const { privateKey, publicKey } = await keyPair(alg);
      const claims = await buildIdTokenClaims({
        issuer: ISSUER,
        user,
        clientId: 'client-1',
        scopes: ['openid'],
        now: NOW,
        authTime: NOW - 100,
        nonce: 'nonce-1',
        sessionId: 'sid-1',
        accessToken: 'at-123',
        alg,
      });
      const idToken = await sign(claims, alg, privateKey);
      const verified = await jose.jwtVerify(idToken, publicKey, { issuer: ISSUER, audience: 'client-1', typ: 'JWT' });
      expect(verified.payload.sub).toBe('usr_7f3c2a');

      const rp = { ...client, id_token_signed_response_alg: alg };
      const result = await oauth.processAuthorizationCodeResponse(as, rp, tokenResponse(idToken), {
        expectedNonce: 'nonce-1',
        maxAge: 600,
      });
      expect(oauth.getValidatedIdTokenClaims(result)?.sid).toBe('sid-1');
      // The same relying party refuses a replayed token for another nonce, or an auth_time older than max_age
      // (beyond its 30 s clock tolerance).
      await expect(
        oauth.processAuthorizationCodeResponse(as, rp, tokenResponse(idToken), { expectedNonce: 'other' }),
      ).rejects.toThrow();
      await expect(
        oauth.processAuthorizationCodeResponse(as, rp, tokenResponse(idToken), {
          expectedNonce: 'nonce-1',
          maxAge: 50,
        }),
      ).rejects.toThrow();
    });
  }

  it('cannot be used as an access token, even signed by the same key', async () => {
    const { privateKey, publicKey } = await keyPair('ES256');
    const claims = await buildIdTokenClaims({
      issuer: ISSUER,
      user,
      clientId: 'client-1',
      scopes: ['openid'],
      now: NOW,
      authTime: NOW,
      alg: 'ES256',
    });
    // Give it every access-token claim too: only the header must make the difference.
    const idToken = await sign({ ...claims, jti: 'j', client_id: 'client-1' }, 'ES256', privateKey, 'k1');
    const key: SigningKey & { publicKey: CryptoKey } = { kid: 'k1', alg: 'ES256', privateKey, publicKey };
    await expect(
      verifyAccessToken(idToken, { issuer: ISSUER, now: NOW, key: (kid) => (kid === 'k1' ? key : undefined) }),
    ).rejects.toThrow(AccessTokenError);
    await expect(verifyAccessToken(idToken, { issuer: ISSUER, now: NOW, key: () => key })).rejects.toMatchObject({
      code: 'ERR_JWT_TYP_INVALID',
    });
  });
});

describe('UserInfo', () => {
  it('releases sub plus the claims of the granted scopes, omitting empty ones', () => {
    expect(userInfoResponse(user, ['openid'])).toEqual({ sub: 'usr_7f3c2a' });
    expect(userInfoResponse(user, ['openid', 'email'])).toEqual({
      sub: 'usr_7f3c2a',
      email: 'jane@example.com',
      email_verified: true,
    });
    expect(userInfoResponse(user, ['openid', 'profile', 'unknown'])).toEqual({
      sub: 'usr_7f3c2a',
      name: 'Jane Doe',
      given_name: 'Jane',
      updated_at: 1_700_000_000,
    });
  });

  it('has nothing for a token issued without openid', () => {
    expect(userInfoResponse(user, ['email', 'profile'])).toBeUndefined();
  });

  it('is accepted by a relying party that checks sub against the ID token', async () => {
    const body = userInfoResponse(user, ['openid', 'email'])!;
    const response = new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
    const info = await oauth.processUserInfoResponse(as, client, 'usr_7f3c2a', response);
    expect(info.email).toBe('jane@example.com');
    const mismatch = new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
    await expect(oauth.processUserInfoResponse(as, client, 'someone-else', mismatch)).rejects.toThrow();
  });
});
