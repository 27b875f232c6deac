// `esp clients …`: OAuth clients (list, get, create, update, rotate-secret, disable, enable, delete).
import { UsageError } from './errors.mjs';
import { group, listing, target } from './command.mjs';
import { api } from './http.mjs';
import { one } from './input.mjs';
import { fields } from './output.mjs';

const CLIENT_COLUMNS = [
  ['client_id', 'client id'],
  ['client_name', 'name'],
  'status',
  'scope',
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

/** sub-command → [method, path after /v1/clients/<id>] (besides get) */
const ACTIONS = {
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

export const clients = group(
  'clients',
  {
    list: listing('/v1/clients', 'clients', CLIENT_COLUMNS, ['search', 'status', 'limit', 'offset']),
    async create(conn, { flags }, out) {
      const result = await api(conn, 'POST', '/v1/clients', clientBody(flags));
      return out.json ? out(result) : printClient(out, result);
    },
  },
  async (conn, args, out, sub) => {
    const { id, method, path } = target(args, '/v1/clients', 'client id', ACTIONS);
    const body = sub === 'update' ? clientBody(args.flags) : undefined;
    if (sub === 'update' && Object.keys(body).length === 0) throw new UsageError('nothing to update');
    const result = await api(conn, method, path, body);
    if (sub === 'delete') return out.json ? out({ deleted: id }) : out(`deleted ${id}`);
    return out.json ? out(result) : printClient(out, result);
  },
);
