// `esp alerts …` and `esp audit`: the monitor's alerts (list, get, acknowledge, resolve) and the audit log.
import { group, listing, target } from './command.mjs';
import { api } from './http.mjs';
import { fields } from './output.mjs';

const ALERT_COLUMNS = ['id', 'severity', 'status', 'kind', 'count', ['last_seen', 'last seen'], 'summary'];
const ALERT_FILTERS = ['status', 'severity', 'detector', 'kind', 'since', 'until', 'limit'];
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

/** sub-command → [method, path after /v1/alerts/<id>] (besides get) */
const ALERT_ACTIONS = {
  acknowledge: ['POST', '/acknowledge'],
  ack: ['POST', '/acknowledge'],
  resolve: ['POST', '/resolve'],
};

export const alerts = group(
  'alerts',
  {
    list: listing('/v1/alerts', 'alerts', ALERT_COLUMNS, ALERT_FILTERS),
  },
  async (conn, args, out) => {
    const { method, path } = target(args, '/v1/alerts', 'alert id', ALERT_ACTIONS);
    const result = await api(conn, method, path);
    return out.json ? out(result) : out(fields(result, ALERT_FIELDS));
  },
);

export const audit = listing(
  '/v1/audit',
  'events',
  ['time', 'type', 'outcome', 'service', 'actor', ['client_id', 'client'], ['user_id', 'user']],
  ['type', 'actor', 'client-id', 'user-id', 'ip', 'outcome', 'since', 'until', 'limit'],
);
