// `esp keys …`: signing keys (list, rotate, emergency rotate).
import { group, listing } from './command.mjs';
import { UsageError } from './errors.mjs';
import { api } from './http.mjs';
import { one } from './input.mjs';
import { cell, table } from './output.mjs';

const KEY_COLUMNS = ['kid', 'alg', 'status', 'signing', ['activates_at', 'activates'], ['expires_at', 'expires']];

export const keys = group('keys', {
  list: listing('/v1/keys', 'keys', KEY_COLUMNS),
  async rotate(conn, args, out) {
    const emergency = one(args.flags, 'emergency') === true;
    const reason = one(args.flags, 'reason');
    if (emergency && typeof reason !== 'string') throw new UsageError('an emergency rotation needs --reason');
    const result = emergency
      ? await api(conn, 'POST', '/v1/keys/emergency-rotate', { reason })
      : await api(conn, 'POST', '/v1/keys/rotate');
    if (out.json) return out(result);
    out(`created ${cell(result.created)}; retired ${cell(result.retired)}; revoked ${cell(result.revoked)}`);
    out(table(result.keys, ['kid', 'status', ['activates_at', 'activates'], ['expires_at', 'expires']]));
    if (result.note) out(result.note);
  },
});
