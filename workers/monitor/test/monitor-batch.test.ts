import { describe, expect, it } from 'vitest';
import { DEDUP_DEFAULTS } from '../src/alerts/domain/deduplicate.js';
import { actorOf, alertsFromFindings } from '../src/consumer/domain/batch.js';
import { dedupKeyOf, type Finding, type Severity } from '../src/detectors/domain/finding.js';
import type { MonitorEvent } from '../src/events/domain/decode.js';
import type { WebhookEndpoint } from '../src/webhooks/domain/endpoint.js';

const T = Date.UTC(2026, 11, 5, 12);
let n = 0;
const newId = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

function finding(subject: string, severity: Severity = 'medium', at = T): Finding {
  const s = { client_id: subject };
  return {
    detector: 'client_secret_guessing',
    kind: 'client_secret_guessing.client',
    severity,
    dedupKey: dedupKeyOf('client_secret_guessing.client', s),
    subject: s,
    summary: 'guessing',
    at,
    eventIds: [`e-${subject}-${at}`],
    evidence: { failures: 10 },
  };
}

const endpoint = (id: string, extra: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id,
  url: 'https://hooks.example.com/x',
  secrets: ['sealed'],
  types: [],
  minSeverity: 'low',
  ...extra,
});

describe('a batch from findings to alerts and webhook messages', () => {
  it('opens one alert per dedup key, joins repeats, and queues one message per created alert and endpoint', () => {
    const out = alertsFromFindings({
      findings: [finding('a'), finding('b'), finding('a', 'medium', T + 1000)],
      current: new Map(),
      endpoints: [
        endpoint('all'),
        endpoint('high-only', { minSeverity: 'high' }),
        endpoint('off', { disabled: { at: T, reason: 'x' } }),
      ],
      dedup: DEDUP_DEFAULTS,
      now: T + 2000,
      newId,
    });
    expect(out.changes.map((c) => c.action)).toEqual(['created', 'created', 'updated']);
    expect(out.alerts.map((a) => [a.subject.client_id, a.count])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    // A repeat is not announced; endpoints below their severity floor or disabled get nothing.
    expect(out.messages.map((m) => [m.endpointId, m.alertId, m.type])).toEqual([
      ['all', out.alerts[0]?.id, 'alert.created'],
      ['all', out.alerts[1]?.id, 'alert.created'],
    ]);
    // Message ids are derived from the alert: the same on a re-run, so receivers deduplicate.
    expect(new Set(out.messages.map((m) => m.msgId)).size).toBe(2);
  });

  it('joins the open alert loaded from storage instead of opening another', () => {
    const first = alertsFromFindings({
      findings: [finding('a')],
      current: new Map(),
      endpoints: [],
      dedup: DEDUP_DEFAULTS,
      now: T,
      newId,
    });
    const stored = first.alerts[0];
    if (!stored) throw new Error('no alert');
    const second = alertsFromFindings({
      findings: [finding('a', 'high', T + 60_000)],
      current: new Map([[stored.dedupKey, stored]]),
      endpoints: [endpoint('all')],
      dedup: DEDUP_DEFAULTS,
      now: T + 60_000,
      newId,
    });
    expect(second.alerts).toHaveLength(1);
    expect(second.alerts[0]).toMatchObject({ id: stored.id, count: 2, severity: 'high' });
    expect(second.messages.map((m) => m.type)).toEqual(['alert.escalated']);
  });

  it('the actor of an administrative event comes from details.admin or details.actor, bounded', () => {
    const event = (details: Record<string, unknown>) => ({ details }) as unknown as MonitorEvent;
    expect(actorOf(event({ admin: 'alice', action: 'x' }))).toBe('alice');
    expect(actorOf(event({ actor: 'bob' }))).toBe('bob');
    expect(actorOf(event({ admin: 7 }))).toBeUndefined();
    expect(actorOf(event({ admin: 'x'.repeat(129) }))).toBeUndefined();
    expect(actorOf(event({}))).toBeUndefined();
  });
});
