import { describe, expect, it } from 'vitest';
import { bruteForce } from '../src/detectors/domain/brute-force.js';
import { DetectorConfigError } from '../src/detectors/domain/config.js';
import { benignSignIns, kinds, replay, T0, Trace } from './support/traces.js';

const VOLUME = 400;
const MIN = 60_000;

/** Background sign-ins with an online guessing run against one account mixed in (about 3 s per guess). */
function attackTrace(seed: number): Trace {
  const t = benignSignIns(new Trace(seed), { count: VOLUME - 60, users: 150, failRate: 0.1, meanGapMs: 1500 });
  t.clock = T0 + 2 * MIN;
  for (let i = 0; i < 60; i++)
    t.add({ type: 'user.login_failed', user_id: 'victim', ip: '203.0.113.50' }, t.rng.gap(3000));
  return t;
}

describe('brute force against one account', () => {
  it('fires on a guessing run (medium at 10, high at 50), only for the victim', () => {
    const trace = attackTrace(1);
    expect(trace.entries).toHaveLength(VOLUME);
    const { findings } = replay(bruteForce, trace.sorted());
    expect(findings.map((f) => [f.kind, f.severity, f.subject.user_id])).toEqual([
      ['brute_force.account', 'medium', 'victim'],
      ['brute_force.account', 'high', 'victim'],
    ]);
    expect(findings[0]?.evidence.failures).toBe(10);
    expect(findings[0]?.eventIds.length).toBe(10);
    expect(findings[1]?.evidence.failures).toBe(50);
  });

  it('stays quiet on benign sign-ins of the same volume, typos included', () => {
    const trace = benignSignIns(new Trace(2), { count: VOLUME, users: 150, failRate: 0.1, meanGapMs: 1500 });
    expect(trace.entries).toHaveLength(VOLUME);
    expect(replay(bruteForce, trace.sorted()).findings).toEqual([]);
  });

  it('fires at exactly the threshold, not one below', () => {
    const nine = new Trace(3);
    for (let i = 0; i < 9; i++) nine.add({ type: 'user.login_failed', user_id: 'u', ip: '203.0.113.1' }, 30_000);
    expect(replay(bruteForce, nine.entries).findings).toEqual([]);
    nine.add({ type: 'user.login_throttled', user_id: 'u', ip: '203.0.113.1' });
    expect(kinds(replay(bruteForce, nine.entries).findings)).toEqual(['brute_force.account']);
  });

  it('reports a success right after a run of failures as high, once', () => {
    const t = new Trace(4);
    for (let i = 0; i < 12; i++) t.add({ type: 'user.login_failed', user_id: 'v', ip: '203.0.113.2' }, 5000);
    t.add({ type: 'user.login_succeeded', user_id: 'v', ip: '203.0.113.2' }, 5000);
    t.add({ type: 'user.login_succeeded', user_id: 'v', ip: '203.0.113.2' }, 5000);
    const { findings } = replay(bruteForce, t.entries);
    expect(findings.map((f) => [f.kind, f.severity])).toEqual([
      ['brute_force.account', 'medium'],
      ['brute_force.success_after_failures', 'high'],
    ]);
    expect(findings[1]?.eventIds).toHaveLength(11);
  });

  it('keeps firing once per window while an attack continues at the same level', () => {
    const t = new Trace(5);
    // 2 failures a minute for an hour: always between 10 and 50 per 15-minute window.
    for (let i = 0; i < 120; i++) t.add({ type: 'user.login_failed', user_id: 'slow', ip: '203.0.113.3' }, 30_000);
    const { findings } = replay(bruteForce, t.entries);
    expect(findings.every((f) => f.severity === 'medium')).toBe(true);
    expect(findings.length).toBeGreaterThanOrEqual(3);
    expect(findings.length).toBeLessThanOrEqual(5);
    const gaps = findings.slice(1).map((f, i) => f.at - (findings[i]?.at ?? 0));
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(15 * MIN);
  });

  it('counts attempts against names that match no account by their hash', () => {
    const t = new Trace(6);
    for (let i = 0; i < 10; i++)
      t.add(
        { type: 'user.login_failed', ip: '203.0.113.4', details: { reason: 'unknown_user', username_hash: 'h1' } },
        1000,
      );
    expect(replay(bruteForce, t.entries).findings[0]?.subject).toEqual({ username_hash: 'h1' });
  });

  it('fires on MFA code guessing and stays quiet on occasional wrong codes of the same volume', () => {
    const attack = new Trace(7);
    for (let i = 0; i < 200; i++) {
      if (i % 8 === 0) attack.add({ type: 'mfa.challenge_failed', user_id: 'target', ip: '203.0.113.5' }, 2000);
      else attack.add({ type: 'mfa.challenge_succeeded', user_id: `user-${i}`, ip: attack.publicIpv4() }, 2000);
    }
    expect(replay(bruteForce, attack.entries).findings.map((f) => [f.kind, f.severity])).toEqual([
      ['brute_force.mfa', 'medium'],
      ['brute_force.mfa', 'high'],
    ]);
    const benign = new Trace(8);
    for (let i = 0; i < 200; i++) {
      const type = i % 8 === 0 ? 'mfa.challenge_failed' : 'mfa.challenge_succeeded';
      benign.add({ type, user_id: `user-${benign.rng.int(0, 40)}`, ip: benign.publicIpv4() }, 2000);
    }
    expect(replay(bruteForce, benign.entries).findings).toEqual([]);
  });

  it('takes configured thresholds and refuses malformed configuration', () => {
    const config = bruteForce.parseConfig({ signIn: { tiers: [{ count: 3, severity: 'low' }] } });
    const t = new Trace(9);
    for (let i = 0; i < 3; i++) t.add({ type: 'user.login_failed', user_id: 'u', ip: '203.0.113.6' }, 1000);
    expect(replay(bruteForce, t.entries, config).findings.map((f) => f.severity)).toEqual(['low']);
    const bad: unknown[] = [
      { signIn: { treshold: 5 } },
      { signIn: { tiers: [] } },
      {
        signIn: {
          tiers: [
            { count: 10, severity: 'medium' },
            { count: 5, severity: 'high' },
          ],
        },
      },
      { signIn: { tiers: [{ count: 10, severity: 'urgent' }] } },
      { signIn: { tiers: [{ count: 10 }] } },
      { signIn: { windowMs: 1000, buckets: 3 } },
      { signIn: { windowMs: -5 } },
      { limits: { maxKeys: 'many' } },
      'text',
    ];
    for (const b of bad) expect(() => bruteForce.parseConfig(b), JSON.stringify(b)).toThrow(DetectorConfigError);
    expect(bruteForce.parseConfig(undefined)).toEqual(bruteForce.defaults);
  });
});
