import { describe, expect, it } from 'vitest';
import {
  type Alert,
  AlertTransitionError,
  alertEventIds,
  applyFinding,
  applyFindings,
  DEDUP_DEFAULTS,
  escalate,
  parseDedupConfig,
  transitionAlert,
} from '../src/alerts/domain/deduplicate.js';
import { DetectorConfigError } from '../src/detectors/domain/config.js';
import { dedupKeyOf, type Finding, type Severity } from '../src/detectors/domain/finding.js';

const MIN = 60_000;
let n = 0;
const newId = () => `alert-${++n}`;

function finding(at: number, severity: Severity = 'medium', ids: string[] = [`e-${at}`]): Finding {
  const subject = { ip: '203.0.113.5' };
  return {
    detector: 'brute_force',
    kind: 'brute_force.account',
    severity,
    dedupKey: dedupKeyOf('brute_force.account', subject),
    subject,
    summary: `at ${at}`,
    at,
    eventIds: ids,
    evidence: { failures: 10 },
  };
}

describe('alert deduplication', () => {
  it('creates an alert, then counts repeats within the window on the same alert', () => {
    const a = applyFinding(null, finding(0), DEDUP_DEFAULTS, 0, newId);
    expect(a.action).toBe('created');
    expect(a.alert).toMatchObject({ status: 'open', count: 1, firstSeen: 0, lastSeen: 0, severity: 'medium' });
    const b = applyFinding(a.alert, finding(30 * MIN), DEDUP_DEFAULTS, 30 * MIN, newId);
    expect(b).toMatchObject({ action: 'updated', escalated: false, reopened: false });
    expect(b.alert).toMatchObject({
      id: a.alert.id,
      count: 2,
      firstSeen: 0,
      lastSeen: 30 * MIN,
      summary: `at ${30 * MIN}`,
    });
    expect(a.alert.count).toBe(1); // the input is not modified
  });

  it('opens a new alert after the window of quiet, and after resolution', () => {
    const a = applyFinding(null, finding(0), DEDUP_DEFAULTS, 0, newId).alert;
    const late = applyFinding(a, finding(61 * MIN), DEDUP_DEFAULTS, 61 * MIN, newId);
    expect(late.action).toBe('created');
    expect(late.alert.id).not.toBe(a.id);
    const resolved = transitionAlert(a, 'resolved', 'sam', MIN);
    expect(applyFinding(resolved, finding(2 * MIN), DEDUP_DEFAULTS, 2 * MIN, newId).action).toBe('created');
  });

  it('takes the highest severity seen and escalates one level at 10 and 100 repeats', () => {
    expect(escalate('medium', 9, [10, 100])).toBe('medium');
    expect(escalate('medium', 10, [10, 100])).toBe('high');
    expect(escalate('medium', 100, [10, 100])).toBe('critical');
    expect(escalate('high', 1000, [10, 100])).toBe('critical');
    let alert: Alert | null = null;
    const changes = [];
    for (let i = 0; i < 100; i++) {
      const r = applyFinding(alert, finding(i * 1000, i === 3 ? 'medium' : 'low'), DEDUP_DEFAULTS, i * 1000, newId);
      alert = r.alert;
      changes.push(r);
    }
    expect(changes.filter((c) => c.action === 'updated' && c.escalated).map((c) => c.alert.count)).toEqual([
      4, 10, 100,
    ]);
    expect(alert).toMatchObject({ severity: 'critical', findingSeverity: 'medium', count: 100 });
  });

  it('puts an acknowledged alert back to open when it escalates, not on a plain repeat', () => {
    let alert = applyFinding(null, finding(0), DEDUP_DEFAULTS, 0, newId).alert;
    alert = transitionAlert(alert, 'acknowledged', 'sam', 1);
    const repeat = applyFinding(alert, finding(MIN), DEDUP_DEFAULTS, MIN, newId);
    expect(repeat.alert.status).toBe('acknowledged');
    const worse = applyFinding(repeat.alert, finding(2 * MIN, 'critical'), DEDUP_DEFAULTS, 2 * MIN, newId);
    expect(worse).toMatchObject({ escalated: true, reopened: true });
    expect(worse.alert.status).toBe('open');
    expect(worse.alert.acknowledgedBy).toBeUndefined();
  });

  it('keeps the first and the latest event ids, bounded, and counts the rest', () => {
    let alert: Alert | null = null;
    for (let i = 0; i < 30; i++) {
      const ids = [`e${i}a`, `e${i}b`, `e${i}c`];
      alert = applyFinding(alert, finding(i * 1000, 'medium', ids), DEDUP_DEFAULTS, i * 1000, newId).alert;
    }
    const a = alert as Alert;
    expect(a.firstEventIds).toEqual(['e0a', 'e0b', 'e0c', 'e1a', 'e1b', 'e1c', 'e2a', 'e2b', 'e2c', 'e3a']);
    expect(a.lastEventIds).toHaveLength(40);
    expect(a.lastEventIds[39]).toBe('e29c');
    expect(a.droppedEventIds).toBe(90 - 50);
    expect(alertEventIds(a)).toHaveLength(50);
    // Ids already kept are not added twice.
    const again = applyFinding(a, finding(31_000, 'medium', ['e29c', 'e0a']), DEDUP_DEFAULTS, 31_000, newId).alert;
    expect(alertEventIds(again)).toEqual(alertEventIds(a));
  });

  it('applies a batch in order, one alert per key', () => {
    const other: Finding = { ...finding(5), dedupKey: 'other', kind: 'other' };
    const { changes, latest } = applyFindings(
      new Map(),
      [finding(1), other, finding(2), finding(3)],
      DEDUP_DEFAULTS,
      10,
      newId,
    );
    expect(changes.map((c) => c.action)).toEqual(['created', 'created', 'updated', 'updated']);
    expect(latest.size).toBe(2);
    expect(latest.get(finding(0).dedupKey)?.count).toBe(3);
  });

  it('allows only open → acknowledged → resolved (and back to open from acknowledged)', () => {
    const a = applyFinding(null, finding(0), DEDUP_DEFAULTS, 0, newId).alert;
    const ack = transitionAlert(a, 'acknowledged', 'sam', 5);
    expect(ack).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'sam', acknowledgedAt: 5 });
    expect(transitionAlert(ack, 'open', 'sam', 6).acknowledgedAt).toBeUndefined();
    const done = transitionAlert(ack, 'resolved', 'kim', 7);
    expect(done).toMatchObject({ status: 'resolved', resolvedBy: 'kim', resolvedAt: 7 });
    expect(() => transitionAlert(done, 'open', 'x', 8)).toThrow(AlertTransitionError);
    expect(() => transitionAlert(a, 'open', 'x', 8)).toThrow(AlertTransitionError);
  });

  it('validates its configuration', () => {
    expect(parseDedupConfig({ windowMs: 2 * 3_600_000 }).windowMs).toBe(7_200_000);
    expect(() => parseDedupConfig({ escalateAtCounts: [100, 10] })).toThrow(DetectorConfigError);
    expect(() => parseDedupConfig({ firstEventIds: 0 })).toThrow(DetectorConfigError);
    expect(() => parseDedupConfig({ window: 5 })).toThrow(DetectorConfigError);
  });
});
