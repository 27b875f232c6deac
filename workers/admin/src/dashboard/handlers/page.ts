/**
 * What every dashboard page shares: the signed-in operator's session, the admin API called in-process with its
 * token, the sign-in page shown without one, and the CSRF and same-origin check on every change.
 */
import { html } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { sameOriginPost } from '../domain/sign-in.js';
import { dashboardPage, type Frame, type PageName, type RenderedPage } from '../pages/layout.js';
import { cookie, csrfValid, type DashboardSession, decodeSession, readCookies, SESSION_COOKIE } from './session.js';

type Fetch = (req: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>;
type Handler = (c: AdminContext) => unknown;
/** What the dashboard needs of the Worker's app: its routes and its fetch (the admin API, called in-process). */
export type App = {
  get: (path: string, h: Handler) => unknown;
  post: (path: string, h: Handler) => unknown;
  fetch: Fetch;
};

class SessionEnded extends Error {}

export interface ApiAnswer {
  status: number;
  /** The admin API's JSON answer, read field by field. */
  body: any;
}

type PageRender = (c: AdminContext, s: DashboardSession) => Promise<Response>;
type SignInOptions = { problem?: string; notice?: string; status?: number };
/** What a page shows after a change: its notice, or the API's problem with its status. */
export type PageExtra = { notice?: string; problem?: string; status?: number };
/** A change's handler: the form's fields, already past the CSRF and same-origin checks. */
type ChangeRun = (c: AdminContext, s: DashboardSession, form: Record<string, string>) => Promise<Response>;

/** The app's routes and the helpers the dashboard's handlers share, bound to that app. */
export interface Dashboard {
  app: App;
  callApi: (c: AdminContext, s: DashboardSession, method: string, path: string, body?: unknown) => Promise<ApiAnswer>;
  sessionOf: (c: AdminContext) => Promise<DashboardSession | null>;
  frameOf: (s: DashboardSession, current?: PageName) => Frame;
  page: (render: PageRender) => (c: AdminContext) => Promise<Response>;
  change: (c: AdminContext, s: DashboardSession) => Promise<Record<string, string> | Response>;
  /** GET `path`: a page for a signed-in operator (the sign-in page otherwise). */
  view: (path: string, render: PageRender) => void;
  /** POST `path`: a change by a signed-in operator, refused without the CSRF token or from another origin. */
  act: (path: string, run: ChangeRun) => void;
  signInPage: (c: AdminContext, opts?: SignInOptions) => Response;
}

export const send = (page: RenderedPage, extra: Record<string, string> = {}) =>
  new Response(page.body, { status: page.status, headers: { ...page.headers, ...extra } });

export const param = (c: AdminContext, name: string): string => c.req.param(name) ?? '';

export function isSecure(c: AdminContext): boolean {
  return new URL(c.req.url).protocol === 'https:';
}

export function dashboardOrigin(c: AdminContext): string {
  return new URL(c.req.url).origin;
}

export function configured(c: AdminContext) {
  const { DASHBOARD_ISSUER, DASHBOARD_CLIENT_ID, DASHBOARD_CLIENT_SECRET } = c.get('services').config;
  if (!DASHBOARD_ISSUER || !DASHBOARD_CLIENT_ID || !DASHBOARD_CLIENT_SECRET) return null;
  return {
    issuer: DASHBOARD_ISSUER.replace(/\/$/, ''),
    clientId: DASHBOARD_CLIENT_ID,
    secret: DASHBOARD_CLIENT_SECRET,
  };
}

/** The page's notice when the API answered `ok`, else its problem (and status). */
export function outcome(a: ApiAnswer, ok: number, notice: string | ((a: ApiAnswer) => string)): PageExtra {
  if (a.status !== ok) return { problem: problemText(a), status: a.status };
  return { notice: typeof notice === 'string' ? notice : notice(a) };
}

export function problemText(a: ApiAnswer): string {
  const detail = a.body?.detail ?? a.body?.title ?? `HTTP ${a.status}`;
  const errors = Array.isArray(a.body?.errors)
    ? a.body.errors.map((e: { path?: string; message?: string } | string) =>
        typeof e === 'string' ? e : `${e.path ? `${e.path}: ` : ''}${e.message ?? ''}`,
      )
    : [];
  return [`${a.status}: ${detail}`, ...errors].join(' — ');
}

export function createDashboard(app: App): Dashboard {
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
  function page(render: PageRender) {
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

  const view = (path: string, render: PageRender) => {
    app.get(path, page(render));
  };
  const act = (path: string, run: ChangeRun) => {
    app.post(
      path,
      page(async (c, s) => {
        const form = await change(c, s);
        return form instanceof Response ? form : run(c, s, form);
      }),
    );
  };

  return { app, callApi, sessionOf, frameOf, page, change, view, act, signInPage };
}
