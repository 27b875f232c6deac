import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import {
  type AuthorizationCodeGrant,
  checkCodeRedemption,
  codeKey,
  newAuthorizationCode,
} from '../../src/authorize/domain/authorization-code.js';
import { authorizationResponseParams, buildRedirectUrl } from '../../src/authorize/domain/authorization-response.js';
import { s256Challenge } from '../../src/authorize/domain/pkce.js';

const ISSUER = 'https://auth.example.com';

describe('authorization response', () => {
  it('adds code, state and iss to the query, keeping the registered query', () => {
    const params = authorizationResponseParams(ISSUER, { code: 'abc' }, 'xyz & more');
    expect(buildRedirectUrl('https://rp.example.com/cb', params)).toBe(
      'https://rp.example.com/cb?code=abc&state=xyz+%26+more&iss=https%3A%2F%2Fauth.example.com',
    );
    expect(buildRedirectUrl('https://rp.example.com/cb?tenant=a', params)).toBe(
      'https://rp.example.com/cb?tenant=a&code=abc&state=xyz+%26+more&iss=https%3A%2F%2Fauth.example.com',
    );
    expect(buildRedirectUrl('https://rp.example.com/cb?', [['code', 'x']])).toBe('https://rp.example.com/cb?code=x');
    expect(buildRedirectUrl('com.example.app:/cb', [['code', 'x']])).toBe('com.example.app:/cb?code=x');
  });

  it('omits state when none was sent, and never carries a fragment', () => {
    expect(authorizationResponseParams(ISSUER, { error: 'access_denied' }, undefined)).toEqual([
      ['error', 'access_denied'],
      ['iss', ISSUER],
    ]);
    expect(() => buildRedirectUrl('https://rp.example.com/cb#x', [['code', 'x']])).toThrow();
  });

  it('cannot be bent by hostile state values', () => {
    const state = '&code=evil#frag\r\n<script>';
    const url = new URL(
      buildRedirectUrl('https://rp.example.com/cb', authorizationResponseParams(ISSUER, { code: 'good' }, state)),
    );
    expect(url.hash).toBe('');
    expect(url.searchParams.getAll('code')).toEqual(['good']);
    expect(url.searchParams.get('state')).toBe(state);
  });

  it('is accepted by a strict relying party (oauth4webapi, RFC 9207 iss check)', () => {
    const as: oauth.AuthorizationServer = { issuer: ISSUER, authorization_response_iss_parameter_supported: true };
    const client: oauth.Client = { client_id: 'client-1' };
    const ok = new URL(
      buildRedirectUrl('https://rp.example.com/cb', authorizationResponseParams(ISSUER, { code: 'c0de' }, 'st')),
    );
    expect(oauth.validateAuthResponse(as, client, ok, 'st').get('code')).toBe('c0de');
    const err = new URL(
      buildRedirectUrl(
        'https://rp.example.com/cb',
        authorizationResponseParams(ISSUER, { error: 'access_denied', error_description: 'no' }, 'st'),
      ),
    );
    expect(() => oauth.validateAuthResponse(as, client, err, 'st')).toThrow(/access_denied|authorization response/i);
    // A response from another issuer (mix-up) is refused by the client thanks to iss.
    const mixed = new URL(
      buildRedirectUrl(
        'https://rp.example.com/cb',
        authorizationResponseParams('https://evil.example', { code: 'c' }, 'st'),
      ),
    );
    expect(() => oauth.validateAuthResponse(as, client, mixed, 'st')).toThrow();
  });
});

describe('authorization code redemption', () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  async function grant(overrides: Partial<AuthorizationCodeGrant> = {}): Promise<AuthorizationCodeGrant> {
    return {
      clientId: 'client-1',
      redirectUri: 'http://127.0.0.1:53682/cb',
      scopes: ['openid'],
      codeChallenge: await s256Challenge(verifier),
      userId: 'user-1',
      sessionId: 'session-1',
      authTime: 1000,
      amr: ['pwd'],
      issuedAt: 1000,
      expiresAt: 1060,
      ...overrides,
    };
  }
  const request = { clientId: 'client-1', redirectUri: 'http://127.0.0.1:53682/cb', codeVerifier: verifier, now: 1010 };

  it('issues 256-bit codes stored by their hash only', async () => {
    const { code, key } = await newAuthorizationCode();
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(code);
    expect(await codeKey(code)).toBe(key);
    expect(await codeKey(`${code}x`)).toBeUndefined();
    expect(await codeKey(undefined)).toBeUndefined();
    expect((await newAuthorizationCode()).code).not.toBe(code);
  });

  it('accepts the request that matches the grant', async () => {
    expect(await checkCodeRedemption(await grant(), request)).toEqual({ ok: true });
  });

  it('refuses every mismatch with invalid_grant', async () => {
    const g = await grant();
    const cases: [Partial<typeof request>, string][] = [
      [{ now: 1060 }, 'the code has expired'],
      [{ clientId: 'client-2' }, 'the code was issued to another client'],
      [{ redirectUri: 'http://127.0.0.1:1/cb' }, 'redirect_uri does not match the authorization request'],
      [{ redirectUri: undefined }, 'redirect_uri does not match the authorization request'],
      [{ codeVerifier: undefined }, 'code_verifier is required'],
      [{ codeVerifier: 'x'.repeat(43) }, 'code_verifier does not match'],
      [{ codeVerifier: g.codeChallenge }, 'code_verifier does not match'],
    ];
    for (const [change, description] of cases) {
      expect(await checkCodeRedemption(g, { ...request, ...change }), description).toEqual({
        ok: false,
        error: 'invalid_grant',
        description,
        revokeTokenIds: [],
      });
    }
  });

  it('refuses a replay and names the tokens to revoke', async () => {
    const used = await grant({ consumedAt: 1005, issuedTokenIds: ['at-1', 'rt-1'] });
    expect(await checkCodeRedemption(used, request)).toEqual({
      ok: false,
      error: 'invalid_grant',
      description: 'the code has already been used',
      revokeTokenIds: ['at-1', 'rt-1'],
    });
  });
});
