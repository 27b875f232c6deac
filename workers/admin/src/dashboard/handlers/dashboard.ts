/**
 * The dashboard (`/dashboard`), server-rendered by the admin Worker. Why server-rendered: the pages are lists and
 * forms over the admin API; rendering them in the Worker needs no build step, no client bundle, no script under the
 * CSP (so `script-src` stays absent), works without JavaScript, and keeps the operator's token out of any script's
 * reach (it lives in an HttpOnly cookie and is used server-side only).
 *
 * Sign-in: the platform's own OpenID Connect code flow with PKCE (S256), the admin Worker being a confidential
 * client of the auth Worker (client_secret_basic over the AUTH binding); the ID token is verified against the auth
 * Worker's JWKS (issuer, audience, nonce, expiry). The user is an operator when a live admin credential has the
 * principal `user:<sub>` (dashboard/domain/operator-store.ts); the session is an operator API token rooted at that
 * credential, with its roles and every admin API action as scope, for DASHBOARD_SESSION_SECONDS. Sign-out revokes it.
 *
 * Every change is a POST with the session's CSRF token (and, when the browser sends one, a same-origin Origin);
 * each page calls the admin API in-process with the session's token, so every action is authorized by the policy
 * Worker and audited as the operator exactly like an API call.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { hashSecret, randomToken } from '../../../../../shared/crypto.js';
import { html, SafeHtml } from '../../../../../shared/html.js';
import { identityOf } from '../../../../../shared/app.js';
import { dependencyUnavailable } from '../../../../../shared/errors.js';
import { callService, ServiceUnavailableError } from '../../../../../shared/service-client.js';
import { ADMIN_API_ACTIONS } from '../../actions.js';
import type { AdminContext } from '../../services.js';
import { operatorPrincipal } from '../domain/operator-store.js';
import {
  checkCallback,
  decodeTransaction,
  encodeTransaction,
  pkceChallenge,
  sameOriginPost,
  TRANSACTION_SECONDS,
} from '../domain/sign-in.js';
import { csrfField, dashboardPage, type Frame, type PageName, type RenderedPage } from '../pages/layout.js';
import {
  cookie,
  csrfValid,
  type DashboardSession,
  decodeSession,
  encodeSession,
  readCookies,
  SESSION_COOKIE,
  TX_COOKIE,
} from './session.js';

type Fetch = (req: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>;
type Handler = (c: AdminContext) => unknown;
/** What the dashboard needs of the Worker's app: its routes and its fetch (the admin API, called in-process). */
type App = {
  get: (path: string, h: Handler) => unknown;
  post: (path: string, h: Handler) => unknown;
  fetch: Fetch;
};

class SessionEnded extends Error {}

/** The auth Worker over its binding; no answer is a 503 (never a 500). */
async function callAuth(c: AdminContext, path: string, init: RequestInit): Promise<Response> {
  try {
    return await callService(c.env.AUTH, 'auth', path, {
      ...init,
      timeoutMs: c.get('services').config.SERVICE_TIMEOUT_MS,
      identity: identityOf(c as never),
    });
  } catch (err) {
    if (err instanceof ServiceUnavailableError) throw dependencyUnavailable(err.message);
    throw err;
  }
}

interface ApiAnswer {
  status: number;
  /** The admin API's JSON answer, read field by field. */
  body: any;
}

const send = (page: RenderedPage, extra: Record<string, string> = {}) =>
  new Response(page.body, { status: page.status, headers: { ...page.headers, ...extra } });

const param = (c: AdminContext, name: string): string => c.req.param(name) ?? '';

function isSecure(c: AdminContext): boolean {
  return new URL(c.req.url).protocol === 'https:';
}

function dashboardOrigin(c: AdminContext): string {
  return new URL(c.req.url).origin;
}

function configured(c: AdminContext) {
  const { DASHBOARD_ISSUER, DASHBOARD_CLIENT_ID, DASHBOARD_CLIENT_SECRET } = c.get('services').config;
  if (!DASHBOARD_ISSUER || !DASHBOARD_CLIENT_ID || !DASHBOARD_CLIENT_SECRET) return null;
  return {
    issuer: DASHBOARD_ISSUER.replace(/\/$/, ''),
    clientId: DASHBOARD_CLIENT_ID,
    secret: DASHBOARD_CLIENT_SECRET,
  };
}

const fmtTime = (s: unknown) =>
  typeof s === 'number' ? new Date(s * (s < 1e12 ? 1000 : 1)).toISOString().replace('.000Z', 'Z') : String(s ?? '-');

function problemText(a: ApiAnswer): string {
  const detail = a.body?.detail ?? a.body?.title ?? `HTTP ${a.status}`;
  const errors = Array.isArray(a.body?.errors)
    ? a.body.errors.map((e: { path?: string; message?: string } | string) =>
        typeof e === 'string' ? e : `${e.path ? `${e.path}: ` : ''}${e.message ?? ''}`,
      )
    : [];
  return [`${a.status}: ${detail}`, ...errors].join(' — ');
}

export function registerDashboard(app: App): void {
  /** Calls the admin API in-process with the session's token (the full app: guard, validation, audit). */
  async function callApi(c: AdminContext, s: DashboardSession, method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { authorization: `Bearer ${s.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // The operator's own address for the API's rate limits and audit events: the same headers and `cf` as theirs.
    for (const name of ['cf-connecting-ip', 'x-forwarded-for', 'user-agent']) {
      const value = c.req.header(name);
      if (value !== undefined) headers[name] = value;
    }
    const res = await app.fetch(
      new Request(new URL(path, c.req.url), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cf: (c.req.raw as { cf?: RequestInitCfProperties }).cf,
      }),
      c.env,
      c.executionCtx,
    );
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { detail: text.slice(0, 300) };
    }
    // The session's token no longer authenticates (expired, signed out elsewhere, credential revoked).
    if (res.status === 401) throw new SessionEnded();
    return { status: res.status, body: parsed } as ApiAnswer;
  }

  async function sessionOf(c: AdminContext): Promise<DashboardSession | null> {
    return decodeSession(readCookies(c.req.header('cookie')).get(SESSION_COOKIE));
  }

  const frameOf = (s: DashboardSession, current?: PageName): Frame => ({
    operator: { name: s.name, csrf: s.csrf },
    current,
  });

  /** A page for a signed-in operator; without a session (or with an ended one), the sign-in page. */
  function page(_current: PageName, render: (c: AdminContext, s: DashboardSession) => Promise<Response>) {
    return async (c: AdminContext) => {
      const s = await sessionOf(c);
      if (!s) return signInPage(c);
      try {
        return await render(c, s);
      } catch (err) {
        if (!(err instanceof SessionEnded)) throw err;
        const res = signInPage(c, { notice: 'Your session has ended. Sign in again.' });
        res.headers.append('set-cookie', cookie(SESSION_COOKIE, '', isSecure(c), 0));
        return res;
      }
    };
  }

  /** Refuses a change without the session's CSRF token or from another origin. */
  async function change(c: AdminContext, s: DashboardSession): Promise<Record<string, string> | Response> {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(form)) if (typeof v === 'string') fields[k] = v;
    const sameOrigin = sameOriginPost(c.req.header('origin'), c.req.header('sec-fetch-site'), dashboardOrigin(c));
    if (!sameOrigin || !(await csrfValid(s, fields.csrf_token))) {
      return send(
        dashboardPage(frameOf(s), {
          title: 'Request refused',
          status: 403,
          problem: 'This form has expired or did not come from the dashboard. Go back, reload the page and try again.',
          body: html``,
        }),
      );
    }
    return fields;
  }

  function signInPage(c: AdminContext, opts: { problem?: string; notice?: string; status?: number } = {}) {
    const cfg = configured(c);
    return send(
      dashboardPage(
        {},
        {
          title: 'Sign in',
          status: opts.status ?? (cfg ? 200 : 503),
          ...(opts.notice ? { notice: opts.notice } : {}),
          problem: cfg
            ? opts.problem
            : 'The dashboard is not configured (DASHBOARD_ISSUER, DASHBOARD_CLIENT_ID, DASHBOARD_CLIENT_SECRET).',
          body: cfg
            ? html`<p>Operators sign in with their platform account.</p><p><a href="/dashboard/login">Sign in with Edge Security</a></p>`
            : html``,
        },
      ),
    );
  }

  // ---- sign-in, callback, sign-out ----------------------------------------------------------------------------

  app.get('/dashboard/login', async (c: AdminContext) => {
    const cfg = configured(c);
    if (!cfg) return signInPage(c);
    const tx = {
      state: randomToken(),
      nonce: randomToken(),
      verifier: randomToken(32),
      expiresAt: Math.floor(Date.now() / 1000) + TRANSACTION_SECONDS,
    };
    const url = new URL(`${cfg.issuer}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: cfg.clientId,
      redirect_uri: `${dashboardOrigin(c)}/dashboard/callback`,
      scope: 'openid email',
      state: tx.state,
      nonce: tx.nonce,
      code_challenge: await pkceChallenge(tx.verifier),
      code_challenge_method: 'S256',
    }).toString();
    return new Response(null, {
      status: 302,
      headers: {
        location: url.toString(),
        'set-cookie': cookie(TX_COOKIE, encodeTransaction(tx), isSecure(c), TRANSACTION_SECONDS),
        'cache-control': 'no-store',
      },
    });
  });

  app.get('/dashboard/callback', async (c: AdminContext) => {
    const cfg = configured(c);
    if (!cfg) return signInPage(c);
    const services = c.get('services');
    const params = new URL(c.req.url).searchParams;
    const tx = decodeTransaction(readCookies(c.req.header('cookie')).get(TX_COOKIE), Math.floor(Date.now() / 1000));
    const clearTx = cookie(TX_COOKIE, '', isSecure(c), 0);
    const refused = (problem: string, status = 400) => {
      const res = signInPage(c, { problem, status });
      res.headers.append('set-cookie', clearTx);
      return res;
    };
    const outcome = checkCallback(params, tx, cfg.issuer);
    if (!outcome.ok) return refused(`Sign-in failed (${outcome.reason}). Start again.`);
    // The code for tokens, over the AUTH binding, authenticated with the dashboard's client secret.
    const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
    const tokenRes = await callAuth(c, '/oauth/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${enc(cfg.clientId)}:${enc(cfg.secret)}`)}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: outcome.code,
        redirect_uri: `${dashboardOrigin(c)}/dashboard/callback`,
        code_verifier: tx!.verifier,
      }).toString(),
    });
    const tokens = (await tokenRes.json().catch(() => ({}))) as {
      id_token?: string;
      access_token?: string;
      error?: string;
    };
    if (!tokenRes.ok || !tokens.id_token)
      return refused(`Sign-in failed at the token endpoint (${tokens.error ?? tokenRes.status}).`, 502);
    const jwksRes = await callAuth(c, '/.well-known/jwks.json', {
      method: 'GET',
    });
    let claims: { sub?: string; nonce?: unknown; email?: unknown; name?: unknown };
    try {
      const jwks = createLocalJWKSet((await jwksRes.json()) as Parameters<typeof createLocalJWKSet>[0]);
      ({ payload: claims } = await jwtVerify(tokens.id_token, jwks, { issuer: cfg.issuer, audience: cfg.clientId }));
    } catch {
      return refused('Sign-in failed: the ID token did not verify.', 502);
    }
    if (claims.nonce !== tx!.nonce || typeof claims.sub !== 'string') return refused('Sign-in failed: nonce mismatch.');
    const operator = await services.operators.findOperator(operatorPrincipal(claims.sub));
    // The email for the header, from UserInfo (the ID token carries only what the flow needs).
    const info = await callAuth(c, '/oauth/userinfo', {
      method: 'GET',
      headers: { authorization: `Bearer ${tokens.access_token ?? ''}` },
    });
    const profile = (info.ok ? await info.json().catch(() => ({})) : {}) as { sub?: unknown; email?: unknown };
    const email = profile.sub === claims.sub ? profile.email : claims.email;
    const name = typeof email === 'string' ? email : claims.sub;
    if (!operator) {
      services.events.emit(
        {
          type: 'authorization.denied',
          outcome: 'denied',
          user_id: claims.sub,
          details: { reason: 'not_an_operator', via: 'dashboard' },
        },
        c.executionCtx,
      );
      return refused(
        `${name} is not an operator: no admin credential has the principal ${operatorPrincipal(claims.sub)}.`,
        403,
      );
    }
    const token = `esp_${randomToken(32)}`;
    const tokenId = `tok_${randomToken(12)}`;
    await services.tokens.insert({
      id: tokenId,
      tokenHash: await hashSecret(token),
      name: 'dashboard session',
      principalId: operator.principalId,
      roles: operator.roles,
      scopes: [...ADMIN_API_ACTIONS],
      createdBy: operator.principalId,
      rootCredential: operator.credentialId,
      parentToken: null,
      expiresAt: Date.now() + services.config.DASHBOARD_SESSION_SECONDS * 1000,
    });
    services.events.emit(
      {
        type: 'admin.action',
        outcome: 'success',
        user_id: claims.sub,
        details: {
          actor: operator.principalId,
          credential: operator.credentialId,
          action: 'dashboard_sign_in',
          token_id: tokenId,
        },
      },
      c.executionCtx,
    );
    const headers = new Headers({ location: '/dashboard', 'cache-control': 'no-store' });
    headers.append('set-cookie', clearTx);
    headers.append(
      'set-cookie',
      cookie(
        SESSION_COOKIE,
        encodeSession({ token, tokenId, name }),
        isSecure(c),
        services.config.DASHBOARD_SESSION_SECONDS,
      ),
    );
    return new Response(null, { status: 303, headers });
  });

  app.post('/dashboard/logout', async (c: AdminContext) => {
    const s = await sessionOf(c);
    if (!s) return signInPage(c);
    const fields = await change(c, s);
    if (fields instanceof Response) return fields;
    const services = c.get('services');
    const revoked = await services.tokens.revoke(s.tokenId, 'dashboard sign-out');
    if (revoked) {
      services.events.emit(
        {
          type: 'admin.action',
          outcome: 'success',
          details: {
            actor: revoked.token.principalId,
            credential: revoked.token.rootCredential,
            action: 'dashboard_sign_out',
            token_id: s.tokenId,
          },
        },
        c.executionCtx,
      );
    }
    const res = signInPage(c, { notice: 'You are signed out.' });
    res.headers.append('set-cookie', cookie(SESSION_COOKIE, '', isSecure(c), 0));
    return res;
  });

  // ---- overview ---------------------------------------------------------------------------------------------------

  app.get(
    '/dashboard',
    page('overview', async (c, s) => {
      const since = new Date(Date.now() - 3600_000).toISOString();
      const [alerts, keys, issued, failed, denied] = await Promise.all([
        callApi(c, s, 'GET', '/v1/alerts?status=open&limit=500'),
        callApi(c, s, 'GET', '/v1/keys'),
        callApi(c, s, 'GET', `/v1/audit?type=token.issued&since=${since}&limit=500`),
        callApi(c, s, 'GET', `/v1/audit?type=client.authentication_failed&since=${since}&limit=500`),
        callApi(c, s, 'GET', `/v1/audit?outcome=denied&since=${since}&limit=500`),
      ]);
      const count = (a: ApiAnswer, key: string) =>
        a.status === 200 ? `${a.body[key].length}${a.body[key].length >= 500 ? '+' : ''}` : 'not available';
      const bySeverity = new Map<string, number>();
      if (alerts.status === 200)
        for (const a of alerts.body.alerts) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
      const body = html`<p>Figures from the platform's own audit log (the monitor Worker) and the auth Worker's keys; the last hour unless said otherwise.</p>
<div class="cards">
<div class="card"><div class="figure">${count(issued, 'events')}</div>tokens issued</div>
<div class="card"><div class="figure">${count(failed, 'events')}</div>failed client authentications</div>
<div class="card"><div class="figure">${count(denied, 'events')}</div>denied requests</div>
<div class="card"><div class="figure">${count(alerts, 'alerts')}</div>open alerts${[...bySeverity].length ? html` (${[...bySeverity].map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}</div>
</div>
<h2>Signing keys</h2>
${keys.status === 200 ? keyTable(keys.body.keys) : html`<p class="problem">${problemText(keys)}</p>`}`;
      return send(dashboardPage(frameOf(s, 'overview'), { title: 'Overview', body }));
    }),
  );

  function keyTable(keys: Record<string, unknown>[]) {
    return html`<table><caption>Keys and their status</caption><thead><tr><th scope="col">Key id</th><th scope="col">Algorithm</th><th scope="col">Status</th><th scope="col">Signing</th><th scope="col">Active from</th><th scope="col">Expires</th></tr></thead><tbody>${keys.map(
      (k) =>
        html`<tr><td>${String(k.kid ?? k.id ?? '-')}</td><td>${String(k.alg ?? '-')}</td><td>${String(k.status ?? '-')}</td><td>${k.signing ? 'yes' : 'no'}</td><td>${String(k.activates_at ?? '-')}</td><td>${String(k.expires_at ?? '-')}</td></tr>`,
    )}</tbody></table>`;
  }

  // ---- clients -----------------------------------------------------------------------------------------------------

  async function clientsPage(
    c: AdminContext,
    s: DashboardSession,
    extra: { notice?: string; problem?: string; created?: SafeHtml; status?: number } = {},
  ) {
    const search = c.req.query('search') ?? '';
    const list = await callApi(
      c,
      s,
      'GET',
      `/v1/clients?limit=100${search ? `&search=${encodeURIComponent(search)}` : ''}`,
    );
    const body = html`${extra.created ?? ''}
<form method="get" action="/dashboard/clients"><label for="search">Search clients</label><input type="search" id="search" name="search" value="${search}"><button type="submit">Search</button></form>
${
  list.status === 200
    ? html`<table><caption>Clients</caption><thead><tr><th scope="col">Client id</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Scope</th><th scope="col">Actions</th></tr></thead><tbody>${(
        list.body.clients as Record<string, unknown>[]
      ).map(
        (cl) =>
          html`<tr><td>${String(cl.client_id)}</td><td>${String(cl.client_name ?? '-')}</td><td>${String(cl.status)}</td><td>${String(cl.scope ?? '')}</td><td>${
            cl.status === 'active' || cl.status === 'disabled'
              ? html`<form method="post" action="/dashboard/clients/${encodeURIComponent(String(cl.client_id))}/${cl.status === 'active' ? 'disable' : 'enable'}">${csrfField(s.csrf)}<button type="submit" class="secondary">${cl.status === 'active' ? 'Disable' : 'Enable'}<span class="skip"> ${String(cl.client_name ?? cl.client_id)}</span></button></form>${
                  cl.token_endpoint_auth_method !== 'none'
                    ? html`<form method="post" action="/dashboard/clients/${encodeURIComponent(String(cl.client_id))}/secret">${csrfField(s.csrf)}<button type="submit" class="secondary">Rotate secret<span class="skip"> of ${String(cl.client_name ?? cl.client_id)}</span></button></form>`
                    : ''
                }`
              : ''
          }</td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}
<h2>Create a client</h2>
<form method="post" action="/dashboard/clients">${csrfField(s.csrf)}
<label for="client_name">Name</label><input type="text" id="client_name" name="client_name" required maxlength="256">
<label for="scope">Scopes (space-separated)</label><input type="text" id="scope" name="scope" maxlength="2048">
<button type="submit">Create client</button></form>`;
    return send(dashboardPage(frameOf(s, 'clients'), { title: 'Clients', body, ...extra }));
  }

  /** A client's secret, in the one answer that carries it (no-store; never stored or shown again). */
  function secretOnce(client: { client_id?: unknown; client_secret?: unknown }, what: string) {
    return html`<section aria-labelledby="secret-once"><h2 id="secret-once">Client ${String(client.client_id)} ${what}</h2>
<p>Its secret is shown this once. Copy it now: it cannot be shown again (rotate it if it is lost).</p>
<p><strong>Client id:</strong> <span class="secret" id="new-client-id">${String(client.client_id)}</span></p>
<p><strong>Client secret:</strong> <span class="secret" id="new-client-secret">${String(client.client_secret)}</span></p></section>`;
  }

  app.get(
    '/dashboard/clients',
    page('clients', (c, s) => clientsPage(c, s)),
  );

  app.post(
    '/dashboard/clients',
    page('clients', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const body: Record<string, unknown> = { client_name: f.client_name ?? '' };
      if (f.scope) body.scope = f.scope;
      const a = await callApi(c, s, 'POST', '/v1/clients', body);
      if (a.status !== 201) return clientsPage(c, s, { problem: problemText(a), status: a.status });
      // The secret is in this one answer (no-store) and nowhere else: it is never stored or shown again.
      return clientsPage(c, s, { created: secretOnce(a.body, 'created'), status: 201 });
    }),
  );

  app.post(
    '/dashboard/clients/:id/secret',
    page('clients', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const a = await callApi(c, s, 'POST', `/v1/clients/${encodeURIComponent(param(c, 'id'))}/secret`);
      if (a.status !== 200) return clientsPage(c, s, { problem: problemText(a), status: a.status });
      return clientsPage(c, s, { created: secretOnce(a.body, 'given a new secret (the old one no longer works)') });
    }),
  );

  for (const verb of ['disable', 'enable'] as const) {
    app.post(
      `/dashboard/clients/:id/${verb}`,
      page('clients', async (c, s) => {
        const f = await change(c, s);
        if (f instanceof Response) return f;
        const a = await callApi(c, s, 'POST', `/v1/clients/${encodeURIComponent(param(c, 'id'))}/${verb}`);
        return clientsPage(
          c,
          s,
          a.status === 200 ? { notice: `Client ${verb}d.` } : { problem: problemText(a), status: a.status },
        );
      }),
    );
  }

  // ---- users -------------------------------------------------------------------------------------------------------

  app.get(
    '/dashboard/users',
    page('users', async (c, s) => {
      const search = c.req.query('search') ?? '';
      const list = await callApi(
        c,
        s,
        'GET',
        `/v1/users?limit=100${search ? `&search=${encodeURIComponent(search)}` : ''}`,
      );
      const body = html`<form method="get" action="/dashboard/users"><label for="search">Search users</label><input type="search" id="search" name="search" value="${search}"><button type="submit">Search</button></form>
${
  list.status === 200
    ? html`<table><caption>Users</caption><thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Last sign-in</th></tr></thead><tbody>${(
        list.body.users as Record<string, unknown>[]
      ).map(
        (u) =>
          html`<tr><td><a href="/dashboard/users/${String(u.id)}">${String(u.email)}</a></td><td>${String(u.name ?? '-')}</td><td>${String(u.status)}</td><td>${u.last_login_at ? fmtTime(u.last_login_at) : '-'}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}`;
      return send(dashboardPage(frameOf(s, 'users'), { title: 'Users', body }));
    }),
  );

  async function userPage(
    c: AdminContext,
    s: DashboardSession,
    id: string,
    extra: { notice?: string; problem?: string; status?: number } = {},
  ) {
    const [user, sessions] = await Promise.all([
      callApi(c, s, 'GET', `/v1/users/${encodeURIComponent(id)}`),
      callApi(c, s, 'GET', `/v1/users/${encodeURIComponent(id)}/sessions`),
    ]);
    if (user.status !== 200) {
      return send(
        dashboardPage(frameOf(s, 'users'), {
          title: 'User',
          status: user.status,
          problem: problemText(user),
          body: html``,
        }),
      );
    }
    const u = user.body;
    const action = (verb: string, label: string, cls = 'secondary') =>
      html`<form method="post" action="/dashboard/users/${u.id}/${verb}">${csrfField(s.csrf)}<button type="submit" class="${cls}">${label}</button></form>`;
    const body = html`<dl><dt>Email</dt><dd>${u.email}</dd><dt>Name</dt><dd>${u.name ?? '-'}</dd><dt>Status</dt><dd>${u.status}</dd></dl>
${u.status === 'active' ? action('disable', 'Disable user', 'danger') : action('enable', 'Enable user')}
${action('password-reset', 'Set a one-time password reset')}
<h2>Sessions</h2>
${
  sessions.status === 200
    ? sessions.body.sessions.length === 0
      ? html`<p>No active sessions.</p>`
      : html`<table><caption>Active sessions</caption><thead><tr><th scope="col">Session</th><th scope="col">Started</th><th scope="col">Ends</th><th scope="col">Browser</th><th scope="col">Actions</th></tr></thead><tbody>${(
          sessions.body.sessions as Record<string, unknown>[]
        ).map(
          (x) =>
            html`<tr><td>${String(x.handle).slice(0, 12)}…</td><td>${fmtTime(x.created_at)}</td><td>${fmtTime(x.ends_at)}</td><td>${String(x.user_agent ?? '-')}</td><td><form method="post" action="/dashboard/users/${u.id}/sessions/${String(x.handle)}/revoke">${csrfField(s.csrf)}<button type="submit" class="danger">Revoke session<span class="skip"> started ${fmtTime(x.created_at)}</span></button></form></td></tr>`,
        )}</tbody></table>${action('sessions/revoke', 'Revoke all sessions', 'danger')}`
    : html`<p class="problem">${problemText(sessions)}</p>`
}`;
    return send(dashboardPage(frameOf(s, 'users'), { title: `User ${u.email}`, body, ...extra }));
  }

  app.get(
    '/dashboard/users/:id',
    page('users', (c, s) => userPage(c, s, param(c, 'id'))),
  );

  for (const [path, api, done] of [
    ['disable', 'disable', 'User disabled; their sessions ended.'],
    ['enable', 'enable', 'User enabled.'],
    ['sessions/revoke', 'sessions/revoke', 'Every session of the user ended.'],
  ] as const) {
    app.post(
      `/dashboard/users/:id/${path}`,
      page('users', async (c, s) => {
        const f = await change(c, s);
        if (f instanceof Response) return f;
        const id = param(c, 'id');
        const a = await callApi(c, s, 'POST', `/v1/users/${encodeURIComponent(id)}/${api}`);
        return userPage(c, s, id, a.status === 200 ? { notice: done } : { problem: problemText(a), status: a.status });
      }),
    );
  }

  app.post(
    '/dashboard/users/:id/password-reset',
    page('users', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const id = param(c, 'id');
      const a = await callApi(c, s, 'POST', `/v1/users/${encodeURIComponent(id)}/password-reset`);
      if (a.status !== 200) return userPage(c, s, id, { problem: problemText(a), status: a.status });
      return userPage(c, s, id, {
        notice: `One-time reset token (shown once, valid until ${fmtTime(a.body.expires_at)}; give it to the user for ${a.body.reset_url}): ${a.body.reset_token}`,
      });
    }),
  );

  app.post(
    '/dashboard/users/:id/sessions/:handle/revoke',
    page('users', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const id = param(c, 'id');
      const a = await callApi(
        c,
        s,
        'DELETE',
        `/v1/users/${encodeURIComponent(id)}/sessions/${encodeURIComponent(param(c, 'handle'))}`,
      );
      return userPage(
        c,
        s,
        id,
        a.status === 204 ? { notice: 'Session revoked.' } : { problem: problemText(a), status: a.status },
      );
    }),
  );

  // ---- keys --------------------------------------------------------------------------------------------------------

  async function keysPage(
    c: AdminContext,
    s: DashboardSession,
    extra: { notice?: string; problem?: string; status?: number } = {},
  ) {
    const keys = await callApi(c, s, 'GET', '/v1/keys');
    const body = html`${keys.status === 200 ? keyTable(keys.body.keys) : html`<p class="problem">${problemText(keys)}</p>`}
<form method="post" action="/dashboard/keys/rotate">${csrfField(s.csrf)}<button type="submit">Rotate signing keys</button></form>`;
    return send(dashboardPage(frameOf(s, 'keys'), { title: 'Signing keys', body, ...extra }));
  }
  app.get(
    '/dashboard/keys',
    page('keys', (c, s) => keysPage(c, s)),
  );
  app.post(
    '/dashboard/keys/rotate',
    page('keys', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const a = await callApi(c, s, 'POST', '/v1/keys/rotate');
      return keysPage(
        c,
        s,
        a.status === 200
          ? { notice: a.body.changed ? 'Keys rotated.' : 'Nothing to rotate yet.' }
          : { problem: problemText(a), status: a.status },
      );
    }),
  );

  // ---- policies ----------------------------------------------------------------------------------------------------

  async function policiesPage(
    c: AdminContext,
    s: DashboardSession,
    extra: { notice?: string; problem?: string; status?: number; draft?: string } = {},
  ) {
    const versions = await callApi(c, s, 'GET', '/v1/policies/versions');
    const from = c.req.query('from');
    const to = c.req.query('to');
    const diff =
      from && to
        ? await callApi(c, s, 'GET', `/v1/policies/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)
        : null;
    const body = html`${
      versions.status === 200
        ? html`<p>Active version: <strong id="active-version">${String(versions.body.active_version ?? 'none')}</strong></p>
<table><caption>Policy versions</caption><thead><tr><th scope="col">Version</th><th scope="col">Comment</th><th scope="col">Active</th><th scope="col">Actions</th></tr></thead><tbody>${(
            versions.body.versions as Record<string, unknown>[]
          ).map(
            (v) =>
              html`<tr><td>${String(v.version)}</td><td>${String(v.comment ?? '-')}</td><td>${v.active ? 'yes' : 'no'}</td><td>${
                v.active
                  ? ''
                  : html`<form method="post" action="/dashboard/policies/${String(v.version)}/activate">${csrfField(s.csrf)}<button type="submit">Activate<span class="skip"> version ${String(v.version)}</span></button></form>`
              }</td></tr>`,
          )}</tbody></table>`
        : html`<p class="problem">${problemText(versions)}</p>`
    }
<h2>Compare two versions</h2>
<form method="get" action="/dashboard/policies"><label for="from">From version</label><input type="text" inputmode="numeric" id="from" name="from" value="${from ?? ''}"><label for="to">To version</label><input type="text" inputmode="numeric" id="to" name="to" value="${to ?? ''}"><button type="submit">Show diff</button></form>
${diff ? (diff.status === 200 ? html`<pre aria-label="Policy diff">${(diff.body.policies.lines as { op: string; line: string }[]).filter((l) => l.op !== ' ').map((l) => html`<span class="${l.op === '+' ? 'add' : 'del'}">${l.op} ${l.line}</span>\n`)}</pre>` : html`<p class="problem">${problemText(diff)}</p>`) : ''}
<h2>Publish a new version</h2>
<form method="post" action="/dashboard/policies">${csrfField(s.csrf)}
<label for="policies">Cedar policies</label><textarea id="policies" name="policies" required>${extra.draft ?? ''}</textarea>
<label for="comment">Comment</label><input type="text" id="comment" name="comment" maxlength="1000">
<button type="submit">Publish (validated by Cedar)</button></form>`;
    return send(dashboardPage(frameOf(s, 'policies'), { title: 'Policies', body, ...extra }));
  }
  app.get(
    '/dashboard/policies',
    page('policies', (c, s) => policiesPage(c, s)),
  );
  app.post(
    '/dashboard/policies',
    page('policies', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const a = await callApi(c, s, 'POST', '/v1/policies/versions', {
        policies: f.policies ?? '',
        ...(f.comment ? { comment: f.comment } : {}),
      });
      return policiesPage(
        c,
        s,
        a.status === 201
          ? { notice: `Version ${a.body.version} published (not active until activated).` }
          : { problem: problemText(a), status: a.status, draft: f.policies },
      );
    }),
  );
  app.post(
    '/dashboard/policies/:version/activate',
    page('policies', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const a = await callApi(
        c,
        s,
        'POST',
        `/v1/policies/versions/${encodeURIComponent(param(c, 'version'))}/activate`,
      );
      return policiesPage(
        c,
        s,
        a.status === 200
          ? { notice: `Version ${a.body.active_version} is active.` }
          : { problem: problemText(a), status: a.status },
      );
    }),
  );

  // ---- alerts ------------------------------------------------------------------------------------------------------

  async function alertsPage(
    c: AdminContext,
    s: DashboardSession,
    extra: { notice?: string; problem?: string; status?: number } = {},
  ) {
    const status = c.req.query('status') ?? 'open,acknowledged';
    const list = await callApi(c, s, 'GET', `/v1/alerts?limit=200&status=${encodeURIComponent(status)}`);
    const act = (id: string, verb: string, label: string, summary: string) =>
      html`<form method="post" action="/dashboard/alerts/${id}/${verb}">${csrfField(s.csrf)}<button type="submit" class="secondary">${label}<span class="skip"> ${summary}</span></button></form>`;
    const body = html`<form method="get" action="/dashboard/alerts"><label for="status">Status</label><select id="status" name="status">${[
      ['open,acknowledged', 'Open and acknowledged'],
      ['open', 'Open'],
      ['acknowledged', 'Acknowledged'],
      ['resolved', 'Resolved'],
    ].map(
      ([v, l]) => html`<option value="${v}"${v === status ? new SafeHtml(' selected') : ''}>${l}</option>`,
    )}</select><button type="submit">Filter</button></form>
${
  list.status === 200
    ? html`<table><caption>Alerts</caption><thead><tr><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Summary</th><th scope="col">Events</th><th scope="col">Last seen</th><th scope="col">Actions</th></tr></thead><tbody>${(
        list.body.alerts as Record<string, unknown>[]
      ).map(
        (a) =>
          html`<tr><td>${String(a.severity)}</td><td>${String(a.status)}</td><td>${String(a.summary)}</td><td>${String(a.count)}</td><td>${String(a.last_seen)}</td><td>${
            a.status === 'open' ? act(String(a.id), 'acknowledge', 'Acknowledge', String(a.summary)) : ''
          }${a.status !== 'resolved' ? act(String(a.id), 'resolve', 'Resolve', String(a.summary)) : ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}`;
    return send(dashboardPage(frameOf(s, 'alerts'), { title: 'Alerts', body, ...extra }));
  }
  app.get(
    '/dashboard/alerts',
    page('alerts', (c, s) => alertsPage(c, s)),
  );
  for (const verb of ['acknowledge', 'resolve'] as const) {
    app.post(
      `/dashboard/alerts/:id/${verb}`,
      page('alerts', async (c, s) => {
        const f = await change(c, s);
        if (f instanceof Response) return f;
        const a = await callApi(c, s, 'POST', `/v1/alerts/${encodeURIComponent(param(c, 'id'))}/${verb}`);
        return alertsPage(
          c,
          s,
          a.status === 200
            ? { notice: `Alert ${verb === 'acknowledge' ? 'acknowledged' : 'resolved'}.` }
            : { problem: problemText(a), status: a.status },
        );
      }),
    );
  }

  // ---- audit -------------------------------------------------------------------------------------------------------

  app.get(
    '/dashboard/audit',
    page('audit', async (c, s) => {
      const q = new URLSearchParams({ limit: '200' });
      const type = c.req.query('type') ?? '';
      const actor = c.req.query('actor') ?? '';
      if (type) q.set('type', type);
      if (actor) q.set('actor', actor);
      const list = await callApi(c, s, 'GET', `/v1/audit?${q}`);
      const body = html`<form method="get" action="/dashboard/audit"><label for="type">Event type</label><input type="text" id="type" name="type" value="${type}"><label for="actor">Actor</label><input type="text" id="actor" name="actor" value="${actor}"><button type="submit">Filter</button></form>
${
  list.status === 200
    ? html`<table><caption>Audit log (newest first)</caption><thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Outcome</th><th scope="col">Service</th><th scope="col">Actor</th><th scope="col">Client</th><th scope="col">User</th></tr></thead><tbody>${(
        list.body.events as Record<string, unknown>[]
      ).map(
        (e) =>
          html`<tr><td>${String(e.time)}</td><td>${String(e.type)}</td><td>${String(e.outcome)}</td><td>${String(e.service ?? '-')}</td><td>${String(e.actor ?? '-')}</td><td>${String(e.client_id ?? '-')}</td><td>${String(e.user_id ?? '-')}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}`;
      return send(dashboardPage(frameOf(s, 'audit'), { title: 'Audit log', body }));
    }),
  );
}
