/**
 * Query parameters of the monitor API, parsed strictly: unknown parameters, repeated ones and bad values are
 * refused with the parameter named (the handler answers 400), never ignored.
 */
import { InputError } from '../../api/domain/input-error.js';
import { isSeverity, type Severity } from '../../detectors/domain/finding.js';
import type { AlertFilter } from './alert-store.js';
import type { AlertStatus } from './deduplicate.js';

export class QueryError extends InputError {
  readonly code = 'invalid_query';
  readonly parameter = this.at;
}

export const MAX_LIMIT = 500;
const STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved'];
const IDENT = /^[A-Za-z0-9._:@/+=-]{1,200}$/;

/** One value per parameter, only the allowed names. */
export function singleParams(params: URLSearchParams, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of params) {
    if (!allowed.includes(name)) throw new QueryError(name, 'unknown parameter');
    if (out.has(name)) throw new QueryError(name, 'given more than once');
    out.set(name, value);
  }
  return out;
}

export function parseTime(value: string, name: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value))
    throw new QueryError(name, 'must be an RFC 3339 time');
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new QueryError(name, 'must be an RFC 3339 time');
  return t;
}

export function parseLimit(value: string | undefined, fallback = 50): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,4}$/.test(value)) throw new QueryError('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  const n = Number(value);
  if (n < 1 || n > MAX_LIMIT) throw new QueryError('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

export function parseIdent(value: string, name: string): string {
  if (!IDENT.test(value)) throw new QueryError(name, 'is not a valid identifier');
  return value;
}

function list<T extends string>(value: string, name: string, ok: (v: string) => v is T): T[] {
  const items = value.split(',');
  for (const v of items) if (!ok(v)) throw new QueryError(name, `unknown value ${JSON.stringify(v.slice(0, 32))}`);
  return items as T[];
}

export function parseAlertFilter(params: URLSearchParams): AlertFilter {
  const p = singleParams(params, ['status', 'severity', 'detector', 'kind', 'since', 'until', 'limit']);
  const filter: AlertFilter = { limit: parseLimit(p.get('limit')) };
  const status = p.get('status');
  if (status !== undefined)
    filter.status = list(status, 'status', (v): v is AlertStatus => (STATUSES as readonly string[]).includes(v));
  const severity = p.get('severity');
  if (severity !== undefined) filter.severity = list(severity, 'severity', (v): v is Severity => isSeverity(v));
  const detector = p.get('detector');
  if (detector !== undefined) filter.detector = parseIdent(detector, 'detector');
  const kind = p.get('kind');
  if (kind !== undefined) filter.kind = parseIdent(kind, 'kind');
  const since = p.get('since');
  if (since !== undefined) filter.since = parseTime(since, 'since');
  const until = p.get('until');
  if (until !== undefined) filter.until = parseTime(until, 'until');
  return filter;
}
