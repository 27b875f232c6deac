/** The audit log's counting window (workers/monitor/src/events/domain/audit-log.ts), pure. */
import { describe, expect, it } from 'vitest';
import { QueryError } from '../../workers/monitor/src/alerts/domain/alert-query.js';
import { parseCountWindow } from '../../workers/monitor/src/events/domain/audit-log.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const window = (query: string) => parseCountWindow(new URLSearchParams(query), NOW);

describe('parseCountWindow', () => {
  it('defaults to the last hour, and an hour before a given until', () => {
    expect(window('')).toEqual({ since: NOW - 3600_000, until: NOW });
    expect(window('until=2026-12-01T00:00:00Z')).toEqual({
      since: Date.parse('2026-11-30T23:00:00Z'),
      until: Date.parse('2026-12-01T00:00:00Z'),
    });
  });

  it('takes an explicit window of at most 31 days, since before until', () => {
    expect(window('since=2026-11-04T12:00:00Z').since).toBe(Date.parse('2026-11-04T12:00:00Z'));
    expect(() => window('since=2026-11-04T11:59:59Z')).toThrow(/at most 31 days/);
    expect(() => window('since=2026-12-05T12:00:00Z')).toThrow(/before until/);
    expect(() => window('since=yesterday')).toThrow(QueryError);
    expect(() => window('since=2026-12-05T10:00:00Z&since=2026-12-05T11:00:00Z')).toThrow(QueryError);
  });
});
