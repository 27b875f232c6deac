// `npm start`'s dashboard, working out of the box (local runs only, never a deployment):
// - the admin Worker is registered as a confidential, first-party OpenID Connect client of the auth Worker
//   (authorization_code, client_secret_basic, the loopback redirect http://127.0.0.1:<admin port>/dashboard/callback,
//   scope `openid email admin`: the dashboard asks for `admin`, which the shipped policy allows only with a second
//   factor) and given DASHBOARD_ISSUER / DASHBOARD_CLIENT_ID / DASHBOARD_CLIENT_SECRET;
// - a local operator account (operator@local.test) is created with a generated password and made an operator
//   (superadmin) through the admin API's `PUT /v1/operators/{id}`, with the bootstrap token: audited like any grant.
//   Its second factor is the operator's own to enrol (at <auth>/account/security): the banner says how.
// The client and the password are kept in .data/local-secrets.json (0600) with the other local secrets, so a restart
// reuses them; they are checked against the running platform each time (a reset database gets new ones). Settings
// the caller gave (DASHBOARD_CLIENT_ID ...) are left alone. Nothing here has a default password: it is generated.
import { randomBytes } from 'node:crypto';

export const LOCAL_OPERATOR_EMAIL = 'operator@local.test';
/** The dashboard client's scope: the dashboard's sign-in asks for all of it (workers/admin/src/dashboard). */
export const DASHBOARD_CLIENT_SCOPE = 'openid email admin';

/** The dashboard settings kept from an earlier run, for the first start of workerd (checked after it is up). */
export function keptDashboardEnv(secrets, issuer) {
  if (!secrets.DASHBOARD_CLIENT_ID || !secrets.DASHBOARD_CLIENT_SECRET) return {};
  return {
    DASHBOARD_ISSUER: issuer,
    DASHBOARD_CLIENT_ID: secrets.DASHBOARD_CLIENT_ID,
    DASHBOARD_CLIENT_SECRET: secrets.DASHBOARD_CLIENT_SECRET,
  };
}

/** The generated password of the local operator, made once and kept with the local secrets. */
export function localOperatorPassword(secrets) {
  return secrets.LOCAL_OPERATOR_PASSWORD ?? randomBytes(18).toString('base64url');
}

async function call(base, method, path, opts = {}) {
  // A Worker's first requests may find the policy Worker still loading Cedar (503): wait for it, briefly.
  for (let attempt = 1; ; attempt++) {
    const answer = await callOnce(base, method, path, opts);
    if (answer.status !== 503 || attempt >= 10) return answer;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function callOnce(base, method, path, { token, body, headers = {} } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: text.slice(0, 300) };
  }
  return { status: res.status, body: parsed };
}

function expectStatus(answer, status, what) {
  if (answer.status !== status) {
    throw new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`);
  }
  return answer.body;
}

/**
 * Whether the kept client still is the dashboard's: present, active, first-party, with this redirect URI and the
 * dashboard's scope (a client kept from before the `admin` scope is registered again), and the secret still
 * authenticates it (the token endpoint tells a wrong secret, 401 invalid_client, from a bogus code,
 * 400 invalid_grant).
 */
async function clientWorks({ urls, admin, callback }, id, secret) {
  if (!id || !secret) return false;
  const client = await call(urls.admin, 'GET', `/v1/clients/${encodeURIComponent(id)}`, { token: admin });
  if (client.status !== 200) return false;
  const c = client.body;
  if (c.status !== 'active' || !c.first_party || !c.redirect_uris?.includes(callback)) return false;
  const scope = String(c.scope ?? '').split(' ');
  if (!DASHBOARD_CLIENT_SCOPE.split(' ').every((s) => scope.includes(s))) return false;
  const basic = Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
  const probe = await fetch(`${urls.auth}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: 'probe', redirect_uri: callback }).toString(),
  });
  await probe.body?.cancel();
  return probe.status === 400;
}

/** Registers the dashboard's client (RFC 7591, with REGISTRATION_TOKEN when set) and marks it first-party. */
async function registerClient({ urls, admin, callback, env }) {
  const privileged = Boolean(env.REGISTRATION_TOKEN);
  const registered = expectStatus(
    await call(urls.auth, 'POST', '/oauth/register', {
      token: env.REGISTRATION_TOKEN,
      body: {
        // "native" only because the local admin origin is http://127.0.0.1 (RFC 8252 loopback); deployed, the
        // dashboard is a web client with an https redirect URI.
        application_type: 'native',
        client_name: 'Edge Security dashboard (local)',
        redirect_uris: [callback],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: DASHBOARD_CLIENT_SCOPE,
        ...(privileged ? { first_party: true } : {}),
      },
    }),
    201,
    'registering the dashboard client',
  );
  if (!privileged) {
    // Open registration cannot claim first-party (an operator flag): the bootstrap credential sets it.
    expectStatus(
      await call(urls.admin, 'PATCH', `/v1/clients/${encodeURIComponent(registered.client_id)}`, {
        token: admin,
        body: { first_party: true },
      }),
      200,
      'marking the dashboard client first-party',
    );
  }
  return { id: registered.client_id, secret: registered.client_secret };
}

/** The local operator: the account (created when missing) and its operator grant (made when missing). */
async function ensureOperator({ urls, admin }, password, passwordKept) {
  const found = expectStatus(
    await call(urls.admin, 'GET', `/v1/users?search=${encodeURIComponent(LOCAL_OPERATOR_EMAIL)}`, { token: admin }),
    200,
    'looking up the local operator',
  );
  let user = found.users.find((u) => u.email === LOCAL_OPERATOR_EMAIL);
  const created = !user;
  if (!user) {
    user = expectStatus(
      await call(urls.admin, 'POST', '/v1/users', {
        token: admin,
        body: { email: LOCAL_OPERATOR_EMAIL, password, name: 'Local operator', email_verified: true },
      }),
      201,
      'creating the local operator',
    );
  }
  const operators = expectStatus(
    await call(urls.admin, 'GET', '/v1/operators?limit=500', { token: admin }),
    200,
    'listing operators',
  );
  if (!operators.operators.some((o) => o.user_id === user.id)) {
    expectStatus(
      await call(urls.admin, 'PUT', `/v1/operators/${user.id}`, { token: admin, body: { roles: ['superadmin'] } }),
      200,
      'granting the local operator superadmin',
    );
  }
  if (!created && !passwordKept) {
    // The account is older than the kept secrets (.data/local-secrets.json was removed): its password is unknown
    // here, so the operator gets a one-time reset instead of a password that would not work.
    const reset = expectStatus(
      await call(urls.admin, 'POST', `/v1/users/${user.id}/password-reset`, { token: admin }),
      200,
      'setting a password reset for the local operator',
    );
    return { email: LOCAL_OPERATOR_EMAIL, userId: user.id, reset: { url: reset.reset_url, token: reset.reset_token } };
  }
  return { email: LOCAL_OPERATOR_EMAIL, password, userId: user.id };
}

/**
 * Makes the dashboard work on a running platform started with `env`. Returns the settings the Workers need
 * (`env`: to restart workerd with when `restart` is true), what to keep in the local secrets, and the operator.
 * @param {{ urls: { auth: string, admin: string }, env: Record<string, string>, secrets: Record<string, string> }} opts
 */
export async function provisionDashboard({ urls, env, secrets }) {
  const ctx = { urls, env, admin: env.ADMIN_BOOTSTRAP_TOKEN, callback: `${urls.admin}/dashboard/callback` };
  const password = localOperatorPassword(secrets);
  const operator = await ensureOperator(ctx, password, Boolean(secrets.LOCAL_OPERATOR_PASSWORD));
  const keep = operator.password ? { LOCAL_OPERATOR_PASSWORD: password } : {};
  if (env.DASHBOARD_CLIENT_ID && env.DASHBOARD_CLIENT_ID !== secrets.DASHBOARD_CLIENT_ID) {
    // The caller configured the dashboard themselves: theirs to keep working.
    return { env, restart: false, keep, operator, client: null };
  }
  let client = { id: env.DASHBOARD_CLIENT_ID, secret: env.DASHBOARD_CLIENT_SECRET };
  const works = env.DASHBOARD_ISSUER === urls.auth && (await clientWorks(ctx, client.id, client.secret));
  if (!works) client = await registerClient(ctx);
  return {
    env: {
      ...env,
      DASHBOARD_ISSUER: urls.auth,
      DASHBOARD_CLIENT_ID: client.id,
      DASHBOARD_CLIENT_SECRET: client.secret,
    },
    restart: !works,
    keep: { ...keep, DASHBOARD_CLIENT_ID: client.id, DASHBOARD_CLIENT_SECRET: client.secret },
    operator,
    client,
  };
}

/** The banner lines for the dashboard. */
export function dashboardNotice(urls, operator) {
  const how = operator.password
    ? `sign in as ${operator.email} with password ${operator.password}  (local operator, superadmin; kept in .data/local-secrets.json)`
    : `sign in as ${operator.email} after setting a password with the one-time reset code ${operator.reset.token} at ${operator.reset.url}`;
  return [
    `  dashboard: ${urls.admin}/dashboard  (use 127.0.0.1, the registered redirect URI's host)`,
    `    ${how}`,
    '    operators sign in with a second factor (a first sign-in without one says so): set one up at',
    `    ${urls.auth}/account/security (an authenticator app or a passkey), then sign in again`,
    `    make another user an operator: PUT ${urls.admin}/v1/operators/<user id> {"roles":[...]} with an admin credential`,
  ].join('\n');
}

/**
 * Starts the Workers with `launch(env)`, provisions the dashboard on them, and starts them once more when its
 * settings changed (the first run, or a reset database). A platform where it cannot be provisioned (registration
 * off, say) still runs: `problem` says why the dashboard is off.
 * @param {{ launch: (env: Record<string, string>) => Promise<{ stop: () => Promise<void> }>,
 *   env: Record<string, string>, secrets: Record<string, string>, urls: { auth: string, admin: string } }} opts
 */
export async function startWithDashboard({ launch, env, secrets, urls }) {
  let workerd = await launch(env);
  let provisioned;
  try {
    provisioned = await provisionDashboard({ urls, env, secrets });
  } catch (err) {
    return { workerd, env, problem: err.message };
  }
  if (provisioned.restart) {
    await workerd.stop();
    workerd = await launch(provisioned.env);
  }
  return { workerd, ...provisioned };
}
