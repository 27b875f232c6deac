// `esp clients …`: OAuth clients (list, get, create, update, rotate-secret, disable, enable, delete).
import { UsageError } from './errors.mjs';
import { api, enc, query } from './http.mjs';
import { need, one } from './input.mjs';
import { fields, table } from './output.mjs';

const CLIENT_COLUMNS = [
  ['client_id', 'client id'],
  ['client_name', 'name'],
  ['status', 'status'],
  ['scope', 'scope'],
  ['first_party', 'first party'],
  [(c) => (c.rate_limit ? `${c.rate_limit.capacity}/${c.rate_limit.refill_per_second}` : null), 'rate limit'],
];
const CLIENT_FIELDS = [
  'client_id',
  'client_name',
  'status',
  'first_party',
  'scope',
  'allowed_resources',
  'grant_types',
  'rate_limit',
  'approved',
  'version',
];

/** sub-command → [method, path after /v1/clients/<id>] */
const ACTIONS = {
  get: ['GET', ''],
  show: ['GET', ''],
  update: ['PATCH', ''],
  'rotate-secret': ['POST', '/secret'],
  disable: ['POST', '/disable'],
  enable: ['POST', '/enable'],
  delete: ['DELETE', ''],
};

function printClient(out, client) {
  out(fields(client, CLIENT_FIELDS));
  if (client.client_secret) out(`\nclient_secret  ${client.client_secret}\n(shown once: store it now)`);
}

function rateLimit(value) {
  if (value === 'none') return null;
  const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(String(value));
  if (!m) throw new UsageError('--rate-limit is <capacity>/<refill per second>, e.g. 100/10, or none');
  return { capacity: Number(m[1]), refill_per_second: Number(m[2]) };
}

function clientBody(flags) {
  const body = {};
  const name = one(flags, 'name');
  if (name !== undefined) body.client_name = String(name);
  const scope = one(flags, 'scope');
  if (scope !== undefined) body.scope = String(scope);
  if (flags.resource) body.allowed_resources = flags.resource.map(String);
  const firstParty = one(flags, 'first-party');
  if (firstParty !== undefined) body.first_party = firstParty === true || firstParty === 'true';
  const limit = one(flags, 'rate-limit');
  if (limit !== undefined) body.rate_limit = rateLimit(limit);
  return body;
}

export async function clients(conn, args, out) {
  const [sub] = args.positional;
  const { flags } = args;
  if (sub === undefined || sub === 'list') {
    const result = await api(conn, 'GET', `/v1/clients${query(flags, ['search', 'status', 'limit', 'offset'])}`);
    return out.json ? out(result) : out(table(result.clients, CLIENT_COLUMNS));
  }
  if (sub === 'create') {
    const result = await api(conn, 'POST', '/v1/clients', clientBody(flags));
    return out.json ? out(result) : printClient(out, result);
  }
  const clientId = need(args.positional, 1, 'client id');
  const action = ACTIONS[sub];
  if (!action) throw new UsageError(`unknown clients command "${sub}"`);
  const body = sub === 'update' ? clientBody(flags) : undefined;
  if (sub === 'update' && Object.keys(body).length === 0) throw new UsageError('nothing to update');
  const result = await api(conn, action[0], `/v1/clients/${enc(clientId)}${action[1]}`, body);
  if (sub === 'delete') return out.json ? out({ deleted: clientId }) : out(`deleted ${clientId}`);
  return out.json ? out(result) : printClient(out, result);
}
