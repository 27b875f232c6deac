// `esp users …`: end users (list, get, create, disable, enable, reset-password) and their sessions.
import { UsageError } from './errors.mjs';
import { api, enc, query } from './http.mjs';
import { need, one, readStdinLine } from './input.mjs';
import { fields, table } from './output.mjs';

const USER_COLUMNS = [
  ['id', 'id'],
  ['email', 'email'],
  ['name', 'name'],
  ['status', 'status'],
  ['roles', 'roles'],
  [(u) => (u.last_login_at ? new Date(u.last_login_at * 1000).toISOString() : null), 'last sign-in'],
];
const USER_FIELDS = ['id', 'email', 'name', 'status', 'email_verified', 'roles', 'created_at', 'last_login_at'];

export async function users(conn, args, out) {
  const [sub] = args.positional;
  const { flags } = args;
  if (sub === undefined || sub === 'list') {
    const result = await api(conn, 'GET', `/v1/users${query(flags, ['search', 'status', 'limit', 'offset'])}`);
    return out.json ? out(result) : out(table(result.users, USER_COLUMNS));
  }
  if (sub === 'create') {
    const email = one(flags, 'email');
    if (email === undefined) throw new UsageError('missing --email');
    const password = process.env.ESP_USER_PASSWORD || (await readStdinLine());
    const body = { email: String(email), password };
    const name = one(flags, 'name');
    if (name !== undefined) body.name = String(name);
    const result = await api(conn, 'POST', '/v1/users', body);
    return out.json ? out(result) : out(fields(result, USER_FIELDS));
  }
  const userId = enc(need(args.positional, 1, 'user id'));
  if (sub === 'get' || sub === 'show' || sub === 'disable' || sub === 'enable') {
    const result = await api(
      conn,
      sub === 'get' || sub === 'show' ? 'GET' : 'POST',
      `/v1/users/${userId}${sub === 'get' || sub === 'show' ? '' : `/${sub}`}`,
    );
    return out.json ? out(result) : out(fields(result, USER_FIELDS));
  }
  if (sub === 'reset-password') {
    const result = await api(conn, 'POST', `/v1/users/${userId}/password-reset`);
    if (out.json) return out(result);
    return out(
      `reset_token  ${result.reset_token}\n(shown once: give it to the user, who sets a new password at ${result.reset_url}; expires ${new Date(result.expires_at * 1000).toISOString()}; ${result.sessions_revoked} session(s) ended)`,
    );
  }
  if (sub === 'sessions') {
    const result = await api(conn, 'GET', `/v1/users/${userId}/sessions`);
    const time = (k) => (s) => new Date(s[k] * 1000).toISOString();
    return out.json
      ? out(result)
      : out(
          table(result.sessions, [
            ['handle', 'handle'],
            [time('created_at'), 'created'],
            [time('ends_at'), 'ends'],
            ['user_agent', 'user agent'],
          ]),
        );
  }
  if (sub === 'revoke-session') {
    const handle = need(args.positional, 2, 'session handle');
    await api(conn, 'DELETE', `/v1/users/${userId}/sessions/${enc(handle)}`);
    return out.json ? out({ revoked: handle }) : out(`revoked session ${handle}`);
  }
  if (sub === 'revoke-sessions') {
    const result = await api(conn, 'POST', `/v1/users/${userId}/sessions/revoke`);
    return out.json ? out(result) : out(`revoked ${result.sessions_revoked} session(s)`);
  }
  throw new UsageError(`unknown users command "${sub}"`);
}
