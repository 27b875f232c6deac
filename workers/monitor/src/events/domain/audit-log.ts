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

/** How many events of a type had an outcome in a window: the figures the dashboard's overview shows. */
export interface EventCount {
  type: string;
  outcome: string;
  count: number;
}

/** A counting window: occurred_at ≥ since, < until (epoch ms), at most MAX_COUNT_WINDOW_MS long. */
export interface CountWindow {
  since: number;
  until: number;
}

export interface AuditLog {
  /** Newest first. */
  query(q: AuditQuery): Promise<AuditEvent[]>;
  /** Every event in the window, counted by type and outcome (no cap: a count, not a list). */
  count(window: CountWindow): Promise<EventCount[]>;
}

export const MAX_COUNT_WINDOW_MS = 31 * 24 * 3600_000;

/** `since` (default: an hour before `until`) and `until` (default: now); refused beyond 31 days. */
export function parseCountWindow(params: URLSearchParams, now: number): CountWindow {
  const p = singleParams(params, ['since', 'until']);
  const untilText = p.get('until');
  const until = untilText === undefined ? now : parseTime(untilText, 'until');
  const sinceText = p.get('since');
  const since = sinceText === undefined ? until - 3600_000 : parseTime(sinceText, 'since');
  if (since >= until) throw new QueryError('since', 'must be before until');
  if (until - since > MAX_COUNT_WINDOW_MS) throw new QueryError('since', 'the window is at most 31 days');
  return { since, until };
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
