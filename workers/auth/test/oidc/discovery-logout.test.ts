import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { authorizationServerMetadata } from '../../src/discovery/domain/metadata.js';
import { openIdProviderMetadata } from '../../src/oidc/domain/discovery.js';
import { decideLogout, type LogoutClient, readLogoutRequest } from '../../src/oidc/domain/logout.js';

const ISSUER = 'https://auth.example.com';

function providerMetadata() {
  const base = authorizationServerMetadata({
    issuer: ISSUER,
    baseUrl: ISSUER,
    signingAlg: 'ES256',
    registrationEnabled: true,
    scopesSupported: ['read', 'write'],
  });
  return openIdProviderMetadata(base, {
    baseUrl: ISSUER,
    signingAlg: 'ES256',
    apiScopes: ['read', 'write'],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  });
}

describe('OpenID Provider metadata', () => {
  it('advertises exactly the code flow this server implements', () => {
    const doc = providerMetadata();
    expect(doc).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      userinfo_endpoint: `${ISSUER}/oauth/userinfo`,
      end_session_endpoint: `${ISSUER}/oauth/logout`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      registration_endpoint: `${ISSUER}/oauth/register`,
      scopes_supported: ['openid', 'profile', 'email', 'offline_access', 'read', 'write'],
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'form_post'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      claims_parameter_supported: false,
    });
    for (const claim of ['sub', 'email', 'email_verified', 'name', 'auth_time', 'nonce', 'sid', 'at_hash']) {
      expect(doc.claims_supported).toContain(claim);
    }
    expect(doc.id_token_signing_alg_values_supported).not.toContain('none');
    expect(doc.response_types_supported).not.toContain('token');
  });

  it('is accepted by a strict relying party library (issuer equality, required members)', async () => {
    const doc = providerMetadata();
    const response = new Response(JSON.stringify(doc), { headers: { 'content-type': 'application/json' } });
    const as = await oauth.processDiscoveryResponse(new URL(ISSUER), response);
    expect(as.authorization_endpoint).toBe(`${ISSUER}/oauth/authorize`);
    const other = new Response(JSON.stringify(doc), { headers: { 'content-type': 'application/json' } });
    await expect(oauth.processDiscoveryResponse(new URL('https://other.example.com'), other)).rejects.toThrow();
  });
});

describe('RP-initiated logout', () => {
  const client: LogoutClient = { clientId: 'client-1', postLogoutRedirectUris: ['https://rp.example.com/bye'] };
  const session = { id: 'sid-1', userId: 'usr-1' };
  const hint = { sub: 'usr-1', clientId: 'client-1', sid: 'sid-1' };
  const read = (q: string) => {
    const r = readLogoutRequest(new URLSearchParams(q));
    if ('kind' in r) throw new Error(r.description);
    return r;
  };

  it('logs out without asking when the hint names the current session, and redirects with state', () => {
    const req = read('id_token_hint=x&post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fbye&state=s1');
    expect(decideLogout(req, { hint, client, session })).toEqual({
      kind: 'logout',
      redirectUri: 'https://rp.example.com/bye',
      state: 's1',
      clientId: 'client-1',
      sessionId: 'sid-1',
    });
  });

  it('asks for confirmation otherwise (logout CSRF)', () => {
    expect(decideLogout(read(''), { hint: undefined, client: undefined, session })).toEqual({
      kind: 'confirm',
      sessionId: 'sid-1',
    });
    const req = read('client_id=client-1&post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fbye');
    expect(decideLogout(req, { hint: undefined, client, session })).toMatchObject({ kind: 'confirm' });
    // A hint for the same user from another session (or one without sid) is not enough.
    expect(decideLogout(read('id_token_hint=x'), { hint: { ...hint, sid: 'old' }, client, session }).kind).toBe(
      'confirm',
    );
    const noSid = { sub: 'usr-1', clientId: 'client-1' };
    expect(decideLogout(read('id_token_hint=x'), { hint: noSid, client, session }).kind).toBe('confirm');
    expect(decideLogout(read('id_token_hint=x'), { hint: { ...hint, sub: 'usr-2' }, client, session }).kind).toBe(
      'confirm',
    );
  });

  it('never redirects to an unregistered or unattributable URI', () => {
    const cases: [string, Parameters<typeof decideLogout>[1]][] = [
      ['post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fbye', { hint: undefined, client: undefined, session }],
      [
        'client_id=client-1&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2Fbye',
        { hint: undefined, client, session },
      ],
      [
        'client_id=client-1&post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fbye%2F',
        { hint: undefined, client, session },
      ],
      [
        'client_id=client-1&post_logout_redirect_uri=https%3A%2F%2Frp.example.com%2Fbye',
        { hint: 'invalid', client, session },
      ],
      ['client_id=client-2&id_token_hint=x', { hint, client, session }],
      ['client_id=client-9', { hint: undefined, client: undefined, session }],
    ];
    for (const [q, ctx] of cases) expect(decideLogout(read(q), ctx).kind, q).toBe('error-page');
  });

  it('refuses repeated parameters', () => {
    const r = readLogoutRequest(new URLSearchParams('state=a&state=b'));
    expect(r).toMatchObject({ kind: 'error-page' });
  });

  it('drops state when there is nowhere to send it', () => {
    const d = decideLogout(read('state=s1'), { hint: undefined, client: undefined, session: undefined });
    expect(d).toEqual({ kind: 'logout' });
  });
});
