import { describe, expect, it } from 'vitest';
import { DetectorConfigError } from '../src/detectors/domain/config.js';
import {
  DETECTORS,
  detectorStatuses,
  initialDetectorStates,
  parseDetectorConfigs,
  runDetectors,
} from '../src/detectors/domain/pipeline.js';
import { benignSignIns, decodeAll, Trace } from './support/traces.js';

describe('detector pipeline', () => {
  it('runs every detector over a batch, skipping unknown event types', () => {
    const configs = parseDetectorConfigs({}, { locationAvailable: true });
    const t = new Trace(1);
    for (let i = 0; i < 12; i++) t.add({ type: 'user.login_failed', user_id: `acct-${i}`, ip: '203.0.113.5' }, 1000);
    t.add({ type: 'refresh_token.reused', details: { family_id: 'f1' } });
    t.add({ type: 'webauthn.something_new', user_id: 'x' });
    const r = runDetectors(initialDetectorStates(), decodeAll(t.entries), configs, t.clock + 1000);
    expect(r.unknownTypes).toBe(1);
    expect(r.findings.map((f) => f.detector).sort()).toEqual(['credential_stuffing', 'token_reuse']);
    // State survives storage as JSON and carries on from where it was.
    const states = JSON.parse(JSON.stringify(r.states));
    const more = new Trace(2, t.clock);
    for (let i = 12; i < 60; i++)
      more.add({ type: 'user.login_failed', user_id: `acct-${i}`, ip: '203.0.113.5' }, 1000);
    const r2 = runDetectors(states, decodeAll(more.entries), configs, more.clock);
    expect(r2.findings.some((f) => f.kind === 'credential_stuffing.address' && f.severity === 'high')).toBe(true);
  });

  it('stays quiet as a whole on a day of ordinary sign-ins, and keeps its state small', () => {
    const configs = parseDetectorConfigs({}, { locationAvailable: false });
    const t = benignSignIns(new Trace(3), { count: 5000, users: 2000, failRate: 0.1, meanGapMs: 17_000 });
    let states = initialDetectorStates();
    const events = decodeAll(t.entries);
    for (let i = 0; i < events.length; i += 200) {
      const batch = events.slice(i, i + 200);
      const r = runDetectors(states, batch, configs, (batch[batch.length - 1]?.time ?? 0) + 1000);
      expect(r.findings).toEqual([]);
      states = JSON.parse(JSON.stringify(r.states));
    }
    // Idle subjects are forgotten: what remains is the last couple of hours of activity.
    expect(JSON.stringify(states).length).toBeLessThan(400_000);
  });

  it('reports each detector as active or off, with the reason', () => {
    const statuses = detectorStatuses(parseDetectorConfigs({}, { locationAvailable: false }));
    expect(Object.keys(statuses)).toEqual(DETECTORS.map((d) => d.id));
    expect(statuses.impossible_travel).toEqual({ active: false, reason: expect.stringContaining('location') });
    expect(statuses.brute_force).toEqual({ active: true });
    expect(detectorStatuses(parseDetectorConfigs({}, { locationAvailable: true })).impossible_travel).toEqual({
      active: true,
    });
  });

  it('names the detector and setting in configuration errors, and refuses unknown detectors', () => {
    expect(() =>
      parseDetectorConfigs({ brute_force: { signIn: { windowMs: 'x' } } }, { locationAvailable: false }),
    ).toThrow(/brute_force\.signIn\.windowMs/);
    expect(() => parseDetectorConfigs({ brute_forse: {} }, { locationAvailable: false })).toThrow(DetectorConfigError);
    // Whether location exists is a deployment fact, not something configuration can switch on.
    const c = parseDetectorConfigs({ impossible_travel: { locationAvailable: true } }, { locationAvailable: false });
    expect(detectorStatuses(c).impossible_travel?.active).toBe(false);
  });
});
