import { describe, expect, it } from 'vitest';
import {
  ChangeWindowError,
  inChangeWindow,
  localClock,
  parseChangeSchedule,
} from '../src/detectors/domain/change-window.js';

const at = (iso: string) => Date.parse(iso);

describe('change-window schedules', () => {
  it('parses days, ranges, lists, zones and overnight windows', () => {
    expect(
      parseChangeSchedule('Mon-Fri 09:00-17:00 Europe/Berlin; Sat,Sun 22:00-02:00; daily 12:00-13:00 +05:30'),
    ).toEqual([
      { days: [1, 2, 3, 4, 5], start: 540, end: 1020, zone: 'Europe/Berlin' },
      { days: [0, 6], start: 1320, end: 120, zone: 'UTC' },
      { days: [0, 1, 2, 3, 4, 5, 6], start: 720, end: 780, zone: '+05:30' },
    ]);
    expect(parseChangeSchedule('Fri-Mon 10:00-24:00')[0]?.days).toEqual([0, 1, 5, 6]);
    expect(parseChangeSchedule('')).toEqual([]);
  });

  it('refuses malformed schedules with a stable error', () => {
    for (const bad of [
      'Mon 9:00-17:00',
      'Funday 09:00-17:00',
      'Mon 09:00-09:00',
      'Mon 09:00',
      'Mon 24:00-01:00',
      'Mon 09:00-17:00 Mars/Olympus',
      'Mon 09:00-17:00 +15:00',
      'Mon 09:00-17:00 UTC extra',
      'Mon-Tue-Wed 09:00-10:00',
    ])
      expect(() => parseChangeSchedule(bad), bad).toThrow(ChangeWindowError);
  });

  it('follows daylight saving time in IANA zones (inside workerd)', () => {
    // 09:30 in Berlin is 07:30 UTC in summer (CEST) and 08:30 UTC in winter (CET).
    const s = parseChangeSchedule('Mon-Fri 09:00-17:00 Europe/Berlin');
    expect(inChangeWindow(s, at('2026-07-06T07:30:00Z'))).toBe(true); // Monday
    expect(inChangeWindow(s, at('2026-07-06T06:30:00Z'))).toBe(false);
    expect(inChangeWindow(s, at('2026-01-05T07:30:00Z'))).toBe(false); // Monday 08:30 CET
    expect(inChangeWindow(s, at('2026-01-05T08:30:00Z'))).toBe(true);
    expect(inChangeWindow(s, at('2026-07-04T10:00:00Z'))).toBe(false); // Saturday
    expect(localClock(at('2026-03-29T01:30:00Z'), 'Europe/Berlin')).toEqual({ day: 0, minutes: 3 * 60 + 30 });
  });

  it('handles windows past midnight and fixed offsets', () => {
    const s = parseChangeSchedule('Fri 22:00-02:00');
    expect(inChangeWindow(s, at('2026-06-05T23:00:00Z'))).toBe(true); // Friday night
    expect(inChangeWindow(s, at('2026-06-06T01:59:00Z'))).toBe(true); // Saturday morning
    expect(inChangeWindow(s, at('2026-06-06T02:00:00Z'))).toBe(false);
    expect(inChangeWindow(s, at('2026-06-04T23:00:00Z'))).toBe(false); // Thursday night
    const india = parseChangeSchedule('Mon 09:00-10:00 +05:30');
    expect(inChangeWindow(india, at('2026-06-01T03:45:00Z'))).toBe(true); // 09:15 IST
    expect(inChangeWindow(india, at('2026-06-01T04:45:00Z'))).toBe(false);
    const minus = parseChangeSchedule('Sun 23:00-24:00 -03:00');
    expect(inChangeWindow(minus, at('2026-06-01T02:30:00Z'))).toBe(true); // Sunday 23:30 at -03:00
  });
});
