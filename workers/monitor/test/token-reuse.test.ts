import { describe, expect, it } from 'vitest';
import { DetectorConfigError } from '../src/detectors/domain/config.js';
import { tokenReuse } from '../src/detectors/domain/token-reuse.js';
import { replay, Trace } from './support/traces.js';

const VOLUME = 500;

function benignTokens(t: Trace, count: number): Trace {
  for (let i = 0; i < count; i++) {
    const user_id = `user-${t.rng.int(0, 80)}`;
    const type = t.rng.pick(['token.issued', 'session.created', 'token.revoked', 'consent.granted']);
    t.add(
      { type, client_id: 'web', user_id, ip: t.publicIpv4(), details: { grant_type: 'refresh_token' } },
      t.rng.gap(1000),
    );
  }
  return t;
}

describe('token abuse', () => {
  it('fires high on the first refresh-token reuse, one dedup key per family', () => {
    const t = benignTokens(new Trace(1), VOLUME - 3);
    for (let i = 0; i < 3; i++)
      t.add(
        {
          type: 'refresh_token.reused',
          client_id: 'web',
          user_id: 'user-7',
          ip: '203.0.113.40',
          details: { family_id: 'fam-1', generation: 4 },
        },
        1000,
      );
    expect(t.entries).toHaveLength(VOLUME);
    const { findings } = replay(tokenReuse, t.entries);
    expect(findings.map((f) => [f.kind, f.severity, f.dedupKey])).toEqual([
      ['token_reuse.refresh_token', 'high', 'token_reuse.refresh_token|family_id=fam-1'],
      ['token_reuse.refresh_token', 'high', 'token_reuse.refresh_token|family_id=fam-1'],
      ['token_reuse.refresh_token', 'high', 'token_reuse.refresh_token|family_id=fam-1'],
    ]);
    expect(findings[0]?.evidence).toEqual({ client_id: 'web', user_id: 'user-7', ip: '203.0.113.40', generation: 4 });
  });

  it('fires high on an authorization code redeemed twice', () => {
    const t = new Trace(2).add({ type: 'authorization_code.reused', client_id: 'spa', details: { code_id: 'c-9' } });
    const { findings } = replay(tokenReuse, t.entries);
    expect(findings.map((f) => [f.kind, f.severity, f.subject])).toEqual([
      ['token_reuse.authorization_code', 'high', { code_id: 'c-9' }],
    ]);
  });

  it('groups by client and user when the emitter gave no family id', () => {
    const t = new Trace(3).add({ type: 'refresh_token.reused', client_id: 'web', user_id: 'u1' });
    expect(replay(tokenReuse, t.entries).findings[0]?.subject).toEqual({ client_id: 'web', user_id: 'u1' });
  });

  it('stays quiet on the same volume of ordinary token traffic', () => {
    expect(replay(tokenReuse, benignTokens(new Trace(4), VOLUME).entries).findings).toEqual([]);
  });

  it('takes a configured severity and refuses a made-up one', () => {
    const c = tokenReuse.parseConfig({ refreshTokenReuse: { severity: 'critical' } });
    const t = new Trace(5).add({ type: 'refresh_token.reused', details: { family_id: 'f' } });
    expect(replay(tokenReuse, t.entries, c).findings[0]?.severity).toBe('critical');
    expect(() => tokenReuse.parseConfig({ refreshTokenReuse: { severity: 'severe' } })).toThrow(DetectorConfigError);
  });
});
