/** The audit log as the monitor API queries it: by actor, client, user, type, address and time. */
import { parseIdent, parseLimit, parseTime, QueryError, singleParams } from '../../alerts/domain/alert-query.js';

export interface AuditQuery {
  actor?: string;
  clientId?: string;
  userId?: string;
  type?: string;
  ip?: string;
  outcome?: string;
  /** occurred_at ≥ since, < until (epoch ms). */
  since?: number;
  until?: number;
  limit: number;
}

export interface AuditEvent {
  event_id: string;
  time: string;
  type: string;
  outcome: string;
  service: string;
  client_id: string | null;
  user_id: string | null;
  actor: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

export interface AuditLog {
  /** Newest first. */
  query(q: AuditQuery): Promise<AuditEvent[]>;
}

export function parseAuditQuery(params: URLSearchParams): AuditQuery {
  const p = singleParams(params, ['actor', 'client_id', 'user_id', 'type', 'ip', 'outcome', 'since', 'until', 'limit']);
  const q: AuditQuery = { limit: parseLimit(p.get('limit'), 100) };
  const fields: [string, keyof AuditQuery][] = [
    ['actor', 'actor'],
    ['client_id', 'clientId'],
    ['user_id', 'userId'],
    ['type', 'type'],
    ['ip', 'ip'],
  ];
  for (const [name, key] of fields) {
    const v = p.get(name);
    if (v !== undefined) (q as unknown as Record<string, unknown>)[key] = parseIdent(v, name);
  }
  const outcome = p.get('outcome');
  if (outcome !== undefined) {
    if (!['success', 'failure', 'denied'].includes(outcome))
      throw new QueryError('outcome', 'must be success, failure or denied');
    q.outcome = outcome;
  }
  const since = p.get('since');
  if (since !== undefined) q.since = parseTime(since, 'since');
  const until = p.get('until');
  if (until !== undefined) q.until = parseTime(until, 'until');
  return q;
}
