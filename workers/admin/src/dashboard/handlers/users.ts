/**
 * Users: search and create, a user's page (disable and enable, a one-time password reset, their sessions, their
 * second factors, and whether they are an operator, with which roles: grant, change, revoke).
 */
import { html } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type ApiAnswer, type Dashboard, outcome, type PageExtra, param, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

const fmtTime = (s: unknown) =>
  typeof s === 'number' ? new Date(s * (s < 1e12 ? 1000 : 1)).toISOString().replace('.000Z', 'Z') : String(s ?? '-');

const userPath = (id: string, rest = '') => `/v1/users/${encodeURIComponent(id)}${rest}`;

export function registerUsers({ view, act, callApi, frameOf }: Dashboard): void {
  const usersPage = async (c: AdminContext, s: DashboardSession, extra: PageExtra = {}) => {
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
}
<h2>Create a user</h2>
<form method="post" action="/dashboard/users">${csrfField(s.csrf)}
<label for="email">Email</label><input type="text" id="email" name="email" required maxlength="320" autocomplete="off">
<label for="name">Name</label><input type="text" id="name" name="name" maxlength="200" autocomplete="off">
<label for="password">Initial password (the sign-up rules apply)</label><input type="password" id="password" name="password" required maxlength="1024" autocomplete="new-password">
<button type="submit">Create user</button></form>`;
    return send(dashboardPage(frameOf(s, 'users'), { title: 'Users', body, ...extra }));
  };

  /** Whether the user is an operator, with the form to grant or change roles and to revoke. */
  function operatorSection(id: string, operators: ApiAnswer, csrf: string) {
    if (operators.status !== 200) return html`<p class="problem">${problemText(operators)}</p>`;
    const op = (operators.body.operators as { user_id: string; roles: string[]; granted_at: string }[]).find(
      (o) => o.user_id === id,
    );
    return html`<p>${op ? `Operator since ${op.granted_at} with roles: ${op.roles.join(', ')}.` : 'Not an operator: cannot sign in to this dashboard.'}</p>
<form method="post" action="/dashboard/users/${id}/operator">${csrfField(csrf)}
<label for="roles">Operator roles (space-separated, e.g. readonly secops)</label><input type="text" id="roles" name="roles" required maxlength="400" value="${op ? op.roles.join(' ') : ''}">
<button type="submit" class="secondary">${op ? 'Change operator roles' : 'Make operator'}</button></form>
${op ? html`<form method="post" action="/dashboard/users/${id}/operator/revoke">${csrfField(csrf)}<button type="submit" class="danger">Revoke operator access</button></form>` : ''}`;
  }

  /** The user's second factors, as the auth Worker reports them with the account (never a secret). */
  function factorsSection(mfa: Record<string, any> | undefined) {
    if (!mfa) return html`<p>Not reported.</p>`;
    const passkeys = (mfa.passkeys ?? []) as Record<string, unknown>[];
    return html`<ul>
<li>Authenticator app (TOTP): ${mfa.totp ? `enrolled ${fmtTime(mfa.totp.created_at)}` : 'not enrolled'}</li>
<li>Backup codes left: ${String(mfa.backup_codes_remaining ?? 0)}</li>
<li>Passkeys: ${String(passkeys.length)}</li>
</ul>
${
  passkeys.length
    ? html`<table><caption>Passkeys</caption><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Added</th></tr></thead><tbody>${passkeys.map(
        (p) =>
          html`<tr><td>${String(p.name)}</td><td>${p.device_type === 'multiDevice' ? 'synced' : 'this device only'}</td><td>${fmtTime(p.created_at)}</td></tr>`,
      )}</tbody></table>`
    : ''
}`;
  }

  async function userPage(c: AdminContext, s: DashboardSession, id: string, extra: PageExtra = {}) {
    const [user, sessions, operators] = await Promise.all([
      callApi(c, s, 'GET', userPath(id)),
      callApi(c, s, 'GET', userPath(id, '/sessions')),
      callApi(c, s, 'GET', '/v1/operators?limit=500'),
    ]);
    if (user.status !== 200) {
      const problem = problemText(user);
      return send(dashboardPage(frameOf(s, 'users'), { title: 'User', status: user.status, problem, body: html`` }));
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
}
<h2>Second factors</h2>
${factorsSection(u.mfa)}
<h2>Operator access</h2>
${operatorSection(u.id, operators, s.csrf)}`;
    return send(dashboardPage(frameOf(s, 'users'), { title: `User ${u.email}`, body, ...extra }));
  }

  view('/dashboard/users', (c, s) => usersPage(c, s));
  view('/dashboard/users/:id', (c, s) => userPage(c, s, param(c, 'id')));

  act('/dashboard/users', async (c, s, form) => {
    const a = await callApi(c, s, 'POST', '/v1/users', {
      email: form.email ?? '',
      password: form.password ?? '',
      ...(form.name ? { name: form.name } : {}),
    });
    if (a.status !== 201) return usersPage(c, s, outcome(a, 201, ''));
    return userPage(c, s, String(a.body.id), { notice: 'User created.', status: 201 });
  });

  /** A change on one user: the API call (method, path, body), then the user's page with its notice or problem. */
  type UserCall = (id: string, c: AdminContext, form: Record<string, string>) => [string, string, unknown?];
  const onUser = (path: string, call: UserCall, ok: number, done: string | ((a: ApiAnswer) => string)) =>
    act(`/dashboard/users/:id/${path}`, async (c, s, form) => {
      const id = param(c, 'id');
      const [method, api, body] = call(id, c, form);
      return userPage(c, s, id, outcome(await callApi(c, s, method, api, body), ok, done));
    });

  onUser('disable', (id) => ['POST', userPath(id, '/disable')], 200, 'User disabled; their sessions ended.');
  onUser('enable', (id) => ['POST', userPath(id, '/enable')], 200, 'User enabled.');
  onUser(
    'sessions/revoke',
    (id) => ['POST', userPath(id, '/sessions/revoke')],
    200,
    'Every session of the user ended.',
  );
  onUser(
    'sessions/:handle/revoke',
    (id, c) => ['DELETE', userPath(id, `/sessions/${encodeURIComponent(param(c, 'handle'))}`)],
    204,
    'Session revoked.',
  );
  onUser(
    'password-reset',
    (id) => ['POST', userPath(id, '/password-reset')],
    200,
    (a) =>
      `One-time reset token (shown once, valid until ${fmtTime(a.body.expires_at)}; give it to the user for ${a.body.reset_url}): ${a.body.reset_token}`,
  );
  onUser(
    'operator',
    (id, _c, form) => [
      'PUT',
      `/v1/operators/${encodeURIComponent(id)}`,
      { roles: (form.roles ?? '').split(/\s+/).filter(Boolean) },
    ],
    200,
    (a) => `Operator roles set: ${(a.body.roles as string[]).join(', ')}. Their earlier dashboard sessions ended.`,
  );
  onUser(
    'operator/revoke',
    (id) => ['DELETE', `/v1/operators/${encodeURIComponent(id)}`],
    204,
    'Operator access revoked: their dashboard sessions end.',
  );
}
