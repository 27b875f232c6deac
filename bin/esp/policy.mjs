// `esp policy …`: Cedar policy versions (list, show, publish, activate / roll back, diff).
import { readFileSync } from 'node:fs';
import { group, listing } from './command.mjs';
import { api, enc } from './http.mjs';
import { need, one } from './input.mjs';
import { cell } from './output.mjs';

const VERSION_COLUMNS = ['version', 'active', ['created_by', 'by'], ['created_at', 'created'], 'comment'];

export const policy = group('policy', {
  list: listing('/v1/policies/versions', 'versions', VERSION_COLUMNS),
  async show(conn, args, out) {
    const v = need(args.positional, 1, 'version');
    const result = await api(conn, 'GET', `/v1/policies/versions/${enc(v)}`);
    return out.json ? out(result) : out(result.policies);
  },
  async publish(conn, { positional, flags }, out) {
    const file = need(positional, 1, 'policies file');
    const body = { policies: readFileSync(file, 'utf8') };
    const schema = one(flags, 'schema');
    if (schema !== undefined) body.schema = readFileSync(String(schema), 'utf8');
    const comment = one(flags, 'comment');
    if (comment !== undefined) body.comment = String(comment);
    if (one(flags, 'activate') === true) body.activate = true;
    const result = await api(conn, 'POST', '/v1/policies/versions', body);
    return out.json ? out(result) : out(`published version ${result.version}${result.active ? ' (active)' : ''}`);
  },
  async activate(conn, args, out) {
    const v = need(args.positional, 1, 'version');
    const result = await api(conn, 'POST', `/v1/policies/versions/${enc(v)}/activate`);
    return out.json
      ? out(result)
      : out(`active version ${result.active_version} (was ${cell(result.previous_version)})`);
  },
  async diff(conn, args, out) {
    const from = need(args.positional, 1, 'from version');
    const to = need(args.positional, 2, 'to version');
    const result = await api(conn, 'GET', `/v1/policies/diff?from=${enc(from)}&to=${enc(to)}`);
    if (out.json) return out(result);
    for (const part of ['policies', 'schema']) {
      const d = result[part];
      out(`--- ${part} v${from}\n+++ ${part} v${to}  (+${d.added} -${d.removed})`);
      for (const l of d.lines) out(`${l.op}${l.line}`);
    }
  },
});
