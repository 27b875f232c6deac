/**
 * The admin API black-box (workers/admin), under the real workerd with real Postgres and Redis: for every route,
 * 401 without a credential, 403 for a role that lacks the route's action, the happy path, and for every change an
 * `admin.action` event naming the actor. Plus: validation errors are RFC 9457, never before authentication; the
 * operator API tokens (scoped, expiring, revocable, hashed, no wider than their creator); and the effects that
 * matter on the token endpoint (a disabled client, a rotated secret).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCredential } from './security-helpers.js';
import * as OTPAuth from 'otpauth';
import { authorizeUrl, Browser, completeLogin, csrfOf, pkce } from './oidc-helpers.js';
import { type CodeFlowClient, refresh, startFamily } from './refresh-helpers.js';
import {
  basicHeader,
  eventually,
  introspect,
  type RegisteredClient,
  register,
  securityEvents,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

let tp: TokenPlatform;
const creds = { root: '', reader: '', clerk: '', nobody: '' };
let pool: Parameters<typeof adminCredential>[0];

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${tp.platform.urls.admin}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

async function clientToken(clientId: string, secret: string): Promise<number> {
  const res = await fetch(`${tp.platform.urls.auth}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  await res.body?.cancel();
  return res.status;
}

/** Waits for the `admin.action` event of `action` naming `actor` (events are written after the response). */
async function auditEvent(action: string, actor: string, match: (d: Record<string, unknown>) => boolean = () => true) {
  return eventually(async () => {
    const events = await securityEvents(tp);
    return events
      .filter((e) => e.type === 'admin.action' && e.service === 'admin')
      .map((e) => ({ ...e, details: JSON.parse(e.details ?? '{}') as Record<string, unknown> }))
      .find((e) => e.details.action === action && e.details.actor === actor && match(e.details));
  }, 10_000);
}

beforeAll(async () => {
  tp = await startTokenPlatform({ ADMIN_AUTH_RATE_LIMIT_CAPACITY: '1000' });
  const { nodePool } = await import('../../scripts/lib/platform.mjs');
  pool = await nodePool(tp.platform.databaseUrl, tp.platform.pgProxy);
  creds.root = await adminCredential(pool, 'root', ['superadmin']);
  creds.reader = await adminCredential(pool, 'reader', ['readonly']);
  creds.clerk = await adminCredential(pool, 'clerk', ['client-admin']);
  creds.nobody = await adminCredential(pool, 'nobody', ['intern']);
  webClient = await register(tp, {
    client_name: 'Ops portal',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code'],
    scope: 'openid email',
  });
  // Guessing a client's secret opens a client_secret_guessing alert (the monitor's detector: 10 failures).
  const victim = await register(tp, { grant_types: ['client_credentials'] });
  state.guessedClient = victim.client_id;
  for (let i = 0; i < 12; i++) {
    const res = await fetch(`${tp.platform.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicHeader(victim.client_id, `wrong-${i}`),
      },
      body: 'grant_type=client_credentials',
    });
    await res.body?.cancel();
  }
}, 180_000);

afterAll(async () => {
  await pool?.end().catch(() => {});
  await tp?.stop();
});

/** State the route table's later rows use, filled in by earlier ones. */
const state = {
  clientId: '',
  secret: '',
  version: 0,
  tokenId: '',
  userId: '',
  handle: '',
  guessedClient: '',
  alertId: '',
  webhookId: '',
  refreshToken: '',
  accessToken: '',
};
let refreshClient: CodeFlowClient;

const OPS_USER = { email: 'ops.user@example.com', password: 'a long and unusual passphrase 42' };
const NEW_PASSWORD = 'another long unusual passphrase 77';
const REDIRECT = 'https://rp.example/cb';
let webClient: RegisteredClient;
let opsBrowser: Browser;

function authorizeForOps(): string {
  return authorizeUrl(tp.platform.urls.auth, {
    client_id: webClient.client_id,
    redirect_uri: REDIRECT,
    scope: 'openid email',
    state: 's',
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  });
}

/** The ops user signs in through the hosted login in a fresh browser (throws when the sign-in is refused). */
async function signInOpsUser(password = OPS_USER.password): Promise<void> {
  opsBrowser = new Browser(tp.platform.urls.auth);
  const redirect = await completeLogin(opsBrowser, authorizeForOps(), { email: OPS_USER.email, password });
  if (!redirect.searchParams.get('code')) throw new Error(`sign-in refused: ${redirect}`);
}

/** Whether the ops user's browser still has a session: an authorize request goes straight to the client. */
async function browserSignedIn(): Promise<boolean> {
  const res = await opsBrowser.get(`${authorizeForOps()}&prompt=none`);
  const to = new URL(res.headers.get('location') ?? '', tp.platform.urls.auth);
  return to.origin !== new URL(tp.platform.urls.auth).origin && to.searchParams.has('code');
}

interface Row {
  action: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  /** What the happy path needs first (the route's effect is then checked against it). */
  before?: () => Promise<void>;
  ok: number;
  change: boolean;
  check?: (a: Answer) => void | Promise<void>;
}

/** The ops user enrols TOTP on "your security" page (backup codes come with it); sign-in then asks for a code. */
async function enrolOpsTotp(): Promise<void> {
  const overview = await (await opsBrowser.get('/account/security')).text();
  const page = await (await opsBrowser.post('/account/security/totp', { csrf_token: csrfOf(overview) })).text();
  const secret = /data-secret="([A-Z2-7]+)"/.exec(page)?.[1];
  if (!secret) throw new Error('no TOTP secret on the enrolment page');
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
  const confirmed = await opsBrowser.post('/account/security/totp/confirm', {
    csrf_token: csrfOf(page),
    code: totp.generate(),
  });
  expect(confirmed.status).toBe(200);
  await expect(signInOpsUser(NEW_PASSWORD)).rejects.toThrow('/login/mfa');
}

/** A client of the code flow allowed refresh tokens, and the ops user's family with it (refreshed once: it works). */
async function startOpsFamily(): Promise<void> {
  const reg = await register(tp, {
    client_name: 'Ops mobile',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    scope: 'openid offline_access',
  });
  refreshClient = { client_id: reg.client_id, client_secret: reg.client_secret, redirect_uri: REDIRECT };
  const first = await startFamily(
    tp.platform.urls.auth,
    refreshClient,
    { email: OPS_USER.email, password: NEW_PASSWORD },
    'openid offline_access',
  );
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  const rotated = await refresh(tp.platform.urls.auth, refreshClient, first.body.refresh_token);
  expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
  state.refreshToken = rotated.body.refresh_token;
  state.accessToken = rotated.body.access_token;
  expect((await introspect(tp, webClient, state.accessToken)).body.active).toBe(true);
}

const POLICY_TEXT = `permit (principal is Admin, action == Action::"Admin_keys_read", resource is AdminEndpoint)
when { principal.roles.contains("superadmin") };`;

/** Every admin API route, in an order where each happy path has what it needs. */
const ROUTES: Row[] = [
  {
    action: 'Admin_clients_create',
    method: 'POST',
    path: () => '/v1/clients',
    body: () => ({ client_name: 'billing batch', scope: 'read', rate_limit: { capacity: 5, refill_per_second: 1 } }),
    ok: 201,
    change: true,
    check: (a) => {
      state.clientId = a.body.client_id;
      state.secret = a.body.client_secret;
      expect(a.body.client_secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(a.body).toMatchObject({ status: 'active', first_party: false, approved: { scope: 'read' } });
    },
  },
  {
    action: 'Admin_clients_read',
    method: 'GET',
    path: () => '/v1/clients?search=billing',
    ok: 200,
    change: false,
    check: (a) => {
      expect(a.body.clients.map((c: { client_id: string }) => c.client_id)).toContain(state.clientId);
      expect(JSON.stringify(a.body)).not.toContain('secret_hash');
    },
  },
  {
    action: 'Admin_clients_read',
    method: 'GET',
    path: () => `/v1/clients/${state.clientId}`,
    ok: 200,
    change: false,
    check: (a) => {
      expect(a.body.client_id).toBe(state.clientId);
      expect(a.body.client_secret).toBeUndefined();
    },
  },
  {
    action: 'Admin_clients_update',
    method: 'PATCH',
    path: () => `/v1/clients/${state.clientId}`,
    body: () => ({ scope: 'read write', first_party: true, rate_limit: null }),
    ok: 200,
    change: true,
    check: (a) =>
      expect(a.body).toMatchObject({
        scope: 'read write',
        first_party: true,
        rate_limit: null,
        approved: { scope: 'read write' },
      }),
  },
  {
    action: 'Admin_clients_rotate_secret',
    method: 'POST',
    path: () => `/v1/clients/${state.clientId}/secret`,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body.client_secret).not.toBe(state.secret);
      // The old secret stops at once; the new one works.
      expect(await clientToken(state.clientId, state.secret)).toBe(401);
      state.secret = a.body.client_secret;
      expect(await clientToken(state.clientId, state.secret)).toBe(200);
    },
  },
  {
    action: 'Admin_clients_disable',
    method: 'POST',
    path: () => `/v1/clients/${state.clientId}/disable`,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body.status).toBe('disabled');
      // A disabled client gets no token (its secret is right).
      expect(await eventually(async () => (await clientToken(state.clientId, state.secret)) === 401, 5_000)).toBe(true);
    },
  },
  {
    action: 'Admin_clients_disable',
    method: 'POST',
    path: () => `/v1/clients/${state.clientId}/enable`,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body.status).toBe('active');
      expect(await eventually(async () => (await clientToken(state.clientId, state.secret)) === 200, 5_000)).toBe(true);
    },
  },
  {
    action: 'Admin_keys_read',
    method: 'GET',
    path: () => '/v1/keys',
    ok: 200,
    change: false,
    check: (a) => {
      expect(a.body.keys.length).toBeGreaterThan(0);
      expect(a.body.keys.some((k: { status: string }) => k.status === 'active')).toBe(true);
      expect(JSON.stringify(a.body)).not.toMatch(/private|"d":/);
    },
  },
  {
    action: 'Admin_keys_rotate',
    method: 'POST',
    path: () => '/v1/keys/rotate',
    ok: 200,
    change: true,
    check: (a) => expect(a.body.keys.some((k: { status: string }) => k.status === 'pending')).toBe(true),
  },
  {
    action: 'Admin_keys_emergency_rotate',
    method: 'POST',
    path: () => '/v1/keys/emergency-rotate',
    body: () => ({ reason: 'drill' }),
    ok: 200,
    change: true,
    check: (a) => expect(a.body.revoked.length).toBeGreaterThan(0),
  },
  {
    action: 'Admin_policy_read',
    method: 'GET',
    path: () => '/v1/policies/versions',
    ok: 200,
    change: false,
    check: (a) => expect(a.body.active_version).toBe(1),
  },
  {
    action: 'Admin_policy_read',
    method: 'GET',
    path: () => '/v1/policies/active',
    ok: 200,
    change: false,
    check: (a) => expect(a.body.policies).toContain('superadmin-all-admin-actions'),
  },
  {
    action: 'Admin_policy_read',
    method: 'GET',
    path: () => '/v1/policies/versions/1',
    ok: 200,
    change: false,
    check: (a) => expect(a.body.version).toBe(1),
  },
  {
    action: 'Admin_policy_publish',
    method: 'POST',
    path: () => '/v1/policies/versions',
    body: () => ({ policies: `${POLICY_TEXT}\n// ${Math.random()}`, comment: 'test' }),
    ok: 201,
    change: true,
    check: (a) => {
      state.version = a.body.version;
      expect(a.body.version).toBeGreaterThan(1);
      expect(a.headers.get('location')).toBe(`/v1/policies/versions/${a.body.version}`);
    },
  },
  {
    action: 'Admin_policy_read',
    method: 'GET',
    path: () => `/v1/policies/diff?from=1&to=${state.version}`,
    ok: 200,
    change: false,
    check: (a) => {
      expect(a.body.policies.added).toBeGreaterThan(0);
      expect(a.body.policies.removed).toBeGreaterThan(0);
      expect(a.body.policies.lines).toContainEqual({ op: '+', line: POLICY_TEXT.split('\n')[0] });
      expect(a.body.schema).toEqual({ added: 0, removed: 0, lines: [] });
    },
  },
  {
    // Activating the version published above would lock everyone but superadmins out of everything; activate the
    // shipped version 1 again instead (a rollback to the same version is a valid activation).
    action: 'Admin_policy_activate',
    method: 'POST',
    path: () => '/v1/policies/versions/1/activate',
    ok: 200,
    change: true,
    check: (a) => expect(a.body.active_version).toBe(1),
  },
  {
    action: 'Admin_entities_write',
    method: 'PUT',
    path: () => '/v1/policies/entities/User/u-1',
    body: () => ({ attrs: { clearance: 'high' } }),
    ok: 200,
    change: true,
  },
  {
    action: 'Admin_entities_read',
    method: 'GET',
    path: () => '/v1/policies/entities?type=User',
    ok: 200,
    change: false,
    check: (a) => expect(a.body.entities).toContainEqual(expect.objectContaining({ uid: { type: 'User', id: 'u-1' } })),
  },
  {
    action: 'Admin_entities_write',
    method: 'DELETE',
    path: () => '/v1/policies/entities/User/u-1',
    ok: 204,
    change: true,
  },
  {
    action: 'Admin_credentials_create',
    method: 'POST',
    path: () => '/v1/tokens',
    body: () => ({ name: 'ci', scopes: ['Admin_clients_read'], expires_in: 3600 }),
    ok: 201,
    change: true,
    check: (a) => {
      state.tokenId = a.body.id;
      expect(a.body.token).toMatch(/^esp_/);
      expect(a.body).toMatchObject({ principal: 'root', roles: ['superadmin'], scopes: ['Admin_clients_read'] });
    },
  },
  {
    action: 'Admin_credentials_read',
    method: 'GET',
    path: () => '/v1/tokens',
    ok: 200,
    change: false,
    check: (a) => {
      expect(a.body.tokens.map((t: { id: string }) => t.id)).toContain(state.tokenId);
      expect(JSON.stringify(a.body)).not.toMatch(/esp_|token_hash/);
    },
  },
  {
    action: 'Admin_credentials_revoke',
    method: 'DELETE',
    path: () => `/v1/tokens/${state.tokenId}`,
    ok: 200,
    change: true,
    check: (a) => expect(a.body).toMatchObject({ status: 'revoked', revoked_by: 'root' }),
  },
  {
    action: 'Admin_clients_delete',
    method: 'DELETE',
    path: () => `/v1/clients/${state.clientId}`,
    ok: 204,
    change: true,
    check: async () => {
      expect(await clientToken(state.clientId, state.secret)).toBe(401);
      expect((await call('GET', `/v1/clients/${state.clientId}`, creds.root)).status).toBe(404);
    },
  },
  // ---- users (the auth Worker's accounts and sessions) ----
  {
    action: 'Admin_users_create',
    method: 'POST',
    path: () => '/v1/users',
    body: () => ({ email: OPS_USER.email, password: OPS_USER.password, name: 'Ops User' }),
    ok: 201,
    change: true,
    check: async (a) => {
      state.userId = a.body.id;
      expect(a.body).toMatchObject({ email: OPS_USER.email, status: 'active', roles: [] });
      expect(JSON.stringify(a.body)).not.toMatch(/hash|scrypt/);
      // The user signs in through the hosted login: one session to see and revoke below.
      await signInOpsUser();
    },
  },
  {
    action: 'Admin_users_read',
    method: 'GET',
    path: () => '/v1/users?search=ops.user',
    ok: 200,
    change: false,
    check: (a) => expect(a.body.users.map((u: { id: string }) => u.id)).toEqual([state.userId]),
  },
  {
    action: 'Admin_users_read_one',
    method: 'GET',
    path: () => `/v1/users/${state.userId}`,
    ok: 200,
    change: false,
    check: (a) => expect(a.body).toMatchObject({ id: state.userId, email: OPS_USER.email }),
  },
  {
    action: 'Admin_users_sessions_read',
    method: 'GET',
    path: () => `/v1/users/${state.userId}/sessions`,
    ok: 200,
    change: false,
    check: (a) => {
      expect(a.body.sessions).toHaveLength(1);
      state.handle = a.body.sessions[0].handle;
    },
  },
  {
    action: 'Admin_users_sessions_revoke',
    method: 'DELETE',
    path: () => `/v1/users/${state.userId}/sessions/${state.handle}`,
    ok: 204,
    change: true,
    check: async () => {
      // The user's browser is signed out: the authorize request asks for a sign-in again.
      expect(await browserSignedIn()).toBe(false);
      expect((await call('GET', `/v1/users/${state.userId}/sessions`, creds.root)).body.sessions).toEqual([]);
      await signInOpsUser();
    },
  },
  {
    action: 'Admin_users_sessions_revoke',
    method: 'POST',
    path: () => `/v1/users/${state.userId}/sessions/revoke`,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body.sessions_revoked).toBe(1);
      expect(await browserSignedIn()).toBe(false);
    },
  },
  {
    action: 'Admin_users_disable',
    method: 'POST',
    path: () => `/v1/users/${state.userId}/disable`,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body.status).toBe('disabled');
      await expect(signInOpsUser()).rejects.toThrow();
    },
  },
  {
    action: 'Admin_users_disable',
    method: 'POST',
    path: () => `/v1/users/${state.userId}/enable`,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body.status).toBe('active');
      await signInOpsUser();
    },
  },
  {
    action: 'Admin_users_reset_password',
    method: 'POST',
    path: () => `/v1/users/${state.userId}/password-reset`,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body.reset_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(a.body.sessions_revoked).toBe(1);
      const redeem = (password: string) =>
        fetch(`${tp.platform.urls.auth}/password-reset`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: a.body.reset_token, password }).toString(),
        });
      // A refused password does not spend the token; the token works once.
      expect((await redeem('short')).status).toBe(400);
      expect((await redeem(NEW_PASSWORD)).status).toBe(200);
      expect((await redeem(`${NEW_PASSWORD}!`)).status).toBe(400);
      await expect(signInOpsUser()).rejects.toThrow();
      await signInOpsUser(NEW_PASSWORD);
    },
  },
  {
    action: 'Admin_users_mfa_remove',
    method: 'DELETE',
    path: () => `/v1/users/${state.userId}/mfa/all`,
    before: enrolOpsTotp,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body).toEqual({ user_id: state.userId, removed: ['totp', 'backup_codes'], second_factor: false });
      // Sign-in asks for the password only again.
      await signInOpsUser(NEW_PASSWORD);
      // A passkey by its name (stored as the passkey enrolment would; its removal is the store's own).
      await tp.sql(
        "insert into user_passkeys (id, user_id, public_key, device_type, name) values ('cred-ops-1', $1, 'pk', 'singleDevice', 'lost phone')",
        [state.userId],
      );
      const other = await call('DELETE', `/v1/users/${state.userId}/mfa/passkeys?name=desk%20key`, creds.root);
      expect(other.status).toBe(404);
      const named = await call('DELETE', `/v1/users/${state.userId}/mfa/passkeys?name=lost%20phone`, creds.root);
      expect(named.body).toEqual({ user_id: state.userId, removed: ['passkey:lost phone'], second_factor: false });
      expect(await tp.sql('select 1 from user_passkeys where user_id = $1', [state.userId])).toHaveLength(0);
      expect((await call('DELETE', `/v1/users/${state.userId}/mfa/sms`, creds.root)).status).toBe(400);
    },
  },
  {
    action: 'Admin_users_refresh_revoke',
    method: 'POST',
    path: () => `/v1/users/${state.userId}/refresh-tokens/revoke`,
    before: startOpsFamily,
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body).toEqual({ user_id: state.userId, families_revoked: 1 });
      // The user's session is still live, but the family is over.
      const refused = await refresh(tp.platform.urls.auth, refreshClient, state.refreshToken);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_grant');
      expect(await browserSignedIn()).toBe(true);
      // The family's access tokens are denylisted with it.
      expect(
        await eventually(
          async () => (await introspect(tp, webClient, state.accessToken)).body.active === false,
          10_000,
        ),
      ).toBe(true);
    },
  },
  // ---- alerts, audit log, webhooks (the monitor Worker's API) ----
  {
    action: 'Admin_alerts_read',
    method: 'GET',
    path: () => '/v1/alerts?status=open&detector=client_secret_guessing',
    ok: 200,
    change: false,
    check: async () => {
      const found = await eventually(async () => {
        const a = await call('GET', '/v1/alerts?status=open&detector=client_secret_guessing', creds.root);
        return (a.body.alerts as { id: string; subject: { client_id?: string } }[]).find(
          (x) => x.subject.client_id === state.guessedClient,
        );
      }, 30_000);
      expect(found).toBeDefined();
      state.alertId = found!.id;
    },
  },
  {
    action: 'Admin_alerts_read',
    method: 'GET',
    path: () => `/v1/alerts/${state.alertId}`,
    ok: 200,
    change: false,
    check: (a) => expect(a.body).toMatchObject({ id: state.alertId, status: 'open' }),
  },
  {
    action: 'Admin_alerts_acknowledge',
    method: 'POST',
    path: () => `/v1/alerts/${state.alertId}/acknowledge`,
    ok: 200,
    change: true,
    check: (a) => expect(a.body).toMatchObject({ status: 'acknowledged', acknowledged_by: 'root' }),
  },
  {
    action: 'Admin_alerts_resolve',
    method: 'POST',
    path: () => `/v1/alerts/${state.alertId}/resolve`,
    ok: 200,
    change: true,
    check: (a) => expect(a.body).toMatchObject({ status: 'resolved', resolved_by: 'root' }),
  },
  {
    action: 'Admin_events_read',
    method: 'GET',
    path: () => `/v1/audit?type=client.authentication_failed&client_id=${state.guessedClient}&limit=5`,
    ok: 200,
    change: false,
    check: (a) => {
      expect(a.body.events.length).toBeGreaterThan(0);
      expect(a.body.events.every((e: { client_id: string }) => e.client_id === state.guessedClient)).toBe(true);
    },
  },
  {
    action: 'Admin_events_read',
    method: 'GET',
    path: () => '/v1/audit/counts',
    ok: 200,
    change: false,
    check: (a) => {
      // Every event of the last hour, counted: at least the 12 failed authentications of the guessing attack.
      const failed = (a.body.counts as { type: string; outcome: string; count: number }[]).find(
        (x) => x.type === 'client.authentication_failed' && x.outcome === 'failure',
      );
      expect(failed?.count).toBeGreaterThanOrEqual(12);
      expect(Date.parse(a.body.until) - Date.parse(a.body.since)).toBe(3600_000);
    },
  },
  {
    action: 'Admin_webhooks_create',
    method: 'POST',
    path: () => '/v1/webhooks',
    body: () => ({ url: 'https://hooks.example.com/esp', min_severity: 'high' }),
    ok: 201,
    change: true,
    check: (a) => {
      state.webhookId = a.body.id;
      expect(a.body.secret).toMatch(/^whsec_/);
    },
  },
  {
    action: 'Admin_webhooks_read',
    method: 'GET',
    path: () => '/v1/webhooks',
    ok: 200,
    change: false,
    check: (a) => {
      expect(a.body.endpoints.map((e: { id: string }) => e.id)).toContain(state.webhookId);
      expect(JSON.stringify(a.body)).not.toContain('whsec_');
    },
  },
  {
    action: 'Admin_webhooks_update',
    method: 'PATCH',
    path: () => `/v1/webhooks/${state.webhookId}`,
    body: () => ({ disabled: true }),
    ok: 200,
    change: true,
    check: (a) => expect(a.body.disabled).toMatchObject({ reason: expect.any(String) }),
  },
  {
    action: 'Admin_webhooks_delete',
    method: 'DELETE',
    path: () => `/v1/webhooks/${state.webhookId}`,
    ok: 204,
    change: true,
  },
  // ---- operators: users who may sign in to the dashboard ----
  {
    action: 'Admin_credentials_create',
    method: 'PUT',
    path: () => `/v1/operators/${state.userId}`,
    body: () => ({ roles: ['readonly', 'secops'] }),
    ok: 200,
    change: true,
    check: async (a) => {
      expect(a.body).toMatchObject({
        user_id: state.userId,
        principal: `user:${state.userId}`,
        roles: ['readonly', 'secops'],
        granted_by: 'root',
      });
      // Stored as an admin credential for user:<id> whose bearer token nobody holds (only its hash exists).
      const rows = await pool.query('select token_hash, revoked_at from admin_credentials where id = $1', [
        a.body.credential_id,
      ]);
      expect(rows.rows[0]).toMatchObject({
        token_hash: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        revoked_at: null,
      });
      // Only an existing user can be made an operator (the auth Worker's 404 is passed on).
      const unknownUser = await call('PUT', `/v1/operators/${crypto.randomUUID()}`, creds.root, {
        roles: ['readonly'],
      });
      expect(unknownUser.status).toBe(404);
    },
  },
  {
    action: 'Admin_credentials_read',
    method: 'GET',
    path: () => '/v1/operators',
    ok: 200,
    change: false,
    check: (a) =>
      expect(a.body.operators).toContainEqual(
        expect.objectContaining({ user_id: state.userId, roles: ['readonly', 'secops'] }),
      ),
  },
  {
    action: 'Admin_credentials_revoke',
    method: 'DELETE',
    path: () => `/v1/operators/${state.userId}`,
    ok: 204,
    change: true,
    check: async () => {
      const list = await call('GET', '/v1/operators', creds.root);
      expect(list.body.operators.map((o: { user_id: string }) => o.user_id)).not.toContain(state.userId);
      expect((await call('DELETE', `/v1/operators/${state.userId}`, creds.root)).status).toBe(404);
    },
  },
];

describe('every admin API route', () => {
  for (const row of ROUTES) {
    describe(`${row.method} ${row.action} (route ${ROUTES.indexOf(row) + 1})`, () => {
      it('401 without a credential, with the admin challenge', async () => {
        const a = await call(row.method, row.path(), undefined, row.body?.());
        expect(a.status).toBe(401);
        expect(a.headers.get('content-type')).toContain('application/problem+json');
        expect(a.headers.get('www-authenticate')).toContain('realm="admin"');
        // Refused by the admin Worker itself, not only by the Worker behind it.
        expect(a.body.instance).toBe(row.path().split('?')[0]);
      });

      it('403 for a role without the action, recorded as authorization.denied', async () => {
        const a = await call(row.method, row.path(), creds.nobody, row.body?.());
        expect(a.status, JSON.stringify(a.body)).toBe(403);
        expect(a.body.code).toBe('ERR_FORBIDDEN');
        const denied = await eventually(async () => {
          const events = await securityEvents(tp);
          return events.find(
            (e) =>
              e.type === 'authorization.denied' &&
              e.service === 'admin' &&
              JSON.parse(e.details ?? '{}').action === row.action &&
              JSON.parse(e.details ?? '{}').admin === 'nobody',
          );
        }, 10_000);
        expect(denied).toBeDefined();
      });

      it(`happy path: ${row.ok}${row.change ? ', audited with the actor' : ''}`, async () => {
        await row.before?.();
        const a = await call(row.method, row.path(), creds.root, row.body?.());
        expect(a.status, JSON.stringify(a.body)).toBe(row.ok);
        await row.check?.(a);
        if (row.change) {
          const event = await auditEvent(row.action, 'root');
          expect(event, `admin.action ${row.action}`).toBeDefined();
          expect(event?.details.credential).toMatch(/^cred-root-/);
        }
      });
    });
  }

  // Runs after the happy paths, which fill in the ids the rows' paths carry.
  it('covers exactly the admin API routes of the OpenAPI document, each with its action', async () => {
    const doc = (await call('GET', '/openapi.json', undefined)).body as { paths: Record<string, any> };
    const documented = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/v1/') && !p.startsWith('/v1/authorize'))
      .flatMap(([p, item]) =>
        Object.entries(item).map(
          ([m, op]) => `${m.toUpperCase()} ${p} ${(op as Record<string, string>)['x-admin-action']}`,
        ),
      )
      .sort();
    const tested = [
      ...new Set(
        ROUTES.map((r) => {
          const path = (r.path().split('?')[0] as string)
            .replace(state.clientId, '{client_id}')
            .replace(/\/versions\/\d+/, '/versions/{version}')
            .replace('/entities/User/u-1', '/entities/{type}/{id}')
            .replace(state.tokenId, '{id}')
            .replace(new RegExp(`/sessions/${state.handle || 'no handle'}$`), '/sessions/{handle}')
            .replace(/\/mfa\/[a-z-]+$/, '/mfa/{factor}')
            .replace(/\/(users|alerts|webhooks|operators)\/[0-9a-f-]{36}/, '/$1/{id}');
          return `${r.method} ${path} ${r.action}`;
        }),
      ),
    ].sort();
    expect(tested).toEqual(documented);
  });
});

describe('roles', () => {
  it('client-admin manages clients and nothing else; readonly reads', async () => {
    const created = await call('POST', '/v1/clients', creds.clerk, { client_name: 'clerk made' });
    expect(created.status).toBe(201);
    expect((await auditEvent('Admin_clients_create', 'clerk'))?.details.client_id).toBe(created.body.client_id);
    expect((await call('POST', '/v1/keys/rotate', creds.clerk)).status).toBe(403);
    expect((await call('GET', '/v1/clients', creds.reader)).status).toBe(200);
    expect((await call('GET', '/v1/keys', creds.reader)).status).toBe(200);
    expect((await call('POST', `/v1/clients/${created.body.client_id}/disable`, creds.reader)).status).toBe(403);
  });
});

describe('emergency rotation', () => {
  it('needs its own action also at the auth Worker: secops rotates on schedule, never pulls every key', async () => {
    const secops = await adminCredential(pool, 'sec', ['secops']);
    expect((await call('POST', '/v1/keys/emergency-rotate', secops, { reason: 'try' })).status).toBe(403);
    // Straight to the auth Worker's own admin API, around the admin Worker: refused as well, and nothing revoked.
    const before = await tp.sql<{ n: number }>("select count(*)::int as n from signing_keys where status = 'revoked'");
    const direct = await fetch(`${tp.platform.urls.auth}/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secops}`, 'content-type': 'application/json' },
      body: '{"immediate": true}',
    });
    expect(direct.status).toBe(403);
    const after = await tp.sql<{ n: number }>("select count(*)::int as n from signing_keys where status = 'revoked'");
    expect(after[0]?.n).toBe(before[0]?.n);
    expect((await call('POST', '/v1/keys/rotate', secops)).status).toBe(200);
  });
});

describe('validation', () => {
  it('answers 400 problem+json from the schemas, only after authentication', async () => {
    const bad = { scope: 42, unknown_field: true };
    expect((await call('POST', '/v1/clients', undefined, bad)).status).toBe(401);
    const a = await call('POST', '/v1/clients', creds.root, bad);
    expect(a.status).toBe(400);
    expect(a.headers.get('content-type')).toContain('application/problem+json');
    expect(a.body.code).toBe('ERR_VALIDATION');
    expect(a.body.errors.length).toBeGreaterThan(0);
    const malformed = await fetch(`${tp.platform.urls.admin}/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.root}`, 'content-type': 'application/json' },
      body: '{"client_name": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    expect((await call('GET', '/v1/policies/diff?from=x&to=1', creds.root)).status).toBe(400);
    expect((await call('GET', '/v1/nothing-here', creds.root)).status).toBe(404);
    const wrongMethod = await call('PUT', '/v1/clients', creds.root, {});
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('POST');
  });

  it('bounds the body: 413 past MAX_BODY_BYTES also when chunked, 415 unless JSON', async () => {
    const big = `{"client_name": "${'x'.repeat(70 * 1024)}"}`;
    const declared = await call('POST', '/v1/clients', creds.root, JSON.parse(big));
    expect(declared.status).toBe(413);
    const chunked = await fetch(`${tp.platform.urls.admin}/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.root}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 8; i++)
            controller.enqueue(new TextEncoder().encode(i === 0 ? big.slice(0, 10_000) : 'x'.repeat(10_000)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const form = await fetch(`${tp.platform.urls.admin}/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.root}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(form.status).toBe(415);
  });

  it("passes the auth Worker's own metadata refusal on as 400", async () => {
    const a = await call('POST', '/v1/clients', creds.root, { scope: 'not-a-supported-scope' });
    expect(a.status).toBe(400);
    expect(a.body.code).toBe('ERR_VALIDATION');
  });
});

describe('operator API tokens', () => {
  const create = (by: string, body: unknown) => call('POST', '/v1/tokens', by, body);

  it('work for their scopes only, here and in the Worker behind the admin API', async () => {
    const made = await create(creds.root, { name: 'reader bot', scopes: ['Admin_clients_read'], expires_in: 600 });
    expect(made.status).toBe(201);
    const token = made.body.token as string;
    // Only the hash is stored.
    const rows = await tp.sql<{ token_hash: string }>('select token_hash from admin_tokens where id = $1', [
      made.body.id,
    ]);
    expect(rows[0]?.token_hash).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(JSON.stringify(rows)).not.toContain(token);
    // In scope: the admin Worker and the auth Worker (which re-authorizes the forwarded credential) both allow it.
    expect((await call('GET', '/v1/clients', token)).status).toBe(200);
    // Out of scope, although its superadmin role would allow it: 403, recorded.
    const out = await call('GET', '/v1/keys', token);
    expect(out.status).toBe(403);
    expect(out.body.detail).toContain('outside the scopes');
    // The auth Worker's own admin API refuses it out of scope too.
    const direct = await fetch(`${tp.platform.urls.auth}/admin/keys`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(direct.status).toBe(403);
  });

  it('cannot be wider than their creator, in roles, scopes or lifetime', async () => {
    const up = await create(creds.reader, {
      name: 'x',
      scopes: ['Admin_clients_read'],
      roles: ['superadmin'],
      expires_in: 600,
    });
    // reader lacks Admin_credentials_create in the shipped policy: refused before anything else.
    expect(up.status).toBe(403);
    const wide = await create(creds.root, {
      name: 'x',
      scopes: ['Admin_clients_read'],
      roles: ['readonly'],
      expires_in: 600,
    });
    expect(wide.status).toBe(400);
    expect(wide.body.detail).toContain("creator's");
    // A token allowed to mint tokens cannot mint a wider or longer-lived one.
    const minter = await create(creds.root, {
      name: 'minter',
      scopes: ['Admin_credentials_create', 'Admin_clients_read'],
      expires_in: 600,
    });
    expect(minter.status).toBe(201);
    const wider = await create(minter.body.token, { name: 'y', scopes: ['Admin_keys_rotate'], expires_in: 60 });
    expect(wider.status).toBe(400);
    expect(wider.body.detail).toContain('does not hold');
    const longer = await create(minter.body.token, { name: 'y', scopes: ['Admin_clients_read'], expires_in: 7200 });
    expect(longer.status).toBe(400);
    const fine = await create(minter.body.token, { name: 'y', scopes: ['Admin_clients_read'], expires_in: 300 });
    expect(fine.status).toBe(201);
    expect((await call('GET', '/v1/clients', fine.body.token)).status).toBe(200);
    expect((await create(creds.root, { name: 'z', scopes: ['Admin_clients_read'], expires_in: 10 ** 9 })).status).toBe(
      400,
    );
  });

  it('end with what they descend from: a revoked token takes its descendants, a revoked credential its tokens', async () => {
    const boss = await adminCredential(pool, 'boss', ['superadmin']);
    const minter = await create(boss, {
      name: 'minter',
      scopes: ['Admin_credentials_create', 'Admin_clients_read'],
      expires_in: 600,
    });
    expect(minter.body).toMatchObject({ parent_token: null, root_credential: expect.stringMatching(/^cred-boss-/) });
    const child = await create(minter.body.token, { name: 'child', scopes: ['Admin_clients_read'], expires_in: 300 });
    expect(child.body).toMatchObject({ parent_token: minter.body.id, root_credential: minter.body.root_credential });
    const grandchild = await create(child.body.token, { name: 'gc', scopes: ['Admin_clients_read'], expires_in: 60 });
    // child lacks Admin_credentials_create in its scopes: it cannot mint.
    expect(grandchild.status).toBe(403);
    const sibling = await create(boss, { name: 'sibling', scopes: ['Admin_clients_read'], expires_in: 600 });
    for (const t of [minter, child, sibling]) expect((await call('GET', '/v1/clients', t.body.token)).status).toBe(200);

    const revoked = await call('DELETE', `/v1/tokens/${minter.body.id}`, creds.root);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked_descendants: 1 });
    for (const t of [minter, child]) {
      expect(
        await eventually(async () => (await call('GET', '/v1/clients', t.body.token)).status === 401, 10_000),
      ).toBe(true);
    }
    expect((await call('GET', '/v1/clients', sibling.body.token)).status).toBe(200);

    // The operator's credential is revoked (SQL, as k8s-fallback/README.md describes): its tokens end with it.
    await tp.sql("update admin_credentials set revoked_at = now() where principal_id = 'boss'");
    expect(
      await eventually(async () => (await call('GET', '/v1/clients', sibling.body.token)).status === 401, 10_000),
    ).toBe(true);
  });

  it('stop working when expired or revoked', async () => {
    const made = await create(creds.root, { name: 'short', scopes: ['Admin_clients_read'], expires_in: 600 });
    const token = made.body.token as string;
    expect((await call('GET', '/v1/clients', token)).status).toBe(200);
    await tp.sql("update admin_tokens set expires_at = now() - interval '1 second' where id = $1", [made.body.id]);
    // Within the credential cache's 5 s at most.
    expect(await eventually(async () => (await call('GET', '/v1/clients', token)).status === 401, 10_000)).toBe(true);

    const other = await create(creds.root, { name: 'revoked', scopes: ['Admin_clients_read'], expires_in: 600 });
    expect((await call('GET', '/v1/clients', other.body.token)).status).toBe(200);
    expect((await call('DELETE', `/v1/tokens/${other.body.id}`, creds.root)).status).toBe(200);
    expect(
      await eventually(async () => (await call('GET', '/v1/clients', other.body.token)).status === 401, 10_000),
    ).toBe(true);
    expect((await call('DELETE', `/v1/tokens/${other.body.id}`, creds.root)).status).toBe(404);
  });
});
