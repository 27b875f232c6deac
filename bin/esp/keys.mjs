// `esp keys …`: signing keys (list, rotate, emergency rotate).
import { UsageError } from './errors.mjs';
import { api } from './http.mjs';
import { one } from './input.mjs';
import { cell, table } from './output.mjs';

export async function keys(conn, args, out) {
  const [sub] = args.positional;
  if (sub === undefined || sub === 'list') {
    const result = await api(conn, 'GET', '/v1/keys');
    return out.json
      ? out(result)
      : out(
          table(result.keys, [
            ['kid', 'kid'],
            ['alg', 'alg'],
            ['status', 'status'],
            ['signing', 'signing'],
            ['activates_at', 'activates'],
            ['expires_at', 'expires'],
          ]),
        );
  }
  if (sub !== 'rotate') throw new UsageError(`unknown keys command "${sub}"`);
  const emergency = one(args.flags, 'emergency') === true;
  const reason = one(args.flags, 'reason');
  if (emergency && typeof reason !== 'string') throw new UsageError('an emergency rotation needs --reason');
  const result = emergency
    ? await api(conn, 'POST', '/v1/keys/emergency-rotate', { reason })
    : await api(conn, 'POST', '/v1/keys/rotate');
  if (out.json) return out(result);
  out(`created ${cell(result.created)}; retired ${cell(result.retired)}; revoked ${cell(result.revoked)}`);
  out(
    table(result.keys, [
      ['kid', 'kid'],
      ['status', 'status'],
      ['activates_at', 'activates'],
      ['expires_at', 'expires'],
    ]),
  );
  if (result.note) out(result.note);
}
