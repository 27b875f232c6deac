/**
 * Refresh tokens as a black box: real workerd (one process, its Durable Objects holding the families), Postgres and
 * Redis. Families start from real authorization-code flows (hosted sign-in, consent, PKCE); then rotation, honest
 * retry, 50 concurrent refreshes, theft, client binding, public clients, scope narrowing, RFC 7009 revocation,
 * lifetimes and a replayed code, each as an attack or a client would do it. The Kubernetes side (two replicas on
 * Redis, one killed mid-rotation) is in k8s-replicas.test.ts.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationCode,
  claimsOf,
  type CodeFlowClient,
  refresh,
  startFamily,
  tokenRequest,
} from './refresh-helpers.js';
import {
  eventually,
  introspect,
  type RegisteredClient,
  register,
  securityEvents,
  sleep,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const WINDOW_SECONDS = 8;
const REDIRECT = 'https://rp.example/cb';
const user = { email: 'refresh.user@example.com', password: 'a long and unusual passphrase 42' };

let tp: TokenPlatform;
let origin: string;
let resourceServer: RegisteredClient;
let web: CodeFlowClient;
let other: CodeFlowClient;
let pub: CodeFlowClient;
let noRefresh: CodeFlowClient;
let shortLived: CodeFlowClient;

async function codeClient(metadata: Record<string, unknown>, redirect = REDIRECT): Promise<CodeFlowClient> {
  const reg = await register(tp, {
    redirect_uris: [redirect],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid offline_access read write',
    ...metadata,
  });
  const client: CodeFlowClient = { client_id: reg.client_id, redirect_uri: redirect };
  if (reg.client_secret) client.client_secret = reg.client_secret;
  return client;
}

const active = async (token: string) => (await introspect(tp, resourceServer, token)).body.active === true;

beforeAll(async () => {
  tp = await startTokenPlatform({
    REFRESH_TOKEN_RETRY_WINDOW_SECONDS: String(WINDOW_SECONDS),
    RATE_LIMIT_TOKEN_CAPACITY: '100000',
    RATE_LIMIT_TOKEN_REFILL_PER_SECOND: '10000',
    RATE_LIMIT_IP_INTROSPECT_CAPACITY: '100000',
    RATE_LIMIT_INTROSPECT_CAPACITY: '100000',
  });
  origin = tp.platform.urls.auth;
  const res = await fetch(`${origin}/admin/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.adminToken}` },
    body: JSON.stringify({ ...user, email_verified: true }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  resourceServer = await register(tp, { client_name: 'resource server' });
  web = await codeClient({ client_name: 'web app' });
  other = await codeClient({ client_name: 'another app' });
  pub = await codeClient(
    { client_name: 'native app', application_type: 'native', token_endpoint_auth_method: 'none' },
    'http://127.0.0.1/cb',
  );
  noRefresh = await codeClient({ client_name: 'no refresh', grant_types: ['authorization_code'] });
  shortLived = await codeClient({
    client_name: 'short lived',
    refresh_token_idle_lifetime: 3,
    refresh_token_absolute_lifetime: 6,
  });
}, 180_000);

afterAll(async () => {
  await tp?.stop();
});

describe('issuance from the authorization code', () => {
  it('a refresh token with offline_access; its access token carries the family id (rfid)', async () => {
    const first = await startFamily(origin, web, user);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.refresh_token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    const jwks = createRemoteJWKSet(new URL(`${origin}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(first.body.access_token, jwks, { issuer: origin, typ: 'at+jwt' });
    expect(payload.rfid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await active(first.body.access_token)).toBe(true);
    const meta = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      any
    >;
    expect(meta.grant_types_supported).toContain('refresh_token');
  });

  it('none without offline_access, and none for a client not allowed the refresh_token grant', async () => {
    const online = await startFamily(origin, web, user, 'openid read');
    expect(online.status).toBe(200);
    expect(online.body.refresh_token).toBeUndefined();
    expect(claimsOf(online.body.access_token).rfid).toBeUndefined();
    const plain = await startFamily(origin, noRefresh, user, 'openid offline_access read');
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    expect(plain.body.refresh_token).toBeUndefined();
    // ...and that client cannot use the grant at all.
    expect((await refresh(origin, noRefresh, 'x'.repeat(22) + '.' + 'y'.repeat(43))).body.error).toBe(
      'unauthorized_client',
    );
  });
});

describe('rotation and honest retries', () => {
  it('each refresh returns a new refresh token and a new access token of the same family', async () => {
    const t0 = (await startFamily(origin, web, user)).body;
    const r1 = await refresh(origin, web, t0.refresh_token);
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body.refresh_token).not.toBe(t0.refresh_token);
    expect(r1.body.token_type).toBe('Bearer');
    expect(claimsOf(r1.body.access_token).rfid).toBe(claimsOf(t0.access_token).rfid);
    expect(claimsOf(r1.body.access_token).sub).toBe(claimsOf(t0.access_token).sub);
    expect(r1.body.scope).toBe('openid offline_access read write');
    // The same sign-in as the first access token (RFC 9068 §2.2.1), so a step-up check (RFC 9470) sees it.
    expect(claimsOf(t0.access_token).amr).toEqual(['pwd']);
    expect(claimsOf(r1.body.access_token).amr).toEqual(['pwd']);
    expect(claimsOf(r1.body.access_token).auth_time).toBe(claimsOf(t0.access_token).auth_time);
    const r2 = await refresh(origin, web, r1.body.refresh_token);
    expect(r2.status).toBe(200);
    expect(claimsOf(r2.body.access_token).auth_time).toBe(claimsOf(t0.access_token).auth_time);
    expect(await active(r2.body.access_token)).toBe(true);
  });

  it('retry: the same token twice within the window gets the same successor twice; the family lives on', async () => {
    const t0 = (await startFamily(origin, web, user)).body;
    const a = await refresh(origin, web, t0.refresh_token);
    const b = await refresh(origin, web, t0.refresh_token);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.refresh_token).toBe(a.body.refresh_token);
    expect(b.body.access_token).not.toBe(a.body.access_token); // a fresh access token, the same refresh token
    const next = await refresh(origin, web, a.body.refresh_token);
    expect(next.status).toBe(200);
    expect(await active(next.body.access_token)).toBe(true);
    expect(await active(a.body.access_token)).toBe(true);
  });

  it('50 concurrent refreshes of one token: exactly one successor; every answer is it or an error', async () => {
    const t0 = (await startFamily(origin, web, user)).body;
    const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(origin, web, t0.refresh_token)));
    const ok = answers.filter((a) => a.status === 200);
    const failed = answers.filter((a) => a.status !== 200);
    // What may fail is a clean 503 (the store could not settle the contention), never anything else.
    for (const f of failed) expect(f.status, JSON.stringify(f.body)).toBe(503);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((a) => a.body.refresh_token)).size).toBe(1);
    const successor = ok[0]?.body.refresh_token as string;
    const next = await refresh(origin, web, successor);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(await active(next.body.access_token)).toBe(true);
  });
});

describe('theft', () => {
  it('the old token after the window kills the family: both parties refused, every access token inactive', async () => {
    const t0 = (await startFamily(origin, web, user)).body;
    const legit = await refresh(origin, web, t0.refresh_token);
    expect(legit.status).toBe(200);
    expect(await active(legit.body.access_token)).toBe(true);
    await sleep(WINDOW_SECONDS * 1000 + 300);
    const thief = await refresh(origin, web, t0.refresh_token);
    expect(thief.status).toBe(400);
    expect(thief.body.error).toBe('invalid_grant');
    const victim = await refresh(origin, web, legit.body.refresh_token);
    expect(victim.body.error).toBe('invalid_grant');
    // At once: the answer to the thief waited for the denylist write.
    expect(await active(t0.access_token)).toBe(false);
    expect(await active(legit.body.access_token)).toBe(false);
    const rfid = claimsOf(t0.access_token).rfid;
    const events = await eventually(async () => {
      const found = (await securityEvents(tp)).filter((e) => e.type === 'refresh_token.reused');
      return found.some((e) => JSON.parse(e.details ?? '{}').family_id === rfid) ? found : undefined;
    }, 10_000);
    expect(events?.length).toBeGreaterThan(0);
  }, 30_000);

  it('a token two generations old is reuse even inside the window', async () => {
    const t0 = (await startFamily(origin, web, user)).body;
    const t1 = (await refresh(origin, web, t0.refresh_token)).body;
    const t2 = (await refresh(origin, web, t1.refresh_token)).body;
    expect((await refresh(origin, web, t0.refresh_token)).body.error).toBe('invalid_grant');
    expect((await refresh(origin, web, t2.refresh_token)).body.error).toBe('invalid_grant');
    expect(await active(t2.access_token)).toBe(false);
  });

  it('another client presenting the token is refused and cannot burn the family', async () => {
    const t0 = (await startFamily(origin, web, user)).body;
    expect((await refresh(origin, other, t0.refresh_token)).body.error).toBe('invalid_grant');
    // Posing as a public client with the owner's client_id does not authenticate a confidential client.
    const asPublic = await refresh(origin, { client_id: web.client_id, redirect_uri: REDIRECT }, t0.refresh_token);
    expect(asPublic.status).toBe(401);
    expect(asPublic.body.error).toBe('invalid_client');
    expect((await refresh(origin, web, t0.refresh_token)).status).toBe(200);
  });
});

describe('a replayed authorization code', () => {
  it('ends the family started from it, with its access tokens', async () => {
    const { code, verifier } = await authorizationCode(origin, web, user, 'openid offline_access read');
    const redeem = () =>
      tokenRequest(origin, web, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      });
    const first = await redeem();
    expect(first.status).toBe(200);
    const rotated = await refresh(origin, web, first.body.refresh_token);
    expect(rotated.status).toBe(200);
    expect((await redeem()).body.error).toBe('invalid_grant');
    expect((await refresh(origin, web, rotated.body.refresh_token)).body.error).toBe('invalid_grant');
    expect(await active(first.body.access_token)).toBe(false);
    expect(await active(rotated.body.access_token)).toBe(false);
  });
});

describe('public clients', () => {
  it('refresh with client_id alone, rotating every time; their tokens are bound to them', async () => {
    const t0 = await startFamily(origin, pub, user);
    expect(t0.status, JSON.stringify(t0.body)).toBe(200);
    const r1 = await refresh(origin, pub, t0.body.refresh_token);
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r1.body.refresh_token).not.toBe(t0.body.refresh_token);
    expect((await refresh(origin, web, r1.body.refresh_token)).body.error).toBe('invalid_grant');
    const r2 = await refresh(origin, pub, r1.body.refresh_token);
    expect(r2.status).toBe(200);
    // RFC 7009 by client_id: another client cannot end it; the public client itself can.
    const bySomeoneElse = await tokenRequest(origin, other, { token: r2.body.refresh_token }, '/oauth/revoke');
    expect(bySomeoneElse.body.error).toBe('unauthorized_client');
    expect((await refresh(origin, pub, r2.body.refresh_token)).status).toBe(200);
    const t3 = await refresh(origin, pub, r2.body.refresh_token); // an honest retry: the same successor
    const revoked = await tokenRequest(
      origin,
      pub,
      { token: t3.body.refresh_token, token_type_hint: 'refresh_token' },
      '/oauth/revoke',
    );
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect((await refresh(origin, pub, t3.body.refresh_token)).body.error).toBe('invalid_grant');
    expect(await active(t3.body.access_token)).toBe(false);
  });
});

describe('scope', () => {
  it('a refresh may narrow the scope, never widen it', async () => {
    const t0 = (await startFamily(origin, web, user, 'openid offline_access read')).body;
    const narrow = await refresh(origin, web, t0.refresh_token, { scope: 'read' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe('read');
    expect(claimsOf(narrow.body.access_token).scope).toBe('read');
    const wider = await refresh(origin, web, narrow.body.refresh_token, { scope: 'read write' });
    expect(wider.status).toBe(400);
    expect(wider.body.error).toBe('invalid_scope');
    // Refused without using the token up: it still refreshes, to the family's whole scope.
    const full = await refresh(origin, web, narrow.body.refresh_token);
    expect(full.status).toBe(200);
    expect(full.body.scope).toBe('openid offline_access read');
  });
});

describe('revocation (RFC 7009)', () => {
  it('token_type_hint=refresh_token ends the family and deactivates its access tokens', async () => {
    const t0 = (await startFamily(origin, web, user)).body;
    const t1 = (await refresh(origin, web, t0.refresh_token)).body;
    const denied = await tokenRequest(
      origin,
      other,
      { token: t1.refresh_token, token_type_hint: 'refresh_token' },
      '/oauth/revoke',
    );
    expect(denied.status).toBe(400);
    expect(denied.body.error).toBe('unauthorized_client');
    expect(await active(t1.access_token)).toBe(true);
    const res = await tokenRequest(
      origin,
      web,
      { token: t1.refresh_token, token_type_hint: 'refresh_token' },
      '/oauth/revoke',
    );
    expect(res.status).toBe(200);
    expect(await active(t0.access_token)).toBe(false);
    expect(await active(t1.access_token)).toBe(false);
    expect((await refresh(origin, web, t1.refresh_token)).body.error).toBe('invalid_grant');
    // Unknown refresh tokens: 200, nothing happens (§2.2).
    const unknown = await tokenRequest(origin, web, { token: `${'A'.repeat(22)}.${'B'.repeat(43)}` }, '/oauth/revoke');
    expect(unknown.status).toBe(200);
  });
});

describe('bound to the sign-in session', () => {
  it("the operator's revoke-all of the user's sessions ends the families started from them", async () => {
    const other = { email: 'session.bound@example.com', password: 'another long unusual passphrase 7' };
    const created = await fetch(`${origin}/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.adminToken}` },
      body: JSON.stringify({ ...other, email_verified: true }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const t0 = (await startFamily(origin, web, other)).body;
    const t1 = await refresh(origin, web, t0.refresh_token);
    expect(t1.status).toBe(200);
    const sub = claimsOf(t0.access_token).sub as string;
    const revoked = await fetch(`${origin}/admin/users/${encodeURIComponent(sub)}/sessions/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tp.adminToken}` },
    });
    expect(revoked.status, await revoked.clone().text()).toBe(200);
    expect((await refresh(origin, web, t1.body.refresh_token)).body.error).toBe('invalid_grant');
    expect(await active(t1.body.access_token)).toBe(false);
    // The other user's families are untouched.
    const mine = (await startFamily(origin, web, user)).body;
    expect((await refresh(origin, web, mine.refresh_token)).status).toBe(200);
  });
});

describe('lifetimes (the client shortens the platform defaults: idle 3 s, absolute 6 s)', () => {
  it('idle: a family unused for its idle lifetime is gone', async () => {
    const t0 = (await startFamily(origin, shortLived, user)).body;
    await sleep(3_300);
    expect((await refresh(origin, shortLived, t0.refresh_token)).body.error).toBe('invalid_grant');
  }, 20_000);

  it('absolute: rotations keep it alive only until its absolute lifetime', async () => {
    const t0 = (await startFamily(origin, shortLived, user)).body;
    const started = Date.now();
    await sleep(2_000);
    const t1 = await refresh(origin, shortLived, t0.refresh_token);
    expect(t1.status).toBe(200);
    await sleep(2_000);
    const t2 = await refresh(origin, shortLived, t1.body.refresh_token);
    expect(t2.status).toBe(200); // 4 s after the start: past the first idle deadline, kept alive by rotation
    await sleep(Math.max(0, 6_300 - (Date.now() - started)));
    expect((await refresh(origin, shortLived, t2.body.refresh_token)).body.error).toBe('invalid_grant');
  }, 20_000);
});
