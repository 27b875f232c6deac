/**
 * Change windows: when policy changes are expected. A schedule is a `;`-separated list of windows:
 *
 *   <days> <HH:MM>-<HH:MM> [<zone>]
 *
 * days: `Mon`, `Mon-Fri`, `Mon,Wed,Fri`, `Sat-Sun,Wed`, or `daily`. A window whose end is not after its start runs
 * past midnight into the next day (`Fri 22:00-02:00` is Friday 22:00 to Saturday 02:00); `24:00` is the end of
 * the day. zone: `UTC` (default), a fixed offset `+02:00`, or an IANA name such as `Europe/Berlin` (daylight
 * saving follows the zone's rules, through Intl).
 *
 * Example: `Mon-Thu 09:00-17:00 Europe/Berlin; Sat 10:00-12:00 UTC`.
 */

export class ChangeWindowError extends Error {
  readonly code = 'invalid_change_window';
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface ChangeWindow {
  /** Days the window starts on, 0 = Sunday. */
  days: number[];
  /** Minutes since local midnight. */
  start: number;
  end: number;
  /** `UTC`, `+HH:MM`/`-HH:MM`, or an IANA zone name. */
  zone: string;
}

export type ChangeSchedule = ChangeWindow[];

function parseDay(text: string): number {
  const i = DAYS.findIndex((d) => d.toLowerCase() === text.toLowerCase());
  if (i < 0) throw new ChangeWindowError(`unknown day "${text}" (Mon..Sun)`);
  return i;
}

function parseDays(text: string): number[] {
  if (text.toLowerCase() === 'daily') return [0, 1, 2, 3, 4, 5, 6];
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const range = part.split('-');
    if (range.length === 1) days.add(parseDay(range[0] as string));
    else if (range.length === 2) {
      const from = parseDay(range[0] as string);
      const to = parseDay(range[1] as string);
      for (let d = from; ; d = (d + 1) % 7) {
        days.add(d);
        if (d === to) break;
      }
    } else throw new ChangeWindowError(`bad day range "${part}"`);
  }
  return [...days].sort((a, b) => a - b);
}

function parseClock(text: string, allow24: boolean): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!m) throw new ChangeWindowError(`bad time "${text}" (HH:MM)`);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes > 24 * 60 || (minutes === 24 * 60 && !allow24)) throw new ChangeWindowError(`bad time "${text}"`);
  return minutes;
}

const OFFSET = /^[+-](0\d|1[0-4]):([0-5]\d)$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, f);
  }
  return f;
}

function checkZone(zone: string): string {
  if (zone === 'UTC' || OFFSET.test(zone)) return zone;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(zone))
    throw new ChangeWindowError(`bad time zone "${zone}"`);
  try {
    formatter(zone);
  } catch {
    throw new ChangeWindowError(`unknown time zone "${zone}"`);
  }
  return zone;
}

export function parseChangeSchedule(text: string): ChangeSchedule {
  const windows: ChangeSchedule = [];
  for (const raw of text.split(';')) {
    const part = raw.trim();
    if (part === '') continue;
    const fields = part.split(/\s+/);
    if (fields.length < 2 || fields.length > 3)
      throw new ChangeWindowError(`"${part}": expected <days> <HH:MM>-<HH:MM> [<zone>]`);
    const times = (fields[1] as string).split('-');
    if (times.length !== 2) throw new ChangeWindowError(`"${part}": bad time range "${fields[1]}"`);
    const start = parseClock(times[0] as string, false);
    const end = parseClock(times[1] as string, true);
    if (start === end) throw new ChangeWindowError(`"${part}": empty window`);
    windows.push({ days: parseDays(fields[0] as string), start, end, zone: checkZone(fields[2] ?? 'UTC') });
    if (windows.length > 50) throw new ChangeWindowError('more than 50 windows');
  }
  return windows;
}

/** Weekday (0 = Sunday) and minutes since midnight of `t` in `zone`. */
export function localClock(t: number, zone: string): { day: number; minutes: number } {
  if (zone === 'UTC' || OFFSET.test(zone)) {
    const offset =
      zone === 'UTC' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    const d = new Date(t + offset * 60_000);
    return { day: d.getUTCDay(), minutes: d.getUTCHours() * 60 + d.getUTCMinutes() };
  }
  const parts = formatter(zone).formatToParts(new Date(t));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: parseDay(get('weekday')), minutes: (Number(get('hour')) % 24) * 60 + Number(get('minute')) };
}

/** Whether `t` (epoch ms) falls inside any window of the schedule. */
export function inChangeWindow(schedule: ChangeSchedule, t: number): boolean {
  return schedule.some((w) => {
    const { day, minutes } = localClock(t, w.zone);
    if (w.end > w.start) return w.days.includes(day) && minutes >= w.start && minutes < w.end;
    // Past midnight: the evening part on a listed day, or the morning part on the day after one.
    return (w.days.includes(day) && minutes >= w.start) || (w.days.includes((day + 6) % 7) && minutes < w.end);
  });
}
