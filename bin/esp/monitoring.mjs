// `esp alerts …` and `esp audit`: the monitor's alerts (list, get, acknowledge, resolve) and the audit log.
import { UsageError } from './errors.mjs';
import { api, enc, query } from './http.mjs';
import { need } from './input.mjs';
import { fields, table } from './output.mjs';

const ALERT_COLUMNS = [
  ['id', 'id'],
  ['severity', 'severity'],
  ['status', 'status'],
  ['kind', 'kind'],
  ['count', 'count'],
  ['last_seen', 'last seen'],
  ['summary', 'summary'],
];
const ALERT_FIELDS = [
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
];

/** sub-command → [method, path after /v1/alerts/<id>] */
const ALERT_ACTIONS = {
  get: ['GET', ''],
  show: ['GET', ''],
  acknowledge: ['POST', '/acknowledge'],
  ack: ['POST', '/acknowledge'],
  resolve: ['POST', '/resolve'],
};

export async function alerts(conn, args, out) {
  const [sub] = args.positional;
  const { flags } = args;
  if (sub === undefined || sub === 'list') {
    const qs = query(flags, ['status', 'severity', 'detector', 'kind', 'since', 'until', 'limit']);
    const result = await api(conn, 'GET', `/v1/alerts${qs}`);
    return out.json ? out(result) : out(table(result.alerts, ALERT_COLUMNS));
  }
  const id = enc(need(args.positional, 1, 'alert id'));
  const action = ALERT_ACTIONS[sub];
  if (!action) throw new UsageError(`unknown alerts command "${sub}"`);
  const result = await api(conn, action[0], `/v1/alerts/${id}${action[1]}`);
  return out.json ? out(result) : out(fields(result, ALERT_FIELDS));
}

export async function audit(conn, args, out) {
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
