/** Users: search, a user's page, disable and enable, a one-time password reset, their sessions. */
import { html } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, param, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

const fmtTime = (s: unknown) =>
  typeof s === 'number' ? new Date(s * (s < 1e12 ? 1000 : 1)).toISOString().replace('.000Z', 'Z') : String(s ?? '-');

export function registerUsers(d: Dashboard): void {
  const { app, callApi, page, change, frameOf } = d;

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
}
