import { describe, expect, it } from 'vitest';
import { adminAnomalies } from '../src/detectors/domain/admin-anomalies.js';
import { DetectorConfigError } from '../src/detectors/domain/config.js';
import { kinds, replay, Trace } from './support/traces.js';

const DAY = 24 * 3_600_000;
const VOLUME = 200;
// Mondays 09:00 UTC; the trace clock starts on Monday 2026-06-01 12:00 UTC.
const MONDAY_10_BERLIN = Date.UTC(2026, 5, 1, 8, 0, 0);
const WINDOWS = 'Mon-Thu 09:00-17:00 Europe/Berlin';
const config = adminAnomalies.parseConfig({ changeWindows: WINDOWS, newActor: { knownActors: ['alice', 'bob'] } });

const publish = (actor: string, version: number) => ({
  type: 'policy.published',
  service: 'policy',
  ip: '198.51.100.70',
  details: { policy_set: 'default', version, actor },
});
const activate = (actor: string, version: number) => ({ ...publish(actor, version), type: 'policy.activated' });

/** Weeks of ordinary administration: changes by known actors inside the windows, cron key rotations, rare denials. */
function benignAdmin(t: Trace, count: number, weeks: number): Trace {
  let version = 1;
  let emitted = 0;
  const perWeek = Math.ceil(count / weeks);
  for (let w = 0; w < weeks && emitted < count; w++) {
    for (let i = 0; i < perWeek && emitted < count; i++) {
      // Monday to Thursday, 10:00 to 15:59 Berlin summer time.
      t.clock = MONDAY_10_BERLIN + w * 7 * DAY + t.rng.int(0, 3) * DAY + t.rng.int(0, 6 * 3_600_000 - 1);
      const actor = t.rng.pick(['alice', 'bob']);
      const r = t.rng.next();
      if (r < 0.4) t.add(publish(actor, version++));
      else if (r < 0.7) t.add(activate(actor, version - 1));
      else if (r < 0.9) t.add({ type: 'key.rotated', details: { trigger: t.rng.pick(['cron', 'maintenance']) } });
      else
        t.add({
          type: 'authorization.denied',
          service: 'policy',
          ip: '198.51.100.71',
          details: { actor, action: 'Admin::policy_write' },
        });
      emitted++;
    }
  }
  return t;
}

describe('administrative anomalies', () => {
  it('stays quiet on the same volume of ordinary administration', () => {
    const t = benignAdmin(new Trace(1), VOLUME, 20);
    expect(t.entries).toHaveLength(VOLUME);
    expect(replay(adminAnomalies, t.sorted(), config).findings).toEqual([]);
  });

  it('fires on a policy activation on Saturday night (high) and a publication outside the windows (medium)', () => {
    const t = benignAdmin(new Trace(2), VOLUME - 2, 20);
    t.clock = Date.UTC(2026, 5, 6, 1, 30); // Saturday 03:30 Berlin
    t.add(publish('alice', 900)).add(activate('alice', 900));
    const { findings } = replay(adminAnomalies, t.sorted(), config);
    expect(findings.map((f) => [f.kind, f.severity, f.subject.actor])).toEqual([
      ['admin.publish_outside_window', 'medium', 'alice'],
      ['admin.activation_outside_window', 'high', 'alice'],
    ]);
    expect(findings[1]?.evidence).toMatchObject({ version: 900, change_windows: WINDOWS, ip: '198.51.100.70' });
  });

  it('fires on a new actor after the learning period, high when also outside the windows', () => {
    const learnOnly = adminAnomalies.parseConfig({ changeWindows: WINDOWS });
    const t = benignAdmin(new Trace(3), VOLUME - 2, 20);
    t.clock = MONDAY_10_BERLIN + 21 * 7 * DAY; // a Monday, inside the window
    t.add(publish('mallory', 1000));
    t.clock = Date.UTC(2026, 10, 1, 2, 0); // a Sunday night
    t.add(activate('mallory', 1000));
    const { findings } = replay(adminAnomalies, t.sorted(), learnOnly);
    expect(findings.map((f) => [f.kind, f.severity, f.subject.actor])).toEqual([
      ['admin.new_actor', 'medium', 'mallory'],
      ['admin.activation_outside_window', 'high', 'mallory'],
    ]);
  });

  it('does not call anyone new during the learning period', () => {
    const t = new Trace(4);
    t.clock = MONDAY_10_BERLIN;
    t.add(publish('carol', 1), 3 * DAY);
    t.add(publish('dave', 2));
    expect(replay(adminAnomalies, t.entries, adminAnomalies.parseConfig({})).findings).toEqual([]);
    t.clock = MONDAY_10_BERLIN + 15 * DAY;
    t.add(publish('erin', 3));
    t.add(publish('carol', 4));
    expect(replay(adminAnomalies, t.entries, adminAnomalies.parseConfig({})).findings.map((f) => f.subject)).toEqual([
      { actor: 'erin' },
    ]);
  });

  it('fires high on an emergency key rotation, not on scheduled ones', () => {
    const t = new Trace(5)
      .add({ type: 'key.rotated', details: { trigger: 'cron' } })
      .add({ type: 'key.rotated', details: { trigger: 'admin' } })
      .add({ type: 'key.rotated', ip: '198.51.100.72', details: { trigger: 'admin_immediate', admin: 'bob' } });
    const { findings } = replay(adminAnomalies, t.entries, config);
    expect(findings.map((f) => [f.kind, f.severity, f.evidence.actor])).toEqual([
      ['admin.emergency_key_rotation', 'high', 'bob'],
    ]);
  });

  it('fires on a burst of denied admin authorizations, per actor or else per address', () => {
    const t = new Trace(6);
    for (let i = 0; i < 25; i++)
      t.add({ type: 'authorization.denied', details: { admin: 'intern', action: 'keys_rotate' } }, 10_000);
    for (let i = 0; i < 5; i++) t.add({ type: 'authorization.denied', service: 'policy', ip: '203.0.113.80' }, 10_000);
    const { findings } = replay(adminAnomalies, t.entries, config);
    expect(findings.map((f) => [f.kind, f.severity, f.subject])).toEqual([
      ['admin.denied_burst', 'medium', { actor: 'intern' }],
      ['admin.denied_burst', 'high', { actor: 'intern' }],
      ['admin.denied_burst', 'medium', { ip: '203.0.113.80' }],
    ]);
  });

  it('reports the outside-window rule off without a schedule, and refuses a bad schedule', () => {
    expect(adminAnomalies.status(adminAnomalies.parseConfig({}))).toEqual({
      active: true,
      notes: [expect.stringMatching(/no change windows/)],
    });
    expect(adminAnomalies.status(config)).toEqual({ active: true });
    expect(() => adminAnomalies.parseConfig({ changeWindows: 'Mon 25:00-26:00' })).toThrow(DetectorConfigError);
    const t = new Trace(7).add(activate('alice', 1));
    t.clock = Date.UTC(2026, 5, 7, 3, 0);
    t.add(activate('alice', 2));
    expect(kinds(replay(adminAnomalies, t.entries, adminAnomalies.parseConfig({})).findings)).toEqual([]);
  });
});
