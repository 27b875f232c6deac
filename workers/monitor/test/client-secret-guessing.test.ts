import { describe, expect, it } from 'vitest';
import { clientSecretGuessing } from '../src/detectors/domain/client-secret-guessing.js';
import { kinds, replay, Trace } from './support/traces.js';

const VOLUME = 300;
const authFailed = (client_id: string | undefined, ip: string, details: Record<string, unknown> = {}) => ({
  type: 'client.authentication_failed',
  outcome: 'failure' as const,
  ...(client_id ? { client_id } : {}),
  ip,
  details: { endpoint: 'token', reason: 'wrong_secret', method: 'client_secret_basic', ...details },
});

/** Ten service clients, each from its own address, fetching tokens; a rotated secret costs a client a few failures. */
function benignClients(t: Trace, count: number): Trace {
  const clients = Array.from({ length: 10 }, (_, i) => ({ id: `svc-${i}`, ip: t.publicIpv4() }));
  for (let i = 0; i < count; i++) {
    const c = t.rng.pick(clients);
    if (t.rng.chance(0.03)) t.add(authFailed(c.id, c.ip), t.rng.gap(2000));
    else
      t.add(
        { type: 'token.issued', client_id: c.id, ip: c.ip, details: { grant_type: 'client_credentials' } },
        t.rng.gap(2000),
      );
  }
  return t;
}

describe('client secret guessing', () => {
  it('fires on wrong client secrets in a loop (per client and per address)', () => {
    const t = benignClients(new Trace(1), VOLUME - 120);
    t.clock -= 3 * 60_000;
    for (let i = 0; i < 120; i++) t.add(authFailed('svc-3', '203.0.113.30'), t.rng.gap(1000));
    const entries = t.sorted();
    expect(entries).toHaveLength(VOLUME);
    const { findings } = replay(clientSecretGuessing, entries);
    const perClient = findings.filter((f) => f.kind === 'client_secret_guessing.client');
    expect(perClient.map((f) => [f.severity, f.subject.client_id, f.evidence.failures])).toEqual([
      ['medium', 'svc-3', 10],
      ['high', 'svc-3', 50],
    ]);
    const perAddress = findings.filter((f) => f.kind === 'client_secret_guessing.address');
    expect(perAddress.map((f) => [f.severity, f.subject.ip])).toEqual([['medium', '203.0.113.30']]);
    expect(kinds(findings)).toEqual(['client_secret_guessing.address', 'client_secret_guessing.client']);
  });

  it('stays quiet on the same volume of ordinary client traffic with occasional failures', () => {
    const t = benignClients(new Trace(2), VOLUME);
    expect(t.entries).toHaveLength(VOLUME);
    expect(replay(clientSecretGuessing, t.entries).findings).toEqual([]);
  });

  it('fires on one address trying many client ids, known or not', () => {
    const t = new Trace(3);
    for (let i = 0; i < 30; i++) {
      const known = i % 3 === 0;
      t.add(
        authFailed(
          known ? `svc-${i}` : undefined,
          '203.0.113.31',
          known ? {} : { reason: 'unknown_client', presented_client_id: `guess-${i}` },
        ),
        2000,
      );
    }
    const { findings } = replay(clientSecretGuessing, t.entries);
    const enumeration = findings.filter((f) => f.kind === 'client_secret_guessing.enumeration');
    expect(enumeration.map((f) => f.severity)).toEqual(['medium', 'high']);
    expect(enumeration[0]?.evidence.sample_client_ids).toEqual(['guess-4', 'svc-3', 'guess-2', 'guess-1', 'svc-0']);
  });
});
