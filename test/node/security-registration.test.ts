/**
 * RFC 7592 client configuration must not be a privilege escalation. What the operator approved at registration
 * (with the initial access token) is the client's ceiling: whoever holds the client's registration access token
 * may narrow `scope` and `allowed_resources`, never widen them; widening needs the initial access token, like
 * `rate_limit`. The server-wide allow-lists (SCOPES_SUPPORTED, RESOURCES_SUPPORTED) are shown set in the shipped
 * configuration and explained in the README.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import {
  basicHeader,
  decodeJwt,
  postForm,
  type RegisteredClient,
  register,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const REPORTS = 'https://reports.example';
const BILLING = 'https://billing.example';

let tp: TokenPlatform;

beforeAll(async () => {
  // Both resources are within the server-wide allow-list: the allow-list alone does not stop the escalation.
  tp = await startTokenPlatform({ RESOURCES_SUPPORTED: `${REPORTS},${BILLING}` });
});

afterAll(async () => {
  await tp?.stop();
});

/** The operator's registration: scope "read", one resource (what the review's scenario approves). */
const approved = () => register(tp, { client_name: 'reports-reader', scope: 'read', allowed_resources: [REPORTS] });

/** RFC 7592 update: replaces the metadata, authenticated with `bearer`. */
async function update(client: RegisteredClient, changes: Record<string, unknown>, bearer: string) {
  const res = await fetch(client.registration_client_uri, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({
      client_id: client.client_id,
      client_name: 'reports-reader',
      scope: 'read',
      allowed_resources: [REPORTS],
      ...changes,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** A client_credentials token request; returns the status and, on success, the token's claims. */
async function token(client: RegisteredClient, params: Record<string, string> = {}) {
  const res = await postForm(
    `${tp.platform.urls.auth}/oauth/token`,
    new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
    { authorization: basicHeader(client.client_id, client.client_secret) },
  );
  return {
    status: res.status,
    json: res.json,
    claims: res.status === 200 ? decodeJwt(res.json?.access_token).claims : null,
  };
}

describe('RFC 7592 update with the registration access token', () => {
  it('cannot widen scope beyond what was approved', async () => {
    const client = await approved();
    const res = await update(client, { scope: 'read write admin' }, client.registration_access_token);
    expect(res.status, `widening scope answered ${res.status} ${JSON.stringify(res.body)}`).toBe(400);
    expect(res.body.error).toBe('invalid_client_metadata');
    const admin = await token(client, { scope: 'admin' });
    expect(admin.status, `a token with scope admin was issued: ${JSON.stringify(admin.claims)}`).toBe(400);
    expect(admin.json?.error).toBe('invalid_scope');
  });

  it('cannot replace or extend allowed_resources', async () => {
    const client = await approved();
    for (const resources of [[BILLING], [REPORTS, BILLING]]) {
      const res = await update(client, { allowed_resources: resources }, client.registration_access_token);
      expect(res.status, `allowed_resources ${JSON.stringify(resources)} answered ${res.status}`).toBe(400);
      expect(res.body.error).toBe('invalid_client_metadata');
    }
    const billing = await token(client, { resource: BILLING });
    expect(billing.status, `a token for ${BILLING} was issued: ${JSON.stringify(billing.claims)}`).toBe(400);
    expect(billing.json?.error).toBe('invalid_target');
  });

  it("the review's attack end to end: the next token carries only the approved scope and audience", async () => {
    const client = await approved();
    await update(client, { scope: 'read write admin', allowed_resources: [BILLING] }, client.registration_access_token);
    const next = await token(client);
    expect(next.status).toBe(200);
    expect({ scope: next.claims?.scope, aud: next.claims?.aud }).toEqual({ scope: 'read', aud: REPORTS });
  });

  it('may narrow scope and allowed_resources (guard: narrowing keeps working)', async () => {
    const client = await register(tp, { scope: 'read write', allowed_resources: [REPORTS, BILLING] });
    const res = await update(client, { scope: 'read', allowed_resources: [REPORTS] }, client.registration_access_token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const rat = (res.body.registration_access_token as string | undefined) ?? client.registration_access_token;
    const next = await token({ ...client, registration_access_token: rat });
    expect({ scope: next.claims?.scope, aud: next.claims?.aud }).toEqual({ scope: 'read', aud: REPORTS });
  });

  it('rotates the registration access token on every successful update (RFC 7592 §3)', async () => {
    const client = await approved();
    const res = await update(client, { client_name: 'renamed' }, client.registration_access_token);
    expect(res.status).toBe(200);
    const fresh = res.body.registration_access_token;
    expect(typeof fresh, 'the update response carries no new registration_access_token').toBe('string');
    expect(fresh).not.toBe(client.registration_access_token);
    const old = await fetch(client.registration_client_uri, {
      headers: { authorization: `Bearer ${client.registration_access_token}` },
    });
    expect(old.status, 'the previous registration access token must stop working').toBe(401);
    const now = await fetch(client.registration_client_uri, { headers: { authorization: `Bearer ${fresh}` } });
    expect(now.status).toBe(200);
  });
});

describe('the registration access token: single use per update, and a lifetime', () => {
  it('of two concurrent updates made with the same token, exactly one succeeds (compare-and-set)', async () => {
    const client = await approved();
    const results = await Promise.all(
      ['first', 'second'].map((name) => update(client, { client_name: name }, client.registration_access_token)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, JSON.stringify(results.map((r) => r.body))).toEqual([200, 401]);
    const winner = results.find((r) => r.status === 200)?.body;
    const read = await fetch(client.registration_client_uri, {
      headers: { authorization: `Bearer ${winner?.registration_access_token}` },
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { client_name: string }).client_name).toBe(winner?.client_name);
  });

  it('an expired registration access token is refused with 401 invalid_token', async () => {
    const client = await approved();
    await tp.sql(
      "update oauth_clients set registration_token_expires_at = now() - interval '1 second' where client_id = $1",
      [client.client_id],
    );
    const res = await fetch(client.registration_client_uri, {
      headers: { authorization: `Bearer ${client.registration_access_token}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const widen = await update(client, { client_name: 'late' }, client.registration_access_token);
    expect(widen.status).toBe(401);
  });

  it('a successful update renews the lifetime (REGISTRATION_ACCESS_TOKEN_TTL_SECONDS, 90 days by default)', async () => {
    const client = await approved();
    const res = await update(client, { client_name: 'renewed' }, client.registration_access_token);
    expect(res.status).toBe(200);
    const [row] = await tp.sql<{ seconds: number }>(
      'select extract(epoch from registration_token_expires_at - now())::int as seconds from oauth_clients where client_id = $1',
      [client.client_id],
    );
    expect(row?.seconds).toBeGreaterThan(90 * 86_400 - 120);
    expect(row?.seconds).toBeLessThanOrEqual(90 * 86_400);
  });
});

describe('RFC 7592 update with the initial access token (the operator)', () => {
  it('may widen scope and allowed_resources, and the next token carries them', async () => {
    const client = await approved();
    const res = await update(
      client,
      { scope: 'read write', allowed_resources: [REPORTS, BILLING] },
      tp.registrationToken,
    );
    expect(res.status, `the operator's widening answered ${res.status} ${JSON.stringify(res.body)}`).toBe(200);
    const next = await token(client, { scope: 'read write', resource: BILLING });
    expect({ scope: next.claims?.scope, aud: next.claims?.aud }).toEqual({ scope: 'read write', aud: BILLING });
    // The ceiling moved with the operator's update: the client may now narrow and widen back up to it itself,
    // with its own (unchanged: the operator does not hold it) registration access token.
    expect(res.body.registration_access_token).toBeUndefined();
    const narrowed = await update(
      client,
      { scope: 'read', allowed_resources: [REPORTS] },
      client.registration_access_token,
    );
    expect(narrowed.status).toBe(200);
    const back = await update(
      client,
      { scope: 'read write', allowed_resources: [REPORTS, BILLING] },
      narrowed.body.registration_access_token,
    );
    expect(back.status, JSON.stringify(back.body)).toBe(200);
  });

  it('may set the rate limit, which the client itself cannot', async () => {
    const client = await approved();
    const own = await update(
      client,
      { rate_limit: { capacity: 5000, refill_per_second: 100 } },
      client.registration_access_token,
    );
    expect(own.status).toBe(200);
    expect(own.body.rate_limit).toBeUndefined();
    const res = await update(client, { rate_limit: { capacity: 7, refill_per_second: 0.5 } }, tp.registrationToken);
    expect(res.status).toBe(200);
    expect(res.body.rate_limit).toEqual({ capacity: 7, refill_per_second: 0.5 });
  });
});

describe('server-wide allow-lists in the shipped configuration', () => {
  it('workers/auth/wrangler.toml sets SCOPES_SUPPORTED and RESOURCES_SUPPORTED', () => {
    const vars = (parseToml(readFileSync(join(ROOT, 'workers/auth/wrangler.toml'), 'utf8')) as { vars?: object })
      .vars as Record<string, unknown>;
    expect(Object.keys(vars)).toEqual(expect.arrayContaining(['SCOPES_SUPPORTED', 'RESOURCES_SUPPORTED']));
  });

  it('the Kubernetes auth configuration sets SCOPES_SUPPORTED and RESOURCES_SUPPORTED', () => {
    const env = readFileSync(join(ROOT, 'k8s-fallback/base/auth.env'), 'utf8');
    expect(env).toMatch(/^SCOPES_SUPPORTED=/m);
    expect(env).toMatch(/^RESOURCES_SUPPORTED=/m);
  });

  it('the README explains both', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('SCOPES_SUPPORTED');
    expect(readme).toContain('RESOURCES_SUPPORTED');
  });
});
