import { describe, expect, it } from 'vitest';
import { floods } from '../src/detectors/domain/floods.js';
import { replay, Trace } from './support/traces.js';

const VOLUME = 300;
const H = 3_600_000;
const refusal = (ip: string, client_id: string | undefined, suppressed: number) => ({
  type: 'rate_limit.exceeded',
  outcome: 'denied' as const,
  ip,
  ...(client_id ? { client_id } : {}),
  details: { endpoint: 'token', bucket: 'ip', limit: 300, retry_after_seconds: 1, suppressed },
});

describe('rate-limit storms', () => {
  it('fires on one address hammering the limiter (sampled events weighted by suppressed refusals)', () => {
    const t = new Trace(1);
    // A flood: one sampled event per second, each standing for ~20 refusals, for 5 minutes.
    for (let i = 0; i < VOLUME; i++) t.add(refusal('203.0.113.90', undefined, t.rng.int(15, 25)), 1000);
    const { findings } = replay(floods, t.entries);
    expect(findings.filter((f) => f.kind === 'flood.rate_limit_address').map((f) => f.severity)).toEqual([
      'medium',
      'high',
    ]);
    expect(findings.filter((f) => f.kind === 'flood.rate_limit_overall').map((f) => f.severity)).toEqual(['high']);
    expect(findings[0]?.evidence.count).toBeGreaterThanOrEqual(100);
    expect(findings[0]?.summary).toMatch(/rate-limit refusals \(token\) for one address/);
  });

  it('fires per client when a client loops past its limit from many addresses', () => {
    const t = new Trace(2);
    for (let i = 0; i < 120; i++) t.add(refusal(t.publicIpv4(), 'batch-job', 0), 1000);
    const { findings } = replay(floods, t.entries);
    expect(findings.map((f) => [f.kind, f.subject])).toEqual([['flood.rate_limit_client', { client_id: 'batch-job' }]]);
  });

  it('stays quiet on the same volume of occasional refusals spread over a day', () => {
    const t = new Trace(3);
    for (let i = 0; i < VOLUME; i++)
      t.add(refusal(t.publicIpv4(), `client-${t.rng.int(0, 50)}`, t.rng.int(0, 3)), t.rng.gap(288_000));
    expect(t.entries).toHaveLength(VOLUME);
    expect(replay(floods, t.entries).findings).toEqual([]);
  });
});

describe('registration floods', () => {
  const registered = (ip: string) => ({
    type: 'client.registered',
    ip,
    details: { grant_types: ['client_credentials'] },
  });

  it('fires on many registrations from one address and overall', () => {
    const t = new Trace(4);
    for (let i = 0; i < 60; i++) t.add(registered('203.0.113.95'), 30_000);
    const { findings } = replay(floods, t.entries);
    expect(findings.map((f) => [f.kind, f.severity])).toEqual([
      ['flood.registration_address', 'medium'],
      ['flood.registration_overall', 'high'],
    ]);
  });

  it('stays quiet on the same volume of registrations over weeks', () => {
    const t = new Trace(5);
    for (let i = 0; i < 60; i++) t.add(registered(t.publicIpv4()), t.rng.gap(8 * H));
    expect(replay(floods, t.entries).findings).toEqual([]);
  });

  it('ignores failed registrations and caps one event weight', () => {
    const t = new Trace(6);
    for (let i = 0; i < 60; i++) t.add({ ...registered('203.0.113.96'), outcome: 'failure' as const }, 1000);
    expect(replay(floods, t.entries).findings).toEqual([]);
    const capped = floods.parseConfig({ maxEventWeight: 50 });
    const one = new Trace(7).add(refusal('203.0.113.97', undefined, 1_000_000));
    expect(replay(floods, one.entries, capped).findings).toEqual([]);
    expect(replay(floods, one.entries).findings.map((f) => f.kind)).toContain('flood.rate_limit_address');
  });
});
