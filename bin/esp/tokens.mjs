// `esp tokens …`: operator API tokens (list, create, revoke).
import { group, listing } from './command.mjs';
import { UsageError } from './errors.mjs';
import { api, enc } from './http.mjs';
import { need, one } from './input.mjs';
import { table } from './output.mjs';

const TOKEN_COLUMNS = ['id', 'name', 'principal', 'scopes', 'status', ['expires_at', 'expires']];

export const tokens = group('tokens', {
  list: listing('/v1/tokens', 'tokens', TOKEN_COLUMNS),
  async create(conn, { flags }, out) {
    const name = one(flags, 'name');
    const scopes = (flags.scope ?? []).flatMap((s) => String(s).split(',')).filter(Boolean);
    const ttl = Number(one(flags, 'ttl'));
    if (typeof name !== 'string' || scopes.length === 0 || !Number.isInteger(ttl)) {
      throw new UsageError('tokens create needs --name, --scope and --ttl <seconds>');
    }
    const body = { name, scopes, expires_in: ttl };
    if (flags.role) body.roles = flags.role.map(String);
    const result = await api(conn, 'POST', '/v1/tokens', body);
    if (out.json) return out(result);
    out(table([result], TOKEN_COLUMNS));
    return out(`\ntoken  ${result.token}\n(shown once: store it now)`);
  },
  async revoke(conn, args, out) {
    const id = need(args.positional, 1, 'token id');
    const result = await api(conn, 'DELETE', `/v1/tokens/${enc(id)}`);
    return out.json ? out(result) : out(`revoked ${result.id}`);
  },
});
