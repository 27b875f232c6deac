#!/usr/bin/env node
// `esp`: the platform's admin CLI. It talks to the admin API (the admin Worker's /v1, see /openapi.json) with an
// admin credential or an operator API token, prints tables for people and JSON (--json) for scripts, and exits
// non-zero on failure: 1 the API refused (its RFC 9457 problem on stderr), 2 usage, 3 not reachable / not logged in.
// Plain Node ESM, no dependencies.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const USAGE = `usage: esp <command> [options]

  login --url <admin-url> [--token <token>]   store the admin URL and a credential (token: --token, $ESP_TOKEN or stdin)
  logout                                      forget the stored credential
  clients [--search <s>] [--status active|disabled|deleted] [--limit <n>]
  clients get <client_id>
  clients create --name <name> [--scope "<s> ..."] [--resource <uri>]... [--first-party] [--rate-limit <capacity>/<refill per s>]
  clients update <client_id> [--name <n>] [--scope "<s>"] [--resource <uri>]... [--first-party true|false] [--rate-limit <c>/<r>|none]
  clients rotate-secret|disable|enable|delete <client_id>
  keys                                        signing keys and their status
  keys rotate [--emergency --reason <why>]
  policy list | policy show <version>
  policy publish <policies.cedar> [--schema <file>] [--comment <text>] [--activate]
  policy activate <version>                   (an older version: roll back)
  policy diff <from> <to>
  tokens | tokens create --name <n> --scope <action>[,<action>...] --ttl <seconds> [--role <r>]... | tokens revoke <id>
  users [--search <s>] [--status active|disabled] [--limit <n>]
  users get <user_id> | users create --email <e> [--name <n>] (password: $ESP_USER_PASSWORD or stdin)
  users disable|enable|reset-password <user_id>
  users sessions <user_id> | users revoke-session <user_id> <handle> | users revoke-sessions <user_id>
  alerts [--status open,acknowledged,resolved] [--severity <s>] [--detector <d>] [--limit <n>]
  alerts get|acknowledge|resolve <alert_id>
  audit [--type <t>] [--actor <a>] [--client-id <c>] [--user-id <u>] [--outcome <o>] [--since <t>] [--limit <n>]

options: --json (machine-readable output)  --url <admin-url>  --token <token>  (or $ESP_URL, $ESP_TOKEN)
config:  $ESP_CONFIG, default ~/.config/esp/config.json (mode 0600)`;

class UsageError extends Error {}
class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}
class Unreachable extends Error {}

/** argv → { positional, flags } ; flags repeatable (arrays), `--x` alone is true. */
function parseArgs(argv) {
  const positional = [];
  const flags = {};
  const BOOLEAN = new Set(['json', 'activate', 'emergency', 'help']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    let [name, value] = arg.slice(2).split(/=(.*)/s, 2);
    if (value === undefined) {
      const next = argv[i + 1];
      const takesValue = !BOOLEAN.has(name) && next !== undefined && !next.startsWith('--');
      // --first-party alone means true (create); with a value (update) it is that value.
      if (name === 'first-party' && (next === undefined || !['true', 'false'].includes(next))) value = 'true';
      else if (takesValue) value = argv[++i];
      else value = true;
    }
    if (!flags[name]) flags[name] = [];
    flags[name].push(value);
  }
  return { positional, flags };
}

const one = (flags, name) => {
  const v = flags[name];
  return v === undefined ? undefined : v[v.length - 1];
};

function configPath() {
  return process.env.ESP_CONFIG || join(homedir(), '.config', 'esp', 'config.json');
}

function readConfig() {
  const path = configPath();
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(`${path} is not valid JSON; run esp login again`);
  }
}

function writeConfig(config) {
  const path = configPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function connection(flags) {
  const config = readConfig();
  const url = one(flags, 'url') ?? process.env.ESP_URL ?? config.url;
  const token = one(flags, 'token') ?? process.env.ESP_TOKEN ?? config.token;
  if (!url || !token)
    throw new Unreachable('not logged in: run `esp login --url <admin-url>` (or set ESP_URL and ESP_TOKEN)');
  return { url: String(url).replace(/\/+$/, ''), token: String(token) };
}

async function api(conn, method, path, body) {
  const headers = { authorization: `Bearer ${conn.token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`${conn.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Unreachable(`${conn.url} is not reachable: ${err.cause?.code ?? err.message}`);
  }
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: text.slice(0, 500) };
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

// ---- output ----------------------------------------------------------------------------------------------------

function cell(value) {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.join(',') || '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function table(rows, columns) {
  if (rows.length === 0) return '(none)';
  const widths = columns.map(([, title]) => title.length);
  const cells = rows.map((row) =>
    columns.map(([key], i) => {
      const text = cell(typeof key === 'function' ? key(row) : row[key]);
      widths[i] = Math.max(widths[i], text.length);
      return text;
    }),
  );
  const line = (parts) =>
    parts
      .map((p, i) => p.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([, title]) => title.toUpperCase())), ...cells.map(line)].join('\n');
}

function fields(obj, names) {
  const width = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)}  ${cell(obj[n])}`).join('\n');
}

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

function printClient(out, client) {
  out(fields(client, CLIENT_FIELDS));
  if (client.client_secret) out(`\nclient_secret  ${client.client_secret}\n(shown once: store it now)`);
}

// ---- commands ----------------------------------------------------------------------------------------------------

async function readStdinLine() {
  if (process.stdin.isTTY) process.stderr.write('admin token: ');
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').trim();
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

function need(positional, index, what) {
  const value = positional[index];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

const enc = encodeURIComponent;

async function clients(conn, args, out) {
  const [sub, id] = args.positional;
  const { flags } = args;
  if (sub === undefined || sub === 'list') {
    const q = new URLSearchParams();
    for (const name of ['search', 'status', 'limit', 'offset']) {
      const v = one(flags, name);
      if (v !== undefined) q.set(name, String(v));
    }
    const result = await api(conn, 'GET', `/v1/clients${q.size ? `?${q}` : ''}`);
    return out.json ? out(result) : out(table(result.clients, CLIENT_COLUMNS));
  }
  if (sub === 'create') {
    const body = clientBody(flags);
    const result = await api(conn, 'POST', '/v1/clients', body);
    return out.json ? out(result) : printClient(out, result);
  }
  const clientId = need(args.positional, 1, 'client id');
  const actions = {
    get: ['GET', ''],
    show: ['GET', ''],
    update: ['PATCH', ''],
    'rotate-secret': ['POST', '/secret'],
    disable: ['POST', '/disable'],
    enable: ['POST', '/enable'],
    delete: ['DELETE', ''],
  };
  const action = actions[sub];
  if (!action) throw new UsageError(`unknown clients command "${sub}"`);
  const body = sub === 'update' ? clientBody(flags) : undefined;
  if (sub === 'update' && Object.keys(body).length === 0) throw new UsageError('nothing to update');
  const result = await api(conn, action[0], `/v1/clients/${enc(clientId ?? id)}${action[1]}`, body);
  if (sub === 'delete') return out.json ? out({ deleted: clientId }) : out(`deleted ${clientId}`);
  return out.json ? out(result) : printClient(out, result);
}

async function keys(conn, args, out) {
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

async function policy(conn, args, out) {
  const [sub] = args.positional;
  const { flags } = args;
  if (sub === undefined || sub === 'list') {
    const result = await api(conn, 'GET', '/v1/policies/versions');
    return out.json
      ? out(result)
      : out(
          table(result.versions, [
            ['version', 'version'],
            ['active', 'active'],
            ['created_by', 'by'],
            ['created_at', 'created'],
            ['comment', 'comment'],
          ]),
        );
  }
  if (sub === 'show') {
    const v = need(args.positional, 1, 'version');
    const result = await api(conn, 'GET', `/v1/policies/versions/${enc(v)}`);
    return out.json ? out(result) : out(result.policies);
  }
  if (sub === 'publish') {
    const file = need(args.positional, 1, 'policies file');
    const body = { policies: readFileSync(file, 'utf8') };
    const schema = one(flags, 'schema');
    if (schema !== undefined) body.schema = readFileSync(String(schema), 'utf8');
    const comment = one(flags, 'comment');
    if (comment !== undefined) body.comment = String(comment);
    if (one(flags, 'activate') === true) body.activate = true;
    const result = await api(conn, 'POST', '/v1/policies/versions', body);
    return out.json ? out(result) : out(`published version ${result.version}${result.active ? ' (active)' : ''}`);
  }
  if (sub === 'activate') {
    const v = need(args.positional, 1, 'version');
    const result = await api(conn, 'POST', `/v1/policies/versions/${enc(v)}/activate`);
    return out.json
      ? out(result)
      : out(`active version ${result.active_version} (was ${cell(result.previous_version)})`);
  }
  if (sub === 'diff') {
    const from = need(args.positional, 1, 'from version');
    const to = need(args.positional, 2, 'to version');
    const result = await api(conn, 'GET', `/v1/policies/diff?from=${enc(from)}&to=${enc(to)}`);
    if (out.json) return out(result);
    for (const part of ['policies', 'schema']) {
      const d = result[part];
      out(`--- ${part} v${from}\n+++ ${part} v${to}  (+${d.added} -${d.removed})`);
      for (const l of d.lines) out(`${l.op}${l.line}`);
    }
    return;
  }
  throw new UsageError(`unknown policy command "${sub}"`);
}

async function tokens(conn, args, out) {
  const [sub] = args.positional;
  const { flags } = args;
  const columns = [
    ['id', 'id'],
    ['name', 'name'],
    ['principal', 'principal'],
    ['scopes', 'scopes'],
    ['status', 'status'],
    ['expires_at', 'expires'],
  ];
  if (sub === undefined || sub === 'list') {
    const result = await api(conn, 'GET', '/v1/tokens');
    return out.json ? out(result) : out(table(result.tokens, columns));
  }
  if (sub === 'create') {
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
    out(table([result], columns));
    return out(`\ntoken  ${result.token}\n(shown once: store it now)`);
  }
  if (sub === 'revoke') {
    const id = need(args.positional, 1, 'token id');
    const result = await api(conn, 'DELETE', `/v1/tokens/${enc(id)}`);
    return out.json ? out(result) : out(`revoked ${result.id}`);
  }
  throw new UsageError(`unknown tokens command "${sub}"`);
}

function query(flags, names) {
  const q = new URLSearchParams();
  for (const name of names) {
    const v = one(flags, name);
    if (v !== undefined) q.set(name.replace(/-/g, '_'), String(v));
  }
  return q.size ? `?${q}` : '';
}

const USER_COLUMNS = [
  ['id', 'id'],
  ['email', 'email'],
  ['name', 'name'],
  ['status', 'status'],
  ['roles', 'roles'],
  [(u) => (u.last_login_at ? new Date(u.last_login_at * 1000).toISOString() : null), 'last sign-in'],
];
const USER_FIELDS = ['id', 'email', 'name', 'status', 'email_verified', 'roles', 'created_at', 'last_login_at'];

async function users(conn, args, out) {
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

const ALERT_COLUMNS = [
  ['id', 'id'],
  ['severity', 'severity'],
  ['status', 'status'],
  ['kind', 'kind'],
  ['count', 'count'],
  ['last_seen', 'last seen'],
  ['summary', 'summary'],
];

async function alerts(conn, args, out) {
  const [sub] = args.positional;
  const { flags } = args;
  if (sub === undefined || sub === 'list') {
    const qs = query(flags, ['status', 'severity', 'detector', 'kind', 'since', 'until', 'limit']);
    const result = await api(conn, 'GET', `/v1/alerts${qs}`);
    return out.json ? out(result) : out(table(result.alerts, ALERT_COLUMNS));
  }
  const id = enc(need(args.positional, 1, 'alert id'));
  const actions = {
    get: ['GET', ''],
    show: ['GET', ''],
    acknowledge: ['POST', '/acknowledge'],
    ack: ['POST', '/acknowledge'],
    resolve: ['POST', '/resolve'],
  };
  const action = actions[sub];
  if (!action) throw new UsageError(`unknown alerts command "${sub}"`);
  const result = await api(conn, action[0], `/v1/alerts/${id}${action[1]}`);
  return out.json
    ? out(result)
    : out(
        fields(result, [
          'id',
          'detector',
          'kind',
          'severity',
          'status',
          'summary',
          'subject',
          'count',
          'first_seen',
          'last_seen',
          'acknowledged_by',
          'resolved_by',
        ]),
      );
}

async function audit(conn, args, out) {
  const qs = query(args.flags, ['type', 'actor', 'client-id', 'user-id', 'ip', 'outcome', 'since', 'until', 'limit']);
  const result = await api(conn, 'GET', `/v1/audit${qs}`);
  return out.json
    ? out(result)
    : out(
        table(result.events, [
          ['time', 'time'],
          ['type', 'type'],
          ['outcome', 'outcome'],
          ['service', 'service'],
          ['actor', 'actor'],
          ['client_id', 'client'],
          ['user_id', 'user'],
        ]),
      );
}

async function login(args, out) {
  const url = one(args.flags, 'url') ?? process.env.ESP_URL ?? readConfig().url;
  if (typeof url !== 'string') throw new UsageError('login needs --url <admin-url>');
  let token = one(args.flags, 'token') ?? process.env.ESP_TOKEN;
  if (typeof token !== 'string') token = await readStdinLine();
  if (!token) throw new UsageError('no token given (--token, $ESP_TOKEN or stdin)');
  const conn = { url: url.replace(/\/+$/, ''), token };
  // Any admin route tells a valid credential (200, or 403 when its role or scopes lack the action) from an
  // invalid one (401).
  try {
    await api(conn, 'GET', '/v1/clients?limit=1');
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 403)) throw err;
  }
  writeConfig({ url: conn.url, token });
  return out.json
    ? out({ url: conn.url, logged_in: true })
    : out(`logged in to ${conn.url} (credential stored in ${configPath()})`);
}

async function main(argv) {
  const args = parseArgs(argv);
  const [command, ...rest] = args.positional;
  args.positional = rest;
  const json = one(args.flags, 'json') === true;
  const out = (value) => {
    process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
  };
  out.json = json;
  if (command === undefined || command === 'help' || one(args.flags, 'help')) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !one(args.flags, 'help') ? 2 : 0;
  }
  switch (command) {
    case 'login':
      await login(args, out);
      return 0;
    case 'logout': {
      const config = readConfig();
      delete config.token;
      writeConfig(config);
      out(json ? { logged_in: false } : 'logged out');
      return 0;
    }
    case 'clients':
      await clients(connection(args.flags), args, out);
      return 0;
    case 'keys':
      await keys(connection(args.flags), args, out);
      return 0;
    case 'policy':
    case 'policies':
      await policy(connection(args.flags), args, out);
      return 0;
    case 'tokens':
      await tokens(connection(args.flags), args, out);
      return 0;
    case 'users':
      await users(connection(args.flags), args, out);
      return 0;
    case 'alerts':
      await alerts(connection(args.flags), args, out);
      return 0;
    case 'audit':
      await audit(connection(args.flags), args, out);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const json = process.argv.includes('--json');
    if (err instanceof ApiError) {
      if (json) process.stderr.write(`${JSON.stringify(err.problem ?? { status: err.status })}\n`);
      else {
        process.stderr.write(`esp: ${err.status} ${err.problem?.title ?? ''}: ${err.message}\n`);
        for (const e of err.problem?.errors ?? [])
          process.stderr.write(`  ${e.path ? `${e.path}: ` : ''}${e.message}\n`);
      }
      process.exit(1);
    }
    if (err instanceof UsageError) {
      process.stderr.write(`esp: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof Unreachable) {
      process.stderr.write(`esp: ${err.message}\n`);
      process.exit(3);
    }
    process.stderr.write(`esp: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
