import { describe, expect, it } from 'vitest';
import { haversineKm, speedKmh } from '../src/detectors/domain/geo.js';
import { type ImpossibleTravelState, impossibleTravel } from '../src/detectors/domain/impossible-travel.js';
import { replay, Trace } from './support/traces.js';

const CITIES = {
  berlin: { latitude: 52.52, longitude: 13.405, country: 'DE' },
  munich: { latitude: 48.1351, longitude: 11.582, country: 'DE' },
  potsdam: { latitude: 52.3906, longitude: 13.0645, country: 'DE' },
  london: { latitude: 51.5074, longitude: -0.1278, country: 'GB' },
  newYork: { latitude: 40.7128, longitude: -74.006, country: 'US' },
  sydney: { latitude: -33.8688, longitude: 151.2093, country: 'AU' },
  tokyo: { latitude: 35.6762, longitude: 139.6503, country: 'JP' },
} as const;
type City = keyof typeof CITIES;
const H = 3_600_000;
const VOLUME = 400;
const on = impossibleTravel.parseConfig({ locationAvailable: true });

const signIn = (user_id: string, city: City, ip = '198.51.100.1') => ({
  type: 'user.login_succeeded',
  user_id,
  ip,
  location: CITIES[city],
});

/** People signing in from home most of the time, some of them travelling by plausible means. */
function benignTravel(t: Trace, count: number): Trace {
  const names = Object.keys(CITIES) as City[];
  const homes = Array.from({ length: 60 }, () => t.rng.pick(names));
  for (let i = 0; i < count; i++) {
    const u = t.rng.int(0, homes.length - 1);
    t.add(signIn(`user-${u}`, homes[u] as City, t.publicIpv4()), t.rng.gap(60_000));
  }
  // Plausible journeys: a train Berlin → Munich, a flight New York → London, a suburb on the mobile network.
  t.add(signIn('traveller-1', 'berlin'), 4 * H).add(signIn('traveller-1', 'munich'));
  t.add(signIn('traveller-2', 'newYork'), 8 * H).add(signIn('traveller-2', 'london'));
  t.add(signIn('traveller-3', 'berlin'), 60_000).add(signIn('traveller-3', 'potsdam'));
  return t;
}

describe('great-circle distance', () => {
  it('matches known city distances within 0.5%', () => {
    const close = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThan(0.005);
    close(haversineKm(CITIES.london, CITIES.newYork), 5570);
    close(haversineKm(CITIES.berlin, CITIES.sydney), 16_090);
    close(haversineKm(CITIES.berlin, CITIES.munich), 504);
    expect(haversineKm(CITIES.tokyo, CITIES.tokyo)).toBe(0);
    // Antipodes: half the circumference, no NaN from rounding.
    close(haversineKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 }), 20_015);
  });

  it('computes speeds, infinite for a distance covered in no time', () => {
    expect(speedKmh(900, 3_600_000)).toBe(900);
    expect(speedKmh(10, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(speedKmh(0, 0)).toBe(0);
  });
});

describe('impossible travel', () => {
  it('fires on Berlin then Sydney 30 minutes later (high) and New York then London in 2 hours (medium)', () => {
    const t = benignTravel(new Trace(1), VOLUME - 10);
    t.add(signIn('alice', 'berlin', '198.51.100.9'), 30 * 60_000).add(signIn('alice', 'sydney', '203.0.113.60'));
    t.add(signIn('bob', 'newYork'), 2 * H).add(signIn('bob', 'london'));
    expect(t.entries).toHaveLength(VOLUME);
    const { findings } = replay(impossibleTravel, t.sorted(), on);
    expect(findings.map((f) => [f.kind, f.severity, f.subject.user_id])).toEqual([
      ['impossible_travel.sign_in', 'high', 'alice'],
      ['impossible_travel.sign_in', 'medium', 'bob'],
    ]);
    expect(findings[0]?.evidence).toMatchObject({
      from: 'DE',
      to: 'AU',
      from_ip: '198.51.100.9',
      to_ip: '203.0.113.60',
      elapsed_ms: 30 * 60_000,
    });
    expect(findings[0]?.eventIds).toHaveLength(2);
  });

  it('stays quiet on the same volume of ordinary and plausibly travelling sign-ins', () => {
    const t = benignTravel(new Trace(2), VOLUME - 6);
    expect(t.entries).toHaveLength(VOLUME);
    expect(replay(impossibleTravel, t.sorted(), on).findings).toEqual([]);
  });

  it('judges each pair, so an event arriving out of order still fires', () => {
    const t = new Trace(3);
    t.add(signIn('carol', 'tokyo'), 20 * 60_000).add(signIn('carol', 'london'));
    const reversed = [...t.entries].reverse();
    const { findings } = replay(impossibleTravel, reversed, on, { batch: 10 });
    expect(findings).toHaveLength(1);
  });

  it('is off without location on events, says why, and ignores located events then', () => {
    const off = impossibleTravel.parseConfig({});
    const status = impossibleTravel.status(off);
    expect(status.active).toBe(false);
    expect(!status.active && status.reason).toMatch(/GEO_HEADERS/);
    const t = new Trace(4).add(signIn('dave', 'berlin'), 60_000).add(signIn('dave', 'sydney'));
    expect(replay(impossibleTravel, t.entries, off).findings).toEqual([]);
  });

  it('counts sign-ins that arrive without location instead of guessing', () => {
    const t = new Trace(5).add({ type: 'user.login_succeeded', user_id: 'erin', ip: '198.51.100.2' });
    const { state, findings } = replay(impossibleTravel, t.entries, on);
    expect(findings).toEqual([]);
    expect((state as ImpossibleTravelState).unlocated).toBe(1);
  });

  it('keeps a bounded number of sightings per user', () => {
    const t = new Trace(6);
    for (let i = 0; i < 50; i++) t.add(signIn('frank', 'berlin'), 60_000);
    const { state } = replay(impossibleTravel, t.entries, on);
    const users = (state as ImpossibleTravelState).users;
    expect(Object.values(users.e)[0]?.[1]).toHaveLength(on.maxSightings);
  });
});
