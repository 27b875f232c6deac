import { describe, expect, it } from 'vitest';
import { credentialStuffing } from '../src/detectors/domain/credential-stuffing.js';
import { benignSignIns, kinds, replay, T0, Trace } from './support/traces.js';

const VOLUME = 300;
const MIN = 60_000;
const failed = 'user.login_failed';
const ok = 'user.login_succeeded';

describe('credential stuffing and password spraying', () => {
  it('fires on one address failing against many accounts, and flags a success from it as critical', () => {
    const t = new Trace(1);
    for (let i = 0; i < VOLUME; i++) {
      // A leaked list: about 1% of pairs work.
      const works = i % 100 === 99;
      t.add({ type: works ? ok : failed, user_id: `victim-${i}`, ip: '203.0.113.7' }, t.rng.gap(1500));
    }
    const { findings } = replay(credentialStuffing, t.entries);
    expect(findings.slice(0, 2).map((f) => [f.kind, f.severity, f.evidence.accounts])).toEqual([
      ['credential_stuffing.address', 'medium', 10],
      ['credential_stuffing.network', 'medium', 20],
    ]);
    const severities = (kind: string) => [...new Set(findings.filter((f) => f.kind === kind).map((f) => f.severity))];
    expect(severities('credential_stuffing.address')).toEqual(['medium', 'high']);
    expect(severities('credential_stuffing.network')).toEqual(['medium', 'high']);
    expect(kinds(findings)).toEqual([
      'credential_stuffing.address',
      'credential_stuffing.network',
      'credential_stuffing.success_from_flagged_source',
    ]);
    const address = findings.find((f) => f.kind === 'credential_stuffing.address');
    expect(address?.subject).toEqual({ ip: '203.0.113.7' });
    expect(address?.evidence.failure_ratio).toBe(1);
    expect(
      findings.filter((f) => f.kind === 'credential_stuffing.success_from_flagged_source').map((f) => f.subject),
    ).toEqual([{ user_id: 'victim-99' }, { user_id: 'victim-199' }, { user_id: 'victim-299' }]);
  });

  it('stays quiet on the same volume from one shared (NAT) address where real users mostly succeed', () => {
    const t = benignSignIns(new Trace(2), {
      count: VOLUME,
      users: 200,
      failRate: 0.12,
      meanGapMs: 1500,
      sharedIp: '198.51.100.20',
    });
    expect(t.entries).toHaveLength(VOLUME);
    const { findings } = replay(credentialStuffing, t.entries);
    expect(findings).toEqual([]);
  });

  it('stays quiet on the same volume of ordinary sign-ins from many addresses', () => {
    const t = benignSignIns(new Trace(3), { count: VOLUME, users: 200, failRate: 0.15, meanGapMs: 1500 });
    expect(replay(credentialStuffing, t.entries).findings).toEqual([]);
  });

  it('catches an attacker rotating through a /24: no address fires, the network does', () => {
    const t = new Trace(4);
    for (let i = 0; i < VOLUME; i++)
      t.add({ type: failed, user_id: `acct-${i}`, ip: `203.0.113.${(i % 250) + 1}` }, t.rng.gap(1500));
    const { findings } = replay(credentialStuffing, t.entries);
    expect(kinds(findings)).toEqual(['credential_stuffing.network']);
    expect(findings[0]?.subject).toEqual({ network: '203.0.113.0/24' });
  });

  it('catches an attacker rotating through one IPv6 /64', () => {
    const t = new Trace(5);
    for (let i = 0; i < 60; i++)
      t.add({ type: failed, user_id: `acct-${i}`, ip: `2001:db8:7:7:${(i + 1).toString(16)}::1` }, 5000);
    const { findings } = replay(credentialStuffing, t.entries);
    expect(findings.map((f) => f.subject)).toEqual([{ network: '2001:db8:7:7::/64' }]);
  });

  it('fires on many addresses failing against one account (distributed attack)', () => {
    const t = new Trace(6);
    for (let i = 0; i < 60; i++) t.add({ type: failed, user_id: 'ceo', ip: t.publicIpv4() }, t.rng.gap(40_000));
    const { findings } = replay(credentialStuffing, t.entries);
    expect(findings.map((f) => [f.kind, f.severity, f.subject.user_id])).toEqual([
      ['credential_stuffing.distributed', 'medium', 'ceo'],
      ['credential_stuffing.distributed', 'high', 'ceo'],
    ]);
    expect(findings[0]?.evidence.sample_addresses).toHaveLength(5);
  });

  it('holds an address back while under the failure ratio and fires once it is crossed', () => {
    const t = new Trace(7);
    // 10 accounts fail, but 10 other sign-ins from the address succeed: 50% failures.
    for (let i = 0; i < 10; i++) {
      t.add({ type: ok, user_id: `good-${i}`, ip: '203.0.113.9' }, 10_000);
      t.add({ type: failed, user_id: `bad-${i}`, ip: '203.0.113.9' }, 10_000);
    }
    expect(replay(credentialStuffing, t.entries).findings).toEqual([]);
    for (let i = 10; i < 40; i++) t.add({ type: failed, user_id: `bad-${i}`, ip: '203.0.113.9' }, 3000);
    expect(kinds(replay(credentialStuffing, t.entries).findings)).toContain('credential_stuffing.address');
  });

  it('forgets a flagged source after its memory: a success long after is not reported', () => {
    const t = new Trace(8);
    for (let i = 0; i < 12; i++) t.add({ type: failed, user_id: `x-${i}`, ip: '203.0.113.10' }, 1000);
    t.clock = T0 + 3 * 60 * MIN;
    t.add({ type: ok, user_id: 'late', ip: '203.0.113.10' });
    expect(kinds(replay(credentialStuffing, t.entries).findings)).toEqual(['credential_stuffing.address']);
  });
});
