/**
 * The token service as a black box: oauth4webapi drives the real auth Worker under workerd, on real Postgres and
 * Redis, through discovery, RFC 7591 registration, client_credentials (basic and post), RFC 9068 token
 * verification against the JWKS with jose, introspection, revocation and key rotation; then the negative cases,
 * each with the exact RFC error and status.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicHeader,
  clientCredentials,
  decodeJwt,
  decryptStoredKey,
  eventually,
  insecure,
  introspect,
  postForm,
  type RegisteredClient,
  register,
  securityEvents,
  signEs256,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

let tp: TokenPlatform;
let basicClient: RegisteredClient;
let postClient: RegisteredClient;
let url: (path: string) => string;

beforeAll(async () => {
  tp = await startTokenPlatform({ KEY_PUBLISH_LEAD_SECONDS: '2', SIGNING_KEY_CHECK_MS: '300' });
  url = (path) => `${tp.platform.urls.auth}${path}`;
  basicClient = await register(tp, {
    client_name: 'billing service',
    scope: 'read write',
    allowed_resources: ['https://api.example.com', 'https://reports.example.com'],
  });
  postClient = await register(tp, {
    client_name: 'post client',
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'read',
    access_token_lifetime: 120,
  });
}, 120_000);

afterAll(async () => {
  await tp?.stop();
});

describe('discovery', () => {
  it('publishes RFC 8414 metadata whose issuer matches exactly', async () => {
    expect(tp.as.issuer).toBe(tp.platform.urls.auth);
    expect(tp.as.token_endpoint).toBe(url('/oauth/token'));
    expect(tp.as.jwks_uri).toBe(url('/.well-known/jwks.json'));
    expect(tp.as.registration_endpoint).toBe(url('/oauth/register'));
    expect(tp.as.introspection_endpoint).toBe(url('/oauth/introspect'));
    expect(tp.as.revocation_endpoint).toBe(url('/oauth/revoke'));
    expect(tp.as.grant_types_supported).toEqual(['authorization_code', 'client_credentials']);
    expect(tp.as.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    expect(tp.as.scopes_supported).toEqual(['read', 'write', 'admin']);
    expect(tp.as.response_types_supported).toEqual(['code']);
    expect(tp.as.authorization_endpoint).toBe(url('/oauth/authorize'));
  });

  it('answers OIDC discovery with the same issuer', async () => {
    const doc = await oauth.processDiscoveryResponse(tp.issuer, await oauth.discoveryRequest(tp.issuer, insecure));
    expect(doc.issuer).toBe(tp.as.issuer);
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(doc.userinfo_endpoint).toBe(url('/oauth/userinfo'));
  });
});

describe('registration (RFC 7591) and client_credentials', () => {
  it('returns 256-bit credentials once and stores only hashes', async () => {
    expect(basicClient.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(basicClient.registration_access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(basicClient.client_secret_expires_at).toBe(0);
    expect(basicClient.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(basicClient.grant_types).toEqual(['client_credentials']);
    expect(basicClient.registration_client_uri).toBe(url(`/oauth/register/${basicClient.client_id}`));
    const rows = await tp.sql<Record<string, string>>('select * from oauth_clients where client_id = $1', [
      basicClient.client_id,
    ]);
    const stored = JSON.stringify(rows);
    expect(rows).toHaveLength(1);
    expect(stored).not.toContain(basicClient.client_secret);
    expect(stored).not.toContain(basicClient.registration_access_token);
    expect(rows[0]?.client_secret_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('issues an RFC 9068 access token with client_secret_basic, verifiable with jose against the JWKS', async () => {
    const { token, response } = await clientCredentials(tp, basicClient, {
      scope: 'read',
      resource: 'https://api.example.com',
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(token.token_type).toBe('bearer');
    expect(token.expires_in).toBe(600);
    expect(token.scope).toBe('read');

    const jwks = createRemoteJWKSet(new URL(tp.as.jwks_uri as string));
    const { payload, protectedHeader } = await jwtVerify(token.access_token, jwks, {
      typ: 'at+jwt',
      issuer: tp.as.issuer,
      audience: 'https://api.example.com',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBeTypeOf('string');
    expect(payload.sub).toBe(basicClient.client_id);
    expect(payload.client_id).toBe(basicClient.client_id);
    expect(payload.scope).toBe('read');
    expect(payload.aud).toBe('https://api.example.com');
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);

    // A resource server using oauth4webapi's RFC 9068 validation accepts it too.
    const claims = await oauth.validateJwtAccessToken(
      tp.as,
      new Request('https://api.example.com/x', { headers: { authorization: `Bearer ${token.access_token}` } }),
      'https://api.example.com',
      insecure,
    );
    expect(claims.client_id).toBe(basicClient.client_id);
  });

  it('issues with client_secret_post, with the per-client lifetime and the registered scope by default', async () => {
    const { token } = await clientCredentials(tp, postClient, {}, 'post');
    expect(token.expires_in).toBe(120);
    expect(token.scope).toBe('read');
    const { claims } = decodeJwt(token.access_token);
    expect(claims.exp - claims.iat).toBe(120);
    expect(claims.aud).toBe(tp.as.issuer);
  });

  it('maps several resource parameters to several audiences', async () => {
    const res = await postForm(
      url('/oauth/token'),
      'grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com&resource=https%3A%2F%2Freports.example.com',
      { authorization: basicHeader(basicClient.client_id, basicClient.client_secret) },
    );
    expect(res.status).toBe(200);
    expect(decodeJwt(res.json?.access_token).claims.aud).toEqual([
      'https://api.example.com',
      'https://reports.example.com',
    ]);
    expect(res.json?.scope).toBe('read write');
  });

  it('records security events in the Redis stream', async () => {
    const entries = await eventually(async () => {
      const list = await securityEvents(tp);
      return list.some((e) => e.type === 'token.issued') ? list : undefined;
    }, 3000);
    const types = new Set(entries?.map((e) => e.type));
    expect(types.has('client.registered')).toBe(true);
    expect(types.has('token.issued')).toBe(true);
    const issued = entries?.find((e) => e.type === 'token.issued' && e.client_id === basicClient.client_id);
    expect(issued).toMatchObject({ outcome: 'success', service: 'auth' });
    expect(issued?.request_id).toBeTruthy();
    expect(JSON.stringify(entries)).not.toContain(basicClient.client_secret);
  });
});

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  it('reports a token active, then inactive once its owner revokes it', async () => {
    const { token } = await clientCredentials(tp, basicClient, { scope: 'write', resource: 'https://api.example.com' });
    const before = await introspect(tp, postClient, token.access_token);
    expect(before.response.headers.get('cache-control')).toBe('no-store');
    expect(before.body).toMatchObject({
      active: true,
      client_id: basicClient.client_id,
      sub: basicClient.client_id,
      scope: 'write',
      aud: 'https://api.example.com',
      iss: tp.as.issuer,
      token_type: 'Bearer',
    });

    // Another client cannot revoke it: RFC 7009 §2.1 refusal (400 unauthorized_client), and nothing changes.
    const foreign = await oauth.revocationRequest(
      tp.as,
      { client_id: postClient.client_id },
      oauth.ClientSecretPost(postClient.client_secret),
      token.access_token,
      insecure,
    );
    expect(foreign.status).toBe(400);
    await expect(oauth.processRevocationResponse(foreign)).rejects.toMatchObject({ error: 'unauthorized_client' });
    expect((await introspect(tp, postClient, token.access_token)).body.active).toBe(true);

    const revoked = await oauth.revocationRequest(
      tp.as,
      { client_id: basicClient.client_id },
      oauth.ClientSecretBasic(basicClient.client_secret),
      token.access_token,
      insecure,
    );
    expect(revoked.status).toBe(200);
    await oauth.processRevocationResponse(revoked);

    const after = await introspect(tp, postClient, token.access_token);
    expect(await after.response.clone().json()).toEqual({ active: false });

    // Durable record in Postgres, and a member of the Redis denylist scored by the token's expiry (maintenance
    // drops members whose score has passed).
    const { jti, exp } = decodeJwt(token.access_token).claims as { jti: string; exp: number };
    const rows = await tp.sql('select jti, client_id from revoked_tokens where jti = $1', [jti]);
    expect(rows).toEqual([{ jti, client_id: basicClient.client_id }]);
    const [score] = (await tp.platform.redis.zmscore(`${tp.platform.redisPrefix}revoked`, [jti])) ?? [];
    expect(Number(score)).toBe(exp);
  });

  it('answers 200 to revocation of unknown or malformed tokens', async () => {
    for (const token of ['not-a-token', 'a.b.c']) {
      const res = await postForm(url('/oauth/revoke'), `token=${token}`, {
        authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
      });
      expect(res.status).toBe(200);
    }
  });

  it('reports tampered, alg:none, expired, wrongly typed and foreign-issuer tokens as {"active": false}', async () => {
    const { token } = await clientCredentials(tp, basicClient, { scope: 'read', resource: 'https://api.example.com' });
    const { header, claims } = decodeJwt(token.access_token);
    const [h, , s] = token.access_token.split('.');
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const privateJwk = await decryptStoredKey(tp, header.kid);
    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, string> = {
      tampered: `${h}.${enc({ ...claims, scope: 'read write admin' })}.${s}`,
      'alg none': `${enc({ alg: 'none', typ: 'at+jwt', kid: header.kid })}.${enc(claims)}.`,
      'alg none with a signature': `${enc({ alg: 'none', typ: 'at+jwt', kid: header.kid })}.${enc(claims)}.${s}`,
      expired: await signEs256(privateJwk, header, { ...claims, iat: now - 700, exp: now - 100 }),
      'wrong typ': await signEs256(privateJwk, { ...header, typ: 'JWT' }, claims),
      'foreign issuer': await signEs256(privateJwk, header, { ...claims, iss: 'https://evil.example.com' }),
      'unknown kid': await signEs256(privateJwk, { ...header, kid: 'no-such-key' }, claims),
      garbage: 'garbage',
    };
    // Sanity: the same key and claims, correctly formed, are active; so each case fails for its own reason.
    const control = await signEs256(privateJwk, header, claims);
    expect((await introspect(tp, postClient, control)).body.active).toBe(true);
    for (const [name, forged] of Object.entries(cases)) {
      const res = await postForm(url('/oauth/introspect'), new URLSearchParams({ token: forged }).toString(), {
        authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
      });
      expect(res.status, name).toBe(200);
      expect(res.json, name).toEqual({ active: false });
    }
  });

  it('requires client authentication and a token parameter', async () => {
    const unauth = await postForm(url('/oauth/introspect'), 'token=x');
    expect(unauth.status).toBe(401);
    expect(unauth.json?.error).toBe('invalid_client');
    const missing = await postForm(
      url('/oauth/introspect'),
      `token_type_hint=access_token&client_id=${postClient.client_id}&client_secret=${postClient.client_secret}`,
    );
    expect(missing.status).toBe(400);
    expect(missing.json?.error).toBe('invalid_request');
  });
});

describe('token endpoint errors (RFC 6749 §5.2)', () => {
  const tokenUrl = () => url('/oauth/token');

  it('wrong secret with Basic: 401 invalid_client with WWW-Authenticate', async () => {
    const res = await postForm(tokenUrl(), 'grant_type=client_credentials', {
      authorization: basicHeader(basicClient.client_id, `${basicClient.client_secret}x`),
    });
    expect(res.status).toBe(401);
    expect(res.json?.error).toBe('invalid_client');
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('wrong secret with client_secret_post: 401 invalid_client with the Basic challenge too (through oauth4webapi)', async () => {
    const res = await oauth.clientCredentialsGrantRequest(
      tp.as,
      { client_id: postClient.client_id },
      oauth.ClientSecretPost('wrong'),
      {},
      insecure,
    );
    expect(res.status).toBe(401);
    // Every 401 carries a challenge (RFC 9110 §15.5.2); Basic is the one HTTP scheme the endpoint supports.
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(((await res.clone().json()) as { error?: string }).error).toBe('invalid_client');
    // oauth4webapi reports a challenged 401 as such (the body's error stays readable on the response).
    await expect(
      oauth.processClientCredentialsResponse(tp.as, { client_id: postClient.client_id }, res),
    ).rejects.toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
  });

  it('unknown client: 401 invalid_client', async () => {
    const res = await postForm(tokenUrl(), 'grant_type=client_credentials', {
      authorization: basicHeader('no-such-client', 'secret'),
    });
    expect(res.status).toBe(401);
    expect(res.json?.error).toBe('invalid_client');
  });

  it('a method other than the registered one: 401 invalid_client', async () => {
    const res = await postForm(
      tokenUrl(),
      `grant_type=client_credentials&client_id=${basicClient.client_id}&client_secret=${basicClient.client_secret}`,
    );
    expect(res.status).toBe(401);
    expect(res.json?.error).toBe('invalid_client');
  });

  it('missing grant_type: 400 invalid_request', async () => {
    const res = await postForm(tokenUrl(), 'scope=read', {
      authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
    });
    expect(res.status).toBe(400);
    expect(res.json?.error).toBe('invalid_request');
  });

  it('unsupported grant_type: 400 unsupported_grant_type', async () => {
    const res = await postForm(tokenUrl(), 'grant_type=password&username=a&password=b', {
      authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
    });
    expect(res.status).toBe(400);
    expect(res.json?.error).toBe('unsupported_grant_type');
  });

  it('JSON body: 400 invalid_request', async () => {
    const res = await fetch(tokenUrl(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
      },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('duplicated parameter: 400 invalid_request', async () => {
    const res = await postForm(tokenUrl(), 'grant_type=client_credentials&scope=read&scope=write', {
      authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
    });
    expect(res.status).toBe(400);
    expect(res.json?.error).toBe('invalid_request');
  });

  it('scope escalation: 400 invalid_scope', async () => {
    const res = await oauth.clientCredentialsGrantRequest(
      tp.as,
      { client_id: basicClient.client_id },
      oauth.ClientSecretBasic(basicClient.client_secret),
      { scope: 'read admin' },
      insecure,
    );
    await expect(
      oauth.processClientCredentialsResponse(tp.as, { client_id: basicClient.client_id }, res),
    ).rejects.toMatchObject({
      error: 'invalid_scope',
      status: 400,
    });
  });

  it('resource outside the allow-list: 400 invalid_target', async () => {
    const res = await postForm(tokenUrl(), 'grant_type=client_credentials&resource=https%3A%2F%2Fevil.example.com', {
      authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
    });
    expect(res.status).toBe(400);
    expect(res.json?.error).toBe('invalid_target');
  });

  it('oversized body: 413', async () => {
    const res = await postForm(tokenUrl(), `grant_type=client_credentials&scope=${'a'.repeat(80_000)}`, {
      authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
    });
    expect(res.status).toBe(413);
    expect(res.json?.error).toBe('invalid_request');
  });

  it('malformed Basic header: 401 invalid_client with WWW-Authenticate', async () => {
    const res = await postForm(tokenUrl(), 'grant_type=client_credentials', { authorization: 'Basic %%%not-base64' });
    expect(res.status).toBe(401);
    expect(res.json?.error).toBe('invalid_client');
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('Basic and client_secret_post together: 400 invalid_request', async () => {
    const res = await postForm(tokenUrl(), `grant_type=client_credentials&client_secret=${basicClient.client_secret}`, {
      authorization: basicHeader(basicClient.client_id, basicClient.client_secret),
    });
    expect(res.status).toBe(400);
    expect(res.json?.error).toBe('invalid_request');
  });
});

describe('registration management (RFC 7592) and access control', () => {
  const post = (body: unknown, authorization?: string) =>
    fetch(url('/oauth/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(body),
    });

  it('requires the initial access token: missing or wrong is 401', async () => {
    const missing = await post({ scope: 'read' });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_token');
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await post({ scope: 'read' }, 'Bearer wrong-token-wrong-token-wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('rejects invalid metadata with invalid_client_metadata / invalid_redirect_uri', async () => {
    const auth = `Bearer ${tp.registrationToken}`;
    for (const [body, error] of [
      [{ grant_types: ['password'] }, 'invalid_client_metadata'],
      [{ grant_types: ['authorization_code'] }, 'invalid_redirect_uri'],
      [{ token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
      [{ scope: 'superuser' }, 'invalid_client_metadata'],
      [{ access_token_lifetime: 999_999 }, 'invalid_client_metadata'],
      [{ redirect_uris: ['http://evil.example.com/cb'] }, 'invalid_redirect_uri'],
    ] as const) {
      const res = await post(body, auth);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
  });

  it('applies a per-client rate limit set with the initial access token', async () => {
    const limited = await register(tp, { scope: 'read', rate_limit: { capacity: 2, refill_per_second: 0.01 } });
    expect(limited.rate_limit).toEqual({ capacity: 2, refill_per_second: 0.01 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await postForm(url('/oauth/token'), 'grant_type=client_credentials', {
        authorization: basicHeader(limited.client_id, limited.client_secret),
      });
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBeTruthy();
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    // A client cannot raise its own limit through RFC 7592: the field is ignored there.
    const put = await fetch(limited.registration_client_uri, {
      method: 'PUT',
      headers: { authorization: `Bearer ${limited.registration_access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: limited.client_id,
        scope: 'read',
        rate_limit: { capacity: 1000, refill_per_second: 1000 },
      }),
    });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { rate_limit: unknown }).rate_limit).toEqual({
      capacity: 2,
      refill_per_second: 0.01,
    });
  });

  it('reads, updates and deletes a client with its registration access token', async () => {
    const client = await register(tp, { client_name: 'managed', scope: 'read write' });
    const headers = { authorization: `Bearer ${client.registration_access_token}` };

    const read = await fetch(client.registration_client_uri, { headers });
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-control')).toBe('no-store');
    const info = (await read.json()) as Record<string, unknown>;
    expect(info).toMatchObject({ client_id: client.client_id, client_name: 'managed', scope: 'read write' });
    expect(info).not.toHaveProperty('client_secret');

    expect((await fetch(client.registration_client_uri, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    expect((await fetch(client.registration_client_uri)).status).toBe(401);
    // Another client's management token does not open this one.
    const otherHeaders = { authorization: `Bearer ${basicClient.registration_access_token}` };
    expect((await fetch(client.registration_client_uri, { headers: otherHeaders })).status).toBe(401);

    const put = await fetch(client.registration_client_uri, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: client.client_id, client_name: 'renamed', scope: 'read' }),
    });
    expect(put.status).toBe(200);
    const updated = (await put.json()) as Record<string, unknown>;
    expect(updated).toMatchObject({ client_name: 'renamed', scope: 'read' });
    // The update rotated the registration access token (RFC 7592 §3): from now on only the new one works.
    expect(typeof updated.registration_access_token).toBe('string');
    expect((await fetch(client.registration_client_uri, { headers })).status).toBe(401);
    headers.authorization = `Bearer ${updated.registration_access_token as string}`;
    // The narrowed scope applies to new tokens at once in this isolate, and within CLIENT_CACHE_TTL_MS anywhere.
    const narrowed = await eventually(async () => {
      const r = await postForm(url('/oauth/token'), 'grant_type=client_credentials&scope=write', {
        authorization: basicHeader(client.client_id, client.client_secret),
      });
      return r.status === 400 && r.json?.error === 'invalid_scope';
    }, 1500);
    expect(narrowed).toBe(true);

    const wrongId = await fetch(client.registration_client_uri, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'someone-else', scope: 'read' }),
    });
    expect(wrongId.status).toBe(400);
    expect(((await wrongId.json()) as { error: string }).error).toBe('invalid_client_metadata');

    const { token } = await clientCredentials(tp, client);
    expect((await introspect(tp, postClient, token.access_token)).body.active).toBe(true);

    const del = await fetch(client.registration_client_uri, { method: 'DELETE', headers });
    expect(del.status).toBe(204);
    expect((await fetch(client.registration_client_uri, { headers })).status).toBe(401);

    // A deleted client can no longer get tokens (within CLIENT_CACHE_TTL_MS), and its tokens are inactive.
    const refused = await eventually(async () => {
      const r = await postForm(url('/oauth/token'), 'grant_type=client_credentials', {
        authorization: basicHeader(client.client_id, client.client_secret),
      });
      return r.status === 401 && r.json?.error === 'invalid_client';
    }, 1500);
    expect(refused).toBe(true);
    expect((await introspect(tp, postClient, token.access_token)).body).toEqual({ active: false });
    const types = await eventually(async () => {
      const events = await securityEvents(tp);
      const list = events.filter((e) => e.client_id === client.client_id).map((e) => e.type);
      return list.includes('client.deleted') ? list : undefined;
    }, 3000);
    expect(types).toEqual(expect.arrayContaining(['client.registered', 'client.updated', 'client.deleted']));
  });
});

describe('signing keys', () => {
  it('serves the JWKS with caching headers bounded by the publish lead', async () => {
    const res = await fetch(url('/.well-known/jwks.json'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=2');
    const etag = res.headers.get('etag');
    expect(etag).toBeTruthy();
    const body = (await res.json()) as { keys: Record<string, string>[] };
    for (const k of body.keys) {
      expect(Object.keys(k).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
    const again = await fetch(url('/.well-known/jwks.json'), { headers: { 'if-none-match': etag as string } });
    expect(again.status).toBe(304);
  });

  it('stores private keys encrypted under the KEK, kid = RFC 7638 thumbprint', async () => {
    const rows = await tp.sql<{
      kid: string;
      public_jwk: Record<string, string>;
      private_key_ciphertext: string;
      kek_id: string;
    }>('select kid, public_jwk, private_key_ciphertext, kek_id from signing_keys');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.kek_id).toBe('kek-1');
      expect(row.private_key_ciphertext).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(row.private_key_ciphertext).not.toContain('"d"');
      const jwk = await decryptStoredKey(tp, row.kid);
      expect(jwk.d).toBeTypeOf('string');
      const { calculateJwkThumbprint } = await import('jose');
      expect(await calculateJwkThumbprint(row.public_jwk as never)).toBe(row.kid);
    }
  });

  it('rejects admin calls without a credential (401) and with a role the policy denies (403)', async () => {
    const none = await fetch(url('/admin/keys/rotate'), { method: 'POST' });
    expect(none.status).toBe(401);
    // A real admin credential with the readonly role: the policy Worker's shipped set does not let it rotate keys.
    const token = 'readonly-admin-token-readonly-admin-token';
    const hash = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString(
      'base64url',
    );
    await tp.sql(
      `insert into admin_credentials (id, token_hash, principal_id, roles) values ('ro-1', $1, 'reader', '["readonly"]')`,
      [hash],
    );
    const denied = await fetch(url('/admin/keys/rotate'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toBe('application/problem+json');
    const maintainDenied = await fetch(url('/admin/keys/maintain'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(maintainDenied.status).toBe(403);
  });

  it('rotates on demand: the new key is published before it signs; old and new tokens both verify', async () => {
    const { token: oldToken } = await clientCredentials(tp, basicClient, { resource: 'https://api.example.com' });
    const oldKid = decodeJwt(oldToken.access_token).header.kid;

    const rotate = await fetch(url('/admin/keys/rotate'), {
      method: 'POST',
      headers: { authorization: `Bearer ${tp.adminToken}` },
    });
    expect(rotate.status).toBe(200);
    const result = (await rotate.json()) as { created: string; changed: boolean };
    expect(result.changed).toBe(true);
    expect(result.created).not.toBe(oldKid);

    // Published at once, not yet signing (lead 2 s).
    const published = (await (await fetch(url('/.well-known/jwks.json'))).json()) as { keys: { kid: string }[] };
    expect(published.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, result.created]));
    const { token: stillOld } = await clientCredentials(tp, basicClient, { resource: 'https://api.example.com' });
    expect(decodeJwt(stillOld.access_token).header.kid).toBe(oldKid);

    // After the lead, tokens are signed by the new key.
    const newToken = await eventually(
      async () => {
        const { token } = await clientCredentials(tp, basicClient, { resource: 'https://api.example.com' });
        return decodeJwt(token.access_token).header.kid === result.created ? token : undefined;
      },
      6000,
      200,
    );
    expect(newToken).toBeDefined();

    const jwks = createRemoteJWKSet(new URL(tp.as.jwks_uri as string));
    for (const t of [oldToken.access_token, newToken?.access_token as string]) {
      const { payload } = await jwtVerify(t, jwks, {
        typ: 'at+jwt',
        issuer: tp.as.issuer,
        audience: 'https://api.example.com',
      });
      expect(payload.client_id).toBe(basicClient.client_id);
      expect((await introspect(tp, postClient, t)).body.active).toBe(true);
    }

    // Scheduled maintenance retires the old key but keeps it published; a second run changes nothing.
    const maintain = async () =>
      (await (
        await fetch(url('/admin/keys/maintain'), {
          method: 'POST',
          headers: { authorization: `Bearer ${tp.adminToken}` },
        })
      ).json()) as {
        changed: boolean;
        retired: string[];
        keys: { kid: string; status: string; expires_at: string | null }[];
      };
    const first = await maintain();
    expect(first.retired).toEqual([oldKid]);
    const old = first.keys.find((k) => k.kid === oldKid);
    expect(old?.status).toBe('retired');
    // Kept at least as long as the longest token lifetime (ACCESS_TOKEN_MAX_TTL_SECONDS = 3600).
    expect(Date.parse(old?.expires_at as string) - Date.now()).toBeGreaterThan(3600_000);
    expect((await maintain()).changed).toBe(false);
    const after = (await (await fetch(url('/.well-known/jwks.json'))).json()) as { keys: { kid: string }[] };
    expect(after.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, result.created]));
    await jwtVerify(oldToken.access_token, createRemoteJWKSet(new URL(tp.as.jwks_uri as string)), { typ: 'at+jwt' });

    const rotated = await eventually(
      async () => (await securityEvents(tp)).some((e) => e.type === 'key.rotated'),
      3000,
    );
    expect(rotated).toBe(true);
  });
});
