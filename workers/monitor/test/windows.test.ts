import { describe, expect, it } from 'vitest';
import {
  checkWindowSpec,
  countWindow,
  emptyWindow,
  recordInWindow,
  type WindowSpec,
  WindowSpecError,
  windowErrorMs,
} from '../src/windows/domain/counter-window.js';
import {
  countDistinct,
  distinctValues,
  emptyDistinct,
  observeDistinct,
} from '../src/windows/domain/distinct-window.js';
import {
  deleteKeyed,
  emptyKeyed,
  expireKeyed,
  getKeyed,
  keyedEntries,
  touchKeyed,
} from '../src/windows/domain/keyed-state.js';
import { Prng } from './support/prng.js';

const MIN = 60_000;
const roundTrip = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Reference: total weight of events with time in (from, to]. */
function exactCount(events: Array<[number, number]>, from: number, to: number): number {
  return events.filter(([t]) => t > from && t <= to).reduce((n, [, w]) => n + w, 0);
}

describe('exact counter window', () => {
  const spec: WindowSpec = { kind: 'exact', windowMs: 10 * MIN, cap: 25 };

  it('counts exactly up to its cap, with out-of-order events and JSON round trips', () => {
    const rng = new Prng(7);
    let w = emptyWindow(spec);
    const events: Array<[number, number]> = [];
    let now = 1_000_000;
    for (let i = 0; i < 2000; i++) {
      now += rng.gap(20_000);
      const t = now - rng.int(0, 3 * MIN); // up to 3 minutes late
      events.push([t, 1]);
      w = roundTrip(recordInWindow(w, t, now, spec));
      const truth = exactCount(events, now - spec.windowMs, now);
      expect(countWindow(w, now, spec)).toBe(Math.min(truth, spec.cap));
    }
  });

  it('ignores events already outside the window, and clamps events from the future to now', () => {
    const w = emptyWindow(spec);
    recordInWindow(w, 0, 11 * MIN, spec);
    expect(countWindow(w, 11 * MIN, spec)).toBe(0);
    recordInWindow(w, 100 * MIN, 12 * MIN, spec);
    expect(countWindow(w, 12 * MIN, spec)).toBe(1);
    expect(countWindow(w, 12 * MIN + spec.windowMs, spec)).toBe(0);
  });
});

describe('bucketed counter window', () => {
  const spec: WindowSpec = { kind: 'bucketed', windowMs: 10 * MIN, buckets: 10 };

  it('equals the exact count over a window between W - W/buckets and W long (its stated error bound)', () => {
    const rng = new Prng(11);
    let w = emptyWindow(spec);
    const events: Array<[number, number]> = [];
    let now = 5_000_000;
    const width = windowErrorMs(spec);
    expect(width).toBe(MIN);
    for (let i = 0; i < 3000; i++) {
      now += rng.gap(5_000);
      const t = now - rng.int(0, 2 * MIN);
      const weight = rng.int(1, 5);
      events.push([t, weight]);
      w = roundTrip(recordInWindow(w, t, now, spec, weight));
      const got = countWindow(w, now, spec);
      // Exactly the events in [start, now] with start = (floor(now / width) - buckets + 1) * width.
      const start = (Math.floor(now / width) - spec.buckets + 1) * width;
      expect(got).toBe(exactCount(events, start - 1, now));
      // Hence between the exact counts over W - width and W.
      expect(got).toBeLessThanOrEqual(exactCount(events, now - spec.windowMs, now));
      expect(got).toBeGreaterThanOrEqual(exactCount(events, now - spec.windowMs + width, now));
    }
    // Memory is bounded by the bucket count, whatever the volume.
    expect('b' in w && w.b.length).toBeLessThanOrEqual(spec.buckets);
  });

  it('validates its spec', () => {
    expect(() => checkWindowSpec({ kind: 'bucketed', windowMs: 1000, buckets: 3 })).toThrow(WindowSpecError);
    expect(() => checkWindowSpec({ kind: 'bucketed', windowMs: 500, buckets: 1 })).toThrow(WindowSpecError);
    expect(() => checkWindowSpec({ kind: 'exact', windowMs: 60_000, cap: 0 })).toThrow(WindowSpecError);
    expect(checkWindowSpec(spec)).toBe(spec);
  });

  it('refuses state of the other kind', () => {
    expect(() => recordInWindow({ t: [] }, 1, 1, spec)).toThrow(WindowSpecError);
  });
});

describe('distinct-count window', () => {
  const spec = { windowMs: 10 * MIN, cap: 20 };

  it('is exactly min(distinct values in the window, cap), with bounded memory', () => {
    const rng = new Prng(3);
    let w = emptyDistinct();
    const seen: Array<[string, number]> = [];
    let now = 1_000_000;
    for (let i = 0; i < 3000; i++) {
      now += rng.gap(4_000);
      const t = now - rng.int(0, 90_000);
      const v = `acct-${rng.int(1, rng.chance(0.5) ? 15 : 400)}`;
      seen.push([v, t]);
      w = roundTrip(observeDistinct(w, v, t, now, spec));
      const truth = new Set(seen.filter(([, s]) => s > now - spec.windowMs && s <= now).map(([x]) => x)).size;
      expect(countDistinct(w, now, spec)).toBe(Math.min(truth, spec.cap));
      expect(w.v.length).toBeLessThanOrEqual(spec.cap);
    }
  });

  it('lists the most recent values first', () => {
    const w = emptyDistinct();
    observeDistinct(w, 'a', 1000, 1000, spec);
    observeDistinct(w, 'b', 2000, 2000, spec);
    observeDistinct(w, 'a', 3000, 3000, spec);
    expect(distinctValues(w, 3000, spec)).toEqual(['a', 'b']);
    expect(distinctValues(w, 3000, spec, 1)).toEqual(['a']);
  });
});

describe('keyed state', () => {
  const limits = { maxKeys: 100, idleMs: 10 * MIN };

  it('stores attacker-chosen keys without touching Object prototypes', () => {
    const s = emptyKeyed<{ n: number }>();
    for (const k of ['__proto__', 'constructor', 'toString', 'hasOwnProperty'])
      touchKeyed(s, k, 1, limits, () => ({ n: 1 })).n++;
    expect(getKeyed(s, '__proto__')).toEqual({ n: 2 });
    expect(getKeyed(s, 'valueOf')).toBeUndefined();
    expect(({} as Record<string, unknown>).n).toBeUndefined();
    const back = roundTrip(s);
    expect(getKeyed(back, 'constructor')).toEqual({ n: 2 });
    expect(keyedEntries(back).map(([k]) => k)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    deleteKeyed(back, '__proto__');
    expect(back.n).toBe(3);
  });

  it('evicts the least recently touched keys beyond maxKeys and counts evictions of live keys', () => {
    const s = emptyKeyed<number>();
    touchKeyed(s, 'hot', 0, limits, () => 0);
    for (let i = 0; i < 300; i++) {
      touchKeyed(s, `cold-${i}`, i, limits, () => i);
      touchKeyed(s, 'hot', i, limits, () => 0);
    }
    expect(s.n).toBeLessThanOrEqual(limits.maxKeys);
    expect(getKeyed(s, 'hot')).toBe(0);
    expect(getKeyed(s, 'cold-0')).toBeUndefined();
    expect(getKeyed(s, 'cold-299')).toBe(299);
    expect(s.evicted).toBeGreaterThan(0);
    expect(Object.keys(s.e).length).toBe(s.n);
  });

  it('expires idle keys', () => {
    const s = emptyKeyed<number>();
    touchKeyed(s, 'old', 0, limits, () => 1);
    touchKeyed(s, 'new', 9 * MIN, limits, () => 2);
    expireKeyed(s, 10 * MIN, limits);
    expect(keyedEntries(s)).toEqual([['new', 2]]);
    expect(s.n).toBe(1);
  });
});
