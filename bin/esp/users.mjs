// `esp users …`: end users (list, get, create, disable, enable, reset-password) and their sessions.
import { UsageError } from './errors.mjs';
import { group, listing, target } from './command.mjs';
import { api, enc, query } from './http.mjs';
import { need, one, readStdinLine } from './input.mjs';
import { fields, table } from './output.mjs';

const USER_COLUMNS = [
  'id',
  'email',
  'name',
  'status',
  'roles',
  [(u) => (u.last_login_at ? new Date(u.last_login_at * 1000).toISOString() : null), 'last sign-in'],
];
const USER_FIELDS = ['id', 'email', 'name', 'status', 'email_verified', 'roles', 'created_at', 'last_login_at'];

const time = (k) => (row) => new Date(row[k] * 1000).toISOString();

/** sub-command → [method, path after /v1/users/<id>] (besides get) */
const ACTIONS = {
  disable: ['POST', '/disable'],
  enable: ['POST', '/enable'],
  'reset-password': ['POST', '/password-reset'],
  sessions: ['GET', '/sessions'],
  'revoke-sessions': ['POST', '/sessions/revoke'],
  'revoke-refresh-tokens': ['POST', '/refresh-tokens/revoke'],
};

/** How a sub-command's answer reads for people (the rest print the user). */
const PRINT = {
  'reset-password': (r) =>
    `reset_token  ${r.reset_token}\n(shown once: give it to the user, who sets a new password at ${r.reset_url}; expires ${new Date(r.expires_at * 1000).toISOString()}; ${r.sessions_revoked} session(s) ended)`,
  sessions: (r) =>
    table(r.sessions, [
      'handle',
      [time('created_at'), 'created'],
      [time('ends_at'), 'ends'],
      ['user_agent', 'user agent'],
    ]),
  'revoke-sessions': (r) => `revoked ${r.sessions_revoked} session(s)`,
  'revoke-refresh-tokens': (r) =>
    `revoked ${r.families_revoked} refresh token famil${r.families_revoked === 1 ? 'y' : 'ies'}`,
};

export const users = group(
  'users',
  {
    list: listing('/v1/users', 'users', USER_COLUMNS, ['search', 'status', 'limit', 'offset']),
    async create(conn, { flags }, out) {
      const email = one(flags, 'email');
      if (email === undefined) throw new UsageError('missing --email');
      const password = process.env.ESP_USER_PASSWORD || (await readStdinLine());
      const body = { email: String(email), password };
      const name = one(flags, 'name');
      if (name !== undefined) body.name = String(name);
      const result = await api(conn, 'POST', '/v1/users', body);
      return out.json ? out(result) : out(fields(result, USER_FIELDS));
    },
    async 'revoke-session'(conn, { positional }, out) {
      const userId = enc(need(positional, 1, 'user id'));
      const handle = need(positional, 2, 'session handle');
      await api(conn, 'DELETE', `/v1/users/${userId}/sessions/${enc(handle)}`);
      return out.json ? out({ revoked: handle }) : out(`revoked session ${handle}`);
    },
    async 'remove-mfa'(conn, { positional, flags }, out) {
      const userId = enc(need(positional, 1, 'user id'));
      const factor = need(positional, 2, 'factor (totp, backup-codes, passkeys or all)');
      const result = await api(conn, 'DELETE', `/v1/users/${userId}/mfa/${enc(factor)}${query(flags, ['name'])}`);
      if (out.json) return out(result);
      return out(
        `removed ${result.removed.join(', ') || 'nothing'}; ${result.second_factor ? 'a second factor is left' : 'no second factor left: sign-in asks for the password only'}`,
      );
    },
  },
  async (conn, args, out, sub) => {
    const { method, path } = target(args, '/v1/users', 'user id', ACTIONS);
    const result = await api(conn, method, path);
    if (out.json) return out(result);
    return out(PRINT[sub] ? PRINT[sub](result) : fields(result, USER_FIELDS));
  },
);
