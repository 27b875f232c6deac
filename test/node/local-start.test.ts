/**
 * `npm start` hands the Workers every setting its environment gives by the documented name. A user who sets
 * REGISTRATION_TOKEN gets registration protected by it (and a banner that says so), never open registration.
 * The environment is composed by scripts/lib/local-env.mjs exactly as scripts/start.mjs does, and run under the
 * real workerd with the generated platform config against this run's own database and Redis prefix.
 * The dashboard works out of the box: `startWithDashboard` (scripts/lib/local-dashboard.mjs, what start.mjs runs)
 * registers the admin Worker as a first-party confidential client, restarts the Workers with it, and seeds a local
 * operator whose printed credentials sign in to the dashboard through the hosted login, with the second factor the
 * policy wants for the `admin` scope: refused without one (and told where to enrol it), then password and TOTP.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dashboardNotice,
  LOCAL_OPERATOR_EMAIL,
  provisionDashboard,
  startWithDashboard,
} from '../../scripts/lib/local-dashboard.mjs';
import { localWorkerEnv, registrationNotice } from '../../scripts/lib/local-env.mjs';
import { generatedSecrets, platformConfigPath, platformSockets, startWorkerd } from '../../scripts/lib/platform.mjs';
import { startTestDataPlane, type TestDataPlane } from './harness.js';
import { Browser, completeLogin, enrolTotp } from './oidc-helpers.js';

const REGISTRATION_TOKEN = randomBytes(24).toString('base64url');
const secrets = {
  KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  ADMIN_BOOTSTRAP_TOKEN: randomBytes(32).toString('base64url'),
  ...generatedSecrets(),
};
const metadata = JSON.stringify({
  client_name: 'local',
  grant_types: ['client_credentials'],
  token_endpoint_auth_method: 'client_secret_basic',
});

describe('npm start passes Worker settings by their documented names', () => {
  let dp: TestDataPlane;
  let doStorageDir: string;

  beforeAll(async () => {
    dp = await startTestDataPlane();
    doStorageDir = mkdtempSync(join(tmpdir(), 'esp-local-'));
  }, 60_000);

  afterAll(async () => {
    await dp?.stop();
    if (doStorageDir) rmSync(doStorageDir, { recursive: true, force: true });
  }, 60_000);

  /** Starts the platform with the env `npm start` would build from `processEnv`; returns the auth URL. */
  async function start(processEnv: Record<string, string>) {
    const sockets = await platformSockets();
    const env = localWorkerEnv({
      processEnv: { ...processEnv, LOG_REQUESTS: 'false' },
      dataPlane: { ...dp, redisKeyPrefix: dp.redisPrefix },
      secrets,
      issuer: `http://${sockets.auth}`,
    });
    const workerd = await startWorkerd({ config: platformConfigPath(), sockets, env, doStorageDir });
    return { env, workerd, auth: `http://${workerd.sockets.auth}` };
  }

  const register = (auth: string, token?: string) =>
    fetch(`${auth}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: metadata,
    });

  it('REGISTRATION_TOKEN in the environment: registration requires it, and the banner says so', async () => {
    const { env, workerd, auth } = await start({ REGISTRATION_TOKEN, DATABASE_URL: dp.databaseUrl });
    try {
      expect(env.REGISTRATION_TOKEN).toBe(REGISTRATION_TOKEN);
      expect(registrationNotice(env)).toMatch(/requires REGISTRATION_TOKEN/);
      const open = await register(auth);
      expect(open.status, await open.clone().text()).toBe(401);
      expect(((await open.json()) as { error: string }).error).toBe('invalid_token');
      expect((await register(auth, 'not-the-registration-token')).status).toBe(401);
      const ok = await register(auth, REGISTRATION_TOKEN);
      expect(ok.status, await ok.clone().text()).toBe(201);
      const discovery = (await (await fetch(`${auth}/.well-known/oauth-authorization-server`)).json()) as object;
      expect(discovery).toHaveProperty('registration_endpoint');
    } finally {
      await workerd.stop();
    }
  }, 60_000);

  it('without it, local registration is open (the documented local default), and the banner says so', async () => {
    const { env, workerd, auth } = await start({});
    try {
      expect(env.REGISTRATION_TOKEN).toBeUndefined();
      expect(registrationNotice(env)).toMatch(/open client registration is ON/);
      expect((await register(auth)).status).toBe(201);
    } finally {
      await workerd.stop();
    }
  }, 60_000);

  it('ALLOW_OPEN_REGISTRATION=false in the environment turns the local default off', async () => {
    const env = localWorkerEnv({
      processEnv: { ALLOW_OPEN_REGISTRATION: 'false' },
      dataPlane: { ...dp, redisKeyPrefix: dp.redisPrefix },
      secrets,
      issuer: 'http://127.0.0.1:8080',
    });
    expect(env.ALLOW_OPEN_REGISTRATION).toBe('false');
    expect(registrationNotice(env)).toMatch(/registration is off/);
    // The data plane's addresses are the script's: a stray PG_WS_PROXY cannot point the Workers elsewhere.
    const stray = localWorkerEnv({
      processEnv: { PG_WS_PROXY: 'elsewhere:1', REDIS_KEY_PREFIX: 'elsewhere:' },
      dataPlane: { ...dp, redisKeyPrefix: dp.redisPrefix },
      secrets,
      issuer: 'x',
    });
    expect(stray.PG_WS_PROXY).toBe(dp.pgProxy);
    // The prefix is the one the Redis bridge enforces, and each Worker gets its own token.
    expect(stray.REDIS_KEY_PREFIX).toBe(dp.redisPrefix);
    expect(stray.UPSTASH_REDIS_REST_TOKEN_AUTH).toBe(dp.redisTokens.auth);
  });

  it('the dashboard works out of the box: first-party client, seeded operator, sign-in through the hosted login', async () => {
    const sockets = await platformSockets();
    const urls = { auth: `http://${sockets.auth}`, admin: `http://${sockets.admin}` };
    const env = localWorkerEnv({
      processEnv: { LOG_REQUESTS: 'false' },
      dataPlane: { ...dp, redisKeyPrefix: dp.redisPrefix },
      secrets,
      issuer: urls.auth,
    });
    const launches: Record<string, string>[] = [];
    const launch = async (launchEnv: Record<string, string>) => {
      launches.push(launchEnv);
      return startWorkerd({ config: platformConfigPath(), sockets, env: launchEnv, doStorageDir });
    };
    // A first run: nothing kept, so the client is registered and the Workers start again with it.
    const started = await startWithDashboard({ launch, env, secrets, urls });
    try {
      expect(started.problem).toBeUndefined();
      expect(launches).toHaveLength(2);
      expect(launches[0]!.DASHBOARD_CLIENT_ID).toBeUndefined();
      expect(launches[1]).toMatchObject({
        DASHBOARD_ISSUER: urls.auth,
        DASHBOARD_CLIENT_ID: started.client!.id,
        DASHBOARD_CLIENT_SECRET: started.client!.secret,
      });
      const operator = started.operator!;
      expect(operator.email).toBe(LOCAL_OPERATOR_EMAIL);
      expect(operator.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(dashboardNotice(urls, operator)).toContain(
        `sign in as ${LOCAL_OPERATOR_EMAIL} with password ${operator.password}`,
      );
      expect(dashboardNotice(urls, operator)).toContain('operators sign in with a second factor');
      expect(dashboardNotice(urls, operator)).toContain(
        `${urls.auth}/account/security (an authenticator app or a passkey)`,
      );
      const admin = (path: string) =>
        fetch(`${urls.admin}${path}`, { headers: { authorization: `Bearer ${secrets.ADMIN_BOOTSTRAP_TOKEN}` } });
      const client = (await (await admin(`/v1/clients/${started.client!.id}`)).json()) as Record<string, unknown>;
      expect(client).toMatchObject({
        first_party: true,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${urls.admin}/dashboard/callback`],
        scope: 'openid email admin',
      });
      const operators = (await (await admin('/v1/operators')).json()) as { operators: Record<string, unknown>[] };
      expect(operators.operators).toContainEqual(
        expect.objectContaining({ user_id: operator.userId, roles: ['superadmin'], granted_by: 'bootstrap' }),
      );

      // The banner's credentials alone: the policy wants a second factor for the dashboard's `admin` scope, the
      // operator has none, so the dashboard says where to set one up (signed in there by this sign-in).
      const dashboard = new Browser(urls.admin);
      const hosted = new Browser(urls.auth);
      const creds = { email: operator.email, password: operator.password! };
      const first = await dashboard.get('/dashboard/login');
      expect(first.status).toBe(302);
      expect(new URL(first.headers.get('location')!).searchParams.get('scope')).toBe('openid email admin');
      const refusal = await completeLogin(hosted, first.headers.get('location')!, creds);
      expect(refusal.searchParams.get('error')).toBe('access_denied');
      const refused = await dashboard.get(refusal.href);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain(
        `Set one up under <a href="${urls.auth}/account/security">${urls.auth}/account/security</a>`,
      );
      expect(dashboard.jar.cookies.has('esp_dashboard')).toBe(false);
      const { totp } = await enrolTotp(hosted);

      // Enrolled: the banner's credentials and a code sign in (the dashboard's login, the hosted login with its
      // second step, no consent: first-party, back).
      const login = await dashboard.get('/dashboard/login');
      expect(login.status).toBe(302);
      const callback = await completeLogin(new Browser(urls.auth), login.headers.get('location')!, {
        ...creds,
        secondFactor: () => totp.generate(),
      });
      expect(`${callback.origin}${callback.pathname}`).toBe(`${urls.admin}/dashboard/callback`);
      const signedIn = await dashboard.get(callback.href);
      expect(signedIn.status, await signedIn.clone().text()).toBe(303);
      const overview = await dashboard.get('/dashboard');
      const page = await overview.text();
      expect(overview.status).toBe(200);
      expect(page).toContain('<h1>Overview</h1>');
      expect(page).toContain(LOCAL_OPERATOR_EMAIL);

      // A later run with the kept secrets: everything checks out, no new client, no second start.
      const kept = { ...secrets, ...started.keep };
      const again = await provisionDashboard({ urls, env: started.env, secrets: kept });
      expect(again.restart).toBe(false);
      expect(again.client).toEqual(started.client);
      expect(again.operator).toMatchObject({ userId: operator.userId, password: operator.password });
    } finally {
      await started.workerd.stop();
    }
  }, 120_000);
});
