/// <reference types="@cloudflare/vitest-pool-workers/types" />
// Requests through the real Worker (SELF) for everything that needs no Postgres or Redis: discovery, request
// validation at the OAuth endpoints, and the fail-closed admin authorization. The bindings (vitest.config.ts)
// point the data plane at a closed port, so a handler that reached for storage too early would answer 503.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

const BASE = 'https://auth.example.com';
const form = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body,
});

async function oauthError(res: Response, status: number, error: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = (await res.json()) as Record<string, string>;
  expect(body.error).toBe(error);
  return body;
}

describe('discovery', () => {
  it('serves RFC 8414 metadata advertising only what is implemented', async () => {
    const res = await SELF.fetch(`${BASE}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await res.json()).toEqual({
      issuer: 'https://auth.example.com',
      token_endpoint: 'https://auth.example.com/oauth/token',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      registration_endpoint: 'https://auth.example.com/oauth/register',
      scopes_supported: ['read', 'write'],
      authorization_endpoint: 'https://auth.example.com/oauth/authorize',
      response_types_supported: ['code'],
      response_modes_supported: ['query', 'form_post'],
      grant_types_supported: ['authorization_code', 'client_credentials'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint: 'https://auth.example.com/oauth/introspect',
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: 'https://auth.example.com/oauth/revoke',
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      access_token_signing_alg_values_supported: ['ES256'],
    });
  });

  it('serves the OpenID Provider configuration: the endpoints and parameters that are built, nothing more', async () => {
    const doc = (await (await SELF.fetch(`${BASE}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(doc.issuer).toBe('https://auth.example.com');
    expect(doc.grant_types_supported).toEqual(['authorization_code', 'client_credentials']);
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(doc.authorization_endpoint).toBe('https://auth.example.com/oauth/authorize');
    expect(doc.userinfo_endpoint).toBe('https://auth.example.com/oauth/userinfo');
    expect(doc.end_session_endpoint).toBe('https://auth.example.com/oauth/logout');
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.subject_types_supported).toEqual(['public']);
    expect(doc.scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access', 'read', 'write']);
    expect(doc.authorization_response_iss_parameter_supported).toBe(true);
    expect(doc.request_parameter_supported).toBe(false);
    expect(doc.request_uri_parameter_supported).toBe(false);
    expect(doc.claims_parameter_supported).toBe(false);
    expect(doc.backchannel_logout_supported).toBe(false);
  });
});

describe('token endpoint request validation', () => {
  it('rejects a JSON body with 400 invalid_request', async () => {
    const res = await SELF.fetch(`${BASE}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    await oauthError(res, 400, 'invalid_request');
  });

  it('rejects a duplicated parameter', async () => {
    const res = await SELF.fetch(
      `${BASE}/oauth/token`,
      form('grant_type=client_credentials&grant_type=client_credentials'),
    );
    const body = await oauthError(res, 400, 'invalid_request');
    expect(body.error_description).toMatch(/grant_type/);
    const scope = await SELF.fetch(`${BASE}/oauth/token`, form('grant_type=client_credentials&scope=a&scope=b'));
    await oauthError(scope, 400, 'invalid_request');
  });

  it('requires grant_type and supports only client_credentials and authorization_code', async () => {
    await oauthError(await SELF.fetch(`${BASE}/oauth/token`, form('scope=read')), 400, 'invalid_request');
    await oauthError(await SELF.fetch(`${BASE}/oauth/token`, form('grant_type=')), 400, 'invalid_request');
    for (const grant of ['password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
      await oauthError(
        await SELF.fetch(`${BASE}/oauth/token`, form(`grant_type=${encodeURIComponent(grant)}`)),
        400,
        'unsupported_grant_type',
      );
    }
  });

  it('answers 413 for an oversized body', async () => {
    const res = await SELF.fetch(
      `${BASE}/oauth/token`,
      form(`grant_type=client_credentials&scope=${'a'.repeat(70_000)}`),
    );
    await oauthError(res, 413, 'invalid_request');
  });

  it('answers a malformed Basic header with 401 invalid_client and a Basic challenge', async () => {
    for (const authorization of ['Basic !!!', 'Basic', `Basic ${btoa('nocolon')}`, 'Bearer abc']) {
      const res = await SELF.fetch(`${BASE}/oauth/token`, form('grant_type=client_credentials', { authorization }));
      await oauthError(res, 401, 'invalid_client');
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    }
  });

  it('refuses Basic and client_secret_post together', async () => {
    const res = await SELF.fetch(
      `${BASE}/oauth/token`,
      form('grant_type=client_credentials&client_secret=x', { authorization: `Basic ${btoa('id:secret')}` }),
    );
    await oauthError(res, 400, 'invalid_request');
  });

  it('requires client authentication at introspection and revocation', async () => {
    for (const path of ['/oauth/introspect', '/oauth/revoke']) {
      const res = await SELF.fetch(`${BASE}${path}`, form('token=abc'));
      await oauthError(res, 401, 'invalid_client');
    }
  });
});

describe('registration access control', () => {
  it('requires the initial access token when one is configured', async () => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    const missing = await SELF.fetch(`${BASE}/oauth/register`, init);
    await oauthError(missing, 401, 'invalid_token');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await SELF.fetch(`${BASE}/oauth/register`, {
      ...init,
      headers: { ...init.headers, authorization: 'Bearer not-the-registration-token' },
    });
    await oauthError(wrong, 401, 'invalid_token');
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('validates metadata after authorization, before any storage', async () => {
    const res = await SELF.fetch(`${BASE}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer registration-token-for-unit-tests' },
      body: JSON.stringify({ grant_types: ['password'] }),
    });
    await oauthError(res, 400, 'invalid_client_metadata');
    const codeWithoutRedirect = await SELF.fetch(`${BASE}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer registration-token-for-unit-tests' },
      body: JSON.stringify({ grant_types: ['authorization_code'] }),
    });
    await oauthError(codeWithoutRedirect, 400, 'invalid_redirect_uri');
    const redirect = await SELF.fetch(`${BASE}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer registration-token-for-unit-tests' },
      body: JSON.stringify({ redirect_uris: ['http://evil.example.com/cb'] }),
    });
    await oauthError(redirect, 400, 'invalid_redirect_uri');
  });
});

describe('admin key endpoints fail closed', () => {
  const rotate = (requestId: string, authorization = 'Bearer bootstrap-token-for-unit-tests') =>
    SELF.fetch(`${BASE}/admin/keys/rotate`, { method: 'POST', headers: { authorization, 'x-request-id': requestId } });

  it('requires an admin credential', async () => {
    const res = await SELF.fetch(`${BASE}/admin/keys/rotate`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 403 on Deny', async () => {
    expect((await rotate('policy-deny')).status).toBe(403);
    expect(
      (
        await SELF.fetch(`${BASE}/admin/keys/maintain`, {
          method: 'POST',
          headers: { authorization: 'Bearer bootstrap-token-for-unit-tests', 'x-request-id': 'policy-deny' },
        })
      ).status,
    ).toBe(403);
  });

  it('answers 503 when the policy service errors, times out or answers something that is not a decision', async () => {
    expect((await rotate('policy-error')).status).toBe(503);
    expect((await rotate('policy-odd')).status).toBe(503);
    const started = Date.now();
    expect((await rotate('policy-slow')).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('goes on to the key store only after an Allow (here unreachable: 503, not a 500)', async () => {
    const res = await rotate('policy-allow');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/database/);
  });
});
