/**
 * The token service configured with SIGNING_ALG=EdDSA and TRUST_PROXY_HEADERS=true (a self-hosted deployment
 * behind a known ingress): Ed25519 keys in the JWKS, EdDSA access tokens verified by jose and introspected, and
 * the client IP taken from X-Forwarded-For into the security events.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicHeader,
  decodeJwt,
  eventually,
  introspect,
  postForm,
  register,
  securityEvents,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

let tp: TokenPlatform;

beforeAll(async () => {
  tp = await startTokenPlatform({ SIGNING_ALG: 'EdDSA', TRUST_PROXY_HEADERS: 'true' });
}, 120_000);

afterAll(async () => {
  await tp?.stop();
});

describe('first key', () => {
  it('is created exactly once when concurrent first requests all find none', async () => {
    const client = await register(tp, { scope: 'read' });
    expect(await tp.sql('select kid from signing_keys')).toEqual([]);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        postForm(`${tp.platform.urls.auth}/oauth/token`, 'grant_type=client_credentials', {
          authorization: basicHeader(client.client_id, client.client_secret),
        }),
      ),
    );
    expect(
      results.map((r) => r.status),
      JSON.stringify(results.map((r) => r.json)),
    ).toEqual(Array(8).fill(200));
    const rows = await tp.sql<{ kid: string; status: string }>('select kid, status from signing_keys');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe('active');
    expect(new Set(results.map((r) => decodeJwt(r.json?.access_token).header.kid))).toEqual(new Set([rows[0]?.kid]));
  });
});

describe('EdDSA signing', () => {
  it('advertises and publishes Ed25519 keys and issues EdDSA tokens that verify', async () => {
    expect(tp.as.access_token_signing_alg_values_supported).toEqual(['EdDSA']);
    const client = await register(tp, { scope: 'read' });
    const res = await postForm(`${tp.platform.urls.auth}/oauth/token`, 'grant_type=client_credentials', {
      authorization: basicHeader(client.client_id, client.client_secret),
      // The leftmost entry is the caller's claim; the rightmost is what our ingress wrote.
      'x-forwarded-for': '10.9.9.9, 198.51.100.23',
    });
    expect(res.status).toBe(200);
    const token = res.json?.access_token as string;
    expect(decodeJwt(token).header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });

    const jwks = (await (await fetch(tp.as.jwks_uri as string)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });

    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(tp.as.jwks_uri as string)), {
      typ: 'at+jwt',
      issuer: tp.as.issuer,
      algorithms: ['EdDSA'],
    });
    expect(payload.client_id).toBe(client.client_id);
    expect((await introspect(tp, client, token)).body).toMatchObject({ active: true, client_id: client.client_id });

    const issued = await eventually(async () => {
      const events = await securityEvents(tp);
      return events.find((e) => e.type === 'token.issued' && e.client_id === client.client_id);
    }, 3000);
    expect(issued?.ip).toBe('198.51.100.23');
  });
});
