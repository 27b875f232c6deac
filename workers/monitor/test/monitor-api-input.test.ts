import { describe, expect, it } from 'vitest';
import { parseAlertFilter, QueryError } from '../src/alerts/domain/alert-query.js';
import { parseAuditQuery } from '../src/events/domain/audit-log.js';
import { EndpointInputError, parseEndpointPatch, parseNewEndpoint } from '../src/webhooks/domain/endpoint-input.js';

const q = (s: string) => new URLSearchParams(s);

function refusal(fn: () => unknown): { parameter?: string; field?: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueryError) return { parameter: err.parameter };
    if (err instanceof EndpointInputError) return { field: err.field };
    throw err;
  }
  throw new Error('accepted');
}

describe('monitor API query parameters', () => {
  it('parses alert filters', () => {
    expect(parseAlertFilter(q('status=open,acknowledged&severity=high&detector=brute_force&limit=20'))).toEqual({
      status: ['open', 'acknowledged'],
      severity: ['high'],
      detector: 'brute_force',
      limit: 20,
    });
    expect(parseAlertFilter(q('since=2026-12-01T00:00:00Z'))).toEqual({
      since: Date.UTC(2026, 11, 1),
      limit: 50,
    });
  });

  it('refuses unknown, repeated and malformed parameters, naming them', () => {
    expect(refusal(() => parseAlertFilter(q('status=closed')))).toEqual({ parameter: 'status' });
    expect(refusal(() => parseAlertFilter(q('limit=0')))).toEqual({ parameter: 'limit' });
    expect(refusal(() => parseAlertFilter(q('limit=501')))).toEqual({ parameter: 'limit' });
    expect(refusal(() => parseAlertFilter(q('since=yesterday')))).toEqual({ parameter: 'since' });
    expect(refusal(() => parseAlertFilter(q('status=open&status=resolved')))).toEqual({ parameter: 'status' });
    expect(refusal(() => parseAlertFilter(q('sort=asc')))).toEqual({ parameter: 'sort' });
    expect(refusal(() => parseAuditQuery(q("actor=a' or 1=1")))).toEqual({ parameter: 'actor' });
    expect(refusal(() => parseAuditQuery(q('outcome=maybe')))).toEqual({ parameter: 'outcome' });
  });

  it('parses audit-log queries by actor, client, user, type, address and time', () => {
    expect(
      parseAuditQuery(
        q('actor=alice&client_id=c1&user_id=u1&type=key.rotated&ip=203.0.113.5&until=2026-12-05T10:00:00%2B01:00'),
      ),
    ).toEqual({
      actor: 'alice',
      clientId: 'c1',
      userId: 'u1',
      type: 'key.rotated',
      ip: '203.0.113.5',
      until: Date.UTC(2026, 11, 5, 9),
      limit: 100,
    });
  });
});

describe('webhook endpoint bodies', () => {
  it('accepts a public https endpoint and fills the defaults', () => {
    expect(parseNewEndpoint({ url: 'https://hooks.example.com/a' }, false)).toEqual({
      url: 'https://hooks.example.com/a',
      description: null,
      types: [],
      minSeverity: 'low',
    });
  });

  it('refuses private addresses unless allowed (local development), unknown fields and bad values', () => {
    expect(refusal(() => parseNewEndpoint({ url: 'http://127.0.0.1:9/x' }, false))).toEqual({ field: 'url' });
    expect(refusal(() => parseNewEndpoint({ url: 'https://10.0.0.1/x' }, false))).toEqual({ field: 'url' });
    expect(parseNewEndpoint({ url: 'http://127.0.0.1:9/x' }, true).url).toBe('http://127.0.0.1:9/x');
    expect(refusal(() => parseNewEndpoint({ url: 'ftp://example.com/x' }, true))).toEqual({ field: 'url' });
    expect(refusal(() => parseNewEndpoint({ url: 'https://hooks.example.com', secret: 'x' }, false))).toEqual({
      field: 'secret',
    });
    expect(
      refusal(() => parseNewEndpoint({ url: 'https://hooks.example.com', types: ['alert.deleted'] }, false)),
    ).toEqual({
      field: 'types',
    });
    expect(refusal(() => parseNewEndpoint([], false))).toEqual({ field: 'body' });
    expect(refusal(() => parseEndpointPatch({ min_severity: 'urgent' }, false))).toEqual({ field: 'min_severity' });
    expect(refusal(() => parseEndpointPatch({ disabled: 'yes' }, false))).toEqual({ field: 'disabled' });
    expect(parseEndpointPatch({ disabled: true, types: ['alert.created', 'alert.created'] }, false)).toEqual({
      disabled: true,
      types: ['alert.created'],
    });
  });
});
