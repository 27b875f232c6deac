import { describe, expect, it } from 'vitest';
import {
  buildSecurityEvent,
  EVENT_FIELD,
  EVENTS_FIELD,
  fromStreamEntry,
  MAX_ENTRY_CHARS,
  MAX_EVENTS_PER_ENTRY,
  SECURITY_EVENTS_MAXLEN,
  streamMaxLenFor,
  toStreamEntries,
  toStreamFields,
} from '../events/event.js';
import { MAX_REQUEST_CHARS, pipelineRequests } from '../events/sink.js';
import { EventSampler } from '../events/sink.js';
import { MetricsRegistry } from '../metrics.js';

describe('MetricsRegistry', () => {
  it('renders counters and cumulative histogram buckets', () => {
    const m = new MetricsRegistry('auth');
    m.recordRequest('GET', '/a', 200, 0.0007);
    m.recordRequest('GET', '/a', 200, 0.02);
    m.recordRequest('GET', '/a', 500, 3);
    const text = m.render();
    expect(text).toContain('http_requests_total{service="auth",method="GET",route="/a",status="200"} 2');
    expect(text).toContain('http_requests_total{service="auth",method="GET",route="/a",status="500"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{service="auth",method="GET",route="/a",le="0.001"} 1');
    expect(text).toContain('http_request_duration_seconds_bucket{service="auth",method="GET",route="/a",le="0.025"} 2');
    expect(text).toContain('http_request_duration_seconds_bucket{service="auth",method="GET",route="/a",le="+Inf"} 3');
    expect(text).toContain('http_request_duration_seconds_count{service="auth",method="GET",route="/a"} 3');
  });

  it('escapes label values', () => {
    const m = new MetricsRegistry('auth');
    m.inc('x_total', 'x', { v: 'a"b\\c\nd' });
    expect(m.render()).toContain('x_total{v="a\\"b\\\\c\\nd"} 1');
  });
});

describe('security events', () => {
  it('round-trips through stream fields', () => {
    const event = buildSecurityEvent('auth', {
      type: 'token.issued',
      outcome: 'success',
      client_id: 'c1',
      ip: '203.0.113.9',
      details: { scope: 'read', n: 1 },
    });
    expect(event.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event.time)).not.toBeNaN();
    const fields = toStreamFields(event);
    expect(typeof fields.details).toBe('string');
    expect(fields.user_id).toBeUndefined();
    expect(fromStreamEntry(fields)).toEqual([event]);
    // The form written before batches: one field holding the event's JSON.
    expect(fromStreamEntry({ [EVENT_FIELD]: JSON.stringify(event) })).toEqual([event]);
    // The form the sink writes: a batch of events in one field.
    const [entry] = toStreamEntries([event, { ...event, event_id: 'second' }]);
    expect(entry?.count).toBe(2);
    expect(fromStreamEntry({ [EVENTS_FIELD]: entry?.value as string })).toEqual([
      event,
      { ...event, event_id: 'second' },
    ]);
  });

  it('packs a flush into entries of at most MAX_EVENTS_PER_ENTRY events and MAX_ENTRY_CHARS characters, in order', () => {
    const event = (i: number, size = 0) =>
      buildSecurityEvent('auth', { type: 'admin.action', outcome: 'success', details: { i, pad: 'x'.repeat(size) } });
    const small = Array.from({ length: MAX_EVENTS_PER_ENTRY + 1 }, (_, i) => event(i));
    expect(toStreamEntries(small).map((e) => e.count)).toEqual([MAX_EVENTS_PER_ENTRY, 1]);
    // Large events: as many per entry as fit; one larger than the limit goes alone, never split or dropped.
    const large = [event(0, 100_000), event(1, 100_000), event(2, 100_000), event(3, MAX_ENTRY_CHARS), event(4, 10)];
    const entries = toStreamEntries(large);
    expect(entries.map((e) => e.count)).toEqual([2, 1, 1, 1]);
    for (const e of entries.filter((x) => x.count > 1)) expect(e.value.length).toBeLessThanOrEqual(MAX_ENTRY_CHARS);
    const back = entries.flatMap((e) => fromStreamEntry({ [EVENTS_FIELD]: e.value }));
    expect(back).toEqual(large);
    expect(toStreamEntries([])).toEqual([]);
  });

  it('groups entries into pipeline requests of at most MAX_REQUEST_CHARS, in order', () => {
    const entry = (n: number, chars: number) => ({ value: 'x'.repeat(chars), count: n });
    const third = Math.floor(MAX_REQUEST_CHARS / 3);
    const entries = [entry(1, third), entry(2, third), entry(3, third), entry(4, MAX_REQUEST_CHARS + 1), entry(5, 1)];
    expect(pipelineRequests(entries).map((r) => r.map((e) => e.count))).toEqual([[1, 2, 3], [4], [5]]);
    expect(pipelineRequests([])).toEqual([]);
  });

  it('trims the stream to about SECURITY_EVENTS_MAXLEN events whatever the entries hold', () => {
    expect(streamMaxLenFor(1)).toBe(SECURITY_EVENTS_MAXLEN);
    expect(streamMaxLenFor(0)).toBe(SECURITY_EVENTS_MAXLEN);
    expect(streamMaxLenFor(MAX_EVENTS_PER_ENTRY) * MAX_EVENTS_PER_ENTRY).toBeGreaterThanOrEqual(SECURITY_EVENTS_MAXLEN);
    expect(streamMaxLenFor(MAX_EVENTS_PER_ENTRY) * MAX_EVENTS_PER_ENTRY).toBeLessThan(
      SECURITY_EVENTS_MAXLEN + MAX_EVENTS_PER_ENTRY,
    );
  });
});

describe('EventSampler', () => {
  it('reports a burst shorter than its interval in full: one event, then one trailing report of the rest', () => {
    const sampler = new EventSampler(1000);
    expect(sampler.admit('k', 0)).toBe(0);
    // The first one held back schedules the trailing report for the interval's end; the others do not.
    expect(sampler.admit('k', 10)).toBeUndefined();
    expect(sampler.trailingDelay('k', 10)).toBe(990);
    for (let t = 11; t < 260; t++) {
      expect(sampler.admit('k', t)).toBeUndefined();
      expect(sampler.trailingDelay('k', t)).toBeUndefined();
    }
    expect(sampler.takeSuppressed('k')).toBe(250);
    // Taken once: the next admitted event does not count them again.
    expect(sampler.takeSuppressed('k')).toBe(0);
    expect(sampler.admit('k', 1500)).toBe(0);
  });

  it('when the next event comes before the trailing report, the held-back count rides on it once', () => {
    const sampler = new EventSampler(1000);
    sampler.admit('k', 0);
    sampler.admit('k', 100);
    sampler.admit('k', 200);
    expect(sampler.admit('k', 1000)).toBe(2);
    expect(sampler.takeSuppressed('k')).toBe(0);
  });
});
